package insight

import (
	"strings"
	"unicode/utf8"
)

// Intensity: how far a negative message has gone. Frustration and anger
// often share their words ("still", "没到"); what tells them apart is how
// the customer says it — a count of times asked ("第三次", "third time"), a
// long wait ("等了两周", "three weeks"), a loss of patience ("I have been
// more than patient"), a threat to leave, complain or review, a demand
// ("立刻", "now."), an accusing rhetorical question ("你们到底…", "are you
// kidding me", "seriously?"). Each adds to reading.intensity; with enough
// of it, annoyance is anger, and a message with no feeling words but these
// cues is impatient, not calm.

// Intensity points of each cue. A frustrated message reads as angry at
// angerAt points; below that an intense message without feeling words is
// frustrated.
const (
	angerAt        = 2.5
	pointsOrdinal  = 1.0 // "第三次", "third time", "three times"
	pointsLongWait = 1.0 // a week or more
	pointsRhetoric = 1.5 // "你们到底…", "are you kidding me"
	pointsPatience = 2.5 // "more than patient", "忍很久了"
	pointsThreat   = 2.5 // leave, review, regulator, chargeback
	pointsDemand   = 1.0 // "立刻", "right now", "today." — only when already negative
	pointsAccuse   = 1.5 // "你们是骗子吧", "is this a scam"
)

// addIntensityWords adds the cue entries intensity is built from.
func addIntensityWords() {
	cue := func(c int, w float64, words ...string) { add(kCue, c, w, words...) }
	cue(cueRhetoric, 1, "你们到底", "到底有没有", "到底还", "到底行不行", "到底能不能", "到底想", "有没有人管",
		"有没有人在管", "是不是故意", "凭什么", "还想怎样", "想怎么样", "什么意思啊", "有意思吗", "好意思吗", "你们是干什么的",
		"干什么吃的", "这就是你们的", "就这服务", "就这态度", "还有没有", "能不能负点责",
		"are you kidding", "are you serious", "you've got to be kidding", "you have got to be kidding", "is this a joke",
		"seriously?", "unbelievable", "beyond belief", "离谱", "how hard is it", "how hard can it be", "what exactly", "what is wrong with", "what's wrong with you",
		"do you even", "does anyone even", "is anyone even", "anyone even", "who does that", "how is this acceptable",
		"how is that acceptable", "how is this possible", "why is it so hard", "why is this so hard", "why should i",
		"what am i paying for", "what did i pay for", "is anybody", "does anyone there", "都几点了",
		"谁让你们", "谁允许你们", "谁同意", "就不能", "who said you could", "who told you to", "who gave you permission",
		"can't you just")
	cue(cuePatience, 1, "more than patient", "been patient", "been very patient", "been extremely patient",
		"losing my patience", "lost my patience", "out of patience", "running out of patience", "patience is running",
		"patience has", "my patience", "i'm done", "im done", "i am done", "done with this", "done with you",
		"had it with", "last chance", "final warning", "one more time", "enough of this", "no more excuses",
		"fed up", "sick and tired", "not acceptable",
		"忍了很久", "忍很久", "忍了好久", "忍到现在", "耐心有限", "耐心没了", "没耐心了", "耐心已经", "已经很有耐心",
		"不想再等", "不会再等", "等不了了", "真是够了", "真够了", "够了!", "够了够了", "受够", "忍无可忍", "最后一次", "别再找借口", "别找借口")
	cue(cueThreat, 2, "拒付", "申请拒付", "dispute", "disputing", "leave a review", "leaving a review", "write a review", "review about",
		"post about", "social media", "twitter", "reddit", "take my business", "taking my business",
		"won't be ordering", "will not be ordering", "won't be back", "never ordering", "never buy", "never shop",
		"done with this brand", "done with your", "report this", "call my bank", "trading standards", "small claims",
		"报警", "举报", "平台投诉", "投诉到", "去投诉", "要投诉", "投诉你们", "以后不买", "不会再买", "再也不买", "再也不来",
		"微博", "小红书", "抖音上", "媒体", "记者", "工商", "消费者协会", "法院")
	cue(cueDemand, 1, "立刻", "马上给", "立即", "现在就", "今天必须", "今天之内", "今天给我", "给我个说法", "给个说法",
		"给我一个说法", "赶紧给", "赶紧查", "赶紧处理", "马上处理", "马上退", "马上解决", "必须给",
		"right now", "immediately", "right away", "fix this", "fix it", "sort this out", "sort it out", "i demand",
		"i expect", "today or", "by today", "this instant", "at once")
	cue(cueAccuse, 1, "骗子", "诈骗", "骗人", "骗钱", "坑人", "黑店", "故意的", "是不是故意", "故意不", "scam", "scammer", "scammers", "fraud",
		"stealing", "steal my", "theft", "rip-off", "ripoff", "rip off", "liars", "lying to me", "lied to me")
	cue(cueWorry, 1, "是不是卡", "卡在哪", "是不是被", "是不是出", "是不是坏", "会不会丢", "会不会被", "会不会影响", "会不会没", "会不会退", "不会丢", "不会没", "没了吧", "丢了吧", "坏了吧", "有影响", "有没有影响", "正常吗", "是不是丢",
		"能不能赶上", "赶得上吗", "来得及吗", "还能到吗", "能收到吗", "收得到吗", "怎么办啊", "好担心", "怕来不及", "万一",
		"is that normal", "is this normal", "is it normal", "did it work", "did it go through", "go through?",
		"will it still", "will it arrive", "will it make it", "make it in time", "won't make it", "worried",
		"freaking out", "i hope it", "i hope my", "i hope the", "i really hope", "hopefully", "what happens if",
		"what if", "be okay", "be ok", "am i going to lose", "did i lose", "lose my", "at risk", "会不会出", "出什么问题",
		"出了什么问题", "是不是出了问题", "该不会", "不会是", "有没有问题", "是不是有问题", "is something wrong",
		"is anything wrong", "hoping it", "hoping the", "hoping my", "did something go wrong",
		"has something gone wrong", "should i be worried", "is my money safe", "is it safe")
	// "yet" and "though" closing a clause ("has it shipped yet?", "thanks
	// though") are adverbs, not a contrast.
	// "when will it arrive?" asks for a date, not whether it will.
	cue(cueWorry, 0, "when will it arrive", "when will it get here", "when will it come")
	cue(cueContrast, 1, "但", "可是", "却", "明明", "可我", "but", "and yet", "even though", "although", "however",
		"whereas")
	cue(cueReport, 1, "显示", "提示", "写的", "写着", "说是", "页面", "says", "said", "say", "shows", "showing", "show", "states",
		"the site", "the page", "the listing", "the label", "the description", "the email")
}

