package insight

import "testing"

// Tests for reading a report against a feeling: facts, hedges, strong
// disapproval, words in other senses, questions, and the conversation
// around a weak turn. Sentences are written for the tests, not taken from
// the labelled sets.

func moodCases(t *testing.T, cases []struct{ text, mood string }) {
	t.Helper()
	for _, c := range cases {
		if got := Analyze(c.text).Mood; got != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, got, c.mood)
		}
	}
}

// TestFactsAloneAreAReport: words that say what went wrong are a report
// until something in the message shows a feeling about it.
func TestFactsAloneAreAReport(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"The kettle arrived damaged, can I get a replacement?", MoodCalm},
		{"收到的台灯破损了，怎么处理", MoodCalm},
		{"my parcel was delayed, any update?", MoodCalm},
		{"the plant pot is broken and one saucer is missing", MoodCalm},
		{"Hi, my voucher still hasn't arrived. It's been 9 days.", MoodCalm},
		// The same facts beside a feeling, with force or denied in full.
		{"the kettle arrived damaged AGAIN, ugh", MoodFrustrated},
		{"收到的台灯又是破损的，唉", MoodFrustrated},
		{"my parcel was delayed!! this is so annoying", MoodFrustrated},
		{"客服说会回消息，等了三天一条都没有", MoodFrustrated},
		{"the kettle is not damaged, I just want a different colour", MoodCalm},
	})
}

// TestHedgedFeelings: a hedge softens a feeling, it does not remove it, and
// hedged anger is annoyance.
func TestHedgedFeelings(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"I'm a bit annoyed about the delay", MoodFrustrated},
		{"有点生气，说好的赠品没有", MoodFrustrated},
		{"that's kind of ridiculous tbh", MoodFrustrated},
		{"有点担心能不能按时到", MoodAnxious},
	})
	mild, strong := Analyze("有点失望"), Analyze("非常失望")
	if mild.Mood != MoodFrustrated || !(strong.Valence < mild.Valence) {
		t.Errorf("有点失望 %s %v, 非常失望 %s %v", mild.Mood, mild.Valence, strong.Mood, strong.Valence)
	}
}

// TestStrongDisapprovalNeedsForce: "ridiculous", "terrible", "过分" said
// plainly are annoyance; with exclamation marks, a threat or an accusing
// question they are anger. Insults and strong swearing are anger anyway.
func TestStrongDisapprovalNeedsForce(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"the waiting time is ridiculous", MoodFrustrated},
		{"terrible packaging, the glasses were loose in the box", MoodFrustrated},
		{"the waiting time is ridiculous!!! I'm reporting you", MoodAngry},
		{"你们太过分了！！！", MoodAngry},
		{"you people are clowns", MoodAngry},
		{"f**k this app", MoodAngry},
		{"damn, the parcel is late again", MoodFrustrated}, // mild swearing
	})
}

// TestStressIsNotShouting: one word in capitals among others insists; a
// shouted sentence shouts; a promo code is neither.
func TestStressIsNotShouting(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"I said the BLUE one, you sent grey again", MoodFrustrated},
		{"WHY IS MY REFUND NOT HERE YET", MoodAngry},
		{"does the code WELCOME10 work on sale items?", MoodCalm},
	})
	if n := shouting("use code SPRING25 at checkout"); n != 0 {
		t.Errorf("a code read as %d shouted words", n)
	}
}

// TestImpatienceAddressed: counts and accusing questions about a situation
// are annoyance; said to the people addressed, or beside a threat, anger.
func TestImpatienceAddressed(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"审核了一周还没结果，到底还批不批了", MoodFrustrated},
		{"第三次了，你们到底有没有人看消息", MoodAngry},
		{"are you kidding me?", MoodFrustrated},
		{"this is theft, plain and simple", MoodAngry}, // an accusation of a crime
		{"立刻给我取消！！", MoodAngry},
	})
}

// TestOtherSenses: words that hold a mood word in another sense, questions
// about a quality, and "again" asking to redo something carry no mood.
func TestOtherSenses(t *testing.T) {
	calm := []string{
		"垃圾袋有加厚的吗", "下周出差，酒店能开发票吗", "我想要靠窗的座位", "妈妈的生日礼物什么时候到",
		"这个锅能慢炖吗", "收到衣服了，谢谢", "这样行不行", "还差多少包邮", "不满99包邮吗", "算了一下运费要20吗",
		"又便宜又实用，有别的颜色吗", "退款是什么时候到账", "这个是什么面料的", "这款保温杯好用吗",
		"is it good for oily skin?", "how do I pair the headphones again?", "I hate to bother you, where is my order?",
		"worst case I'll return it", "when will it arrive?", "what's the check-in time?", "游戏充错区服了能改吗",
		"can I pay the difference for the larger size?", "I lost my password, how do I reset it?",
	}
	// The word senses are the lexicons' (the rules alone read calm); with
	// the trained layer no other sense may still raise a negative mood.
	for _, s := range calm {
		if got := analyzeRules(t, []Turn{{Text: s}}).Mood; got != MoodCalm {
			t.Errorf("%q: rules read mood %s, want calm", s, got)
		}
		if got := Analyze(s).Mood; negativeMood(got) {
			t.Errorf("%q: mood %s, want no negative mood", s, got)
		}
	}
	// A-not-A questions do not negate: "是不是有病" is not "没病".
	if got := Analyze("你们系统是不是有病").Mood; got != MoodAngry {
		t.Errorf("是不是有病: mood %s, want angry", got)
	}
}

