package insight

import "strings"

// The fallback for a message no intent's words matched. In a shop's or a
// service's support chat a real question about something — "这个扫地机能过
// 门槛吗", "does the gym have a pool?" — is far more often about what is sold
// than off-topic, so such a question is read as a product question unless
// it is about the assistant, the chat, the company as an organisation or
// something outside the shop (other). Reports of something not working and
// questions of size have vocabulary families of their own in
// words_intent.go; this only decides between "a question about the
// offer" and "other".

// asksAboutSomething reports a question with content of its own: a question
// shape (asks, an alternative "A还是B", "多少", "does …", "is there …") and
// enough words that it can name a thing, not "huh?" or "？？".
func (r *reading) asksAboutSomething() bool {
	// An upset message or a rhetorical question asks nothing to answer:
	// "这就是你们说的精选？".
	// A report of what went wrong ("一半都是烂的") is no product question
	// either.
	if r.mood == MoodFrustrated || r.mood == MoodAngry || r.cues[cueRhetoric] > 0 || r.facts > 0 {
		return false
	}
	if !r.asks() && !r.asksMore() {
		return false
	}
	if r.t.han < 5 && len(r.t.toks) < 4 {
		return false
	}
	return !r.aboutChat()
}

// asksMore finds the question shapes asks does not: alternatives
// ("简体版还是繁体版", "real or PU"), amounts ("多少"), and English questions
// led by an auxiliary ("does it…", "is there…", "are they…").
func (r *reading) asksMore() bool {
	n := r.t.norm
	for _, q := range [...]string{"还是", "多少", "多大", "多长", "多重", "会不会", "是不是", "有没有", "啥", "咋"} {
		if strings.Contains(n, q) {
			return true
		}
	}
	if len(r.t.toks) > 0 {
		switch r.t.toks[0].word {
		case "does", "do", "is", "are", "can", "will", "would", "should", "could", "any", "have", "has":
			return true
		}
	}
	return false
}

// aboutChat reports a question about the assistant, the chat itself, the
// company as an organisation (jobs, offices, sponsorships) or off-topic
// content (poems, jokes, the weather, places nearby): all "other".
func (r *reading) aboutChat() bool {
	n := r.t.norm
	for _, q := range [...]string{"机器人", "你是", "真人", "人工智能", "消息", "看不懂", "听不懂", "没看懂", "什么意思", "啥意思",
		"招人", "招聘", "招不招", "简历", "兼职", "公司在", "总部", "天气", "下雨", "写一首", "写首", "诗", "笑话", "附近",
		"赞助", "聊天", "聊会"} {
		if strings.Contains(n, q) {
			return true
		}
	}
	for _, tok := range r.t.toks {
		switch tok.word {
		case "bot", "robot", "chatbot", "ai", "chatgpt", "gpt", "human", "humans", "message", "messages", "chat", "hiring", "job",
			"jobs", "career", "careers", "resume", "office", "headquarters", "weather", "poem", "joke", "song", "story",
			"sponsor", "sponsorship", "nearby", "near", "meaning", "mean":
			return true
		}
	}
	if len(r.t.toks) > 0 && r.t.toks[0].word == "who" {
		return true // a person or an event, not a product: "who won…"
	}
	for _, q := range [...]string{"are you", "you are", "who am i", "what are you", "who are you", "your name"} {
		if strings.Contains(n, q) {
			return true
		}
	}
	return false
}

// moneyOnly reports a Chinese "退" said of money, with no item to send
// back: a fee, a fare, a deposit or a sum ("团费能退吗", "房费", "那部分的
// 钱"). Fees of the return itself (运费, 邮费, "谁出") and anything of a
// parcel keep it a return. English says money back in words of its own
// ("refund", "money back"), so only Chinese is read here.
func (r *reading) moneyOnly() bool {
	n := r.t.norm
	if r.t.han == 0 {
		return false
	}
	money := false
	for _, q := range [...]string{"钱", "费", "押金", "块", "元", "¥", "$"} {
		if strings.Contains(n, q) {
			money = true
			break
		}
	}
	if !money {
		return false
	}
	for _, q := range [...]string{"运费", "邮费", "谁出", "寄", "快递", "退货", "东西", "商品", "包裹", "取件"} {
		if strings.Contains(n, q) {
			return false
		}
	}
	return true
}

// praises reports words that praise the shop, its people or its service
// as such ("好评", "点赞", "给力", "yyds", "the best", "impressed"), not
// laughter or small talk.
func (r *reading) praises() bool {
	n := r.t.norm
	for _, q := range [...]string{"好评", "点赞", "点个赞", "给力", "专业", "耐心", "用心", "贴心", "靠谱", "yyds", "绝绝子",
		"太棒", "超棒", "真棒", "爱了", "回购", "the best", "impressed", "made my day", "great job", "well done", "legend",
		"legends", "10/10", "five stars", "5 stars", "superb", "outstanding", "excellent service", "great service",
		"amazing service", "smoothly", "above and beyond"} {
		if strings.Contains(n, q) {
			return true
		}
	}
	return false
}

// changesAddress reports a delivery address to be changed or written
// wrong: an address word beside a change or an error.
func (r *reading) changesAddress() bool {
	n := r.t.norm
	if !strings.Contains(n, "地址") && !strings.Contains(n, "address") && !strings.Contains(n, "adress") {
		return false
	}
	return containsAny(n, "改", "换", "填错", "写错", "错了", "更新", "change", "update", "wrong", "moved", "edit")
}
