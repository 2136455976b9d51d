package offline

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory/embed"
)

// Excerpt limits. A short passage (an FAQ answer, a small section) is given
// whole; from a longer one the parts that share terms with the question are
// kept, in their original order, up to maxExcerpt runes and maxBlocks parts.
const (
	wholeUpTo  = 300
	maxExcerpt = 450
	maxBlocks  = 4
)

// block is a unit an excerpt keeps or drops whole: one prose sentence, or a
// list (or table) together with the sentence that leads into it, since
// "Delivery takes:" without its items, or half of the items, misleads.
type block struct {
	text string
	line int  // index of the passage line the block starts on
	list bool // a list with its lead; it ends its line
}

// excerpt returns the part of passage that answers question.
func excerpt(question, passage string) string {
	passage = strings.TrimSpace(passage)
	if utf8.RuneCountInString(passage) <= wholeUpTo {
		return passage
	}
	blocks := splitBlocks(passage)
	want := terms(question)
	scores := make([]int, len(blocks))
	for i, b := range blocks {
		scores[i] = overlap(want, b.text)
	}
	order := make([]int, len(blocks))
	for i := range order {
		order[i] = i
	}
	// Stable, so among equally related blocks the earlier ones win: a
	// passage usually states its main point first.
	slices.SortStableFunc(order, func(a, b int) int { return scores[b] - scores[a] })

	var keep []int
	runes := 0
	for _, i := range order {
		n := utf8.RuneCountInString(blocks[i].text)
		if len(keep) > 0 && (scores[i] == 0 || len(keep) == maxBlocks || runes+n > maxExcerpt) {
			continue
		}
		keep = append(keep, i)
		runes += n
	}
	slices.Sort(keep)
	return capLength(render(blocks, keep))
}

// render joins the kept blocks: sentences of one line with a space (none
// after Chinese), anything else on a line of its own.
func render(blocks []block, keep []int) string {
	var b strings.Builder
	for k, i := range keep {
		if k > 0 {
			prev := blocks[keep[k-1]]
			switch {
			case prev.list || blocks[i].list || prev.line != blocks[i].line || keep[k-1] != i-1:
				b.WriteByte('\n')
			case !han(prev.text):
				b.WriteByte(' ')
			}
		}
		b.WriteString(blocks[i].text)
	}
	return strings.TrimSpace(b.String())
}

// capLength cuts a run-on excerpt (a passage from elsewhere with no sentence
// ends) rather than flood the chat, at a line break when there is one.
func capLength(s string) string {
	limit := maxExcerpt * 2
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	cut := string([]rune(s)[:limit])
	if i := strings.LastIndexByte(cut, '\n'); i > len(cut)/2 {
		return cut[:i]
	}
	return cut + "…"
}

// splitBlocks cuts a passage into sentences and lists; a list takes the
// sentence just before it (on the line before) as its lead.
func splitBlocks(passage string) []block {
	var out []block
	prevProse := -1 // index in out of the last sentence of the line before, if prose
	for li, line := range strings.Split(passage, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			prevProse = -1
			continue
		}
		if isListItem(line) {
			switch last := len(out) - 1; {
			case last >= 0 && out[last].list && out[last].line+countLines(out[last].text)-1 == li-1:
				out[last].text += "\n" + line
			case prevProse >= 0:
				out[prevProse].text += "\n" + line
				out[prevProse].list = true
			default:
				out = append(out, block{text: line, line: li, list: true})
			}
			prevProse = -1
			continue
		}
		for _, s := range splitSentences(line) {
			out = append(out, block{text: s, line: li})
		}
		prevProse = len(out) - 1
	}
	return out
}

func countLines(s string) int { return strings.Count(s, "\n") + 1 }

// isListItem recognises Markdown list items ("- ", "* ", "1. ", "1、")
// and table rows.
func isListItem(line string) bool {
	switch {
	case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "* "), strings.HasPrefix(line, "+ "),
		strings.HasPrefix(line, "• "), strings.HasPrefix(line, "|"):
		return true
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	rest := line[i:]
	return i > 0 && (strings.HasPrefix(rest, ". ") || strings.HasPrefix(rest, ") ") || strings.HasPrefix(rest, "、"))
}

// splitSentences cuts one line of prose after sentence-ending punctuation,
// dropping a Markdown heading or emphasis marker at its start.
func splitSentences(line string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(strings.TrimLeft(b.String(), "#*> ")); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	rs := []rune(line)
	for i, r := range rs {
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

// overlap counts the question's terms that text has, in its own words or as
// a synonym from the offline lexicon ("shipping" finds "delivery").
func overlap(want map[string]bool, text string) int {
	have := terms(text)
	n := 0
	for t := range want {
		if have[t] {
			n++
			continue
		}
		for _, s := range embed.Synonyms(t) {
			if have[strings.TrimSuffix(strings.ToLower(s), "s")] || (han(s) && strings.Contains(text, s)) {
				n++
				break
			}
		}
	}
	return n
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
