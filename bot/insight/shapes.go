package insight

import (
	"strings"
	"unicode/utf8"
)

// Shapes: how the construction around a word changes what it says. A
// lexicon matches words; these read the few constructions that turn a
// word's usual sense around in customer-service chat — an emphatic denial
// ("一个电话都没有"), "又…又" (both … and), a yes-no question about a quality
// ("好用吗"), an A-not-A question ("是不是"), "是什么" before a noun, "again"
// asking to redo, the worried guess "不会…吧", "每次…都", disappointed
// expectations, a feared outcome, a parcel or refund that never came, and
// words turned on the people addressed.

// emphaticNegation reports a denial of even the least amount — "一个电话都
// 没有", "一分不给", "一点用也没有", "not a single reply", "not even an
// email", "zero replies" — which says the thing with force.
func emphaticNegation(t *text) bool {
	if t.han > 0 {
		n := t.norm
		for i := strings.Index(n, "一"); i >= 0; {
			rest := n[i+len("一"):]
			// Up to four characters of measure word and noun, then 都/也
			// and a negator ("一个电话都没有"), or a negator right after
			// the measure word ("一分不给", "一句没回").
			k := 0
			for pos, r := range rest {
				if k > 4 || r < utf8.RuneSelf || k == 0 && r == '定' {
					break // "一定不要" is "must not"
				}
				tail := rest[pos:]
				if k >= 1 && (strings.HasPrefix(tail, "都没") || strings.HasPrefix(tail, "都不") ||
					strings.HasPrefix(tail, "也没") || strings.HasPrefix(tail, "也不")) {
					return true
				}
				if k == 1 && strings.ContainsRune("分点个次句件声毛字条", firstRune(rest)) &&
					(strings.HasPrefix(tail, "不") || strings.HasPrefix(tail, "没")) {
					return true
				}
				k++
			}
			j := strings.Index(rest, "一")
			if j < 0 {
				break
			}
			i += len("一") + j
		}
	}
	if t.latin == 0 {
		return false
	}
	for k, tok := range t.toks {
		switch tok.word {
		case "single": // "not a single reply", "not one single call"
			if k > 1 && t.toks[k-2].word == "not" && (t.toks[k-1].word == "a" || t.toks[k-1].word == "one") {
				return true
			}
		case "even": // "not even an email"
			if k > 0 && t.toks[k-1].word == "not" {
				return true
			}
		case "zero":
			if k+1 < len(t.toks) && !isDigit(t.toks[k+1].word[0]) {
				return true // "zero replies", not "zero 5"
			}
		}
	}
	return false
}

// bothAnd reports a "又" of the both-and construction "又X又Y" ("又便宜又
// 好看": cheap and pretty), which adds, unlike the "又" of "again".
func bothAnd(norm string, h hit) bool {
	if !strings.HasPrefix(norm[h.start:], "又") {
		return false
	}
	near := func(s string) bool {
		return utf8.RuneCountInString(s) <= 4 && !strings.ContainsAny(s, ",.!?;: ")
	}
	if j := strings.Index(norm[h.start+len("又"):], "又"); j > 0 && near(norm[h.start+len("又"):h.start+len("又")+j]) {
		return true
	}
	if j := strings.LastIndex(norm[:h.start], "又"); j >= 0 && near(norm[j+len("又"):h.start]) && j+len("又") < h.start {
		return true
	}
	return false
}

