package insight

import "strings"

// Mood, negation, degree, sarcasm, hidden-need and injection lexicons.
// Mood weights: 1 is a mild cue, 2 a clear one, 3 unmistakable.

func addMoodWords() {
	mood := func(m int, w float64, words ...string) { add(kMood, m, w, words...) }

	mood(mAngry, 3, "气死", "忍无可忍", "智障", "废物", "傻逼", "煞笔", "sb", "去死", "无耻", "滚蛋", "他妈的", "tmd",
		"nmd", "cnm", "mlgb", "nnd", "尼玛", "你妈", "妈的", "艹", "操你", "狗屁", "什么玩意", "fuck", "fucking",
		"fucked", "bullshit", "furious", "idiot", "idiots", "morons", "screw you", "shame on you", "🤬", "🖕")
	mood(mAngry, 2, "愤怒", "火大", "恼火", "垃圾", "骗子", "太过分", "搞什么", "什么破", "滚", "坑人", "有病", "恶心",
		"流氓", "强盗", "黑店", "受够了", "要个说法", "给个说法", "给我个说法", "给我一个说法", "讨个说法", "曝光", "12315", "消协", "律师", "起诉",
		"欺骗", "骗人", "坑爹", "什么态度", "tm", "欺负人", "忽悠", "太坑", "无良", "活该", "欺人太甚",
		"angry", "pissed", "scam", "unacceptable", "worst", "hate", "wtf", "outrageous", "disgusting", "disgrace",
		"pathetic", "incompetent", "liar", "lied", "fraud", "rip off", "ripoff", "shit", "ffs",
		"sick of", "had enough", "enough is enough", "trash", "garbage", "stupid", "lawyer", "sue", "ridiculous",
		"absurd", "insane", "bs", "wth", "what the hell", "😡", "😠", "💢", "👿")
	mood(mAngry, 1.5, "生气", "过分", "投诉", "差评", "离谱", "骗", "还钱", "退钱", "坑", "mad", "terrible",
		"awful", "horrible", "chargeback", "never again", "a joke", "rude", "report you")

	mood(mFrustrated, 2, "失望", "无语", "差劲", "受不了", "心累", "白等", "浪费时间", "不靠谱", "敷衍", "踢皮球",
		"推来推去", "说了多少遍", "说了几次", "没人管", "没人回", "没人理", "不满", "不爽", "上当", "烦死", "麻烦死", "太慢",
		"服了", "醉了", "无奈", "折腾", "闹心", "破防", "糟心", "不太好", "不咋地", "一般般", "不满意", "又是这样",
		"每次都", "总是这样", "什么鬼", "frustrated", "frustrating", "disappointed", "disappointing",
		"fed up", "unhappy", "upset", "waste of time", "how many times", "keep asking", "come on", "ugh", "smh",
		"not again", "useless", "no response", "no reply", "every time",
		"i told you", "already told", "already asked", "third time", "😤", "🙄", "😒", "😩", "😫", "🤦", "-_-", "=_=", "😑")
	// Mild swearing is annoyance, strong swearing anger (docs/insight.md).
	mood(mFrustrated, 1.2, "靠")
	mood(mFrustrated, 2, "卧槽", "我靠", "damn", "crap", "darn", "dang", "freaking", "frickin", "bloody")
	mood(mFrustrated, 1.2, "烦", "郁闷", "耽误", "没用", "不行", "不好", "糟糕", "难受", "不开心", "伤心", "后悔", "头疼",
		"怎么还", "到底", "究竟", "慢", "差",
		"质量差", "不值", "唉", "哎", "annoying", "annoyed", "again",
		"sad", "poor", "bad",
		"slow", "forever", "ages", "sigh", "hassle", "mess", "regret", "whatever", "as usual",
		"😞", "😔", "😢", "😭", "💔", "😓", ":(", ":-(", "☹")
	mood(mFrustrated, 0.5, "竟然", "居然", "meh", "😐")

	mood(mAnxious, 2, "着急", "急用", "很急", "担心", "急死", "焦虑", "来不及", "等着用", "急急急", "在线等", "心里没底",
		"放心不下", "盗刷", "被盗", "明天就要", "今天必须", "能不能赶上", "赶得上吗", "会不会丢", "丢了吗", "不会丢了吧",
		"求求", "紧急", "紧张", "慌", "急着", "急",
		"urgent", "urgently", "worried", "worry", "anxious", "nervous", "concerned", "scared", "panic", "panicking",
		"stressed", "desperate", "emergency", "need it by", "in time", "asap", "as soon as possible", "hurry",
		"what if", "😰", "😨", "😟", "😥", "🥺")
	mood(mAnxious, 1.2, "快点", "赶紧", "尽快", "害怕", "怕", "万一", "拜托", "还能到吗", "安全吗", "丢了",
		"afraid", "stolen", "lost", "deadline",
		"😬")
	// Time words ask for speed without saying the customer is worried:
	// "will it ship soon?", "how quickly can you send it?".
	mood(mAnxious, 0.6, "quickly", "soon")

	mood(mConfused, 2, "不明白", "不懂", "看不懂", "什么意思", "搞不清", "糊涂", "迷糊", "找不到",
		"看不明白", "没看懂", "懵", "一头雾水", "什么情况", "啥情况", "怎么会这样", "不知道怎么", "不会弄", "不会操作",
		"confused", "confusing", "don't understand", "do not understand", "makes no sense", "doesn't make sense",
		"what does that mean", "i'm lost", "no idea", "can't find", "cannot find", "huh", "🤔", "😕", "😵")
	mood(mConfused, 1.2, "怎么回事", "不清楚", "不知道", "怎么设置", "晕", "为什么", "怎么会", "奇怪", "不对劲", "咋整",
		"unclear", "how come", "not sure", "what do you mean", "weird", "strange",
		"❓")
	mood(mConfused, 0.6, "where do i", "how do i")
	// "what does the warranty cover?" asks for a fact; "what does that
	// mean?" does not understand.
	mood(mConfused, 0.6, "what does")
	mood(mConfused, 2, "what does that mean", "what does this mean", "what does it mean", "what does that even mean")

	mood(mHappy, 2, "满意", "太好了", "开心", "很棒", "完美", "好评", "给力", "高兴", "爱了", "爱死", "绝绝子", "yyds",
		"贴心", "超值", "好用", "优秀", "太棒", "真棒", "非常感谢", "太感谢", "五星", "满分", "惊喜",
		"awesome", "perfect", "excellent", "wonderful", "amazing", "fantastic", "brilliant", "impressed", "love it",
		"thrilled", "delighted", "superb", "outstanding", "great job", "😍", "🥰", "🤩", "🎉", "💯", "^_^")
	mood(mHappy, 1.2, "喜欢", "棒", "不错", "赞", "靠谱", "厉害", "耐心", "哈哈", "嘿嘿", "舒服", "好看", "划算", "放心了",
		"感谢", "很好", "挺好", "真好", "可靠", "great", "love", "nice", "glad", "pleased", "helpful", "lovely",
		"haha", "works now", "resolved", "solved", "appreciate", "good", "😀", "😃", "😄", "😁",
		"😊", "😆", "😘", "❤", "♥", "👍", "🌹", ":)", ":-)", ":d", "^^", "😂")
	mood(mHappy, 0.4, "👌", "谢谢", "多谢", "谢啦", "好的", "没问题", "收到", "明白了", "thanks", "thx", "ok", "okay",
		"no problem", "got it", "fine", "🙂")

	mood(mFrustrated, 1, "一直", "又", "算了", "always", "seriously",
		"come on")
	mood(mAnxious, 0.9, "怎么办", "please help", "help me")
	mood(mAnxious, 0.6, "马上", "今天", "明天", "tomorrow", "tonight", "help")
	mood(mConfused, 0.6, "why", "为什么", "best")
	mood(mConfused, 0.4, "哪里", "在哪")
	// A how-to question is a question, not confusion: "这个裙子想退，怎么弄".
	mood(mConfused, 0.8, "怎么弄", "怎么操作", "怎么算")
	// Blockers: common phrases that contain a mood word but carry none
	// ("不好意思" is "excuse me", not "not good").
	mood(mHappy, 0, "麻烦", "不好意思", "差不多", "没关系", "没事", "不客气", "不用谢", "慢慢", "滚动", "滚筒", "不错过",
		"好不好", "好久", "好多", "好几", "最近", "最新", "最后", "最快", "真实", "还好吗", "help you", "no worries",
		"not sure if", "no rush", "no hurry", "in a hurry")
	mood(mHappy, 2, "happy", "satisfied")
	mood(mHappy, 0.6, "还好", "辛苦了", "😉")
	mood(mHappy, 0.5, "cool")
	mood(mHappy, 2, "yay", "woohoo", "yess", "found it", "可以了", "好了好了", "太棒了", "🎂", "🥳")
	mood(mHappy, 1.2, "lol", "lmao", "xswl", "哈哈哈")
	mood(mHappy, 0.6, "～", "~")
	mood(mAnxious, 0.6, "🙏")
	mood(mAnxious, 2, "钱扣了", "钱被扣了", "扣了钱", "is blocked", "are blocked", "team is blocked", "is down", "went down",
		"崩了", "挂了", "parcel lost", "package lost", "is lost", "lost my", "被偷", "丢件", "丢失", "in an hour",
		"要出国", "赶不上", "can't risk", "cannot risk", "能确定", "确定能", "guarantee", "make sure it")
	mood(mAnxious, 0.6, "会不会")
	mood(mAngry, 2, "this is how you treat", "how dare", "fix it", "态度差", "态度太差", "不理人", "想怎样", "到底想",
		"是不是故意", "故意的", "not listening", "are you even", "get me a human", "now!", "呵呵")
	mood(mFrustrated, 2, "都说了", "早就说了", "就说了", "说过了", "问三遍", "三遍", "三次", "three times", "3 times",
		"dark pattern", "not ok", "not okay", "been trying", "tried everything", "keeps failing", "keep failing",
		"听不懂", "yes i know", "i already know", "我知道啊", "我都知道", "别再扣", "not what i expect", "nowhere near", "reading this",
		"you're not", "还是这样", "说好的", "as promised", "what is going on", "又来")
	mood(mConfused, 1.5, "what happened", "what even", "which one is right", "which is right", "找了半天", "没看到",
		"看不到", "没找到", "lost with", "a bit lost", "doesn't add up", "对不上", "不一致", "说的不一样", "says invalid",
		"but it says")
	mood(mHappy, 0, "不满足", "满足条件")
	mood(mAnxious, 0, "不急", "不着急", "不用急", "不担心")
	mood(mHappy, 0.8, "放心", "不错的")

	mood(mHappy, 0.4, "thank you", "thank u")
	// Facts: words that report what went wrong — a defect, a delay, a
	// wait, an absence — without saying how the customer feels about it.
	// "My order arrived damaged, can I get a replacement?" is a calm
	// report; the same words beside a feeling ("damaged again, ugh",
	// "无语，包装都是破的") or said with force ("!!", "totally broken",
	// a long wait counted) are annoyance (scoreMoods).
	fact := func(m int, w float64, words ...string) {
		add(kMood, m, w, words...)
		for _, s := range words {
			moodLex.all[strings.ToLower(s)].fact = true
		}
	}
	fact(mFrustrated, 1.2, "破损", "坏了", "坏的", "破的", "发错", "少发", "漏发", "起球", "不回", "broken", "damaged",
		"defective", "scratched", "delayed", "delay")
	fact(mFrustrated, 1.2, "等了", "几天了", "好几天", "一个星期", "一周了", "半个月", "waited", "waiting")
	fact(mFrustrated, 1, "褪色", "掉色", "开线", "压扁", "变形", "漏了", "被拒", "驳回", "拒绝了", "soaked",
		"falling apart", "fell apart", "ripped", "torn", "stained", "faded", "on hold", "disconnected", "hung up",
		"rejected", "denied", "declined again", "no one answers", "nobody answers", "没人接", "打不通")
	fact(mFrustrated, 1, "还没", "没到账", "还不到", "nobody", "no one", "weeks", "days", "hours")
	// "still" alone is neutral ("can I still return it?"); "still not",
	// "still waiting" report that something has not happened yet.
	fact(mFrustrated, 1.5, "still not", "still no", "still hasn't", "still haven't", "still isn't", "still doesn't",
		"still won't", "still can't", "still waiting", "still nothing", "still says", "still shows", "still broken",
		"still the same", "still missing", "still pending", "still processing", "还是没")
	fact(mFrustrated, 0.8, "late", "wrong")
	fact(mFrustrated, 1.2, "no update", "no updates", "no call", "nothing happened", "没更新", "没有更新", "没动静")
	fact(mFrustrated, 1, "没收到", "没有收到", "没拿到", "not received", "haven't received", "hasn't arrived",
		"haven't arrived", "never arrived", "never received", "never came", "didn't arrive", "didn't receive",
		"didn't get", "haven't got", "haven't gotten", "not arrived", "not here yet", "no sign of")
	fact(mFrustrated, 0.5, "问题", "可是", "但是", "problem", "issue", "but")
	mood(mFrustrated, 2, "gone downhill", "went downhill", "越来越差", "越来越不行", "nothing like", "doesn't look like",
		"不像图片", "什么服务", "说来说去", "going nowhere", "getting nowhere", "now what", "心寒", "寒心")
	mood(mHappy, 0, "差价", "not to be rude", "no offense", "no offence", "无意冒犯", "good morning", "good evening",
		"good afternoon", "good night", "good day")
	mood(mHappy, 2, "exactly what i", "just what i", "exactly what we")
	mood(mConfused, 2, "don't get it", "i don't get", "dont get it", "which is it", "which one is it", "哪个对",
		"哪个是对的", "到底哪个", "到底是哪", "can someone explain", "please explain", "explain why", "怎么多了",
		"怎么少了", "怎么降了", "怎么变了", "only shows", "doesn't show", "don't see", "can't see", "not showing", "只显示")
	mood(mAnxious, 1.2, "really need", "i need it", "need that money", "房租", "rent is due", "losing sales",
		"losing money", "please escalate", "就完了", "只能买一次", "first time right", "right first time")

	mood(mFrustrated, 2, "not great", "not good", "not ideal", "not impressed", "not cool", "not fine", "no good")
	// The bot going round in circles.
	mood(mFrustrated, 1.5, "keeps giving", "keep giving", "keep getting", "keeps sending", "keep sending", "same answer",
		"same link", "same reply", "same response", "same thing again", "同样的话", "一样的回答", "又是这句", "复读", "车轱辘话")
	mood(mConfused, 2, "怎么突然", "为什么突然", "all of a sudden", "suddenly")
	mood(mConfused, 0.8, "突然")
	neg := func(words ...string) { add(kNegator, 0, 1, words...) }
	neg("不", "没", "没有", "不太", "不是很", "不怎么", "并不", "并没有", "从不", "从没", "别", "不要", "不是", "不算", "毫不",
		"一点也不", "一点都不", "根本不", "根本没", "绝不", "未", "无", "不会", "不用", "没那么", "也没",
		"not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "aren't", "weren't", "won't",
		"wouldn't", "can't", "couldn't", "haven't", "hasn't", "hadn't", "shouldn't", "ain't", "hardly", "barely",
		"without", "nothing", "neither", "nor")

	deg := func(f float64, words ...string) { add(kDegree, 0, f, words...) }
	deg(1.7, "极其", "极度", "简直", "完全", "extremely", "utterly", "incredibly", "absolutely", "fucking", "beyond")
	deg(1.5, "非常", "特别", "超级", "十分", "巨", "贼", "太", "超", "实在", "相当", "最", "越来越",
		"very", "totally", "super", "completely", "so", "such", "really really", "truly", "most")
	deg(1.3, "真的", "真", "很", "好", "挺", "really", "too", "quite", "pretty")
	deg(0.6, "有点", "有些", "有一点", "稍微", "略", "一点点", "还算", "稍", "a bit", "a little", "slightly", "kind of",
		"kinda", "somewhat", "sort of", "a little bit", "a tad")

	sarc := func(w float64, words ...string) { add(kSarcasm, 0, w, words...) }
	sarc(3, "真是谢谢你们了", "真是谢谢你了", "谢谢你们了啊", "我谢谢你", "我真是谢谢", "thanks for nothing",
		"thanks a lot for nothing", "great, just great", "just great", "gee thanks", "slow clap", "what a surprise",
		"big surprise", "shocker", "oh great", "oh wonderful", "oh perfect", "oh fantastic", "yeah right",
		"real helpful", "very helpful not", "so helpful not")
	sarc(2, "呵呵", "呵呵哒", "真行", "真有你的", "真有你们的", "好棒棒", "厉害了", "可真是", "效率真高", "效率可真高",
		"好一个", "高，实在是高", "谢谢您嘞", "真是服了", "真是厉害", "真是好", "可真行", "牛啊", "可以的啊",
		"love how", "love that you", "love being", "wow thanks", "bravo", "well done", "nice job", "good job",
		"as always", "sure thing", "🙃")

	// Strong disapproval is anger only with force; said plainly ("the
	// delivery time is ridiculous") it is annoyance (scoreMoods).
	for _, w := range [...]string{"ridiculous", "absurd", "insane", "terrible", "awful", "horrible", "过分"} {
		moodLex.all[w].strong = true
	}
	// Censored strong swearing is strong swearing.
	mood(mAngry, 3, "f***", "f**k", "fk", "fking", "f*ck", "sh*t")
	// Bitter sarcasm is anger (docs/insight.md): these say so outright, so
	// they carry the anger themselves, not only the sarcasm.
	mood(mAngry, 2, "thanks for nothing", "thanks a lot for nothing", "我谢谢你", "我真是谢谢")
	mood(mFrustrated, 2, "真是服了", "怎么又")
	addOtherSenses()
	addBroadMoodWords()
	addServiceTalk()
}

