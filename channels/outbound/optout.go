package outbound

import (
	"strings"
	"unicode"
)

// DefaultOptOutKeywords are the replies that unsubscribe a customer from
// proactive messages, as Chinese messaging convention has it.
var DefaultOptOutKeywords = []string{"TD", "退订"}

// OptOut recognises opt-out replies.
type OptOut struct {
	keys map[string]struct{}
}

// NewOptOut returns a checker for keywords (DefaultOptOutKeywords when
// empty).
func NewOptOut(keywords ...string) OptOut {
	if len(keywords) == 0 {
		keywords = DefaultOptOutKeywords
	}
	o := OptOut{keys: make(map[string]struct{}, len(keywords))}
	for _, k := range keywords {
		if n := normalizeOptOut(k); n != "" {
			o.keys[n] = struct{}{}
		}
	}
	return o
}

// Match reports whether text, as a whole, is an opt-out keyword. Case,
// full-width forms, spaces and punctuation are ignored ("td", "Ｔ Ｄ",
// "退订！"), but a keyword inside a sentence ("怎么退订会员") is a question,
// not an opt-out, and does not match.
func (o OptOut) Match(text string) bool {
	if len(text) > 64 {
		return false
	}
	_, ok := o.keys[normalizeOptOut(text)]
	return ok
}

// IsOptOut reports whether text is one of DefaultOptOutKeywords.
func IsOptOut(text string) bool { return defaultOptOut.Match(text) }

var defaultOptOut = NewOptOut()

// normalizeOptOut folds full-width ASCII to ASCII, lowercases, and drops
// spaces, punctuation, symbols and invisible characters.
func normalizeOptOut(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII variants
		}
		switch {
		case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r), unicode.In(r, unicode.Cf, unicode.Cc):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
