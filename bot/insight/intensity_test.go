package insight

import (
	"math"
	"testing"
)

func TestWaitedDays(t *testing.T) {
	cases := []struct {
		text string
		days float64
	}{
		{"等了两周了还是没消息", 14},
		{"都十几天了", 13},
		{"已经过了48小时", 2},
		{"第五天了，还没发", 5},
		{"半个月了", 15},
		{"it's been three weeks now", 21},
		{"waited 10 days for this", 10},
		{"for a couple of weeks now nothing", 14},
		{"we are on day 6", 6},
		// Not waits: an age, a plan, a promise.
		{"bought it 35 days ago", 0},
		{"will it arrive in 3 days?", 0},
		{"三天内发货吗", 0},
		{"30天后还能退吗", 0},
		{"", 0},
	}
	for _, c := range cases {
		if got := waitedDays(newText(c.text).norm); math.Abs(got-c.days) > 0.01 {
			t.Errorf("%q: waited %v days, want %v", c.text, got, c.days)
		}
	}
}

func TestOrdinalRepeat(t *testing.T) {
	yes := []string{"这是我第四次联系你们", "问了好几次了", "说了三遍", "this is the third time", "I've called 4 times",
		"yet again the wrong colour"}
	no := []string{"第一次买", "买一次就够", "one time purchase", "what time do you close", "扣款一次"}
	for _, s := range yes {
		if !ordinalRepeat(newText(s).norm) {
			t.Errorf("%q: no count of times read", s)
		}
	}
	for _, s := range no {
		if ordinalRepeat(newText(s).norm) {
			t.Errorf("%q: read as a count of times", s)
		}
	}
}

// TestIntensityMakesAnger: anger without swearing — a lost patience, a
// threat, a count of times with an accusing question, a one-word order.
func TestIntensityMakesAnger(t *testing.T) {
	angry := []string{
		"I've been extremely patient. Where is my parcel?",
		"第五次找你们了，到底有没有人处理？",
		"Sort this out today or I'm disputing the charge with my bank.",
		"再拖着不处理，我就去平台投诉你们",
		"I want my money back. Now.",
	}
	for _, s := range angry {
		if in := Analyze(s); in.Mood != MoodAngry {
			t.Errorf("%q: mood %s, want angry", s, in.Mood)
		}
	}
}

// TestImpatienceWithoutFeelingWords: a wait or a count alone reads as
// annoyance, not calm, and the same wait asked politely reads as worry.
func TestImpatienceWithoutFeelingWords(t *testing.T) {
	cases := []struct{ text, mood string }{
		{"It's been three weeks. Where is the parcel?", MoodFrustrated},
		{"都两个星期了，货呢", MoodFrustrated},
		{"不好意思打扰，已经等了十天了，能帮忙看看吗", MoodAnxious},
		{"sorry to bother you again, it's been two weeks and nothing has come", MoodAnxious},
		// Facts about time that are not waits stay calm.
		{"I bought it 20 days ago, can I still return it?", MoodCalm},
		{"下单三天内能发货吗", MoodCalm},
	}
	for _, c := range cases {
		if in := Analyze(c.text); in.Mood != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, in.Mood, c.mood)
		}
	}
}

func TestCalmDespiteNegativeWords(t *testing.T) {
	for _, s := range []string{
		"the blender is not broken, I'd just like the larger model instead",
		"不是对质量不满意，就是想换个颜色",
		"it's not that I'm unhappy with it, I just don't need two",
		"can I still change the delivery date?",
		"ok 明白了 谢谢",
	} {
		if in := Analyze(s); in.Mood != MoodCalm {
			t.Errorf("%q: mood %s, want calm", s, in.Mood)
		}
	}
}

func TestWorryAndContradiction(t *testing.T) {
	cases := []struct{ text, mood string }{
		{"付款成功了但订单没生成，钱会不会没了", MoodAnxious},
		{"the tracking hasn't moved since Tuesday, is that normal?", MoodAnxious},
		{"the app says my plan is Pro but the invoice says Basic?", MoodConfused},
		{"页面写的是包邮，但结算显示运费10块？", MoodConfused},
	}
	for _, c := range cases {
		if in := Analyze(c.text); in.Mood != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, in.Mood, c.mood)
		}
	}
}

func TestIntentRules(t *testing.T) {
	cases := []struct{ text, intent string }{
		// A concrete request beats the words describing its object.
		{"可以换小一码吗，这双有点松", IntentExchange},
		{"I want to return the boots, size 9 is too tight", IntentReturn},
		// Charged after cancelling: the subscription did not stop.
		{"I cancelled in May and you billed me again in June", IntentCancelSubscription},
		// An acknowledgement that names the topic is still thanks.
		{"Exchange arrived today, thank you!", IntentThanks},
		// Venting with no topic and no request is a complaint.
		{"真的太让人失望了，以后不会再来了", IntentComplaint},
		// Software that returns a value is not a return.
		{"the endpoint returns 404 for every user", IntentTechSupport},
	}
	for _, c := range cases {
		if in := Analyze(c.text); in.Intent != c.intent {
			t.Errorf("%q: intent %s, want %s", c.text, in.Intent, c.intent)
		}
	}
}

// TestUnansweredTurnKeepsTheStreak: a customer writing twice before any
// answer does not reset the run of answers that did not help.
func TestUnansweredTurnKeepsTheStreak(t *testing.T) {
	turns := []Turn{
		{Text: "我的退款到账了吗", BotReply: "退款已原路退回。"},
		{Text: "银行卡里没有啊，能查一下吗", GapMS: 30000, BotReply: "退款已原路退回。"},
		{Text: "在吗", GapMS: 3000},
		{Text: "在吗？？", GapMS: 2000},
	}
	in := analyzeTurns(t, turns)
	if got := in.Trajectory.Signals.Unresolved; got != 2 {
		t.Errorf("unresolved %d, want 2", got)
	}
	if !negativeMood(in.Mood) {
		t.Errorf("mood %s after two unhelpful answers and a double nudge", in.Mood)
	}
}