// addOtherSenses lists words that hold a mood word in another sense, so
// the longer word wins and the mood word inside it is not counted: Chinese
// is matched as substrings, and "垃圾袋" is a product, "出差" a business
// trip, "靠窗" a window seat, "妈妈的" a mother's; "I hate to bother you"
// is politeness and "worst case" a plan. A literal sense of a chat word
// ("屏幕裂开了", "app崩溃了") is a fact, its chat sense ("我裂开了") a
// feeling.
func addOtherSenses() {
	other := func(words ...string) { add(kMood, mHappy, 0, words...) }
	other("靠窗", "靠近", "依靠", "靠边", "靠背", "停靠", "靠枕", "靠垫", "靠山", "靠着", "全靠", "靠自己", "靠它", "靠这",
		"出差", "差旅", "时差", "误差", "偏差", "差额", "差异", "相差", "差多少", "差几", "还差", "温差", "差点", "差一点",
		"妈妈的", "我妈的", "她妈的", "老妈的", "姨妈的", "舅妈的", "姑妈的", "大妈的", "宝妈的", "你妈妈", "他妈妈",
		"烦请", "烦劳", "不厌其烦", "哪怕", "怕冷", "怕热", "怕晒", "怕水", "怕压",
		"晕车", "晕船", "晕机", "头晕", "晕染", "光晕", "慢炖", "慢煮", "慢跑", "慢性", "快慢", "慢充", "慢热", "慢走",
		"慢回弹", "慢速", "滚轮", "滚烫", "翻滚", "打滚", "滚珠", "滚刷", "滚梳", "滚边",
		"垃圾袋", "垃圾桶", "垃圾分类", "垃圾邮件", "垃圾箱", "垃圾短信", "垃圾处理", "垃圾篓", "垃圾食品",
		"衣服了", "舒服了", "说服了", "克服了", "区服了", "换服了", "佩服了", "服务了", "制服了", "行不行", "不行的话", "实在不行", "不行吗",
		"不满一", "不满两", "不满十", "不满半", "不满0", "不满1", "不满2", "不满3", "不满4", "不满5", "不满6", "不满7",
		"不满8", "不满9", "算了一下", "算了算", "算了下", "急救", "急诊", "急性", "急刹", "不安装", "不安排",
		"坑位", "坑洼", "水坑", "挖坑", "填坑", "环绕", "围绕", "缠绕", "绕线", "绕路", "不好说", "拉扯", "牵扯", "扯平",
		"撕扯", "扯开", "棒球", "冰棒", "棒棒糖", "恶心想吐", "恶心呕吐", "头晕恶心", "恶心反胃", "火大小", "喝醉了",
		"hate to bother", "hate to ask", "hate to say", "hate to be", "hate being a pain", "worst case", "worst-case",
		"i mean", "by all means", "whether or not", "my bad", "pay the difference", "refund the difference",
		"price difference", "lost my password", "lost my login", "lost my receipt", "lost the receipt",
		"arrived on time", "came on time", "delivered on time", "was on time", "always on time",
		"i'd love", "i would love", "would love", "check-in time", "check in time", "check-out time", "in ages")
	// Asking politely, not delight: "I'd appreciate it if you could check".
	add(kMood, mHappy, 0.4, "would appreciate", "i'd appreciate", "appreciate it if", "would be appreciated")
	fact := func(w float64, words ...string) {
		add(kMood, mFrustrated, w, words...)
		for _, s := range words {
			moodLex.all[strings.ToLower(s)].fact = true
		}
	}
	fact(1.2, "裂开", "崩溃", "missing", "missing an item", "missing one item", "missing item", "missing items", "missing parts",
		"missing a part", "missing from", "are missing", "is missing the")
	add(kMood, mFrustrated, 2, "我裂开", "直接裂开", "人都裂开", "心态裂开", "我崩溃", "要崩溃", "快崩溃", "崩溃了我",
		"心态崩", "same thing happened", "same thing happens", "happened again", "happens again", "happening again")
}

