package proactive

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
)

// BacktestOptions configure a replay of stored events through a matrix.
type BacktestOptions struct {
	Matrix    *Matrix
	History   History  // the store
	Customers []string // whose events are replayed
	// From and To bound the replayed period; events of the Lookback before
	// From warm the windows (and arm time triggers) without firing.
	From, To time.Time
	Guard    Guard
	// Workers replay customers in parallel (default 2).
	Workers int
	// Progress, when set, is called after each customer.
	Progress func(done, total int)

	onEval func(trigger string, fired bool)
}

// BacktestRow is one trigger's numbers on one day (in the guard's time
// zone): distinct customers contacted (acted on, or drafted for approval),
// suppressed (by guardrail), and withheld as holdout.
type BacktestRow struct {
	Trigger    string         `json:"trigger"`
	Day        string         `json:"day"`
	Contacted  int            `json:"contacted"`
	Suppressed int            `json:"suppressed"`
	Holdout    int            `json:"holdout"`
	ByReason   map[string]int `json:"by_reason,omitempty"`
}

// BacktestTotal is one trigger's numbers over the whole period.
type BacktestTotal struct {
	Trigger    string  `json:"trigger"`
	Contacted  int     `json:"contacted"` // distinct customers
	Suppressed int     `json:"suppressed"`
	Holdout    int     `json:"holdout"`
	Firings    int     `json:"firings"`
	Reach      float64 `json:"reach"` // Contacted / customers replayed
}

// BacktestResult is what a backtest found.
type BacktestResult struct {
	Customers int             `json:"customers"`
	Events    int             `json:"events"`
	Rows      []BacktestRow   `json:"rows"`
	Totals    []BacktestTotal `json:"totals"`
	Errors    int             `json:"expression_errors"`
}

// memTimers are Timers for replays: pending timers per customer, drained
// by the replay as its clock passes them.
type memTimers struct {
	mu sync.Mutex
	m  map[string]map[string]Timer // customer → trigger → timer
}

func (mt *memTimers) Arm(_ context.Context, t Timer, ifIdle bool) error {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.m == nil {
		mt.m = map[string]map[string]Timer{}
	}
	c := mt.m[t.Customer]
	if c == nil {
		c = map[string]Timer{}
		mt.m[t.Customer] = c
	}
	if _, ok := c[t.Trigger]; ok && ifIdle {
		return nil
	}
	c[t.Trigger] = t
	return nil
}

// due removes and returns the customer's earliest timer due at or before
// until.
func (mt *memTimers) due(customer string, until time.Time) (Timer, bool) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	var best Timer
	found := false
	for _, t := range mt.m[customer] {
		if !t.Due.After(until) && (!found || t.Due.Before(best.Due) || (t.Due.Equal(best.Due) && t.Trigger < best.Trigger)) {
			best, found = t, true
		}
	}
	if found {
		delete(mt.m[customer], best.Trigger)
	}
	return best, found
}

// replayClock is one clock per replayed customer, read by the engine
// through the goroutine-local customer in flight.
type replayClock struct {
	mu  sync.Mutex
	now time.Time
}

