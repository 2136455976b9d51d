package nba_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/predict/nba"
)

// trainedToLove teaches state that every arm of action a is always
// accepted in every context s can fall in: the strongest temptation.
func trainedToLove(t *testing.T, st nba.State, s nba.Situation, arm string) {
	t.Helper()
	for range 500 {
		if err := st.Record(context.Background(), nba.Bucket(s), arm, nba.Accepted); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoCouponForAngryComplaints(t *testing.T) {
	cases := []struct {
		name string
		in   insight.Insight
	}{
		{"angry complaint", insight.Insight{Intent: insight.IntentComplaint, Mood: insight.MoodAngry, Need: insight.NeedCompensation}},
		{"frustrated about shipping", insight.Insight{Intent: insight.IntentShipping, Mood: insight.MoodFrustrated, Need: insight.NeedCompensation}},
		{"calm words, complaint intent", insight.Insight{Intent: insight.IntentComplaint, Mood: insight.MoodCalm, Need: insight.NeedCompensation}},
		{"angry refund", insight.Insight{Intent: insight.IntentRefund, Mood: insight.MoodAngry}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := nba.NewMemoryState()
			s := nba.Situation{CustomerID: "c", Insight: tc.in, ChurnRisk: 0.9}
			trainedToLove(t, st, s, nba.Coupon)
			trainedToLove(t, st, s, nba.Coupon+"/owed")
			b, err := nba.New(nba.Options{State: st, Rand: rand.New(rand.NewPCG(1, 2)), Now: fixedNow,
				Policy: nba.Policy{MaxExploreShare: 1}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2000 {
				d, err := b.Decide(context.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				if d.Action == nba.Coupon {
					t.Fatalf("decision %d offered a coupon: %+v", i, d)
				}
				if d.Blocked[nba.Coupon] != nba.BlockAngry {
					t.Fatalf("coupon blocked for %q, want %q", d.Blocked[nba.Coupon], nba.BlockAngry)
				}
			}
			// The policy flag lifts the guardrail: the learned love shows.
			b, _ = nba.New(nba.Options{State: st, Rand: rand.New(rand.NewPCG(1, 2)), Now: fixedNow,
				Policy: nba.Policy{AllowCouponWhenAngry: true}})
			coupons := 0
			for range 200 {
				d, err := b.Decide(context.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				if d.Action == nba.Coupon {
					coupons++
				}
			}
			if coupons == 0 {
				t.Fatal("with AllowCouponWhenAngry a coupon accepted 500 times out of 500 was never offered")
			}
		})
	}
}

func TestEscalationOnlyAnswerOrHuman(t *testing.T) {
	st := nba.NewMemoryState()
	in := insight.Insight{Intent: insight.IntentProductQuestion, Mood: insight.MoodConfused, Need: insight.NeedGuidance}
	in.Trajectory.EscalationRisk = 0.75
	s := nba.Situation{CustomerID: "c", Insight: in, Facts: nba.Facts{Consumable: true, Bill: true}}
	trainedToLove(t, st, s, nba.Tutorial+"/lost")
	b, _ := nba.New(nba.Options{State: st, Rand: rand.New(rand.NewPCG(3, 4)), Now: fixedNow, Policy: nba.Policy{MaxExploreShare: 1}})
	seen := map[string]int{}
	for range 1000 {
		d, err := b.Decide(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		seen[d.Action]++
	}
	for a := range seen {
		if a != nba.AnswerOnly && a != nba.HumanAgent {
			t.Fatalf("escalating customer offered %s (%v)", a, seen)
		}
	}
	if seen[nba.HumanAgent] == 0 {
		t.Fatalf("escalating customer never offered a human: %v", seen)
	}
	// With no agents on duty only the answer remains.
	b, _ = nba.New(nba.Options{State: st, Now: fixedNow, Policy: nba.Policy{NoHumans: true}})
	if d, _ := b.Decide(context.Background(), s); d.Action != nba.AnswerOnly {
		t.Fatalf("no humans, escalating: %s, want answer_only", d.Action)
	}
	// Proactive and escalating with no humans: do nothing.
	s.Proactive = true
	if d, _ := b.Decide(context.Background(), s); d.Action != nba.DoNothing {
		t.Fatalf("proactive, no humans, escalating: %s, want do_nothing", d.Action)
	}
}

func TestEligibility(t *testing.T) {
	now := simNow
	base := nba.Situation{CustomerID: "c", Insight: insight.Insight{Intent: insight.IntentPaymentBilling, Mood: insight.MoodCalm}}
	cases := []struct {
		name    string
		mod     func(*nba.Situation)
		policy  nba.Policy
		action  string
		blocked string
	}{
		{"instalment without a bill", func(s *nba.Situation) {}, nba.Policy{}, nba.Instalment, nba.BlockNoBill},
		{"instalment switched off", func(s *nba.Situation) { s.Facts.Bill = true }, nba.Policy{NoInstalments: true}, nba.Instalment, nba.BlockDisabled},
		{"replenishment without a consumable", func(s *nba.Situation) {}, nba.Policy{}, nba.Replenishment, nba.BlockNoConsumable},
		{"exchange without an order", func(s *nba.Situation) {}, nba.Policy{}, nba.Exchange, nba.BlockNoOrder},
		{"exchange of an old order", func(s *nba.Situation) {
			s.Profile.Business.Orders, s.Profile.Business.LastOrderAt = 3, now.AddDate(0, -4, 0)
		}, nba.Policy{}, nba.Exchange, nba.BlockNoOrder},
		{"coupon in the cool-down", func(s *nba.Situation) { s.Facts.LastCouponAt = now.AddDate(0, 0, -2) }, nba.Policy{}, nba.Coupon, nba.BlockCooldown},
		{"coupons switched off", func(s *nba.Situation) {}, nba.Policy{NoCoupons: true}, nba.Coupon, nba.BlockDisabled},
		{"answer in a proactive decision", func(s *nba.Situation) { s.Proactive = true }, nba.Policy{}, nba.AnswerOnly, nba.BlockProactive},
		{"do nothing mid-question", func(s *nba.Situation) {}, nba.Policy{}, nba.DoNothing, nba.BlockLowPrior},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mod(&s)
			b, _ := nba.New(nba.Options{State: nba.NewMemoryState(), Now: fixedNow, Policy: tc.policy})
			for range 50 {
				d, err := b.Decide(context.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				if d.Action == tc.action || d.Blocked[tc.action] != tc.blocked {
					t.Fatalf("%s: chose %s, blocked %q; want it blocked for %q", tc.action, d.Action, d.Blocked[tc.action], tc.blocked)
				}
			}
		})
	}
	// Eligible: a bill makes instalments a candidate, and a billing
	// question makes them likely.
	s := base
	s.Facts.Bill = true
	b, _ := nba.New(nba.Options{State: nba.NewMemoryState(), Now: fixedNow})
	d, _ := b.Decide(context.Background(), s)
	if _, ok := d.Blocked[nba.Instalment]; ok {
		t.Fatalf("instalment blocked with a bill: %v", d.Blocked)
	}
}

func TestExplorationCap(t *testing.T) {
	for _, share := range []float64{0.05, 0.3} {
		b, _ := nba.New(nba.Options{State: nba.NewMemoryState(), Rand: rand.New(rand.NewPCG(9, 9)), Now: fixedNow,
			Policy: nba.Policy{MaxExploreShare: share}})
		w := world{rng: rand.New(rand.NewPCG(5, 5))}
		for range 3000 {
			if _, err := b.Decide(context.Background(), w.situation()); err != nil {
				t.Fatal(err)
			}
		}
		explored, total := b.ExploreShare()
		if got := float64(explored) / float64(total); got > share+1.0/float64(total) || explored == 0 {
			t.Errorf("cap %.2f: explored %d of %d (%.3f)", share, explored, total, got)
		}
	}
}