// addBroadMoodWords widens each mood's vocabulary with common synonyms
// and chat expressions in both languages, so a feeling said in other
// words than the development sets' still registers. A word already in the
// lexicon keeps its weight.
func addBroadMoodWords() {
	broad := func(m int, w float64, words ...string) {
		for _, s := range words {
			if moodLex.all[s] == nil {
				add(kMood, m, w, s)
			}
		}
	}
	broad(mHappy, 2, "gorgeous", "stunning", "beautiful", "made my day", "lifesaver", "life saver", "the best",
		"best ever", "top notch", "spot on", "legend", "you rock", "u rock", "guys rock", "slaps", "10/10",
		"five stars", "5 stars", "highly recommend", "would recommend", "recommend it", "love this", "loving",
		"so happy", "super happy", "so glad", "thrilled", "overjoyed", "grateful", "incredible", "blown away",
		"好耶", "太香", "真香", "感动", "好感动", "超喜欢", "好喜欢", "点赞", "强烈推荐", "推荐给", "回购", "一级棒",
		"惊艳", "超赞", "好评如潮", "心动", "超开心", "好开心", "美滋滋", "舒心", "暖心", "比想象中好", "物超所值",
		"🔥", "🙌", "✨", "😻", "💕", "💖")
	broad(mHappy, 1.2, "pretty good", "really good", "so good", "works great", "works perfectly", "fast delivery",
		"smoothly", "cheers mate", "满意的", "好快", "很快", "挺快")

	broad(mAnxious, 2, "stressing", "stressed out", "freaking out", "terrified", "on edge", "worried sick",
		"please tell me", "what do i do", "what should i do", "is it gone", "fraudulent", "hacked", "suspicious",
		"unauthorized", "unauthorised", "wasn't me", "not me", "fingers crossed",
		"running out", "last day", "getting nervous", "allergic", "千万别", "千万不要", "好怕", "吓死", "吓人", "担忧",
		"忐忑", "不安", "心慌", "慌了", "有点慌", "好慌", "急死了", "有没有毒", "被冻结", "冻结", "盗号", "被盗刷", "盗刷",
		"快吃完", "快用完", "赶上", "能赶上", "不是我本人", "不是本人", "万一丢", "会不会丢", "会不会影响", "会不会扣")
	broad(mAnxious, 1.2, "in time", "on time", "pending", "allergy", "reaction", "stuck at",
		"worried that", "afraid that", "是不是丢", "异常", "逾期", "过敏", "影响征信", "急着", "等不及")

	broad(mConfused, 2, "difference between", "what's the difference", "the difference", "same thing", "which one",
		"what is this", "what's this", "doesn't add up", "contradicts", "identical", "am i doing something wrong",
		"am i missing something", "i'm not sure i understand", "not sure what", "what am i supposed",
		"區別", "区别", "有什么区别", "有啥区别", "是什么", "什么东西", "是一个东西", "一回事", "一样吗", "没搞懂",
		"搞不懂", "不太懂", "弄不明白", "没明白", "看糊涂", "什么意思", "哪个对", "到底是", "还是说", "写错了吗",
		"搞错了吗", "为啥", "怎么变成")
	broad(mConfused, 0.6, "or not")
	broad(mConfused, 1.2, "supposed to", "vs", "versus", "mean", "means", "hmm", "erm", "是不是写错")

	broad(mFrustrated, 2, "letdown", "let down", "way off", "a bit much", "so mid", "not worth", "total waste",
		"keeps crashing", "keeps breaking", "every single time", "yet again", "no apology", "fed up", "annoying",
		"irritating", "irritated", "tired of", "not acceptable",
		"真麻烦", "太麻烦", "好麻烦", "很麻烦", "不方便", "答非所问", "效率太低", "效率低", "拖拖拉拉", "磨蹭", "不负责",
		"套路", "被套路", "扯皮", "无力吐槽", "吐槽", "转来转去", "绕来绕去", "白跑", "白费", "费劲", "难用", "不好用",
		"体验差", "体验这么差", "没法用", "没法看", "根本没法", "后悔买", "不值得", "有点失望", "挺失望", "有点无语")
	broad(mFrustrated, 1.2, "bit of a", "disappointing", "late again", "lost my progress",
		"绕", "折腾", "麻烦了吧", "又没", "又是", "还得", "唉", "啊啊啊")

	// Telling the bot its advice was already followed: the answer did
	// not listen ("I did that already", "试过了", "你说了等于没说").
	broad(mFrustrated, 2, "already did", "did that already", "i did that", "already done that", "already tried",
		"tried that", "just said", "just told you", "literally just", "said that already", "broken record",
		"试过了", "已经试过", "都试了", "弄过了", "做过了", "等于没说", "说了等于没说", "我就是在", "早试过")
	// A promise broken: "was supposed to come", "you promised".
	broad(mFrustrated, 2, "was supposed to", "were supposed to", "you promised", "was promised", "were promised",
		"答应过", "承诺的", "不是说", "不是说好")
	broad(mAngry, 2, "disgraceful", "thieves", "thief", "stealing", "steal", "robbery", "robbing", "clown",
		"clowns", "deliberately", "ignoring me", "appalled", "outraged", "legal action", "legal channels", "bbb",
		"shove it", "screw this", "wtf is", "what a joke", "bad joke", "you people",
		"y'all are", "nmsl", "吃干饭", "复读机", "逼死", "要不要脸", "不要脸", "老子", "诈骗", "报警", "工信部", "凭什么",
		"别跟我扯", "糊弄", "你们还敢", "等着被", "走着瞧", "法院见", "烂脸", "破app", "破网", "破平台", "垃圾平台", "抢钱")
	broad(mAngry, 1.5, "joke", "lying", "liars", "cheated", "cheating", "robbed", "never ordering", "never buying",
		"posting about", "reporting this", "reporting you", "曝光", "骗", "扯")
}

