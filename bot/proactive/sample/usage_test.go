package sample_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/proactive"
	"github.com/kairoscx/kairos/bot/proactive/sample"
	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
	"github.com/kairoscx/kairos/memory/seed"
)

// seedHistory is a History over generated demo-shop customers.
type seedHistory struct {
	events   map[string][]memory.Event
	profiles map[string]memory.Profile
}

func (h *seedHistory) Events(_ context.Context, id string, q memory.EventQuery) ([]memory.Event, error) {
	var out []memory.Event
	for _, ev := range h.events[id] {
		if (q.Since.IsZero() || !ev.At.Before(q.Since)) && (q.Until.IsZero() || ev.At.Before(q.Until)) &&
			(len(q.Types) == 0 || slices.Contains(q.Types, ev.Type)) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (h *seedHistory) Profile(_ context.Context, id string) (memory.Profile, error) {
	return h.profiles[id], nil
}

// reach backtests one sample trigger over the last 30 days of generated
// customers, without global caps or quiet hours, and returns how many of
// the churners and of the others it contacted, and how many of each there
// were.
func reach(t *testing.T, trigger string, customers int) (churners, others, nChurners, nOthers int) {
	t.Helper()
	b, err := sample.FS.ReadFile(trigger + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := proactive.Compile(map[string][]byte{trigger + ".yaml": b})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg := seed.Config{Customers: customers, Days: 90, Seed: 11, End: end}
	h := &seedHistory{events: map[string][]memory.Event{}, profiles: map[string]memory.Profile{}}
	var churned, kept []string
	for i := range customers {
		c, err := seed.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		id := "cus_" + c.Key
		p := memory.Profile{CustomerID: id}
		for _, ev := range c.Events {
			ev.CustomerID = id
			h.events[id] = append(h.events[id], ev)
			profile.Apply(&p, ev)
		}
		h.profiles[id] = p
		// Churners whose decline falls in the replayed month.
		if c.Truth.Churned && c.Truth.ChurnAt.After(end.AddDate(0, 0, -23)) {
			churned = append(churned, id)
		} else if !c.Truth.Churned {
			kept = append(kept, id)
		}
	}
	run := func(ids []string) int {
		res, err := proactive.Backtest(context.Background(), proactive.BacktestOptions{Matrix: m, History: h, Customers: ids,
			From: end.AddDate(0, 0, -30), To: end, Guard: proactive.Guard{PerDay: -1, PerWeek: -1, QuietStart: 1, QuietEnd: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors > 0 {
			t.Fatalf("%d expression errors", res.Errors)
		}
		n := 0
		for _, tot := range res.Totals {
			n += tot.Contacted + tot.Holdout
		}
		return n
	}
	return run(churned), run(kept), len(churned), len(kept)
}

// TestUsageDeclineReachesChurners: the demo shop's app users who are about
// to leave report falling weekly usage; usage_decline must find them, and
// far more often than customers who stay (whose usage only wobbles).
func TestUsageDeclineReachesChurners(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 800 customers")
	}
	c, o, nc, no := reach(t, "usage_decline", 800)
	t.Logf("usage_decline: %d of %d churners, %d of %d others", c, nc, o, no)
	if nc < 20 || no < 200 {
		t.Fatalf("seed gave %d churners and %d others", nc, no)
	}
	rc, ro := float64(c)/float64(nc), float64(o)/float64(no)
	if c == 0 || rc < 4*ro {
		t.Fatalf("usage_decline reached %.1f%% of churners and %.1f%% of the others", 100*rc, 100*ro)
	}
}