// waitedDays finds an expression of time waited ("等了一周", "都两周了",
// "it's been three weeks", "for 10 days now") and returns the longest one
// in days, or 0. Ages like "bought it 35 days ago" and plans like "in 3
// days" are not waits.
func waitedDays(norm string) float64 {
	best := 0.0
	// Chinese: a number then a unit, with a waiting word before or "了"
	// after it.
	for i := 0; i < len(norm); {
		if norm[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(norm[i:])
		if !strings.ContainsRune("个星礼周月天日小分", r) {
			i += size
			continue
		}
		unit, ulen := zhUnit(norm[i:])
		if unit == 0 {
			i += size
			continue
		}
		n, start := zhNumberBefore(norm, i)
		if n > 0 {
			before := norm[max(0, start-12):start]
			after := norm[i+ulen:]
			waiting := strings.Contains(before, "等了") || strings.Contains(before, "已经") || strings.HasSuffix(before, "都") ||
				strings.HasSuffix(before, "过了") || strings.HasSuffix(before, "第") || strings.Contains(before, "快") ||
				strings.HasPrefix(after, "了") || strings.HasPrefix(after, "都") || strings.HasPrefix(after, "还") ||
				strings.HasPrefix(after, "没") || strings.HasPrefix(after, "多了")
			if waiting && !strings.HasPrefix(after, "内") && !strings.HasPrefix(after, "后") && !strings.HasPrefix(after, "之内") {
				best = max(best, n*unit)
			}
		}
		i += ulen
	}
	if best > 0 || !hasASCIILetter(norm) {
		return best
	}
	return max(best, enWaited(norm))
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// zhUnit reports the length in days of a Chinese time unit at the start of
// s and the unit's byte length, or 0.
func zhUnit(s string) (float64, int) {
	for _, u := range [...]struct {
		s string
		d float64
	}{{"个星期", 7}, {"个礼拜", 7}, {"星期", 7}, {"礼拜", 7}, {"周", 7}, {"个月", 30}, {"天", 1}, {"日", 1},
		{"个小时", 1.0 / 24}, {"小时", 1.0 / 24}, {"分钟", 1.0 / 1440}} {
		if strings.HasPrefix(s, u.s) {
			return u.d, len(u.s)
		}
	}
	return 0, 0
}

// zhNumberBefore reads the number just before byte offset at: digits or
// Chinese numerals ("两", "十五", "十几", "好几", "半"), and returns it with
// where it starts; 0 when there is none.
func zhNumberBefore(s string, at int) (float64, int) {
	j := at
	for j > 0 && at-j < 12 {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if !(r >= '0' && r <= '9') && !strings.ContainsRune("一二两三四五六七八九十几半好", r) {
			break
		}
		j -= size
	}
	num := s[j:at]
	if num == "" {
		return 0, at
	}
	if v := atoi(num); v > 0 {
		return float64(v), j
	}
	val, cur := 0.0, 0.0
	for _, r := range num {
		switch r {
		case '十':
			if cur == 0 {
				cur = 1
			}
			val += cur * 10
			cur = 0
		case '几':
			cur = 3
		case '好':
			cur = max(cur, 3)
		case '半':
			cur = 0.5
		default:
			if r >= '0' && r <= '9' {
				cur = cur*10 + float64(r-'0')
			} else {
				cur = float64(strings.IndexRune("零一二三四五六七八九", r) / 3)
				if r == '两' {
					cur = 2
				}
			}
		}
	}
	return val + cur, j
}

var enNumbers = map[string]float64{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "couple": 2,
	"few": 3, "several": 4, "many": 5,
}

var enUnits = map[string]float64{
	"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "hour": 1.0 / 24, "hours": 1.0 / 24,
	"minute": 1.0 / 1440, "minutes": 1.0 / 1440, "wks": 7, "hrs": 1.0 / 24, "mins": 1.0 / 1440,
}

// enWaited finds "it's been 3 weeks", "waited two weeks", "for 10 days
// now", "over a month", "for weeks", "day 4" in English.
func enWaited(norm string) float64 {
	if !containsAny(norm, "day", "week", "month", "hour", "min", "wk", "hr") {
		return 0
	}
	words := strings.FieldsFunc(norm, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'') })
	best := 0.0
	for k, w := range words {
		unit, ok := enUnits[w]
		if !ok {
			continue
		}
		n := 0.0
		j := k - 1
		// "business days", "whole week", "full month".
		for j >= 0 && (words[j] == "business" || words[j] == "working" || words[j] == "whole" || words[j] == "full" ||
			words[j] == "more" || words[j] == "of") {
			j--
		}
		if j >= 0 {
			if v, ok := enNumbers[words[j]]; ok {
				n = v
			} else if v := atoi(words[j]); v > 0 {
				n = float64(v)
			}
			if n > 0 && j > 0 && (words[j-1] == "a" && words[j] == "few" || words[j-1] == "a" && words[j] == "couple") {
				j--
			}
		}
		if n == 0 {
			// "for weeks", "been months": plural with no number.
			if strings.HasSuffix(w, "s") && j >= 0 && (words[j] == "for" || words[j] == "been") {
				n = 2
			} else {
				continue
			}
		}
		if j > 0 && words[j-1] == "in" || k+1 < len(words) && (words[k+1] == "ago" || words[k+1] == "before" ||
			words[k+1] == "old" || words[k+1] == "from") {
			continue // a plan or an age, not a wait
		}
		prev := ""
		for p := j - 1; p >= max(0, j-3); p-- {
			switch words[p] {
			case "been", "for", "waited", "waiting", "wait", "over", "after", "almost", "nearly", "than", "past", "literally":
				prev = words[p]
			}
			if prev != "" {
				break
			}
		}
		next := ""
		if k+1 < len(words) {
			next = words[k+1]
		}
		if (prev == "after" || prev == "for" || prev == "over") &&
			!containsAny(norm, "still", "not", "n't", "no ", "nothing", "never", "wait", "been", "now", "already") {
			// "it stopped working after a week" dates the fault, "pause
			// it for a month" plans: neither is a wait.
			prev = ""
		}
		if prev != "" || next == "now" || next == "already" || next == "later" || next == "and" || next == "still" {
			best = max(best, n*unit)
		}
	}
	// "day 4", "week 3": counting the days.
	for k := 0; k+1 < len(words); k++ {
		if u, ok := enUnits[words[k]]; ok && u >= 1 && !strings.HasSuffix(words[k], "s") {
			if v := atoi(words[k+1]); v >= 2 && (k == 0 || words[k-1] == "it's" || words[k-1] == "now" || words[k-1] == "and" || words[k-1] == "on") {
				best = max(best, float64(v)*u)
			}
		}
	}
	return best
}

