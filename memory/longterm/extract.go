package longterm

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// Rules is the offline extractor: bilingual (zh-CN, en) patterns for the
// facts, preferences and commitments customer service most often needs
// again, each filling a slot key. It is safe for concurrent use.
//
// How it reads a message:
//   - A message is cut into sentences (at 。！？!?; and line breaks) and each
//     sentence into clauses (at commas), so "我不在上海，我在北京" is two
//     clauses and only the second states a city.
//   - A clause is a question when it asks (吗/呢/什么/几/多少…, a question
//     mark ending its sentence, or an English question word first). A
//     question still states what it takes for granted: "宝宝8个月能喝几段？"
//     tells us the baby is 8 months old, so facts about the customer's
//     life (ages, pets, city, allergies, products owned) are taken from
//     questions too, at a little less importance. Preferences and sizes are
//     not: "我穿L码合适吗？" asks whether L fits, it does not say the customer
//     wears L, and "能发顺丰吗？" is not a carrier preference.
//   - A negation just before or inside a match ("我不是在上海", "not in
//     Shanghai") cancels it; for slots that can stop being true (pets,
//     city, allergies, sizes) "not … anymore"/"不再…/已经不…" retracts the
//     stored value instead.
//   - Commitments are read only from bot and agent messages: they are what
//     we promised, not what the customer said.
type Rules struct {
	now func() time.Time
}

// NewRules returns the offline extractor. now dates relative phrases
// ("上个月换的滤芯") when a message has no time of its own.
func NewRules(now func() time.Time) *Rules {
	if now == nil {
		now = time.Now
	}
	return &Rules{now: now}
}

// Extract returns the candidates found in in.Messages, at most one per slot
// key (the latest statement wins), in message order.
func (r *Rules) Extract(ctx context.Context, in ExtractInput) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("longterm: extract: %w", err)
	}
	var out []Candidate
	for _, m := range in.Messages {
		at := m.CreatedAt
		if at.IsZero() {
			at = r.now()
		}
		ref := memory.MessageRef{ConversationID: m.ConversationID, Seq: m.Seq}
		for _, c := range clauses(strings.ReplaceAll(m.Text, "’", "'")) {
			for _, cand := range r.fromClause(c, m.Role, at, in.Known) {
				cand.Sources = []memory.MessageRef{ref}
				cand.At = at
				out = append(out, cand)
			}
		}
	}
	return latestPerKey(out), nil
}

// clause is one comma-separated part of a sentence.
type clause struct {
	text     string
	question bool
	lang     string
}

var sentenceEnd = regexp.MustCompile(`[。！？!?；;\n]+|\.(?:\s+|$)`)

// clauses cuts text into clauses and marks the questions.
func clauses(text string) []clause {
	if utf8.RuneCountInString(text) > 4000 {
		text = string([]rune(text)[:4000])
	}
	var out []clause
	ends := sentenceEnd.FindAllStringIndex(text, -1)
	start := 0
	cut := func(s, punct string) {
		parts := splitCommas(s)
		for i, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			last := i == len(parts)-1
			q := asks(p) || last && strings.ContainsAny(punct, "？?")
			out = append(out, clause{text: p, question: q, lang: langOf(p)})
		}
	}
	for _, e := range ends {
		cut(text[start:e[0]], text[e[0]:e[1]])
		start = e[1]
	}
	if start < len(text) {
		cut(text[start:], "")
	}
	return out
}

// splitCommas splits at commas, but not inside numbers ("1,000").
func splitCommas(s string) []string {
	var parts []string
	last := 0
	rs := []rune(s)
	pos := 0
	for i, r := range rs {
		w := utf8.RuneLen(r)
		if r == '，' || r == '、' || r == ',' && !(i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1])) {
			parts = append(parts, s[last:pos])
			last = pos + w
		}
		pos += w
	}
	return append(parts, s[last:])
}

var (
	zhQuestion = regexp.MustCompile(`吗$|吗[啊呀]?$|呢$|什么|多少|几[段个岁码号点天周月]|怎么|哪[个家里儿些]|为什么|是否|能不能|可不可以|会不会|有没有|行不行|好不好|要不要|多大|多久|多高|多重`)
	enQuestion = regexp.MustCompile(`(?i)^(?:what|which|how|when|where|why|who|can|could|should|would|will|is|are|do|does|did|may|shall)\b`)
)

func asks(s string) bool {
	return zhQuestion.MatchString(s) || enQuestion.MatchString(s)
}

