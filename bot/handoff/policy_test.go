package handoff

import (
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
)

func TestPolicyDecide(t *testing.T) {
	p := DefaultPolicy()
	risky := func(r float64) insight.Insight {
		in := insight.Analyze("嗯")
		in.Trajectory.EscalationRisk = r
		return in
	}
	for _, tc := range []struct {
		name   string
		s      Signals
		reason string // "" = no handoff
	}{
		{"转人工", Signals{Text: "转人工", Insight: insight.Analyze("转人工")}, ReasonHumanRequest},
		{"人工客服 inside a sentence", Signals{Text: "退款的事我要人工客服处理"}, ReasonHumanRequest},
		{"english", Signals{Text: "Can I talk to a human please?"}, ReasonHumanRequest},
		{"12315", Signals{Text: "再不退款我就打12315"}, "sensitive:regulator"},
		{"消协", Signals{Text: "我要去消协投诉"}, "sensitive:regulator"},
		{"lawyer", Signals{Text: "My lawyer will hear about this"}, "sensitive:legal"},
		{"fire", Signals{Text: "净水器插电后冒烟着火了"}, "sensitive:safety"},
		{"allergy", Signals{Text: "宝宝喝了奶粉过敏了"}, "sensitive:safety"},
		{"fraud", Signals{Text: "my card was used, this is fraud"}, "sensitive:fraud"},
		{"plain question", Signals{Text: "退款多久到账", Insight: insight.Analyze("退款多久到账")}, ""},
		{"one unresolved", Signals{Text: "发票怎么开", Unresolved: 1}, ""},
		{"two unresolved", Signals{Text: "发票怎么开", Unresolved: 2}, ReasonLowConfidence},
		{"two unresolved then thanks", Signals{Text: "谢谢", Insight: insight.Analyze("谢谢"), Unresolved: 2}, ""},
		{"VIP after one unresolved", Signals{Text: "发票怎么开", Unresolved: 1, Tier: "Gold"}, ReasonLowConfidence},
		{"risk below", Signals{Text: "嗯", Insight: risky(0.7), HasTrajectory: true}, ""},
		{"risk above", Signals{Text: "嗯", Insight: risky(0.8), HasTrajectory: true}, ReasonEscalationRisk},
		{"risk without trajectory", Signals{Text: "嗯", Insight: risky(0.9)}, ""},
		{"VIP risk", Signals{Text: "嗯", Insight: risky(0.55), HasTrajectory: true, Tier: "vip"}, ReasonEscalationRisk},
		{"courtesy is not court", Signals{Text: "thanks for the courtesy call"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Decide(tc.s)
			if d.Escalate != (tc.reason != "") || d.Reason != tc.reason {
				t.Fatalf("Decide = %+v, want reason %q", d, tc.reason)
			}
		})
	}
	off := DefaultPolicy()
	off.Disabled = true
	if d := off.Decide(Signals{Text: "我要去消协投诉", Unresolved: 5}); d.Escalate {
		t.Fatalf("disabled policy escalated: %+v", d)
	}
	if d := off.Decide(Signals{Text: "转人工"}); !d.Escalate {
		t.Fatal("disabled policy ignored an explicit request")
	}
	bad := DefaultPolicy()
	bad.Sensitive = []string{"weather"}
	if bad.Validate() == nil {
		t.Fatal("unknown topic accepted")
	}
}

func TestHours(t *testing.T) {
	h, err := ParseHours("mon-fri 09:00-18:00", "Asia/Shanghai", []string{"2026-10-01"})
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, sh), true},        // Monday
		{time.Date(2026, 11, 23, 8, 59, 0, 0, sh), false},      // before
		{time.Date(2026, 11, 23, 18, 0, 0, 0, sh), false},      // closing time
		{time.Date(2026, 11, 22, 12, 0, 0, 0, sh), false},      // Sunday
		{time.Date(2026, 10, 1, 12, 0, 0, 0, sh), false},       // holiday (Thursday)
		{time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), true}, // 09:30 in Shanghai
	} {
		if got := h.OpenAt(tc.at); got != tc.open {
			t.Errorf("OpenAt(%v) = %v", tc.at, got)
		}
	}
	next := h.NextOpen(time.Date(2026, 11, 21, 20, 0, 0, 0, sh)) // Saturday evening
	if want := time.Date(2026, 11, 23, 9, 0, 0, 0, sh); !next.Equal(want) {
		t.Errorf("NextOpen = %v, want %v", next, want)
	}
	if h, _ := ParseHours("", "", nil); !h.OpenAt(time.Now()) {
		t.Error("empty schedule is not always open")
	}
	for _, bad := range []string{"mon-fri", "mon-fri 18:00-09:00", "xyz 09:00-10:00", "mon 9-10", "mon 25:00-26:00"} {
		if _, err := ParseHours(bad, "UTC", nil); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
	if _, err := ParseHours("mon-fri 09:00-18:00", "Mars/Olympus", nil); err == nil {
		t.Error("unknown zone accepted")
	}
}

func TestEstimate(t *testing.T) {
	r := Routing{}
	if err := r.defaults(); err != nil {
		t.Fatal(err)
	}
	if got := r.estimate(1, 2, 10); got != 30 {
		t.Errorf("free agent: %d", got)
	}
	// 5th in line, 1 free slot of 10: 4 ahead × 360 s / 10 + 30.
	if got := r.estimate(5, 1, 10); got != 30+4*36 {
		t.Errorf("busy queue: %d", got)
	}
	if got, more := r.estimate(1, 0, 0), r.estimate(3, 0, 0); got <= 30 || more <= got {
		t.Errorf("nobody online: %d, %d", got, more)
	}
	if q := r.QueueFor(insight.IntentRefund, ""); q != QueueRefunds {
		t.Errorf("refund → %s", q)
	}
	if q := r.QueueFor(insight.IntentGreeting, "billing"); q != QueueBilling {
		t.Errorf("asked queue → %s", q)
	}
	if q := r.QueueFor(insight.IntentGreeting, "nowhere"); q != QueueGeneral {
		t.Errorf("unknown asked queue → %s", q)
	}
}