func atoi(s string) int {
	if s == "" || len(s) > 4 {
		return 0
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// ordinalRepeat reports whether the message counts the times the customer
// has asked or been let down: "第三次", "问了三遍", "third time", "three
// times", "twice", "again" after a count.
func ordinalRepeat(norm string) bool {
	for i := 0; i < len(norm); {
		r, size := utf8.DecodeRuneInString(norm[i:])
		if r == '次' || r == '遍' || r == '回' {
			n, start := zhNumberBefore(norm, i)
			if n >= 2 && (r != '回' || strings.HasSuffix(norm[:start], "第")) {
				return true // "两次", "第三次", "好几次", "三遍", "第二回"; "一次" is once
			}
		}
		i += size
	}
	if !hasASCIILetter(norm) || !containsAny(norm, "time", "twice", "again", "replacement", "countless", "over and") {
		return false
	}
	for _, p := range [...]string{"second time", "third time", "fourth time", "fifth time", "2nd time", "3rd time",
		"4th time", "nth time", "times now", "twice now", "twice already", "three times", "four times", "five times",
		"multiple times", "several times", "many times", "so many times", "countless", "over and over", "once again",
		"yet again", "again and again", "second replacement", "third replacement", "2nd replacement", "3rd replacement"} {
		if strings.Contains(norm, p) {
			return true
		}
	}
	for i := 0; i+6 < len(norm); i++ {
		// "3 times", "4 different agents".
		if norm[i] >= '2' && norm[i] <= '9' && (i == 0 || norm[i-1] == ' ') && strings.HasPrefix(norm[i+1:], " times") {
			return true
		}
	}
	return false
}

// endsOnNow reports a demand that ends a sentence with "now" or "today"
// ("I want a refund. now.", "Fix this today.").
func endsOnNow(t *text) bool {
	for k, tok := range t.toks {
		if tok.word != "now" && tok.word != "today" {
			continue
		}
		rest := strings.TrimLeft(t.norm[tok.end:], " ")
		if rest == "" || strings.ContainsAny(rest[:1], ".!") {
			// "right now" counts; "for now", "it's been 3 days now" do not.
			if k > 0 && (t.toks[k-1].word == "for" || t.toks[k-1].word == "days" || t.toks[k-1].word == "weeks" ||
				t.toks[k-1].word == "until" || t.toks[k-1].word == "hours" || t.toks[k-1].word == "months") {
				continue
			}
			return true
		}
	}
	return false
}

// scoreIntensity fills r.intensity from the cues and the message's form.
func (r *reading) scoreIntensity() {
	n := r.t.norm
	r.waited = waitedDays(n)
	p := 0.0
	if ordinalRepeat(n) {
		r.ordinal = true
		p += pointsOrdinal
	}
	if r.waited >= 7 {
		p += pointsLongWait
	}
	if r.cues[cueRhetoric] > 0 {
		p += pointsRhetoric
	}
	if r.cues[cuePatience] > 0 {
		p += pointsPatience
	}
	if r.cues[cueThreat] >= 2 {
		p += pointsThreat
	}
	if r.cues[cueAccuse] > 0 {
		p += pointsAccuse
	}
	if r.cues[cueDemand] > 0 || endsOnNow(r.t) {
		r.demand = true
	}
	if nowAlone(r.t.norm) {
		// "I want a person. Now." — a one-word order is the written
		// form of raising one's voice.
		r.demand = true
		p += pointsPatience
	}
	r.intensity = p
}

// nowAlone reports a sentence that is only "now" or "现在" ("I want a
// refund. now.", "转人工。现在！").
func nowAlone(norm string) bool {
	for s := range strings.FieldsFuncSeq(norm, func(r rune) bool { return strings.ContainsRune(".!?\n", r) }) {
		switch strings.Trim(s, " ,") {
		case "now", "right now", "现在", "马上", "立刻", "立刻马上":
			return true
		}
	}
	return false
}

func containsAny(s string, subs ...string) bool {
	for _, p := range subs {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// promisedDays returns the longest span of time an answer names ("within
// 48 hours", "1-3个工作日", "3-5 business days"), in days, or 0: what the
// customer was told to wait, against which a later wait is overdue.
func promisedDays(answer string) float64 {
	if answer == "" {
		return 0
	}
	norm := strings.ToLower(answer)
	best := 0.0
	for i := 0; i < len(norm); {
		if norm[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(norm[i:])
		if !strings.ContainsRune("个工星礼周月天日小分", r) {
			i += size
			continue
		}
		at := i
		rest := norm[i:]
		for _, p := range [...]string{"个工作", "工作"} {
			if strings.HasPrefix(rest, p) {
				rest = rest[len(p):]
				break
			}
		}
		unit, ulen := zhUnit(rest)
		if unit == 0 {
			i += size
			continue
		}
		if n, _ := zhNumberBefore(norm, at); n > 0 {
			best = max(best, n*unit)
		}
		i = len(norm) - len(rest) + ulen
	}
	if !hasASCIILetter(norm) {
		return best
	}
	words := strings.FieldsFunc(norm, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	for k, w := range words {
		unit, ok := enUnits[w]
		if !ok {
			continue
		}
		j := k - 1
		for j >= 0 && (words[j] == "business" || words[j] == "working" || words[j] == "full") {
			j--
		}
		if j < 0 {
			continue
		}
		n, ok := enNumbers[words[j]]
		if !ok {
			n = float64(atoi(words[j]))
		}
		best = max(best, n*unit)
	}
	return best
}
