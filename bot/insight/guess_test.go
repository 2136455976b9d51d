package insight

import (
	"context"
	"testing"
)

// TestUnseenDomains checks the fallback for questions no intent's words
// match and the domain-general vocabulary families on fresh sentences
// (none is a development line), in services the lexicons were not
// written from.
func TestUnseenDomains(t *testing.T) {
	cases := []struct{ text, intent string }{
		// A question about something on offer, in words no lexicon has.
		{"这个电动牙刷能放进行李箱托运吗", IntentProductQuestion},
		{"does the yoga studio offer beginner sessions on weekends", IntentProductQuestion},
		{"这套乐高是几岁玩的 六岁孩子能拼吗", IntentProductQuestion},
		{"是铁锅还是不粘锅啊", IntentProductQuestion},
		// About the assistant, the company as an employer, or off-topic:
		// still other.
		{"你们公司总部在上海吗", IntentOther},
		{"are you a real assistant or a recording?", IntentOther},
		{"can you write a short poem about my cat", IntentOther},
		{"who is your favourite singer?", IntentOther},
		{"huh?", IntentOther},
		// Technical problems in any device, app or network.
		{"投影仪连着wifi但是一直在缓冲", IntentTechSupport},
		{"the meditation app keeps dropping off bluetooth mid-session", IntentTechSupport},
		{"路由器红灯一直闪 家里断网了", IntentTechSupport},
		{"my saved playlists are not showing up after the update", IntentTechSupport},
		// Size in other words: length, how it sits, size systems.
		{"我个子矮 这条阔腿裤会不会拖地", IntentSizeFit},
		{"美码8是国内多少码", IntentSizeFit},
		// The order lifecycle in services.
		{"I have a reservation for Friday but the confirmation email never came", IntentOrderStatus},
		{"预约的保洁阿姨还没来", IntentOrderStatus},
		// Money held is billing; a locker is shipping; put me through is a person.
		{"租车的押金冻结了 什么时候解冻", IntentPaymentBilling},
		// "退" of a fee with no item to send back is money back; the
		// postage of a return stays a return.
		{"旅行团取消了 团费能退吗", IntentRefund},
		{"退回去的邮费谁出", IntentReturn},
		{"能放快递柜吗 白天上班", IntentShipping},
		{"could you put me through to the billing team", IntentHumanRequest},
		// Swapping in other words, and a swap asked for instead of money.
		{"耳机左边没声音 要求换机", IntentExchange},
		{"the lamp came with a bent shade, I'd like a new one sent, not a refund", IntentExchange},
		// A resigned closing is a closing; praise of something received,
		// asking nothing, is thanks.
		{"行吧 先这样吧 再见", IntentThanks},
		{"ugh fine. bye", IntentThanks},
		{"快递小哥超级贴心 送上楼了 好评！", IntentThanks},
		{"the whole team went above and beyond, honestly", IntentThanks},
		// An address to change is delivery, even on an existing order; the
		// delivery time of an order not yet placed is shipping; cancelling
		// an order (not a plan) is its state; referral rewards are loyalty.
		{"我搬家了 订单还没发的话 地址能改到新家吗", IntentShipping},
		{"if I order the rug tonight will it reach Leeds by Tuesday?", IntentShipping},
		{"please cancel order 66120, bought it twice by mistake", IntentOrderStatus},
		{"my refer-a-friend reward is missing", IntentMembership},
		// Laughter names nothing: still other.
		{"哈哈哈哈哈", IntentOther},
		// Where an order is, asked outright beside venting, is the request.
		{"nine days now. where is my order?? this is a joke", IntentOrderStatus},
	}
	for _, c := range cases {
		if got := Analyze(c.text).Intent; got != c.intent {
			t.Errorf("%q: intent %s, want %s", c.text, got, c.intent)
		}
	}
}

// TestGuessedIntentFollowsTopic checks that a question the fallback
// guessed continues an earlier topic in a conversation, and that two
// guessed questions are not one question asked twice.
func TestGuessedIntentFollowsTopic(t *testing.T) {
	o := NewOffline()
	ctx := context.Background()
	turns := []Turn{{Text: "my refund for order 5521 hasn't arrived", BotReply: "It was sent on Monday.", Resolved: false},
		{Text: "is there a reference number I could give my bank?"}}
	first, _ := o.Analyze(ctx, turns[:1], nil)
	in, _ := o.Analyze(ctx, turns, []Insight{first})
	if in.Intent != IntentRefund {
		t.Errorf("follow-up: intent %s, want refund (the earlier topic)", in.Intent)
	}
	a, b := read("is the oak table solid all the way through?"), read("is the oak table oiled or varnished?")
	if !a.guessed || !b.guessed {
		t.Fatalf("guessed %v %v, want both", a.guessed, b.guessed)
	}
	if repeats(turnState{intent: a.intent, guessed: true, grams: bigrams("is the oak table solid all the way through?")},
		turnState{intent: b.intent, guessed: true, grams: bigrams("is the oak table oiled or varnished?")}) {
		t.Error("two different guessed questions read as one asked twice")
	}
}

// TestPassedSlot checks that a time the business set which has passed (a
// delivery window, an appointment nobody kept) is a letdown, not worry
// against the clock, on fresh sentences.
func TestPassedSlot(t *testing.T) {
	for _, s := range []string{
		"the installation slot was 9-11 this morning, it's 1pm and nobody showed",
		"约好的下午两点上门 现在四点了还没来",
	} {
		if got := Analyze(s).Mood; got != MoodFrustrated {
			t.Errorf("%q: mood %s, want frustrated", s, got)
		}
	}
	// A credit that never showed up is no missed appointment.
	if !brokenPromise("the window was 9-11") || brokenPromise("my cashback never showed up") {
		t.Error("brokenPromise: a passed window must count and a missing credit must not")
	}
}

// TestTimeLost checks that time already spent waiting is no clock that
// presses, while a time ahead still is (fresh sentences).
func TestTimeLost(t *testing.T) {
	if got := Analyze("奶茶下单五十分钟了还没送到").Mood; got == MoodAnxious {
		t.Errorf("an elapsed wait: mood %s, want no worry", got)
	}
	if got := Analyze("my interview starts in 2 hours and the video app still won't open").Mood; got != MoodAnxious {
		t.Errorf("a time ahead: mood %s, want anxious", got)
	}
	if !timeLost("been waiting 3 hours") || timeLost("we land in 3 hours") {
		t.Error("timeLost: a wait must count and a time ahead must not")
	}
}
