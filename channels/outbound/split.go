package outbound

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unit is what a length limit counts.
type Unit int

// Units of length.
const (
	// Runes counts Unicode code points (most platforms' "characters").
	Runes Unit = iota
	// Bytes counts UTF-8 bytes (WeChat's text limits are in bytes).
	Bytes
	// UTF16 counts UTF-16 code units, as JavaScript's length does: a
	// character outside the Basic Multilingual Plane (most emoji) is two.
	UTF16
)

// String names the unit as config files spell it.
func (u Unit) String() string {
	switch u {
	case Bytes:
		return "bytes"
	case UTF16:
		return "utf16"
	}
	return "runes"
}

// Len is the length of s in unit u.
func (u Unit) Len(s string) int {
	switch u {
	case Bytes:
		return len(s)
	case UTF16:
		n := 0
		for _, r := range s {
			n += u.runeLen(r)
		}
		return n
	}
	return utf8.RuneCountInString(s)
}

func (u Unit) runeLen(r rune) int {
	switch u {
	case Bytes:
		return utf8.RuneLen(r)
	case UTF16:
		if r >= 0x10000 {
			return 2
		}
	}
	return 1
}

// Splitter cuts a long answer into messages of at most Max units each.
//
// Cuts fall, by preference, after a paragraph, a line, a sentence (。！？；…
// or . ! ? ; before a space), a clause (，、：, :) or at a space, as late as
// possible but not in the first third of a piece unless there is no other;
// otherwise between two
// characters, never inside a UTF-8 sequence, a surrogate pair, or a
// character with its combining marks, variation selectors, skin tones,
// zero-width joiners or flag pair. Whitespace around a cut is dropped.
//
// Only a single character longer than Max (Max < 4 bytes, < 2 UTF-16
// units) ends up in a piece over the limit.
type Splitter struct {
	// Max is the largest piece in Unit; zero or less means no limit.
	Max  int
	Unit Unit
}

// Split returns the pieces of text, without leading or trailing whitespace;
// nil when text is blank. Invalid UTF-8 is replaced with U+FFFD first.
func (sp Splitter) Split(text string) []string {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if text == "" {
		return nil
	}
	if sp.Max <= 0 || sp.Unit.Len(text) <= sp.Max {
		return []string{text}
	}
	var pieces []string
	for rest := text; rest != ""; {
		cut := sp.cut(rest)
		if cut == len(rest) {
			pieces = append(pieces, rest)
			break
		}
		piece := strings.TrimRightFunc(rest[:cut], unicode.IsSpace)
		if piece != "" {
			pieces = append(pieces, piece)
		}
		rest = strings.TrimLeftFunc(rest[cut:], unicode.IsSpace)
	}
	return pieces
}

// Cut preferences, best first.
const (
	cutParagraph = iota
	cutLine
	cutSentence
	cutClause
	cutSpace
	cutKinds
)

// cut returns the byte offset where the first piece of s ends: always > 0
// and on a rune boundary; len(s) when all of s fits.
func (sp Splitter) cut(s string) int {
	// limit: the longest prefix within Max, in bytes.
	limit, n := 0, 0
	for i, r := range s {
		n += sp.Unit.runeLen(r)
		if n > sp.Max {
			break
		}
		limit = i + utf8.RuneLen(r)
	}
	if limit == len(s) {
		return limit
	}
	if limit == 0 {
		// One character is larger than Max: it goes alone.
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	window := s[:limit]
	minPos := limit / 3
	var best [cutKinds]int
	// The last cut points before minPos: after a sentence or line, and
	// after a clause or space.
	early, earlyWeak := 0, 0
	lastBoundary := 0
	prev := rune(-1)
	ris := 0 // regional indicators in a row before i
	for i, r := range window {
		if i > 0 && boundary(prev, r, ris) {
			lastBoundary = i
		}
		if isRegional(r) {
			ris++
		} else {
			ris = 0
		}
		prev = r
		end := i + utf8.RuneLen(r)
		next, _ := utf8.DecodeRuneInString(s[end:])
		kind := -1
		switch {
		case r == '\n' && strings.HasPrefix(s[end:], "\n"):
			kind = cutParagraph
		case r == '\n':
			kind = cutLine
		case strings.ContainsRune("。！？；…", r):
			kind = cutSentence
		case strings.ContainsRune(".!?;", r) && (end == len(s) || unicode.IsSpace(next)):
			kind = cutSentence
		case strings.ContainsRune("，、：", r) || strings.ContainsRune(",:", r) && unicode.IsSpace(next):
			kind = cutClause
		case unicode.IsSpace(r):
			kind = cutSpace
		}
		if kind < 0 || !boundaryAt(s, end) {
			continue
		}
		// Closing quotes and brackets stay with their sentence.
		if kind == cutSentence {
			for end < limit {
				c, size := utf8.DecodeRuneInString(s[end:])
				if !strings.ContainsRune("”’」』）)】\"'", c) || end+size > limit {
					break
				}
				end += size
			}
		}
		if end < minPos {
			if kind <= cutSentence {
				early = end
			} else {
				earlyWeak = end
			}
			continue
		}
		best[kind] = end
	}
	for _, at := range best {
		if at > 0 {
			return at
		}
	}
	if early > 0 {
		return early // a short piece beats a sentence cut in half
	}
	if limit < len(s) && boundaryAt(s, limit) && (earlyWeak == 0 || !midWord(s, limit)) {
		return limit
	}
	if earlyWeak > 0 {
		return earlyWeak // a short piece beats a word cut in half
	}
	if lastBoundary > 0 {
		return lastBoundary
	}
	return limit // a cluster longer than Max: cut it between code points
}

// midWord reports whether cutting s at i splits a word of a script written
// with spaces (Latin, Cyrillic, Hangul, digits...). Between Han or kana
// characters any cut is as good as another.
func midWord(s string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i:])
	return wordRune(before) && wordRune(after)
}

func wordRune(r rune) bool {
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// boundaryAt reports whether s may be cut at byte offset i (a rune
// boundary), judging by the runes around it.
func boundaryAt(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i:])
	ris := 0
	for j := i; j > 0 && ris < 64; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if !isRegional(r) {
			break
		}
		ris++
		j -= size
	}
	return boundary(before, after, ris)
}

// boundary reports whether a cut is allowed between before and after; ris
// is how many regional indicators directly precede the cut. It is a
// simplification of Unicode's grapheme cluster rules that keeps the
// sequences messaging clients render as one symbol.
func boundary(before, after rune, ris int) bool {
	switch {
	case before == '\r' && after == '\n':
		return false
	case before == 0x200D: // zero-width joiner: emoji ZWJ sequences
		return false
	case extends(after):
		return false
	case isRegional(before) && isRegional(after) && ris%2 == 1:
		return false // inside a flag
	}
	return true
}

// extends reports whether r attaches to the character before it.
func extends(r rune) bool {
	switch {
	case r == 0x200D, r == 0x200C:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji skin tones
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tags (subdivision flags)
		return true
	case r == 0x20E3: // combining enclosing keycap
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
