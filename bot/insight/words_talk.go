package insight

// addServiceTalk adds the ways customers commonly say a feeling in
// customer-service chat that the first lexicons lacked, by family rather
// than by sentence: praise with a degree adverb ("超级好"), loyalty ("下次还
// 来"), disappointment in expectations ("I expected better"), staff
// attitude ("态度极差"), exasperated requests ("can you just…"), not
// understanding and not finding ("没弄明白", "can't figure out", "找遍了"),
// pages that contradict each other ("the app and the email say different
// things"), and money the customer depends on ("急需", "房贷"). A word the
// lexicon already has keeps its weight.
func addServiceTalk() {
	talk := func(m int, w float64, words ...string) {
		for _, s := range words {
			if moodLex.all[s] == nil {
				add(kMood, m, w, s)
			}
		}
	}

	// Delight: praise with a degree adverb, loyalty, thanks with warmth.
	talk(mHappy, 2, "超级好", "非常好", "特别好", "超好", "巨好", "贼好", "十分好", "相当好", "好好用", "太好用",
		"太好看", "下次还来", "还会再来", "下次还买", "还会再买", "会再来", "还会回购", "必须好评", "五星好评", "认准",
		"best service", "best customer service", "best experience", "best purchase", "best support", "best thing",
		"best decision", "you're a star", "you are a star", "you're a legend", "you're amazing", "so pleased",
		"really pleased", "very pleased", "above and beyond", "so helpful", "really helpful", "super helpful",
		"very helpful", "will order again", "will buy again", "ordering again", "buying again")

	// Annoyance: disappointed expectations, hard to reach, embarrassment,
	// poor service named as such.
	talk(mFrustrated, 2, "expected better", "expect better", "expected more", "expect more", "难联系", "很难联系",
		"联系不到人", "找不到人", "态度不好", "态度一般", "不耐烦", "waste of my time", "wasting my time",
		"wasted my time", "not good enough", "not happy about", "very unhappy", "embarrassing", "so embarrassed",
		"丢人", "尴尬", "disappointed with", "disappointed in", "let me down", "poor service", "bad service")
	// Blame laid lightly on the company, and "I told you" to a bot.
	talk(mFrustrated, 2, "是你们的问题", "你们的问题", "你们的责任", "your fault", "your mistake", "your error",
		"you messed up", "your problem not mine", "我都说了", "我已经说了", "我说了", "i said i", "as i said",
		"like i said", "i already said", "don't you care", "do you even care", "你们不管", "不管吗", "没人管吗",
		"you lost my", "you've lost my", "you have lost my", "你们弄丢")
	// A hassle, being passed around, an answer that does not answer.
	talk(mFrustrated, 2, "这么麻烦", "那么麻烦", "麻烦死", "got transferred", "been transferred", "keep transferring",
		"passed around", "bounced around", "bounced between", "lost my cart", "lost my data", "lost my work",
		"lost my notes", "lost my files", "lost everything", "lost all my", "too late again")
	talk(mFrustrated, 1.5, "doesn't answer", "didn't answer", "not answering", "does not answer", "没回答", "不回答")
	// Asking for someone higher up, a burden pushed onto the customer, a
	// warning not to repeat a mistake, exasperated requests, long waits.
	talk(mFrustrated, 1.2, "speak to a manager", "talk to a manager", "找领导", "找经理", "找你们领导", "还要我",
		"让我自己", "别再错", "别再出错", "别再搞错", "别再发错", "don't mess it up", "get it right this time",
		"can you just", "can someone just", "could you just", "could someone just", "can i just", "just let me",
		"just give me", "just tell me", "just answer", "please just", "seriously though", "这么久", "等这么久",
		"so long", "this long")

	// Anger: staff attitude, a manager demanded, insults to competence,
	// accusations of keeping the money, contempt.
	talk(mAngry, 2, "态度极差", "态度很差", "态度非常差", "态度特别差", "态度恶劣", "态度差劲", "就这样对待",
		"这样对待顾客", "这么对待", "你们领导呢", "领导呢", "叫你们领导", "叫领导出来", "经理呢", "叫你们经理",
		"get me a manager", "get me your manager", "get your manager", "眼睛长哪", "眼瞎", "瞎了吗", "are you blind",
		"can't you read", "can you read", "can you even read", "听不懂人话", "说人话", "你们是想吞", "想吞", "赖账",
		"私吞", "摆设", "形同虚设", "欺诈", "骗局", "消费者协会", "theft", "criminal", "criminals", "crooks",
		"con artists", "incompetent", "how dare you", "absolute joke", "complete joke", "total joke",
		"daylight robbery")

	// Puzzlement: contradictions, not understanding, not finding, asking
	// what something implies.
	talk(mConfused, 2, "say different things", "says different things", "saying different things",
		"different answers", "两种说法", "两个说法", "说法不一", "说法不一样", "不同的说法", "conflicting",
		"contradicting", "contradictory", "don't quite understand", "don't really understand", "didn't understand",
		"don't fully understand", "not understanding", "can't figure out", "cannot figure out", "couldn't figure out",
		"can't work out", "don't follow", "not following", "lost me", "can't tell if", "can't tell whether",
		"not sure whether", "unsure whether", "unsure if", "没弄明白", "没弄懂", "没搞明白", "搞不明白", "不太明白",
		"没太懂", "没看明白", "不太理解", "不理解", "没理解", "不是很明白", "不是很懂", "不是很清楚", "不太清楚", "弄不懂",
		"啥意思", "没懂", "不确定", "looked everywhere", "searched everywhere", "can't seem to find", "can't locate",
		"where did it go", "where has it gone", "can't find anything", "everything moved", "everything has moved",
		"everything's moved", "how do i even", "where do i even", "what do i even", "where is it even", "找遍",
		"找了一圈", "找不到了", "改版了", "该点哪个", "点哪个", "该选哪个", "wait so", "wait what", "does that mean",
		"does this mean", "so do i", "so does that", "也就是说", "那就是说", "所以是要", "don't know if",
		"don't know whether", "i thought", "我以为", "i was under the impression")
	// Saying one cannot manage it oneself ("我年纪大了不太会弄", "I'm not
	// very good with apps"), and asking for the next step in the middle
	// of one ("按了SET 然后呢", "ok, then what?"): lost in the steps.
	talk(mConfused, 1.5, "不太会弄", "我不会弄", "不会弄这", "我不太会用", "我不会用", "弄不来", "搞不来", "不太懂这些",
		"not good with", "not very good with", "not tech savvy", "not very techy", "not techy", "然后呢", "接下来呢",
		"下一步呢", "then what")
	// Asking which of two sources to believe, or whether the fault is in
	// the customer's own reading: the definition of confusion, however
	// impatient the "到底" before it.
	talk(mConfused, 2.5, "听谁的", "信谁的", "谁说的是真的", "谁说的对", "谁说的才是", "按哪个算", "按哪个来", "以哪个为准",
		"按哪个为准", "哪个是对的", "哪个才是对的", "哪个是真的", "哪个准", "是我理解错了", "是我理解有误", "是我看错了",
		"是我搞错了", "我理解错了吗", "我看错了吗", "which one is right", "which is right", "which is correct",
		"which one is correct", "which is true", "which one is true", "which should i believe", "who do i believe",
		"who's right", "who is right", "am i reading this wrong", "am i reading it wrong", "did i misunderstand",
		"did i misread", "have i misunderstood")

	// Worry: a guarantee asked for, money depended on, someone else in the
	// account, something running out, helplessness.
	talk(mAnxious, 2, "急需", "能不能保证", "能保证", "保证能", "指着这", "就靠这", "等着这笔钱", "is my account safe",
		"is my card safe", "is my data safe", "is my information safe", "is my payment safe", "is my money safe",
		"i need it back", "need the money", "someone used my", "someone logged into", "someone has access",
		"didn't make these", "didn't make this", "didn't authorise", "didn't authorize", "not authorised by me",
		"不是我买的", "不是我操作", "不是我下的单", "别人登录", "被人登录", "what am i supposed to do",
		"what do i do now", "what should i do now", "我该怎么办")
	// Making sure, asking whether the money comes back: reassurance
	// sought.
	talk(mAnxious, 1.2, "want to make sure", "wanted to make sure", "just to make sure", "just making sure",
		"is there any way", "any way to", "有没有办法", "有什么办法", "am i going to get", "will i get my money",
		"will i get it back", "do i get my money back", "钱能回来吗", "能退回来吗", "钱还能要回来吗",
		"don't want to be charged", "don't want to lose", "不想被扣", "只剩", "就剩", "快没了", "running low",
		"almost out", "fixed income", "my pension", "pension money", "my rent", "退休金", "养老钱", "救命钱", "房贷",
		"信用卡还款")
	// Asking when is not worrying whether.
	talk(mAnxious, 0, "when will i get my money", "when will i get it back", "when do i get my money")

	// Contempt aimed at the people or the bot addressed: calling them
	// stupid, idle or toying with the customer, taking the customer for a
	// fool, naming the bot useless, calling their word a fabrication, and
	// telling the world.
	talk(mAngry, 3, "你是不是傻", "你傻吗", "你傻啊", "是傻子吗", "当我傻", "当我是傻子", "当我好欺负", "好欺负",
		"欺负人", "玩我呢", "玩我", "耍我", "耍人", "逗我玩", "在摸鱼", "都在摸鱼", "you useless", "useless bot",
		"stupid bot", "dumb bot", "useless chatbot", "you idiots", "bunch of idiots", "morons", "a fabrication",
		"complete fabrication", "total fabrication", "tell everyone", "warn everyone", "1-star", "one-star",
		"1 star", "one star review")
	// Sarcasm of the newer chat idiom ("love that for me", "我真的会谢")
	// and world-class praise for a poor answer.
	add(kSarcasm, 0, 2, "love that for me", "love this for me", "world-class support", "world class support",
		"world-class service", "world class service", "truly world-class", "stellar service", "stellar support")
	talk(mFrustrated, 2, "我真的会谢", "真的会谢", "我会谢")
	// Grudging acceptance: giving up on getting more, thanks said
	// because they must be.
	talk(mFrustrated, 1.5, "thanks i guess", "thank you i guess", "i guess thanks", "fine i guess", "行吧就这样吧",
		"就这样吧", "那就这样吧", "随便吧", "爱咋咋地")
	// Getting less than expected and asking why: "怎么只退了259", "why
	// did I only get $31 back": puzzlement about an amount.
	talk(mConfused, 1.5, "怎么只", "为什么只", "咋只", "怎么才退", "why did i only", "why do i only", "why only",
		"why is it only", "did i miss something", "is there a fee i missed", "what did i miss", "fee i missed")

	// Other senses: "别的" is "other", not "don't"; "又来啦" is a cheerful
	// "I'm back", not "not again"; an apology for asking
	// again, "for some reason" ("不知
	// 道为什么停机了" does not ask why), "is it too late to…" (a question
	// about a window), "I thought I'd ask".
	add(kMood, mHappy, 0, "别的", "别家", "别人", "又来啦", "sorry to keep asking", "sorry for asking again", "sorry to ask again", "不知道为什么",
		"for some reason", "too late to", "is it too late", "thought i'd", "thought i would", "i thought so")
}