// polarQuestion reports a word inside a yes-no question about it: "这款
// 好用吗", "质量好不好", "is it good for sensitive skin?", "does it look
// nice?". The customer asks whether it is good; they are not pleased yet.
func polarQuestion(norm string, h hit) bool {
	// In Chinese chat a space ends a clause as a comma does: "喜欢死这个款
	// 式了😍 就是码拍小了 能换个L吗" praises, then asks.
	seps, endSeps := ",.!;\n", ",.!?;\n"
	if h.e.words == nil {
		seps, endSeps = ",.!; \n", ",.!?; \n"
	}
	start := strings.LastIndexAny(norm[:h.start], seps) + 1
	end := len(norm)
	if k := strings.IndexAny(norm[h.end:], endSeps); k >= 0 {
		end = h.end + k
	}
	clause := strings.TrimSpace(norm[start:end])
	after := norm[h.end:end]
	if end < len(norm) && norm[end] == '?' || strings.HasSuffix(clause, "吗") || strings.HasSuffix(clause, "嘛") {
		if strings.HasPrefix(after, "吗") || strings.HasPrefix(after, "嘛") || strings.HasPrefix(after, "不") {
			return true // "好用吗", "好看不"
		}
		for _, aux := range [...]string{"is ", "are ", "does ", "do ", "will ", "would ", "was ", "can ", "could ", "did "} {
			if strings.HasPrefix(clause, aux) {
				return true
			}
		}
		if strings.HasSuffix(clause, "吗") && !strings.ContainsAny(norm[start:h.start], "太真好超很") {
			return true // "这个面霜好用吗"; not "太好了还有吗"
		}
	}
	return false
}

// notReceived reports a customer saying something never reached them, a
// parcel or their money: "没收到", "钱没退", "not here", "haven't been
// refunded".
func notReceived(norm string) bool {
	return containsAny(norm, "没收到", "没有收到", "没拿到", "没见到", "没退", "没到账", "not here", "not received",
		"haven't received", "hasn't arrived", "haven't got", "didn't get it", "didn't receive", "never received",
		"never got it", "never arrived", "nowhere to be found", "not refunded", "haven't been refunded",
		"no refund", "money back yet")
}

// addressed reports a message that turns on the people it is talking to
// ("你们到底有没有人管", "are you even reading this"): impatience said to
// someone's face is nearer anger than the same impatience said of a
// situation ("到底还换不换了").
func addressed(t *text) bool {
	if t.han > 0 && strings.Contains(t.norm, "你") {
		return true
	}
	for _, tok := range t.toks {
		switch tok.word {
		case "you", "your", "you're", "y'all", "yours", "yourself", "yourselves":
			return true
		}
	}
	return false
}

// redo reports an "again" that asks to do something once more ("how do I
// pair it again?", "can you send the code again?"), not a problem that
// came back ("late again").
func redo(norm string, h hit) bool {
	if norm[h.start:h.end] != "again" {
		return false
	}
	start := strings.LastIndexAny(norm[:h.start], ",.!?;\n") + 1
	clause := strings.TrimLeft(norm[start:h.start], " ")
	for _, p := range [...]string{"how do i", "how can i", "how to", "can you", "could you", "can i", "could i",
		"would you", "please", "pls", "do i need to", "should i", "i need to", "i have to", "try"} {
		if strings.HasPrefix(clause, p) {
			return true
		}
	}
	return false
}

// askedOfNoun reports a "是什么" that asks for a fact about a noun after it
// ("是什么时候", "是什么材料", "是什么快递"), not what something is ("预授权是
// 什么", "这是什么扣款").
func askedOfNoun(norm string, h hit) bool {
	if norm[h.start:h.end] != "是什么" || strings.HasSuffix(norm[:h.start], "这") || strings.HasSuffix(norm[:h.start], "那") {
		return false // "这是什么扣款" does not know what the charge is
	}
	rest := norm[h.end:]
	if rest == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !strings.ContainsRune(",.!?;: ~\n啊呀呢吗哦嘛意", r)
}

// presumedNot reports the Chinese worried guess "不会…吧" ("不会出问题吧",
// "不会丢了吧"): the customer hopes aloud that the bad thing has not happened.
func presumedNot(norm string) bool {
	for i := strings.Index(norm, "不会"); i >= 0; {
		rest := norm[i+len("不会"):]
		n := 0
		for pos, r := range rest {
			if r == '吧' && n >= 1 {
				return true
			}
			if n >= 8 || strings.ContainsRune(",.!?;", r) {
				break
			}
			_ = pos
			n++
		}
		j := strings.Index(rest, "不会")
		if j < 0 {
			break
		}
		i += len("不会") + j
	}
	return false
}

