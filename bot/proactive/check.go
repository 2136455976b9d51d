package proactive

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
	"github.com/kairoscx/kairos/memory/seed"
)

// Finding is a warning about a trigger that compiles but looks wrong.
type Finding struct {
	Trigger string `json:"trigger"`
	File    string `json:"file"`
	Message string `json:"message"`
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.File, f.Trigger, f.Message) }

// Thresholds of Check's sampling.
const (
	checkFireShare  = 0.5 // of the sampled evaluations
	checkReachShare = 0.5 // of the sampled customers contacted
	checkMinSample  = 20  // evaluations needed to judge a share
)

// Check looks for triggers that would fire on (almost) every event:
// statically (a condition that is constant, or reads neither the event nor
// the customer's history, profile or insight; a trigger woken by every
// event type) and by sampling (a replay of a generated demo-shop history
// through the matrix, flagging conditions true on at least half of the
// events that wake them, or triggers that would contact at least half of
// the customers).
func Check(ctx context.Context, m *Matrix) ([]Finding, error) {
	var out []Finding
	for _, t := range m.Triggers() {
		out = append(out, staticFindings(t)...)
	}
	sampled, err := sampleFindings(ctx, m)
	if err != nil {
		return out, err
	}
	return append(out, sampled...), nil
}

func staticFindings(t *Trigger) []Finding {
	var out []Finding
	add := func(format string, args ...any) {
		out = append(out, Finding{Trigger: t.ID, File: t.File, Message: fmt.Sprintf(format, args...)})
	}
	if slices.Contains(t.On, "*") {
		add("woken by every event type (on: [\"*\"])")
	}
	if t.cond == nil {
		return out
	}
	node := t.cond.prog.Node()
	if b, ok := node.(*ast.BoolNode); ok && b.Value {
		add("condition is always true: it fires on every %s event", strings.Join(t.On, "/"))
		return out
	}
	var reads readSet
	ast.Walk(&node, &reads)
	if !reads.any() && !t.Timed() {
		add("condition reads neither the event, the customer's recent events, profile nor insight: it is the same for every %s event", strings.Join(t.On, "/"))
	}
	return out
}

type readSet struct{ n int }

func (r *readSet) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		switch x.Value {
		case "event", "profile", "insight", "churn", "customer", "$env":
			r.n++
		}
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && windowFuncs[id.Value] {
			r.n++
		}
	}
}

func (r *readSet) any() bool { return r.n > 0 }

// sampleHistory is a History over generated customers.
type sampleHistory struct {
	events   map[string][]memory.Event
	profiles map[string]memory.Profile
}

func (h *sampleHistory) Events(_ context.Context, id string, q memory.EventQuery) ([]memory.Event, error) {
	var out []memory.Event
	for _, ev := range h.events[id] {
		if (q.Since.IsZero() || !ev.At.Before(q.Since)) && (q.Until.IsZero() || ev.At.Before(q.Until)) &&
			(len(q.Types) == 0 || slices.Contains(q.Types, ev.Type)) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (h *sampleHistory) Profile(_ context.Context, id string) (memory.Profile, error) {
	return h.profiles[id], nil
}

// sampleCustomers and sampleDays size the generated history of Check.
const (
	sampleCustomers = 300
	sampleDays      = 60
)

func sampleFindings(ctx context.Context, m *Matrix) ([]Finding, error) {
	end := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	cfg := seed.Config{Customers: sampleCustomers, Days: sampleDays, Seed: 7, End: end}
	h := &sampleHistory{events: map[string][]memory.Event{}, profiles: map[string]memory.Profile{}}
	var ids []string
	for i := range sampleCustomers {
		c, err := seed.Generate(cfg, i)
		if err != nil {
			return nil, err
		}
		id := "sample_" + c.Key
		ids = append(ids, id)
		p := memory.Profile{CustomerID: id}
		for _, ev := range c.Events {
			ev.CustomerID = id
			h.events[id] = append(h.events[id], ev)
			profile.Apply(&p, ev)
		}
		p.Business.Stage = profile.Stage(&p, end)
		h.profiles[id] = p
	}
	var mu sync.Mutex
	evals, fires := map[string]int{}, map[string]int{}
	res, err := Backtest(ctx, BacktestOptions{Matrix: m, History: h, Customers: ids, From: end.AddDate(0, 0, -30), To: end,
		Guard: Guard{PerDay: -1, PerWeek: -1, QuietStart: 1, QuietEnd: 1},
		onEval: func(trigger string, fired bool) {
			mu.Lock()
			evals[trigger]++
			if fired {
				fires[trigger]++
			}
			mu.Unlock()
		}})
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, t := range m.Triggers() {
		n, f := evals[t.ID], fires[t.ID]
		// A due timer is meant to fire (it was armed for it); time
		// triggers are judged by their reach below.
		if !t.Timed() && n >= checkMinSample && float64(f) >= checkFireShare*float64(n) {
			out = append(out, Finding{Trigger: t.ID, File: t.File, Message: fmt.Sprintf(
				"condition was true for %d of %d sampled evaluations (%.0f%%): it fires on nearly every %s event",
				f, n, 100*float64(f)/float64(n), strings.Join(t.On, "/"))})
		}
	}
	for _, tot := range res.Totals {
		if tot.Reach >= checkReachShare {
			t, _ := m.Trigger(tot.Trigger)
			out = append(out, Finding{Trigger: tot.Trigger, File: t.File, Message: fmt.Sprintf(
				"would contact %d of %d sampled customers (%.0f%%) in 30 days", tot.Contacted, res.Customers, 100*tot.Reach)})
		}
	}
	return out, nil
}