// langOf says "zh" for text with Han characters, else "en".
func langOf(s string) string {
	if hasHan(s) {
		return "zh"
	}
	return "en"
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// fromClause applies every rule to one clause.
func (r *Rules) fromClause(c clause, role memory.Role, at time.Time, known []memory.Memory) []Candidate {
	var out []Candidate
	for _, ru := range rules {
		if ru.fromUs != (role == memory.RoleBot || role == memory.RoleAgent) {
			continue
		}
		if c.question && !ru.presupposed {
			continue
		}
		for _, m := range ru.re.FindAllStringSubmatchIndex(c.text, -1) {
			if !asciiBounded(c.text, m[0], m[1]) {
				continue
			}
			groups := submatches(c.text, m)
			neg := !ru.negative && negated(c.text, m[0], valueStart(m), valueEnd(m), m[1])
			if neg && !ru.retractable {
				continue
			}
			for _, cand := range ru.build(groups, buildCtx{lang: c.lang, at: at, known: known, question: c.question}) {
				if neg {
					cand.Retract = true
				}
				if c.question {
					cand.Importance *= 0.9
				}
				cand.Lang = c.lang
				if cand.Text == "" {
					cand.Text = Phrase(memory.Memory{Key: cand.Key, Value: cand.Value}, c.lang, false)
				}
				out = append(out, cand)
			}
		}
	}
	return out
}

func submatches(s string, m []int) []string {
	g := make([]string, len(m)/2)
	for i := range g {
		if m[2*i] >= 0 {
			g[i] = s[m[2*i]:m[2*i+1]]
		}
	}
	return g
}

// asciiBounded reports whether a match does not cut an English word: "ups"
// in "pick-ups" or "sf" in "sfx" is not a carrier.
func asciiBounded(s string, from, to int) bool {
	isWord := func(r rune) bool { return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
	if from > 0 {
		before, _ := utf8.DecodeLastRuneInString(s[:from])
		first, _ := utf8.DecodeRuneInString(s[from:])
		if isWord(before) && isWord(first) {
			return false
		}
	}
	if to < len(s) {
		after, _ := utf8.DecodeRuneInString(s[to:])
		last, _ := utf8.DecodeLastRuneInString(s[:to])
		if isWord(after) && isWord(last) {
			return false
		}
	}
	return true
}

var (
	zhNegators = []string{"不", "没", "别", "非", "未", "无"}
	enNegation = regexp.MustCompile(`(?i)\b(?:not|no|never|no longer|don't|dont|doesn't|doesnt|didn't|isn't|aren't|wasn't|won't|haven't|hasn't|anymore|any more)\b|n't\b`)
)

// negated reports whether the match at [from, to) is negated: a Chinese
// negator in the three characters before it or in the match before its
// value (so "无锡" is a city, not a negation), an English one in the four
// words before it or inside the match, or "anymore" after it.
func negated(s string, from, value, valueTo, to int) bool {
	before := s[:from]
	rs := []rune(before)
	zhWin := string(rs[max(0, len(rs)-3):])
	inside := s[from:value] + " " + s[valueTo:to]
	for _, n := range zhNegators {
		if strings.Contains(zhWin, n) || strings.Contains(inside, n) {
			return true
		}
	}
	words := strings.Fields(before)
	enWin := strings.Join(words[max(0, len(words)-4):], " ")
	if enNegation.MatchString(enWin) || enNegation.MatchString(inside) {
		return true
	}
	return enAnymore.MatchString(s[to:])
}

var enAnymore = regexp.MustCompile(`(?i)\b(?:anymore|any more|no longer)\b`)

// valueEnd is where the first capture group of match m ends.
func valueEnd(m []int) int {
	for i := 2; i+1 < len(m); i += 2 {
		if m[i] >= 0 {
			return m[i+1]
		}
	}
	return m[1]
}

// valueStart is where the first capture group of match m starts (the end of
// the match when there is none).
func valueStart(m []int) int {
	for i := 2; i+1 < len(m); i += 2 {
		if m[i] >= 0 {
			return m[i]
		}
	}
	return m[1]
}

// latestPerKey keeps the last candidate of each key (later statements
// correct earlier ones) and every free-form candidate, deduplicated by text.
func latestPerKey(cs []Candidate) []Candidate {
	last := map[string]int{}
	for i, c := range cs {
		k := c.Key
		if k == "" {
			k = "text:" + normText(c.Text)
		}
		last[k] = i
	}
	var out []Candidate
	for i, c := range cs {
		k := c.Key
		if k == "" {
			k = "text:" + normText(c.Text)
		}
		if last[k] == i {
			out = append(out, c)
		}
	}
	return out
}

// normText is text reduced for duplicate checks: lower case, letters,
// digits and Han only.
func normText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