// everyTime reports a complaint that something happens each time: "每次退款
// 都要等这么久", "every time I order", "every single update".
func everyTime(norm string) bool {
	if i := strings.Index(norm, "每次"); i >= 0 {
		rest := norm[i+len("每次"):]
		n := 0
		for _, r := range rest {
			if r == '都' && n >= 1 {
				return true
			}
			if n >= 8 || strings.ContainsRune(",.!?;", r) {
				break
			}
			n++
		}
	}
	return false
}

// expectedBetter reports disappointed expectations said at length:
// "expected the quality to be better", "thought it would be bigger".
func expectedBetter(norm string) bool {
	return leadClauseHas(norm, []string{"expected", "thought it would be", "hoped for", "本以为", "还以为会"},
		"better", "more", "bigger", "nicer", "higher", "好", "大")
}

// leadClauseHas reports whether, after one of leads, the rest of its clause
// (up to the next , . ! ? or ;) contains one of words.
func leadClauseHas(norm string, leads []string, words ...string) bool {
	for _, lead := range leads {
		i := strings.Index(norm, lead)
		if i < 0 {
			continue
		}
		clause := norm[i:]
		if k := strings.IndexAny(clause, ",.!?;"); k >= 0 {
			clause = clause[:k]
		}
		if containsAny(clause, words...) {
			return true
		}
	}
	return false
}

