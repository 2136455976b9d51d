package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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

// aheadReader is a store that resolves customers and reads their
// profiles ahead in the same round trip, for its UpdateKeptProfiles
// (postgres.Store.CustomersAhead).
type aheadReader interface {
	CustomersAhead(ctx context.Context, ids []string) (map[string]memory.Customer, error)
}

// resolve finds the customer of every address: addresses by id (merged
// ids followed to the survivor) in one store read, addresses by identity
// one by one, creating the customer on first sight. With ahead, the store
// reads the profiles of customers addressed by id ahead in that one read
// (aheadReader), so that the applier writes them in one round trip. The
// error is a store failure worth retrying; addresses that can never
// resolve get a resolution with err set.
func (in *Ingest) resolve(ctx context.Context, addrs []address, ahead bool) (map[address]resolution, error) {
	out := make(map[address]resolution, len(addrs))
	var ids []string
	var idents []address
	for _, a := range addrs {
		if a.id != "" {
			ids = append(ids, a.id)
		} else {
			idents = append(idents, a)
		}
	}
	if len(ids) > 0 {
		customers := in.store.Customers
		if ar, ok := in.store.(aheadReader); ok && ahead {
			customers = ar.CustomersAhead
		}
		found, err := customers(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("ingest: customers: %w", err)
		}
		for _, id := range ids {
			r := resolution{id: found[id].ID}
			if r.id == "" {
				r.err = &profile.FieldError{Field: "customer.id", Message: fmt.Sprintf("no customer %q", id)}
			}
			out[address{id: id}] = r
		}
	}
	var mu sync.Mutex
	var firstErr error
	parallel(len(idents), func(k int) {
		a := idents[k]
		res, err := in.resolveIdentity(ctx, a.ident)
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

func (in *Ingest) resolveIdentity(ctx context.Context, id memory.Identity) (resolution, error) {
	c, _, err := in.store.CustomerByIdentity(ctx, id)
	switch {
	case errors.Is(err, memory.ErrInvalid):
		return resolution{err: &profile.FieldError{Field: "customer.identity", Message: err.Error()}}, nil
	case err != nil:
		return resolution{}, fmt.Errorf("ingest: customer by %s identity: %w", id.Kind, err)
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
	// The two reads do not depend on each other: one round trip's wait,
	// not two.
	var stored []bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		stored = in.storedIDs(ctx, ps)
	}()
	res, err := in.resolve(ctx, addrs, false)
	<-done
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
	out := make([]pending, 0, len(ps)) // not in place: the map's order is random
	for _, ks := range byCustomer {
		for _, k := range ks {
			if stored[k] {
				results[ps[k].i].Status = StatusDuplicate
				continue
			}
			out = append(out, ps[k])
		}
	}
	slices.SortFunc(out, func(a, b pending) int { return a.i - b.i })
	return out
}

// storedIDs reports which of the events' ids the store holds, in one read.
// A failing store reports none: the consumer still stores each event once.
func (in *Ingest) storedIDs(ctx context.Context, ps []pending) []bool {
	ids := make([]string, len(ps))
	for k, p := range ps {
		ids[k] = p.ev.ID
	}
	stored, err := in.store.StoredEvents(ctx, ids)
	if err != nil || len(stored) != len(ps) {
		in.logger.WarnContext(ctx, "event API: duplicate check failed", "err", err)
		return make([]bool, len(ps))
	}
	return stored
}
