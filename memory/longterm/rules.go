package longterm

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kairoscx/kairos/memory"
)

// rule is one extraction pattern.
type rule struct {
	re *regexp.Regexp
	// fromUs is true for rules read from bot and agent messages
	// (commitments), false for customer messages.
	fromUs bool
	// presupposed rules also apply inside questions (see Rules).
	presupposed bool
	// negative rules state a negation themselves ("不要打电话"), so a
	// negator in the match does not cancel them.
	negative bool
	// retractable slots become a retraction when negated.
	retractable bool
	build       func(g []string, b buildCtx) []Candidate
}

// buildCtx is what a rule's build may need besides the match.
type buildCtx struct {
	lang     string
	at       time.Time
	known    []memory.Memory
	question bool
}

// known returns the current value of key among the known memories.
func (b buildCtx) knownValue(key string) (string, bool) {
	for _, m := range b.known {
		if m.Key == key && m.Current() {
			return m.Value, true
		}
	}
	return "", false
}

// one makes a candidate for key with the slot's kind and importance.
func one(key, value string) []Candidate {
	s, _ := slotOf(key)
	kind, imp := s.kind, s.importance
	if kind == "" {
		kind, imp = memory.MemoryFact, 0.5
	}
	return []Candidate{{Kind: kind, Key: key, Value: truncate(value, MaxValue), Importance: imp}}
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// re compiles a pattern case-insensitively; {num}, {enum}, {carrier},
// {city}, {size}, {zhdate} and {endate} expand to shared alternations.
func re(p string) *regexp.Regexp {
	r := strings.NewReplacer(
		"{num}", `(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)`,
		"{enum}", `(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|an|a)`,
		"{carrier}", "("+carrierPattern()+")",
		"{city}", "("+cityPattern()+")",
		"{size}", `(xxxl|xxl|xxs|xl|xs|2xl|3xl|4xl|x-large|extra[ -]large|extra small|small|medium|large|s|m|l|均码)`,
		"{zhdate}", `(\d{4}年\d{1,2}月\d{1,2}[日号]?|\d{1,2}月\d{1,2}[日号]?|\d{1,2}月份?|上个?月|上周|上星期|上礼拜|前天|昨天|今天|(?:\d+|[一二两三四五六七八九十]+)(?:天|周|个星期|个月)(?:以前|之前|前))`,
		"{endate}", `((?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?:,?\s+\d{4})?|\d{4}-\d{1,2}-\d{1,2}|last\s+(?:week|month)|yesterday|today|(?:\d+|a|an|one|two|three|four|five|six)\s+(?:days?|weeks?|months?)\s+ago)`,
	).Replace(p)
	return regexp.MustCompile("(?i)" + r)
}

func cityPattern() string {
	var names []string
	for _, c := range cities {
		if c.zh != "" {
			names = append(names, c.zh)
		}
		names = append(names, c.en)
	}
	sortLongestFirst(names)
	for i, n := range names {
		names[i] = quoteMeta(n)
	}
	return strings.Join(names, "|")
}

// rules is every rule, Chinese then English. Within a clause, later rules
// win for the same key, so retractions follow the statements they undo.
var rules = append(append([]rule{}, zhRules...), enRules...)

// ageCandidate builds baby.age or child.age from a number and unit.
func ageCandidate(subject, num, unit string, half bool) []Candidate {
	n := number(num)
	u := unitOf(unit)
	if n <= 0 || n > 40 {
		return nil
	}
	if u == "" {
		u = "year"
		if isBabyWord(subject) {
			return nil // "my baby is 8" says too little
		}
	}
	if half {
		n += 0.5
	}
	if u == "month" && n > 36 || u == "week" && n > 60 || u == "day" {
		return nil
	}
	key := "child.age"
	if isBabyWord(subject) || u == "month" || u == "week" {
		key = "baby.age"
	}
	return one(key, durationValue(n, u))
}

func isBabyWord(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"宝", "娃", "baby", "newborn", "infant", "little one"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// resolveDate turns a written date into an ISO date, relative phrases
// counted back from at. A month-day without a year is the most recent one
// not after at. "Last month" is the same day a month earlier: an estimate,
// stored as such.
func resolveDate(s string, at time.Time) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	day := func(t time.Time) (string, bool) { return t.Format("2006-01-02"), true }
	switch s {
	case "今天", "today":
		return day(at)
	case "昨天", "yesterday":
		return day(at.AddDate(0, 0, -1))
	case "前天":
		return day(at.AddDate(0, 0, -2))
	case "上周", "上星期", "上礼拜", "last week":
		return day(at.AddDate(0, 0, -7))
	case "上个月", "上月", "last month":
		return day(at.AddDate(0, -1, 0))
	}
	if m := agoRe.FindStringSubmatch(s); m != nil {
		n := int(number(m[1]))
		if n <= 0 {
			return "", false
		}
		switch unitOf(m[2]) {
		case "day":
			return day(at.AddDate(0, 0, -n))
		case "week":
			return day(at.AddDate(0, 0, -7*n))
		case "month":
			return day(at.AddDate(0, -n, 0))
		}
		return "", false
	}
	if t, err := time.Parse("2006-1-2", s); err == nil {
		return day(t)
	}
	if m := zhFullDate.FindStringSubmatch(s); m != nil {
		if t, err := time.Parse("2006-1-2", m[1]+"-"+m[2]+"-"+m[3]); err == nil {
			return day(t)
		}
	}
	month, dom := 0, 0
	if m := zhMonthDay.FindStringSubmatch(s); m != nil {
		month, dom = int(number(m[1])), int(number(m[2]))
	} else if m := enMonthDay.FindStringSubmatch(s); m != nil {
		month, dom = monthOf(m[1]), int(number(m[2]))
	} else if m := enDayMonth.FindStringSubmatch(s); m != nil {
		month, dom = monthOf(m[2]), int(number(m[1]))
	}
	if month < 1 || month > 12 || dom < 1 || dom > 31 {
		return "", false
	}
	t := time.Date(at.Year(), time.Month(month), dom, 0, 0, 0, 0, at.Location())
	if t.After(at) {
		t = t.AddDate(-1, 0, 0)
	}
	return day(t)
}

var (
	agoRe      = regexp.MustCompile(`^(\d+|[一二两三四五六七八九十]+|a|an|one|two|three|four|five|six)\s*(天|周|个星期|个月|days?|weeks?|months?)`)
	zhFullDate = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})`)
	zhMonthDay = regexp.MustCompile(`^(\d{1,2})月(\d{1,2})`)
	enMonthDay = regexp.MustCompile(`^([a-z]+)\.?\s+(\d{1,2})`)
	enDayMonth = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)`)
)

func monthOf(s string) int {
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, m) {
			return i + 1
		}
	}
	return 0
}

// budgetValue normalises an amount with its qualifier and currency:
// "about 500 CNY", "under 800 CNY", "200 USD", "about 300".
func budgetValue(qual, amount, mult, cur string) (string, bool) {
	n := number(strings.ReplaceAll(amount, ",", ""))
	if n <= 0 {
		return "", false
	}
	switch strings.ToLower(mult) {
	case "万":
		n *= 10000
	case "千", "k":
		n *= 1000
	}
	v := numText(n)
	if cur != "" {
		v += " " + cur
	}
	if qual != "" {
		v = qual + " " + v
	}
	return v, true
}

func currencyOf(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "$", "usd", "dollars", "dollar", "bucks":
		return "USD"
	case "¥", "yuan", "rmb", "cny", "元", "块":
		return "CNY"
	}
	return ""
}