// Backtest replays the customers' stored events of the period through the
// matrix with guardrails and an in-memory state: nothing is sent, no
// webhook is called. Profiles are read as stored now (a replay cannot see
// a profile as it was), which the documentation points out.
func Backtest(ctx context.Context, o BacktestOptions) (BacktestResult, error) {
	var res BacktestResult
	if o.Matrix == nil || o.History == nil {
		return res, fmt.Errorf("proactive: backtest: a matrix and a store are required")
	}
	if !o.From.Before(o.To) {
		return res, fmt.Errorf("proactive: backtest: from must be before to")
	}
	state := NewMemState()
	timers := &memTimers{}
	// The engine's clock is the replay's: every customer is replayed by
	// one goroutine, and the engine reads the clock only for lag checks
	// (disabled) and window bookkeeping, so one shared clock set to the
	// latest time is enough.
	clk := &replayClock{}
	eng, err := New(Config{State: state, History: o.History, Timers: timers, Guard: o.Guard, DryRun: true, MaxLag: -1,
		Now: func() time.Time { clk.mu.Lock(); defer clk.mu.Unlock(); return clk.now }}, o.Matrix)
	if err != nil {
		return res, err
	}
	eng.evalHook = o.onEval
	lookback := eng.cfg.Lookback
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	done := 0
	for range cmp.Or(o.Workers, 2) {
		wg.Go(func() {
			for c := range work {
				n, err := eng.replay(ctx, c, o.From, o.To, lookback, timers, clk)
				mu.Lock()
				res.Events += n
				done++
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if o.Progress != nil {
					o.Progress(done, len(o.Customers))
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range o.Customers {
		if ctx.Err() != nil {
			break
		}
		work <- c
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Customers = len(o.Customers)
	res.Errors = int(eng.EvalErrors.Load())
	loc := eng.guard.TimeZone
	for _, t := range o.Matrix.Triggers() {
		fs, _ := state.Firings(ctx, t.ID, o.From, o.To)
		days := map[string]*BacktestRow{}
		seen := map[string]map[string]bool{} // day|kind → customers
		total := BacktestTotal{Trigger: t.ID}
		contacted, suppressed, holdout := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, f := range fs {
			d := f.At.In(loc).Format(time.DateOnly)
			row := days[d]
			if row == nil {
				row = &BacktestRow{Trigger: t.ID, Day: d, ByReason: map[string]int{}}
				days[d] = row
			}
			total.Firings++
			kind := f.Outcome
			if kind == OutcomeDraft {
				kind = OutcomeSent
			}
			k := d + "|" + kind
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			first := !seen[k][f.Customer]
			seen[k][f.Customer] = true
			switch kind {
			case OutcomeSent:
				if first {
					row.Contacted++
				}
				contacted[f.Customer] = true
			case OutcomeSuppressed:
				if first {
					row.Suppressed++
				}
				row.ByReason[f.Reason]++
				suppressed[f.Customer] = true
			case OutcomeHoldout:
				if first {
					row.Holdout++
				}
				holdout[f.Customer] = true
			}
		}
		for _, d := range sortedKeys(days) {
			res.Rows = append(res.Rows, *days[d])
		}
		total.Contacted, total.Suppressed, total.Holdout = len(contacted), len(suppressed), len(holdout)
		total.Reach = rate(total.Contacted, res.Customers)
		res.Totals = append(res.Totals, total)
	}
	return res, nil
}

// replay runs one customer's events through the engine in time order,
// firing their timers as the replay clock passes them.
func (e *Engine) replay(ctx context.Context, customer string, from, to time.Time, lookback time.Duration, timers *memTimers, clk *replayClock) (int, error) {
	evs, err := e.cfg.History.Events(ctx, customer, memory.EventQuery{Since: from.Add(-lookback), Until: to, Limit: memory.MaxEventLimit})
	if err != nil {
		return 0, fmt.Errorf("proactive: backtest: events of %s: %w", customer, err)
	}
	slices.SortStableFunc(evs, func(a, b memory.Event) int { return a.At.Compare(b.At) })
	setClock := func(t time.Time) {
		clk.mu.Lock()
		if t.After(clk.now) {
			clk.now = t
		}
		clk.mu.Unlock()
	}
	fireUntil := func(t time.Time) error {
		for {
			tm, ok := timers.due(customer, t)
			if !ok {
				return nil
			}
			if tm.Due.Before(from) {
				continue // due before the period: not part of it
			}
			setClock(tm.Due)
			if err := e.HandleTimer(ctx, tm); err != nil {
				return err
			}
		}
	}
	// The window is filled from the replay, not from the store's history.
	e.wins.with(customer, from, func(w *window) { w.loaded = true })
	for _, mev := range evs {
		if err := fireUntil(mev.At); err != nil {
			return 0, err
		}
		setClock(mev.At)
		if mev.At.Before(from) {
			e.warm(ctx, mev)
			continue
		}
		if err := e.HandleEvent(ctx, mev); err != nil {
			return 0, err
		}
	}
	if err := fireUntil(to.Add(-time.Nanosecond)); err != nil {
		return 0, err
	}
	e.wins.drop(customer)
	return len(evs), nil
}

// warm adds an event to its customer's window and arms the time triggers
// it wakes, without evaluating event triggers.
func (e *Engine) warm(ctx context.Context, mev memory.Event) {
	ev, _ := DecodeEvent(mev)
	e.wins.with(mev.CustomerID, mev.At, func(w *window) {
		if !w.add(&ev, true) {
			return
		}
		w.trim(e.cfg.Lookback, e.cfg.MaxEvents)
		env := &Env{Event: ev, Now: ev.At, Customer: Customer{ID: mev.CustomerID}, win: w}
		var timed []*Trigger
		for _, t := range e.matrix.Load().woken(ev.Type) {
			if t.Timed() {
				timed = append(timed, t)
			}
		}
		if len(timed) == 0 {
			return
		}
		e.loadContext(ctx, env, w, timed)
		for _, t := range timed {
			e.arm(ctx, t, env)
		}
	})
}
