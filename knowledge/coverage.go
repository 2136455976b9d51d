package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embed"
)

// asked is what a query asks about, prepared once per search for measuring
// coverage against each candidate: its Chinese segments (Han runs split at
// particles and question words, as Terms splits them) and its English words,
// each with the strings and lexicon synonyms to look for already worked
// out, so measuring a chunk allocates nothing.
type asked struct {
	terms []string // Terms(query), for keyword search
	segs  []askedSeg
	words []askedWord
	units int // content characters of segs plus wordUnits per word
}

// askedSeg is one Chinese segment of the query.
type askedSeg struct {
	text string // the segment
	// at[i] is the byte offset of rune i in text; at[len] is len(text), so
	// runes i..i+n-1 are text[at[i]:at[i+n]].
	at      []int
	content []bool // false for function characters, which are not counted
	syns    []synSpan
}

// synSpan is a substring of a segment (runes i..i+n-1) that the lexicon has
// synonyms for.
type synSpan struct {
	i, n  int
	forms []form
}

// form is a way a chunk may say something: a Chinese string looked for in
// the chunk's text, or an English term looked for among its terms.
type form struct {
	s   string // Chinese: as is; English: lowercased and folded like a term
	han bool
}

// askedWord is one English word of the query and its lexicon synonyms.
type askedWord struct {
	w     string
	forms []form
}

// wordUnits weighs an English word like a two-character Chinese word, so a
// mixed question ("jacket 偏小吗") counts both halves about equally.
const wordUnits = 2

// maxWindow bounds the Chinese strings looked for in a chunk: long enough
// for most words and names (银行卡, 净水器滤芯), short enough to stay cheap.
const maxWindow = 6

// maxSynonymRunes is the longest Chinese substring looked up in the lexicon.
const maxSynonymRunes = 4

// newAsked prepares query.
func newAsked(query string) *asked {
	a := &asked{terms: Terms(query)}
	for _, term := range a.terms {
		// A number in a question is a value to look up ("8 个月",
		// "175 cm"), rarely what the question is about.
		if !isDigits(term) && !hasHan(term) {
			a.words = append(a.words, askedWord{w: term, forms: formsOf(term)})
			a.units += wordUnits
		}
	}
	hanSegments(query, func(seg []rune) {
		a.segs = append(a.segs, newAskedSeg(seg))
		for _, r := range seg {
			if !chineseStopChars[string(r)] {
				a.units++
			}
		}
	})
	return a
}

func newAskedSeg(seg []rune) askedSeg {
	s := askedSeg{at: make([]int, len(seg)+1), content: make([]bool, len(seg))}
	var b strings.Builder
	for i, r := range seg {
		s.at[i] = b.Len()
		b.WriteRune(r)
		s.content[i] = !chineseStopChars[string(r)]
	}
	s.text = b.String()
	s.at[len(seg)] = len(s.text)
	for i := range seg {
		for n := 1; n <= maxSynonymRunes && i+n <= len(seg); n++ {
			if forms := formsOf(s.text[s.at[i]:s.at[i+n]]); len(forms) > 0 {
				s.syns = append(s.syns, synSpan{i: i, n: n, forms: forms})
			}
		}
	}
	return s
}

// formsOf returns word's lexicon synonyms in the form they are looked for.
func formsOf(word string) []form {
	syns := embed.Synonyms(word)
	if len(syns) == 0 {
		return nil
	}
	forms := make([]form, len(syns))
	for i, s := range syns {
		if hasHan(s) {
			forms[i] = form{s: s, han: true}
		} else {
			forms[i] = form{s: foldEnglish(strings.ToLower(s))}
		}
	}
	return forms
}

// coverage measures c's heading and text; Search uses cached views instead.
func (a *asked) coverage(c memory.Chunk) float64 {
	return a.covers(newChunkView(c.Heading+"\n"+c.Text, c.Terms))
}

// covers is the share of what the query asks about that the chunk says, in
// the same words or in others:
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
func (a *asked) covers(v *chunkView) float64 {
	if a.units == 0 {
		return 0
	}
	found := 0
	for i := range a.segs {
		found += a.segs[i].found(v)
	}
	for _, w := range a.words {
		if v.has(w.w) || v.saysAny(w.forms) || typoOf(w.w, v.words) {
			found += wordUnits
		}
	}
	return min(1, float64(found)/float64(a.units))
}

// found counts the content characters of the segment that v says.
func (s *askedSeg) found(v *chunkView) int {
	var buf [32]bool
	covered := buf[:0]
	if n := len(s.content); n <= len(buf) {
		covered = buf[:n]
	} else {
		covered = make([]bool, n)
	}
	mark := func(i, n int) {
		for j := i; j < i+n; j++ {
			covered[j] = true
		}
	}
	if len(covered) == 1 {
		covered[0] = strings.Contains(v.text, s.text)
	}
	for i := range covered {
		for n := min(maxWindow, len(covered)-i); n >= 2; n-- {
			if strings.Contains(v.text, s.text[s.at[i]:s.at[i+n]]) {
				mark(i, n)
				break
			}
		}
	}
	for _, sp := range s.syns {
		if v.saysAny(sp.forms) {
			mark(sp.i, sp.n)
		}
	}
	found := 0
	for i, c := range covered {
		if c && s.content[i] {
			found++
		}
	}
	return found
}

// typoOf reports whether one of words is one edit (insertion, deletion,
// substitution or swap of neighbours) away from w. Short words are left
// out: "cat" is one edit from too many words.
func typoOf(w string, words []string) bool {
	if len(w) < 5 {
		return false
	}
	for _, t := range words {
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
		if isHan(r) {
			return true
		}
	}
	return false
}

// isHan is unicode.Is(unicode.Han, r) with a shortcut for the ASCII most
// text is made of.
func isHan(r rune) bool {
	return r >= utf8.RuneSelf && unicode.Is(unicode.Han, r)
}
