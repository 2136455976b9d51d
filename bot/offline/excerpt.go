package offline

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Excerpt limits. A short passage (an FAQ answer) is given whole; from a
// longer one the sentences that share most terms with the question are
// kept, in their original order, up to maxExcerpt runes.
const (
	wholeUpTo    = 280
	maxExcerpt   = 240
	maxSentences = 3
)

// excerpt returns the part of passage that answers question.
func excerpt(question, passage string) string {
	passage = strings.TrimSpace(passage)
	if utf8.RuneCountInString(passage) <= wholeUpTo {
		return passage
	}
	sentences := splitSentences(passage)
	want := terms(question)
	type scored struct {
		i     int
		score int
	}
	ranked := make([]scored, len(sentences))
	for i, s := range sentences {
		n := 0
		for t := range terms(s) {
			if want[t] {
				n++
			}
		}
		ranked[i] = scored{i, n}
	}
	// Stable, so among equally related sentences the earlier ones win: a
	// passage usually states its main point first.
	slices.SortStableFunc(ranked, func(a, b scored) int { return b.score - a.score })

	var keep []int
	runes := 0
	for _, r := range ranked {
		n := utf8.RuneCountInString(sentences[r.i])
		if len(keep) > 0 && (len(keep) == maxSentences || runes+n > maxExcerpt || r.score == 0) {
			break
		}
		keep = append(keep, r.i)
		runes += n
	}
	slices.Sort(keep)
	var b strings.Builder
	for _, i := range keep {
		b.WriteString(sentences[i])
		if han(sentences[i]) {
			continue
		}
		b.WriteByte(' ')
	}
	out := strings.TrimSpace(b.String())
	if utf8.RuneCountInString(out) > maxExcerpt*2 {
		// A single run-on "sentence": cut it rather than flood the chat.
		out = string([]rune(out)[:maxExcerpt*2]) + "…"
	}
	return out
}

// splitSentences cuts text after sentence-ending punctuation and at line
// breaks, dropping Markdown list and heading markers.
func splitSentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		s := strings.TrimSpace(b.String())
		s = strings.TrimLeft(s, "#*->• ")
		if s != "" {
			out = append(out, strings.TrimSpace(s))
		}
		b.Reset()
	}
	rs := []rune(text)
	for i, r := range rs {
		if r == '\n' {
			flush()
			continue
		}
		b.WriteRune(r)
		switch r {
		case '。', '！', '？', '；':
			flush()
		case '.', '!', '?':
			// "5.5" and "e.g." are not sentence ends: require a space after.
			if i+1 == len(rs) || unicode.IsSpace(rs[i+1]) {
				flush()
			}
		}
	}
	flush()
	return out
}

// han reports whether s contains a Chinese character.
func han(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// stopwords are English words too common to tell sentences apart.
var stopwords = map[string]bool{
	"the": true, "a": true, "an": true, "is": true, "are": true, "to": true, "of": true, "and": true,
	"or": true, "in": true, "on": true, "for": true, "my": true, "i": true, "you": true, "your": true,
	"it": true, "do": true, "does": true, "can": true, "how": true, "what": true, "when": true,
	"we": true, "be": true, "will": true, "with": true, "this": true, "that": true, "me": true,
}

// terms returns the English words (lower-cased, stop words dropped, a final
// "s" trimmed) and Chinese character bigrams of s.
func terms(s string) map[string]bool {
	out := map[string]bool{}
	var word []rune
	var prevHan rune
	endWord := func() {
		if len(word) > 0 {
			w := strings.TrimSuffix(string(word), "s")
			if len(w) > 1 && !stopwords[string(word)] {
				out[w] = true
			}
			word = word[:0]
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.Is(unicode.Han, r):
			endWord()
			if prevHan != 0 {
				out[string([]rune{prevHan, r})] = true
			}
			prevHan = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
		default:
			endWord()
		}
		prevHan = 0
	}
	endWord()
	return out
}
