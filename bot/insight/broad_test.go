package insight

import "testing"

// TestBroadVocabulary checks the wider mood vocabulary on fresh sentences
// (none is a development line), and that its common words do not fire
// inside unrelated ones.
func TestBroadVocabulary(t *testing.T) {
	cases := []struct{ text, mood string }{
		{"the packaging was gorgeous, honestly made my week", MoodHappy},
		{"新买的台灯真香，暖心的设计", MoodHappy},
		{"what's the difference between the yearly and the monthly plan?", MoodConfused},
		{"会员和超级会员有啥区别", MoodConfused},
		{"I'm freaking out, there's a login from a country I've never been to", MoodAnxious},
		{"有点慌，卡里的钱会不会被盗刷了", MoodAnxious},
		{"I already tried that, twice. still the same", MoodFrustrated},
		{"试过了，你说了等于没说", MoodFrustrated},
		{"the app is so hard to use, total waste of an evening", MoodFrustrated},
		{"you are thieves, plain and simple", MoodAngry},
		{"要不要脸啊，收了钱不发货", MoodAngry},
		// Choice questions and place names are not feelings.
		{"香港能寄吗", MoodCalm},
		{"这个是哑光还是滋润的", MoodCalm},
		{"which courier do you use for Spain", MoodCalm},
		{"I hope you can help me with an order", MoodCalm},
	}
	for _, c := range cases {
		if got := Analyze(c.text).Mood; got != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, got, c.mood)
		}
	}
}

func TestClockTime(t *testing.T) {
	for _, s := range []string{"it's 7:15 already", "we land in 2 hours", "only 30 mins left", "by 9pm", "已经等了40分钟",
		"两个小时后就关门"} {
		if !clockTime(newText(s).norm) {
			t.Errorf("%q: no clock time", s)
		}
	}
	for _, s := range []string{"what time do you open", "iPhone 15", "我下午有空", "am I eligible", "size 9 please"} {
		if clockTime(newText(s).norm) {
			t.Errorf("%q: clock time", s)
		}
	}
}

// TestPressingAgainstTheClock: a plain follow-up with a time in it after
// an answer that did not help is worry; the same after a helpful answer
// stays calm.
func TestPressingAgainstTheClock(t *testing.T) {
	first := Turn{Text: "hi, my table booking for tonight isn't showing in the app", BotReply: "Bookings can take a while to appear.", Resolved: false}
	next := Turn{Text: "we're meant to be there at 7:30 though, can you check it exists?", GapMS: 30000}
	in, _ := NewOffline().Analyze(t.Context(), []Turn{first, next}, nil)
	if in.Mood != MoodAnxious {
		t.Errorf("after an unhelpful answer: mood %s, want anxious", in.Mood)
	}
	first.Resolved = true
	in, _ = NewOffline().Analyze(t.Context(), []Turn{first, next}, nil)
	if in.Mood != MoodCalm {
		t.Errorf("after a helpful answer: mood %s, want calm", in.Mood)
	}
}

// TestWorryAgainstTheClock: something wrong with a time or deadline
// running and nobody blamed reads as worry; without the clock, or with
// "no rush", it does not.
func TestWorryAgainstTheClock(t *testing.T) {
	cases := []struct{ text, mood string }{
		{"the ferry leaves at 6:15 and my e-ticket still isn't in the app", MoodAnxious},
		{"面试明天上午，电脑摄像头打不开了", MoodAnxious},
		{"my e-ticket isn't in the app, where can I find it?", MoodCalm},
		{"no rush, but the blue mug hasn't shipped yet for tomorrow's order?", MoodCalm},
		// A broken promise is annoyance, asking why a page says something
		// is puzzlement.
		{"the plumber was supposed to call me back yesterday", MoodFrustrated},
		{"why does my account page say my plan ends in March?", MoodConfused},
	}
	for _, c := range cases {
		if got := Analyze(c.text).Mood; got != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, got, c.mood)
		}
	}
}

// TestGreetingRegister: a problem reported after a greeting with nothing
// stronger is a report; a greeting does not hide a feeling word or "??".
func TestGreetingRegister(t *testing.T) {
	cases := []struct{ text, mood string }{
		{"Hi, my voucher still hasn't shown up in my account", MoodCalm},
		{"您好，我的发票还没开出来，帮忙看下", MoodCalm},
		{"hi, honestly really disappointed the voucher never showed up", MoodFrustrated},
		{"hello?? is the voucher ever going to show up??", MoodFrustrated},
		{"history of my orders disappeared, annoying", MoodFrustrated}, // "hi" inside "history" is no greeting
	}
	for _, c := range cases {
		if got := Analyze(c.text).Mood; got != c.mood {
			t.Errorf("%q: mood %s, want %s", c.text, got, c.mood)
		}
	}
}