// TestMoreWaysToSayIt: everyday wording for the moods beyond the first
// lexicons, with elongation and inserted possessives.
func TestMoreWaysToSayIt(t *testing.T) {
	moodCases(t, []struct{ text, mood string }{
		{"this is such a waste of my time", MoodFrustrated},
		{"thank you sooo much, you're a star!", MoodHappy},
		{"质量超级好，下次还来", MoodHappy},
		{"每次打电话都要排队半小时", MoodFrustrated},
		{"honestly expected the quality to be better for the price", MoodFrustrated},
		{"我没弄明白，积分是下单送还是收货后送", MoodConfused},
		{"the app and the email say different things about my plan", MoodConfused},
		{"改签了但是没收到短信，不会出问题吧", MoodAnxious},
		{"这个插头会不会把电器烧坏啊", MoodAnxious},
		{"just want to make sure it arrives before my trip", MoodAnxious},
		{"吓死我了，找到了，那就好", MoodCalm}, // relief ends the worry
		{"快递显示已签收，但是我没收到，帮忙查一下", MoodCalm},
	})
}

// dialogue analyses turns one by one as the engine does and returns the
// moods.
func dialogue(t *testing.T, turns []Turn) []string {
	t.Helper()
	var moods []string
	var earlier []Insight
	for i := range turns {
		cur := make([]Turn, i+1)
		copy(cur, turns[:i+1])
		cur[i].BotReply, cur[i].Resolved = "", false
		in, err := NewOffline().Analyze(t.Context(), cur, earlier)
		if err != nil {
			t.Fatal(err)
		}
		earlier = append(earlier, in)
		moods = append(moods, in.Mood)
	}
	return moods
}

// TestConversationLendsForce: a weak turn leans on the conversation — the
// feeling the problem raised, the register the customer keeps, question
// marks while nobody answers, praise that is sarcasm after an unhelpful
// answer.
func TestConversationLendsForce(t *testing.T) {
	unhelpful := "Orders ship within 2 business days."
	t.Run("asked again with a fact", func(t *testing.T) {
		got := dialogue(t, []Turn{
			{Text: "Hello, when will order 7310 ship?", BotReply: unhelpful},
			{Text: "It's been 5 business days. When will order 7310 ship?", GapMS: 30000},
		})
		if got[1] != MoodFrustrated {
			t.Errorf("moods %v, want the repeat frustrated", got)
		}
	})
	t.Run("apologetic register carries over", func(t *testing.T) {
		got := dialogue(t, []Turn{
			{Text: "请问我的退款到账了吗", BotReply: "退款已原路退回。"},
			{Text: "不好意思，银行卡里没有看到，请问是哪天退的", GapMS: 60000, BotReply: "退款已原路退回。"},
			{Text: "还是没有收到，能帮我查一下吗，谢谢", GapMS: 30000},
		})
		if got[2] != MoodAnxious {
			t.Errorf("moods %v, want the polite third turn anxious", got)
		}
	})
	t.Run("question marks while unanswered", func(t *testing.T) {
		got := dialogue(t, []Turn{
			{Text: "订单显示已取消，但是钱没退"},
			{Text: "在吗", GapMS: 60000},
			{Text: "有人吗？？", GapMS: 30000},
		})
		if got[1] != MoodCalm || got[2] != MoodFrustrated {
			t.Errorf("moods %v, want calm then frustrated", got)
		}
	})
	t.Run("praise after an unhelpful answer", func(t *testing.T) {
		got := dialogue(t, []Turn{
			{Text: "the lock says fingerprint not recognised, so annoying", BotReply: "Try re-registering it."},
			{Text: "great, thanks, very helpful", GapMS: 10000},
		})
		if got[1] != MoodFrustrated {
			t.Errorf("moods %v, want the praise read as sarcasm", got)
		}
	})
	t.Run("a deadline ahead is worry, a wait is not", func(t *testing.T) {
		got := dialogue(t, []Turn{
			{Text: "Hi, I booked a room for tonight but got no confirmation.", BotReply: "Confirmations are sent within 24 hours."},
			{Text: "I check in at 6pm though. Can you confirm the booking?", GapMS: 40000},
		})
		if got[1] != MoodAnxious {
			t.Errorf("moods %v, want the deadline turn anxious", got)
		}
	})
}

func TestSqueeze(t *testing.T) {
	for in, want := range map[string]string{"sooo": "so", "pleeease": "please", "goood": "good", "yesss": "yess",
		"whyyy": "why", "helllo": "hello", "good": "good", "weeeeks": "weeks"} {
		if got := squeeze(in); got != want {
			t.Errorf("squeeze(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmphaticNegation(t *testing.T) {
	yes := []string{"一个电话都没有", "一分不给", "一点用也没有", "not a single reply", "zero replies"}
	no := []string{"一定不要丢", "一起不行吗", "不好意思", "zero 5 stars", "a single bed", "even so"}
	for _, s := range yes {
		if !emphaticNegation(newText(s)) {
			t.Errorf("%q: not read as emphatic", s)
		}
	}
	for _, s := range no {
		if emphaticNegation(newText(s)) {
			t.Errorf("%q: read as emphatic", s)
		}
	}
}
