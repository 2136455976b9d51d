package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// storeParallel bounds the store calls one batch or request makes at once.
const storeParallel = 16

// resolution is the customer an address resolves to, or why it never
// will (err is a *profile.FieldError).
type resolution struct {
	id  string
	err error
}

// resolve finds the customer of every address: by id following merges,
// by identity creating the customer on first sight. The error is a store
// failure worth retrying; addresses that can never resolve get a
// resolution with err set.
func (in *Ingest) resolve(ctx context.Context, addrs []address) (map[address]resolution, error) {
	out := make(map[address]resolution, len(addrs))
	var mu sync.Mutex
	var firstErr error
	parallel(len(addrs), func(k int) {
		a := addrs[k]
		res, err := in.resolveOne(ctx, a)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			return
		}
		out[a] = res
	})
	return out, firstErr
}

func (in *Ingest) resolveOne(ctx context.Context, a address) (resolution, error) {
	if a.id != "" {
		c, err := in.store.Customer(ctx, a.id)
		switch {
		case errors.Is(err, memory.ErrNotFound):
			return resolution{err: &profile.FieldError{Field: "customer.id", Message: fmt.Sprintf("no customer %q", a.id)}}, nil
		case err != nil:
			return resolution{}, fmt.Errorf("ingest: customer %s: %w", a.id, err)
		}
		return resolution{id: c.ID}, nil
	}
	c, _, err := in.store.CustomerByIdentity(ctx, a.ident)
	switch {
	case errors.Is(err, memory.ErrInvalid):
		return resolution{err: &profile.FieldError{Field: "customer.identity", Message: err.Error()}}, nil
	case err != nil:
		return resolution{}, fmt.Errorf("ingest: customer by %s identity: %w", a.ident.Kind, err)
	}
	return resolution{id: c.ID}, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// parallel runs fn(0..n-1) with at most storeParallel at once.
func parallel(n int, fn func(k int)) {
	if n == 1 {
		fn(0)
		return
	}
	sem := make(chan struct{}, storeParallel)
	var wg sync.WaitGroup
	for k := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(k)
		}()
	}
	wg.Wait()
}

// checkStored marks the events of a request whose customer id is unknown
// (invalid) or whose id the store already holds (duplicate), and returns
// the rest. A failing store only skips the check: the consumer still
// stores each event once.
func (in *Ingest) checkStored(ctx context.Context, ps []pending, results []Result) []pending {
	if len(ps) == 0 {
		return ps
	}
	var addrs []address
	seen := make(map[address]bool)
	for _, p := range ps {
		if a := p.ev.Customer.address(); !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	res, err := in.resolve(ctx, addrs)
	if err != nil {
		in.logger.WarnContext(ctx, "event API: customer lookup failed; duplicates are not reported", "err", err)
		return ps
	}
	byCustomer := make(map[string][]int) // customer id -> indexes into ps
	for k, p := range ps {
		r := res[p.ev.Customer.address()]
		if r.err != nil {
			results[p.i].invalid(r.err)
			continue
		}
		byCustomer[r.id] = append(byCustomer[r.id], k)
	}
	stored := in.storedIDs(ctx, ps, byCustomer)
	out := make([]pending, 0, len(ps)) // not in place: the map's order is random
	for _, ks := range byCustomer {
		for _, k := range ks {
			if stored[ps[k].ev.ID] {
				results[ps[k].i].Status = StatusDuplicate
				continue
			}
			out = append(out, ps[k])
		}
	}
	slices.SortFunc(out, func(a, b pending) int { return a.i - b.i })
	return out
}

// storedLimit bounds the window read per customer by the duplicate check.
const storedLimit = 1000

// storedIDs returns which of the events' ids the store holds, reading each
// customer's events in the window spanned by theirs. Times are compared at
// microsecond precision (what PostgreSQL keeps).
func (in *Ingest) storedIDs(ctx context.Context, ps []pending, byCustomer map[string][]int) map[string]bool {
	ids := make([]string, 0, len(byCustomer))
	for id := range byCustomer {
		ids = append(ids, id)
	}
	stored := make(map[string]bool)
	var mu sync.Mutex
	parallel(len(ids), func(n int) {
		ks := byCustomer[ids[n]]
		q := memory.EventQuery{Limit: storedLimit}
		var since, until time.Time
		for _, k := range ks {
			ev := ps[k].ev
			at := ev.At.Truncate(time.Microsecond)
			if since.IsZero() || at.Before(since) {
				since = at
			}
			if at.After(until) {
				until = at
			}
			if !slices.Contains(q.Types, ev.Type) {
				q.Types = append(q.Types, ev.Type)
			}
		}
		q.Since, q.Until = since, until.Add(time.Microsecond)
		evs, err := in.store.Events(ctx, ids[n], q)
		if err != nil {
			in.logger.WarnContext(ctx, "event API: duplicate check failed", "customer", ids[n], "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			stored[e.ID] = true
		}
	})
	return stored
}