func addCueWords() {
	cue := func(c int, w float64, words ...string) { add(kCue, c, w, words...) }
	cue(cueDeadline, 2, "急用", "赶时间", "来不及", "等着用", "截止", "加急", "最晚", "前必须", "之前必须", "前要", "之前要",
		"前到", "之前到", "明天就要", "今天必须", "今天要", "明天要", "周末前", "生日", "婚礼", "出国", "出差", "开学", "考试",
		"过年", "节前", "几点前", "号前", "号之前", "马上要", "急着用",
		"deadline", "need it by", "in time for", "before the weekend", "birthday", "wedding", "flight", "trip",
		"running out of time", "time-sensitive", "by tomorrow", "by tonight", "by friday", "by monday", "by tuesday",
		"by wednesday", "by thursday", "by saturday", "by sunday", "by the weekend", "before friday", "before monday",
		"leaving on", "need it for", "needed it by", "urgent", "urgently", "asap", "emergency", "exam", "final exam",
		"interview", "closes at", "due tomorrow", "due today", "midnight", "面试", "截止日期")
	// The occasions people need a thing by: events of their own and of
	// their family, work that runs on a date.
	cue(cueDeadline, 2, "driving test", "appointment", "recital", "graduation", "ceremony", "funeral", "anniversary", "a gift",
		"christmas gift", "birthday present", "presentation", "board meeting", "payroll", "holiday", "vacation",
		"moving day", "newborn", "party", "演出", "毕业", "典礼", "葬礼", "纪念日", "礼物", "送人", "年会",
		"发工资", "搬家", "出院", "聚会", "答辩", "比赛")
	cue(cueDeadline, 1, "明天", "今晚", "今天", "马上", "立刻", "立即", "尽快", "赶紧", "tomorrow", "tonight", "today",
		"right now", "immediately", "rush", "this weekend")

	cue(cueUnfit, 2, "不合适", "不合身", "太小", "太大", "偏大", "偏小", "小了", "大了", "不喜欢", "颜色不对", "和图片不一样",
		"色差", "不适合", "穿不上", "穿不了", "不好看", "不搭", "跟描述不符", "描述不符", "实物不符", "不好用", "买错了",
		"拍错了", "尺码不对", "不合脚", "挤脚", "太紧", "太松", "质量差", "不满意",
		"didn't fit", "doesn't fit", "does not fit", "did not fit", "don't fit", "too small", "too big", "too large",
		"too tight", "too loose", "not what i expected", "don't like", "didn't like", "doesn't suit", "not my style",
		"wrong size", "wrong color", "wrong colour", "looks different", "not as described", "ordered the wrong",
		"not for me", "runs small", "runs large", "poor quality", "cheap quality")

	cue(cueUnused, 2, "没用过", "没怎么用", "不怎么用", "用不上", "用得少", "很少用", "基本不用", "没时间用", "没什么用",
		"不值", "不值得", "浪费钱", "白花钱", "没啥用", "不划算", "用不到", "闲置", "忘了取消", "忘记取消", "一直没用",
		"没用上", "从来没用", "一次都没用", "太贵了", "不需要了", "用处不大",
		"haven't used", "never used", "barely use", "don't use", "not using", "rarely use", "not worth",
		"waste of money", "forgot to cancel", "didn't use", "no longer need", "don't need", "too expensive",
		"not getting value", "hardly use", "never use", "don't really use", "stopped using", "not worth it")

	cue(cueWronged, 2, "赔偿", "补偿", "赔钱", "凭什么", "不公平", "破损", "摔坏", "碎了", "发错", "发错货", "少发", "漏发",
		"假货", "扣了两次", "重复扣款", "多扣", "乱扣", "被坑", "损失", "耽误了", "要个说法", "给个说法", "过期", "变质",
		"有虫", "二手", "被拆过", "降价了", "坏的", "坏了", "骗", "赔", "发成", "缺件", "少了一个", "没给我",
		"compensation", "compensate", "damaged", "broken", "arrived broken", "wrong item", "missing item",
		"charged twice", "double charged", "overcharged", "make it right", "deserve", "not fair", "unfair", "expired",
		"used item", "cracked", "shattered", "missing parts", "fake", "price dropped", "scam", "ripped off", "lied")

	cue(cueLost, 2, "找不到", "怎么操作", "怎么弄", "怎么设置", "怎么申请", "怎么填", "怎么提交", "不会弄", "不会操作",
		"步骤", "下一步", "按钮", "点哪里", "入口", "教我", "教一下", "不知道怎么", "在哪里申请", "在哪里找", "哪里找",
		"怎么找", "看不懂", "不会用", "怎么退", "怎么改", "怎么绑定", "怎么取消", "流程",
		"can't find", "cannot find", "where do i", "how do i", "walk me through", "guide me", "show me how",
		"which button", "next step", "i'm lost", "stuck", "don't know how", "step by step", "steps", "button",
		"where is the", "how can i", "where can i", "the menu", "the settings", "process")

	cue(cueRepeat, 2, "说了多少遍", "说了几次", "问了好几次", "问了几次", "又问", "第三次", "第二次", "好几次", "多少次",
		"已经说了", "已经问了", "再问一次", "再说一遍", "一直问", "还是没人", "问了半天",
		"already asked", "asked before", "told you", "third time", "second time", "how many times", "keep asking",
		"for the last time", "asked already", "asking again", "once again", "again")
	// "still" refers back to an earlier contact only as often as not: "I
	// still haven't received it" may be the first message.
	cue(cueRepeat, 1, "又", "再次", "还是", "still")

	// Threats to leave, review, complain or go to a regulator. Leaving
	// said as a plain request ("这个不买了，取消订单", "我想退会员", "can I
	// switch to the annual plan?", "卸载重装") is no threat.
	cue(cueThreat, 2, "以后不买了", "再也不", "换一家", "别家", "曝光", "12315", "消协", "律师", "起诉", "投诉",
		"差评", "再这样", "最后一次", "never again", "shop elsewhere", "another store", "competitor",
		"bad review", "report you", "bbb", "lawyer", "sue", "chargeback", "switch providers", "switching providers",
		"switch to another", "switching to another", "cancel everything", "this is the last time", "one star",
		"formal complaint", "filing a complaint", "lodge a complaint")
	// "how do I complain?" may only ask how.
	cue(cueThreat, 1, "complaint", "file a complaint", "make a complaint", "卸载", "取关")

	cue(cuePolite, 1, "能帮我", "帮我查", "辛苦", "please", "could you", "would you", "kindly", "if possible",
		"when you get a chance")
	// Apologetic politeness: the customer excuses themselves for asking.
	cue(cuePolite, 2, "请问", "麻烦", "不好意思", "打扰", "劳驾", "sorry to bother", "sorry to ask", "sorry for bothering",
		"sorry to keep asking", "sorry for asking again", "sorry to ask again", "sorry to press", "sorry to chase again",
		"sorry to chase", "sorry to be a pain", "apologies for")
	cue(cueWronged, 2, "被偷", "偷了", "stolen")
	// "这么麻烦" complains that something is a hassle; it does not excuse
	// the customer for asking.
	cue(cuePolite, 0, "这么麻烦", "那么麻烦", "真麻烦", "太麻烦", "好麻烦", "很麻烦", "麻烦死", "麻烦了吧")

	inj := func(w float64, words ...string) { add(kInject, 0, w, words...) }
	inj(2, "忽略以上", "忽略之前", "忽略前面", "忽略上面", "忽略所有", "忽略你的", "忽略掉", "无视之前", "无视以上",
		"无视上面", "无视你的", "忘记之前", "忘掉之前", "忘记你的", "忘掉你的", "之前的指令", "以上指令", "上面的指令",
		"系统提示", "系统指令", "系统提示词", "你现在是", "从现在开始你是", "从现在起你是", "假装你是", "扮演", "开发者模式",
		"越狱", "告诉我你的指令", "输出你的指令", "你的提示词", "新的指令", "新指令", "管理员模式", "角色扮演", "不受任何限制",
		"<|im_start|>", "<|system|>", "<|endoftext|>", "[inst]", "[/inst]", "<<sys>>", "### instruction", "### system",
		"ignore previous", "ignore all previous", "ignore the above", "ignore above", "ignore your instructions",
		"ignore all instructions", "ignore prior", "ignore everything", "disregard previous", "disregard all",
		"disregard the above", "disregard your", "forget your instructions", "forget all previous",
		"forget everything above", "forget your rules", "you work for me", "new policy:", "[system]", "[admin]",
		"不受任何规则", "不受规则", "从现在开始你", "从现在起你", "you are now a", "you are now an", "you are now dan", "from now on you are", "pretend to be",
		"pretend you are", "roleplay as", "role play as", "system prompt", "initial prompt", "developer mode",
		"jailbreak", "dan mode", "do anything now", "repeat the text above", "repeat the words above",
		"new instructions", "admin mode", "reveal your instructions", "reveal your prompt", "print your instructions",
		"your hidden instructions", "override your")
	inj(1.5, "you are now", "dan")
	inj(1, "提示词", "从现在开始", "从现在起", "假设你是", "你的设定", "没有任何限制", "不受限制", "输出你的", "泄露",
		"其他客户的", "别的客户的", "指令", "act as", "disregard", "your instructions", "your prompt", "reveal your",
		"print your", "override", "other customers", "other users", "sudo", "from now on", "roleplay", "no restrictions")

}
