package nba_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/embedded"
)

func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), embedded.Options{Dir: t.TempDir(), Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func customer(t *testing.T, s *embedded.Store, visitor string) string {
	t.Helper()
	c, _, err := s.CustomerByIdentity(context.Background(), memory.Identity{Kind: memory.IdentityWebVisitor, Value: visitor})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestAdoptionRecorded: an offer is an nba_offered event; its outcome an
// nba_feedback event that teaches the bandit once, whatever is replayed or
// forged.
func TestAdoptionRecorded(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	alice, bob := customer(t, store, "v-alice"), customer(t, store, "v-bob")
	now := time.Now().UTC()
	clock := func() time.Time { return now }
	st := nba.NewMemoryState()
	b, err := nba.New(nba.Options{State: st, Events: store, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := nba.Situation{CustomerID: alice, Insight: insight.Insight{Intent: insight.IntentSizeFit, Mood: insight.MoodCalm},
		Profile: memory.Profile{Business: memory.BusinessProfile{Orders: 2, LastOrderAt: now.AddDate(0, 0, -3)}}}
	d, err := b.Decide(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.Events(ctx, alice, memory.EventQuery{Types: []string{nba.TypeOffered}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("offered events: %v, %v", evs, err)
	}
	var op nba.OfferedProps
	if err := json.Unmarshal(evs[0].Props, &op); err != nil || op.DecisionID != d.ID || op.Action != d.Action || op.Context != d.Context || op.Arm != d.Arm {
		t.Fatalf("offer props %+v (%v), decision %+v", op, err, d)
	}

	// Bad input teaches nothing.
	if _, err := b.Feedback(ctx, alice, d.ID, "loved it"); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("unknown outcome: %v, want ErrInvalid", err)
	}
	if _, err := b.Feedback(ctx, alice, "../../etc", nba.Accepted); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("malformed id: %v, want ErrInvalid", err)
	}
	if _, err := b.Feedback(ctx, alice, "0123456789abcdef0123456789abcdef", nba.Accepted); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("forged id: %v, want ErrNotFound", err)
	}
	if _, err := b.Feedback(ctx, bob, d.ID, nba.Accepted); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("another customer's decision: %v, want ErrNotFound", err)
	}
	if arms, _ := st.Arms(ctx, d.Context); len(arms) != 0 {
		t.Fatalf("rejected feedback taught the bandit: %v", arms)
	}

	now = now.Add(90 * time.Second)
	recorded, err := b.Feedback(ctx, alice, d.ID, nba.Accepted)
	if err != nil || !recorded {
		t.Fatalf("feedback: %v, %v", recorded, err)
	}
	// A replay, even with another outcome, is stored and learned once.
	if recorded, err := b.Feedback(ctx, alice, d.ID, nba.Declined); err != nil || recorded {
		t.Fatalf("replayed feedback: recorded %v, %v", recorded, err)
	}
	arms, _ := st.Arms(ctx, d.Context)
	if got := arms[d.Arm]; got != (nba.Arm{Accepted: 1}) || len(arms) != 1 {
		t.Fatalf("arms after one acceptance: %v", arms)
	}
	fb, err := store.Events(ctx, alice, memory.EventQuery{Types: []string{nba.TypeFeedback}})
	if err != nil || len(fb) != 1 {
		t.Fatalf("feedback events: %v, %v", fb, err)
	}
	var fp nba.FeedbackProps
	if err := json.Unmarshal(fb[0].Props, &fp); err != nil || fp.Outcome != nba.Accepted || fp.DecisionID != d.ID || fp.LatencyS != 90 {
		t.Fatalf("feedback props %+v (%v)", fp, err)
	}

	// Too late: the offer is outside the feedback window.
	d2, err := b.Decide(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(nba.FeedbackWindow + time.Hour)
	if _, err := b.Feedback(ctx, alice, d2.ID, nba.Accepted); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("stale feedback: %v, want ErrNotFound", err)
	}

	// The coupon cool-down reads the offers back.
	f := nba.FactsFromEvents([]memory.Event{{Type: nba.TypeOffered, At: now.Add(-time.Hour),
		Props: json.RawMessage(`{"decision_id":"x","action":"coupon"}`)}}, now)
	if !f.LastCouponAt.Equal(now.Add(-time.Hour)) {
		t.Fatalf("last coupon at %v", f.LastCouponAt)
	}
}

func TestFactsFromEvents(t *testing.T) {
	now := simNow
	ev := func(typ string, ago time.Duration, props string) memory.Event {
		return memory.Event{Type: typ, At: now.Add(-ago), Props: json.RawMessage(props)}
	}
	day := 24 * time.Hour
	f := nba.FactsFromEvents([]memory.Event{
		ev("order_placed", 200*day, `{"order_id":"a","items":[{"sku":"F","qty":1,"price":1,"consumption_days":90}]}`),
		ev("order_placed", 80*day, `{"order_id":"b","items":[{"sku":"J","qty":1,"price":1},{"sku":"F","qty":1,"price":1,"consumption_days":90}]}`),
		ev("order_placed", 10*day, `{"order_id":"c","items":[{"sku":"J","qty":1,"price":1}]}`),
		ev("order_placed", 1*day, `{broken`),
		ev("bill_generated", 50*day, `{"amount":10,"due_date":"2026-10-01"}`),
		ev("order_placed", -5*day, `{"order_id":"future","items":[{"sku":"F","qty":1,"price":1,"consumption_days":30}]}`),
	}, now)
	if !f.Consumable || f.ReplenishIn < 9.9 || f.ReplenishIn > 10.1 {
		t.Fatalf("consumable %v, replenish in %.1f days; want due in 10 days from the 80-day-old filter", f.Consumable, f.ReplenishIn)
	}
	if f.Bill {
		t.Fatal("a 50-day-old bill counts as open")
	}
}
