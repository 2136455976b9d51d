package knowledge

import (
	"strings"
	"unicode"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
)

// asked is what a query asks about, prepared once per search for measuring
// coverage: its Chinese segments (Han runs split at particles and question
// words, as Terms splits them) and its English words.
type asked struct {
	segs  [][]rune
	words []string
	units int // content characters of segs plus wordUnits per word
}

// wordUnits weighs an English word like a two-character Chinese word, so a
// mixed question ("jacket 偏小吗") counts both halves about equally.
const wordUnits = 2

// maxWindow bounds the Chinese strings looked for in a chunk: long enough
// for most words and names (银行卡, 净水器滤芯), short enough to stay cheap.
const maxWindow = 6

func newAsked(query string) asked {
	var a asked
	for _, term := range Terms(query) {
		// A number in a question is a value to look up ("8 个月",
		// "175 cm"), rarely what the question is about.
		if !isDigits(term) && !hasHan(term) {
			a.words = append(a.words, term)
			a.units += wordUnits
		}
	}
	hanSegments(query, func(seg []rune) {
		a.segs = append(a.segs, seg)
		for _, r := range seg {
			if !chineseStopChars[string(r)] {
				a.units++
			}
		}
	})
	return a
}

// coverage is the share of what the query asks about that the chunk's
// heading and text say, in the same words or in others:
//
//   - a Chinese character counts when it is part of a string of two or more
//     of the query's characters that occurs in the chunk (so 银行卡 in 退到银
//     行卡要几天 counts, the accidental pair 到银 does not hurt), when a
//     lexicon synonym of a word it is part of occurs (好处 → 权益), or, for a
//     lone character, when the chunk has it;
//   - an English word counts when the chunk has it, a lexicon synonym of it
//     (perk → benefit), or a word one typo away from it (refnud → refund,
//     for words of five letters or more).
//
// Function characters (的, 了, 吗 …) are not counted either way.
func (a asked) coverage(c memory.Chunk) float64 {
	if a.units == 0 {
		return 0
	}
	full := c.Heading + "\n" + c.Text
	text := strings.ToLower(full)
	terms := c.Terms
	if len(terms) == 0 {
		terms = Terms(full)
	}
	have := make(map[string]bool, len(terms))
	for _, t := range terms {
		have[t] = true
	}
	says := func(form string) bool {
		if hasHan(form) {
			return strings.Contains(text, form)
		}
		return have[foldEnglish(strings.ToLower(form))]
	}
	found := 0
	for _, seg := range a.segs {
		found += segmentFound(seg, text, says)
	}
	for _, w := range a.words {
		if have[w] || anySynonym(w, says) || typoOf(w, terms) {
			found += wordUnits
		}
	}
	return min(1, float64(found)/float64(a.units))
}

// segmentFound counts the content characters of seg that the chunk says.
func segmentFound(seg []rune, text string, says func(string) bool) int {
	covered := make([]bool, len(seg))
	mark := func(i, n int) {
		for j := i; j < i+n; j++ {
			covered[j] = true
		}
	}
	if len(seg) == 1 {
		covered[0] = strings.ContainsRune(text, seg[0])
	}
	for i := range seg {
		for n := min(maxWindow, len(seg)-i); n >= 2; n-- {
			if strings.Contains(text, string(seg[i:i+n])) {
				mark(i, n)
				break
			}
		}
		for n := 1; n <= 4 && i+n <= len(seg); n++ {
			if anySynonym(string(seg[i:i+n]), says) {
				mark(i, n)
			}
		}
	}
	found := 0
	for i, r := range seg {
		if covered[i] && !chineseStopChars[string(r)] {
			found++
		}
	}
	return found
}

func anySynonym(word string, says func(string) bool) bool {
	for _, s := range embed.Synonyms(word) {
		if says(s) {
			return true
		}
	}
	return false
}

// typoOf reports whether one of terms is one edit (insertion, deletion,
// substitution or swap of neighbours) away from w. Short words are left
// out: "cat" is one edit from too many words.
func typoOf(w string, terms []string) bool {
	if len(w) < 5 {
		return false
	}
	for _, t := range terms {
		if len(t) >= 4 && oneEdit(w, t) {
			return true
		}
	}
	return false
}

// oneEdit reports whether a and b (ASCII-ish words) differ by exactly one
// insertion, deletion, substitution or transposition of neighbours.
func oneEdit(a, b string) bool {
	if a == b || len(a)-len(b) > 1 || len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case len(a) > len(b):
		return a[i+1:] == b[i:]
	}
	return a[i:] == b[i+1:]
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
