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
