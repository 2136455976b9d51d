package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Profile update retries: the events are stored by then, so a failed
// update is retried here rather than by redelivery.
var profileRetries = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}

// historyLimit is the page size of the stored events Rebuild reads.
const historyLimit = 1000

// customerEvents is one customer's new events in a batch, in time order.
type customerEvents struct {
	id  string
	evs []memory.Event
	// stale is set by the update: the stored profile predates the state
	// that keeps its figures exact (profile.NeedsHistory), so it is
	// rebuilt from the stored events once.
	stale bool
}

// updateProfiles applies each customer's new events to their profile, all
// in one store transaction: a commit per batch, not per customer, and no
// read of anyone's history, since the profile keeps what its exact figures
// need (active days, recent orders). It returns the customers whose
// update was lost.
func (in *Ingest) updateProfiles(ctx context.Context, cs []*customerEvents, now time.Time) map[string]error {
	byID := make(map[string]*customerEvents, len(cs))
	ids := make([]string, len(cs))
	for k, c := range cs {
		byID[c.id], ids[k] = c, c.id
	}
	return in.updateAll(ctx, ids, func(id string, p *memory.Profile) error {
		c := byID[id]
		c.stale = profile.NeedsHistory(p) // set on every run: an update may run again
		for _, ev := range c.evs {
			profile.Apply(p, ev)
		}
		finish(p, id, now)
		return nil
	})
}

// keptUpdater is a store that keeps the profiles it wrote and writes them
// back in one round trip while no one else changed them
// (postgres.Store.UpdateKeptProfiles). update may run twice on a profile:
// on the kept copy, and again on the stored one when the copy was stale.
type keptUpdater interface {
	UpdateKeptProfiles(ctx context.Context, customerIDs []string, update func(customerID string, p *memory.Profile) error) (rest []string, err error)
}

// updateAll applies update to the profiles of ids: those the store kept
// first (keptUpdater), the rest in one transaction.
// When that fails for good, each customer is updated alone, so that one
// customer's failure (say, erased meanwhile) costs only their update. It
// returns the customers whose update failed.
func (in *Ingest) updateAll(ctx context.Context, ids []string, update func(string, *memory.Profile) error) map[string]error {
	lost := make(map[string]error)
	if kept, ok := in.store.(keptUpdater); ok && len(ids) > 0 {
		// Most profiles of a busy consumer are the ones it wrote last:
		// one round trip writes those; the rest take the locked path.
		// On an error nothing was written, and the locked path does all.
		if rest, err := kept.UpdateKeptProfiles(ctx, ids, update); err == nil {
			ids = rest
		} else {
			in.logger.Warn("kept profile update failed; updating under locks", "customers", len(ids), "err", err)
		}
	}
	if len(ids) == 0 {
		return lost
	}
	err := in.retry(ctx, func() error { return in.store.UpdateProfiles(ctx, ids, update) })
	if err == nil {
		return lost
	}
	if len(ids) > 1 {
		in.logger.Warn("batch profile update failed; updating customers one by one", "customers", len(ids), "err", err)
	}
	errs := make([]error, len(ids))
	parallel(len(ids), func(k int) {
		if len(ids) == 1 {
			errs[k] = err
			return
		}
		errs[k] = in.retry(ctx, func() error { return in.store.UpdateProfiles(ctx, ids[k:k+1], update) })
	})
	for k, err := range errs {
		if err != nil {
			lost[ids[k]] = fmt.Errorf("ingest: update profile of %s: %w", ids[k], err)
		}
	}
	return lost
}

func finish(p *memory.Profile, customerID string, now time.Time) {
	p.CustomerID = customerID
	p.UpdatedAt = now
	p.Business.Stage = profile.Stage(p, now)
}

func (in *Ingest) retry(ctx context.Context, fn func() error) error {
	err := fn()
	for _, d := range profileRetries {
		// An unknown customer stays unknown: no retry.
		if err == nil || errors.Is(err, memory.ErrNotFound) {
			return err
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return err
		}
		err = fn()
	}
	return err
}

// Rebuild recomputes a customer's profile from their stored events, for
// repair (a profile write that failed after its events were stored) and
// after merges. The conversation part of the interaction profile
// (conversations, messages, question types, sentiment, last contact) is
// kept; everything events feed is replayed. While it runs, this Ingest
// stores no events of the customer (customerLocks).
func (in *Ingest) Rebuild(ctx context.Context, customerID string) (memory.Profile, error) {
	found, err := in.store.Customers(ctx, []string{customerID})
	if err != nil {
		return memory.Profile{}, fmt.Errorf("ingest: rebuild %s: %w", customerID, err)
	}
	c, ok := found[customerID]
	if !ok {
		return memory.Profile{}, fmt.Errorf("ingest: rebuild %s: %w", customerID, memory.ErrNotFound)
	}
	customerID = c.ID // the survivor, whose lock batches take
	unlock := in.locks.exclusive(customerID)
	defer unlock()
	var all []memory.Event
	seen := make(map[string]bool)
	var since time.Time
	for {
		evs, err := in.store.Events(ctx, customerID, memory.EventQuery{Since: since, Limit: historyLimit})
		if err != nil {
			return memory.Profile{}, fmt.Errorf("ingest: rebuild %s: read events: %w", customerID, err)
		}
		fresh := 0
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				all = append(all, e)
				fresh++
			}
		}
		if len(evs) < historyLimit || fresh == 0 {
			break
		}
		since = evs[len(evs)-1].At // inclusive: ids already seen are skipped
	}
	now := in.now()
	p, err := in.store.UpdateProfile(ctx, customerID, func(p *memory.Profile) error {
		fresh := memory.Profile{Interaction: p.Interaction}
		fresh.Interaction.CSAT, fresh.Interaction.CES = memory.Score{}, memory.Score{}
		for _, e := range all {
			profile.Apply(&fresh, e)
		}
		finish(&fresh, customerID, now)
		*p = fresh
		return nil
	})
	if err != nil {
		return memory.Profile{}, fmt.Errorf("ingest: rebuild %s: %w", customerID, err)
	}
	return p, nil
}