// choiceQuestion reports a "不" or "没" at byte offset at that is the middle
// of an A-not-A question ("是不是", "有没有", "能不能", "好不好").
func choiceQuestion(norm string, at int) bool {
	rest := norm[at:]
	if !strings.HasPrefix(rest, "不") && !strings.HasPrefix(rest, "没") {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(norm[:at])
	after, _ := utf8.DecodeRuneInString(rest[len("不"):])
	return before == after && before >= 0x4e00
}

// fearedOutcome reports a question whether something bad will happen:
// "会不会" with a harm in the same clause ("会不会把电池搞坏", "会不会过期"),
// or "will it/could it" with one ("could it damage the screen?").
func fearedOutcome(norm string) bool {
	return leadClauseHas(norm, []string{"会不会", "will it", "could it", "would it", "might it"},
		"坏", "损", "伤", "问题", "危险", "爆", "炸", "扣", "过期", "失效", "取消", "封", "damage",
		"ruin", "break", "hurt", "harm", "expire", "be cancelled", "be canceled", "get lost", "be lost", "explode")
}

// firstRune returns the first rune of s, or utf8.RuneError.
func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// dateAhead reports a day or time still to come: "明天", "下周三", "周二
// 前", "月底", "20号", "tomorrow", "on Saturday", "before the 24th", "next
// week", "in 3 hours". A deadline word beside it names what the date is
// for.
func dateAhead(norm string) bool {
	if containsAny(norm, "明天", "后天", "今晚", "下周", "下星期", "下礼拜", "下个月", "月底", "周末", "周一", "周二", "周三",
		"周四", "周五", "周六", "周日", "星期", "礼拜一", "礼拜二", "礼拜三", "礼拜四", "礼拜五", "礼拜六", "礼拜天") {
		return true
	}
	if i := strings.Index(norm, "号"); i > 0 && (isDigit(norm[i-1]) || i >= 3 && strings.ContainsRune("一二三四五六七八九十", lastRune(norm[:i]))) {
		return true
	}
	if !hasASCIILetter(norm) {
		return false
	}
	for _, w := range strings.FieldsFunc(norm, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		switch w {
		case "tomorrow", "tmrw", "tonight", "monday", "tuesday", "wednesday", "thursday", "thurs", "friday", "saturday",
			"sunday", "weekend", "christmas", "xmas":
			return true
		}
		if n := len(w); n >= 3 && isDigit(w[0]) && (strings.HasSuffix(w, "st") || strings.HasSuffix(w, "nd") ||
			strings.HasSuffix(w, "rd") || strings.HasSuffix(w, "th")) {
			return true // "the 24th"
		}
	}
	return containsAny(norm, "next week", "next month", "this week", "end of the month") || clockTime(norm) && strings.Contains(norm, "in ")
}

// lastRune returns the last rune of s.
func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// needed reports words of necessity or of what is lost without it: "I
// need it", "have to", "要用", "必须", "不然就白买了". A plain question about a
// date ("will it arrive by Friday?") asks; these press.
func needed(norm string) bool {
	return containsAny(norm, "need", "have to", "has to", "must", "got to", "can't miss", "otherwise", "or else",
		"要用", "要穿", "要戴", "要送", "必须", "得用", "不然", "否则", "白买", "急", "赶不上", "来不及")
}

// reproach reports a customer telling the bot it is not listening or says
// the same thing ("you just said that", "you're not listening", "你刚才已经
// 这么说过了", "复读机"): worry turned on the one who should help.
func reproach(norm string) bool {
	return containsAny(norm, "you just said", "you said that", "you already said", "said that already",
		"not listening", "you keep saying", "same answer", "same thing", "i told you", "like i said", "as i said",
		"already told you", "going in circles", "说过了", "刚说了", "我都说了", "我说了", "复读机", "一模一样", "听不懂",
		"车轱辘", "绕圈", "兜圈子")
}

// conflictingSources reports two sources' claims in one message ("详情页说
// 防水 评论里说进水了", "the app says X but the email says Y") with a
// question which holds ("到底防不防水", "到底哪天", "which"): two report
// words and a question about it.
func conflictingSources(norm string) bool {
	n := 0
	for _, w := range [...]string{"说", "写", "显示", "says", "said", "shows", "showing"} {
		n += strings.Count(norm, w)
	}
	if n < 2 {
		return false
	}
	if containsAny(norm, "上次", "上周", "上个月", "昨天", "前天", "之前", "刚才", "先是", "原来", "本来", "last time", "last week",
		"yesterday", "earlier", "again", "before") {
		return false // one source changing its claim over time: a broken promise, not two sources
	}
	if i := strings.Index(norm, "到底"); i >= 0 {
		rest := norm[i:]
		return strings.Contains(rest, "哪") || strings.Contains(rest, "谁") || strings.Contains(rest, "不") ||
			strings.Contains(rest, "没")
	}
	return strings.Contains(norm, "which")
}

// brokenPromise reports a customer holding the company to its word: "说好9
// 点到", "答应过", "you promised", "was supposed to".
func brokenPromise(norm string) bool {
	return containsAny(norm, "说好", "答应", "承诺", "保证过", "promised", "was supposed to", "were supposed to",
		"you said it would", "you told me it would",
		// A time the business set that has passed: a slot, a window, an
		// appointment, an estimate ("约好", "超时", "delivery window was
		// 8-12", "nobody showed").
		"约好", "约的是", "预约的时间", "超时", "早该到", "应该早到", "过了预计", "window was", "slot was",
		"nobody showed", "no one showed", "no-show", "should have arrived",
		"should have been here", "should've arrived")
}

// timeLost reports a duration already spent waiting: "一个半小时了", "等了40
// 分钟", "been waiting 2 hours", "for an hour now", "3 hours ago".
func timeLost(norm string) bool {
	return containsAny(norm, "小时了", "分钟了", "等了", "半天了", "been waiting", "waiting for", "hours now", "minutes now",
		"mins now", "hour now", "hours ago", "minutes ago", "mins ago", "for an hour", "for hours", "for over an hour")
}
