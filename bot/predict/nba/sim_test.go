package nba_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/kairoscx/kairos/memory"
)

// world is a synthetic environment with known acceptance rates. Its truth
// differs from the bandit's rule prior on purpose (tutorials work better
// for product questions than the rules think, answer-only worse), so that
// learning has something to find; and it rewards coupons to angry
// customers, so the guardrail is tested against temptation.
type world struct{ rng *rand.Rand }

var (
	simIntents = []string{insight.IntentOrderStatus, insight.IntentShipping, insight.IntentRefund, insight.IntentExchange,
		insight.IntentSizeFit, insight.IntentPaymentBilling, insight.IntentProductQuestion, insight.IntentTechSupport,
		insight.IntentComplaint, insight.IntentGreeting, insight.IntentThanks, insight.IntentHumanRequest}
	simMoods = []string{insight.MoodCalm, insight.MoodCalm, insight.MoodHappy, insight.MoodConfused, insight.MoodAnxious,
		insight.MoodFrustrated, insight.MoodAngry}
	simNeeds = []string{insight.NeedNone, insight.NeedNone, insight.NeedGuidance, insight.NeedReassurance,
		insight.NeedCompensation, insight.NeedAlternativeProduct, insight.NeedValueNotRealized}
)

func pickOf[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (w world) situation() nba.Situation {
	r := w.rng
	s := nba.Situation{CustomerID: "c1", ChurnRisk: r.Float64() * r.Float64() * 1.2}
	s.Insight = insight.Insight{Intent: pickOf(r, simIntents), Mood: pickOf(r, simMoods), Need: pickOf(r, simNeeds)}
	if r.Float64() < 0.1 {
		s.Insight.Trajectory.EscalationRisk = 0.6 + 0.4*r.Float64()
	} else {
		s.Insight.Trajectory.EscalationRisk = 0.4 * r.Float64()
	}
	if r.Float64() < 0.4 {
		s.Facts.Consumable = true
		s.Facts.ReplenishIn = -10 + 70*r.Float64()
	}
	s.Facts.Bill = r.Float64() < 0.3
	if r.Float64() < 0.7 {
		s.Profile.Business.Orders = 1 + r.IntN(5)
		s.Profile.Business.LastOrderAt = simNow.AddDate(0, 0, -r.IntN(50))
	}
	return s
}

func group(intent string) string {
	switch intent {
	case insight.IntentProductQuestion, insight.IntentTechSupport:
		return "product"
	case insight.IntentRefund, insight.IntentExchange, insight.IntentSizeFit, insight.IntentReturn:
		return "aftersale"
	case insight.IntentPaymentBilling:
		return "billing"
	case insight.IntentGreeting, insight.IntentThanks:
		return "social"
	}
	return "other"
}

// accept is the true acceptance rate of action a in s.
func accept(a string, s nba.Situation) float64 {
	in := s.Insight
	g := group(in.Intent)
	negative := in.Mood == insight.MoodAngry || in.Mood == insight.MoodFrustrated
	switch a {
	case nba.AnswerOnly:
		if g == "social" {
			return 0.45
		}
		return 0.3
	case nba.Tutorial:
		if g == "product" || in.Need == insight.NeedGuidance {
			return 0.7
		}
		return 0.05
	case nba.Replenishment:
		if s.Facts.Consumable && s.Facts.ReplenishIn <= 10 {
			return 0.6
		}
		return 0.08
	case nba.Coupon:
		if negative || in.Intent == insight.IntentComplaint {
			return 0.9 // tempting, and forbidden
		}
		if s.ChurnRisk >= 0.4 {
			return 0.5
		}
		return 0.15
	case nba.Exchange:
		if g == "aftersale" {
			return 0.55
		}
		return 0.05
	case nba.Instalment:
		if g == "billing" {
			return 0.5
		}
		return 0.05
	case nba.HumanAgent:
		if in.Trajectory.EscalationRisk >= insight.EscalateAt || in.Intent == insight.IntentHumanRequest {
			return 0.8
		}
		return 0.1
	case nba.DoNothing:
		if g == "social" {
			return 0.35
		}
		return 0.02
	}
	return 0
}

// allowed is what the guardrails permit in s, as the test reads the
// documented rules (independently of the package's code).
func allowed(a string, s nba.Situation) bool {
	in := s.Insight
	if in.Trajectory.EscalationRisk >= insight.EscalateAt || in.Intent == insight.IntentHumanRequest {
		return a == nba.AnswerOnly || a == nba.HumanAgent
	}
	switch a {
	case nba.Coupon:
		return in.Mood != insight.MoodAngry && in.Mood != insight.MoodFrustrated && in.Intent != insight.IntentComplaint
	case nba.Replenishment:
		return s.Facts.Consumable
	case nba.Instalment:
		return s.Facts.Bill
	case nba.Exchange:
		return s.Profile.Business.Orders > 0
	}
	return true
}

type simResult struct {
	regret, adoption []float64 // per window
	totalRegret      float64
	explored, total  int
}

// simulate runs rounds decisions in windows; learn false keeps the bandit
// on its prior (no feedback), the baseline learning must beat.
func simulate(t *testing.T, rounds, windows int, learn bool, seed uint64) simResult {
	t.Helper()
	ctx := context.Background()
	w := world{rng: rand.New(rand.NewPCG(seed, 1))}
	env := rand.New(rand.NewPCG(seed, 2))
	b, err := nba.New(nba.Options{State: nba.NewMemoryState(), Rand: rand.New(rand.NewPCG(seed, 3)), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	res := simResult{regret: make([]float64, windows), adoption: make([]float64, windows)}
	per := rounds / windows
	for i := range rounds {
		s := w.situation()
		d, err := b.Decide(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !allowed(d.Action, s) {
			t.Fatalf("round %d: %s chosen for intent %s, mood %s, escalation %.2f: a guardrail failed",
				i, d.Action, s.Insight.Intent, s.Insight.Mood, s.Insight.Trajectory.EscalationRisk)
		}
		best := 0.0
		for _, a := range nba.Actions {
			if allowed(a, s) {
				best = max(best, accept(a, s))
			}
		}
		p := accept(d.Action, s)
		outcome := nba.Declined
		if env.Float64() < p {
			outcome = nba.Accepted
			res.adoption[i/per]++
		}
		res.regret[i/per] += best - p
		res.totalRegret += best - p
		if learn {
			if err := b.Learn(ctx, d, outcome); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range windows {
		res.regret[i] /= float64(per)
		res.adoption[i] /= float64(per)
	}
	res.explored, res.total = b.ExploreShare()
	return res
}

// TestSimulationLearns: with feedback, regret falls and adoption rises over
// the rounds, and the bandit beats its own prior without feedback; the
// guardrails hold in every round (simulate fails otherwise) and exploration
// stays within its cap.
func TestSimulationLearns(t *testing.T) {
	const rounds, windows = 20000, 10
	learned := simulate(t, rounds, windows, true, 7)
	static := simulate(t, rounds, windows, false, 7)
	for i := range windows {
		t.Logf("window %2d: bandit regret %.3f adoption %.3f | prior only regret %.3f adoption %.3f",
			i+1, learned.regret[i], learned.adoption[i], static.regret[i], static.adoption[i])
	}
	t.Logf("total regret: bandit %.0f, prior only %.0f; explored %d of %d decisions",
		learned.totalRegret, static.totalRegret, learned.explored, learned.total)
	last := windows - 1
	if learned.regret[last] >= learned.regret[0] {
		t.Errorf("regret did not fall: first window %.3f, last %.3f", learned.regret[0], learned.regret[last])
	}
	if learned.adoption[last] <= learned.adoption[0] {
		t.Errorf("adoption did not rise: first window %.3f, last %.3f", learned.adoption[0], learned.adoption[last])
	}
	if learned.totalRegret >= static.totalRegret {
		t.Errorf("learning (regret %.0f) did not beat the prior alone (%.0f)", learned.totalRegret, static.totalRegret)
	}
	if share := float64(learned.explored) / float64(learned.total); share > nba.DefaultMaxExploreShare+0.001 {
		t.Errorf("explored %.3f of decisions, cap %.2f", share, nba.DefaultMaxExploreShare)
	}
}

var _ = memory.ErrInvalid
