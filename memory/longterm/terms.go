package longterm

import (
	"strings"
	"unicode"
)

// Terms returns the keyword-search tokens of text, deduplicated in order of
// first appearance: lower-cased Latin and digit words of two characters or
// more (one-digit numbers kept, since "8" in "8 months" matters), and the
// overlapping bigrams of each run of Han characters (a lone character is
// kept as itself). The same function indexes memories and queries, so the
// two always agree.
func Terms(text string) []string {
	var out []string
	seen := map[string]bool{}
	emit := func(t string) {
		if t != "" && !seen[t] && !stop[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	var word, han []rune
	flushWord := func() {
		if len(word) > 1 || len(word) == 1 && unicode.IsDigit(word[0]) {
			w := string(word)
			emit(w)
			if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
				emit(w[:len(w)-1])
			}
		}
		word = word[:0]
	}
	flushHan := func() {
		switch len(han) {
		case 0:
		case 1:
			emit(string(han))
		default:
			for i := 0; i+1 < len(han); i++ {
				emit(string(han[i : i+2]))
			}
		}
		han = han[:0]
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			if particle[r] {
				flushHan()
				continue
			}
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushHan()
		}
	}
	flushWord()
	flushHan()
	return out
}

// particle are Chinese function characters that would only add noise
// bigrams ("的宝", "了吗").
var particle = map[rune]bool{'的': true, '了': true, '吗': true, '呢': true, '吧': true, '啊': true, '呀': true, '嘛': true, '么': true}

var stop = map[string]bool{
	"the": true, "a": true, "an": true, "is": true, "are": true, "was": true, "to": true, "of": true, "and": true,
	"or": true, "in": true, "on": true, "at": true, "it": true, "my": true, "me": true, "you": true, "your": true,
	"did": true, "do": true, "does": true, "what": true, "that": true, "this": true, "for": true, "with": true,
	"we": true, "us": true, "our": true, "be": true, "have": true, "has": true, "say": true, "said": true, "tell": true,
	"told": true, "last": true, "time": true, "remember": true, "again": true,
	"我上": true, "上次": true, "次说": true, "说宝": true, "之前": true, "前说": true, "告诉": true, "诉你": true,
	"还记": true, "记得": true, "得我": true, "我说": true, "说过": true, "跟你": true, "你说": true, "们说": true,
}
