package insight

import "testing"

func TestIntent(t *testing.T) {
	cases := []struct{ text, want string }{
		{"我的订单到哪了？", IntentOrderStatus},
		{"Where is my order? It hasn't arrived.", IntentOrderStatus},
		{"运费多少钱，包邮吗", IntentShipping},
		{"How long does shipping to Canada take?", IntentShipping},
		{"我想退货", IntentReturn},
		{"Can I return these shoes?", IntentReturn},
		{"退款什么时候到账", IntentRefund},
		{"When will I get my refund?", IntentRefund},
		{"能换一个颜色吗，换货流程是什么", IntentExchange},
		{"I'd like an exchange for a bigger one", IntentExchange},
		{"这件衣服是什么材质的", IntentProductQuestion},
		{"Is this jacket in stock? What material is it?", IntentProductQuestion},
		{"我身高170穿多大尺码", IntentSizeFit},
		{"Does it fit true to size?", IntentSizeFit},
		{"可以开发票吗，支持信用卡分期吗", IntentPaymentBilling},
		{"I was charged twice, please check my billing", IntentPaymentBilling},
		{"会员积分怎么用", IntentMembership},
		{"How do loyalty points work for members?", IntentMembership},
		{"转人工", IntentHumanRequest},
		{"我要人工客服", IntentHumanRequest},
		{"I want to talk to a human", IntentHumanRequest},
		{"can I speak to a real person please", IntentHumanRequest},
		{"你好", IntentGreeting},
		{"Hi there!", IntentGreeting},
		{"谢谢你", IntentThanks},
		{"Thanks a lot", IntentThanks},
		{"我要投诉你们的服务", IntentComplaint},
		{"This is the worst service, I want to complain", IntentComplaint},
		{"今天天气怎么样", IntentOther},
		{"What's the meaning of life", IntentOther},
		{"", IntentOther},
		// Small talk yields to a topical intent in the same message.
		{"你好，我想查一下订单", IntentOrderStatus},
		{"Hi, I need a refund", IntentRefund},
		// "his" is not "hi".
		{"his", IntentOther},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			if got := Analyze(c.text).Intent; got != c.want {
				t.Errorf("Intent = %s, want %s", got, c.want)
			}
		})
	}
}

func TestMood(t *testing.T) {
	cases := []struct {
		text    string
		want    string
		valence int // sign of Valence: -1, 0, 1
	}{
		{"我的订单到哪了", MoodCalm, 0},
		{"Where is my order?", MoodCalm, 0},
		{"太好了，非常满意", MoodHappy, 1},
		{"Great, thank you, that's perfect", MoodHappy, 1},
		{"我对这次购物不太满意", MoodFrustrated, -1},
		{"I'm not happy with this", MoodFrustrated, -1},
		{"我不明白这是什么意思", MoodConfused, -1},
		{"I'm confused, this makes no sense", MoodConfused, -1},
		{"很急，明天就要用，怎么办", MoodAnxious, -1},
		{"This is urgent, I'm worried it won't arrive", MoodAnxious, -1},
		{"等了一周了还没到，太失望了", MoodFrustrated, -1},
		{"I waited two weeks, really disappointed", MoodFrustrated, -1},
		{"气死我了，什么破服务！！！", MoodAngry, -1},
		{"This is a scam, absolutely ridiculous", MoodAngry, -1},
		// Intensifiers and exclamation marks push frustration into anger.
		{"等了这么久还没到，真的太失望了！！！", MoodAngry, -1},
		{"WHERE IS MY ORDER, I have waited again and again, so disappointed!!!", MoodAngry, -1},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			in := Analyze(c.text)
			if in.Mood != c.want {
				t.Errorf("Mood = %s, want %s", in.Mood, c.want)
			}
			sign := 0
			if in.Valence > 0 {
				sign = 1
			} else if in.Valence < 0 {
				sign = -1
			}
			if sign != c.valence {
				t.Errorf("Valence = %v, want sign %d", in.Valence, c.valence)
			}
			if in.Valence < -1 || in.Valence > 1 {
				t.Errorf("Valence %v out of [-1, 1]", in.Valence)
			}
		})
	}
}

func TestLang(t *testing.T) {
	cases := []struct{ text, want string }{
		{"退货", "zh"},
		{"return policy", "en"},
		{"iPhone 15 的保修期多久", "zh"},
		{"12345 ???", ""},
		{"", ""},
		{"😀", ""},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			if got := Analyze(c.text).Lang; got != c.want {
				t.Errorf("Lang = %q, want %q", got, c.want)
			}
		})
	}
}

func TestHostileInputDoesNotPanic(t *testing.T) {
	for _, s := range []string{"\x00\xff\xfe", "!!!!!!!!", "？？？？", string(make([]byte, 100000))} {
		_ = Analyze(s)
	}
}
