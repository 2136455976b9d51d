package outcomes

import (
	"context"
	"errors"
	"fmt"

	"github.com/kairoscx/kairos/memory"
)

// CustomerReader is memory.CustomerStore's per-customer event and profile
// reads.
type CustomerReader interface {
	Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error)
	Profile(ctx context.Context, customerID string) (memory.Profile, error)
}

// StoreScanner reads a store customer by customer: an EventScanner,
// CustomerLister and ProfileReader over a known list of customers (the
// store's, or the seeded ground truth's). One read per customer and page:
// fine for thousands of customers; a bulk scanner (pgscan) is faster.
type StoreScanner struct {
	Store     CustomerReader
	Customers []string
}

// CustomerIDs implements CustomerLister.
func (s StoreScanner) CustomerIDs(context.Context) ([]string, error) { return s.Customers, nil }

// ScanEvents implements EventScanner.
func (s StoreScanner) ScanEvents(ctx context.Context, q Scan, fn func(memory.Event) error) error {
	ids := q.Customers
	if len(ids) == 0 {
		ids = s.Customers
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.scanOne(ctx, id, q, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s StoreScanner) scanOne(ctx context.Context, id string, q Scan, fn func(memory.Event) error) error {
	since := q.From
	seen := map[string]bool{} // ids at the page boundary's time
	for {
		page, err := s.Store.Events(ctx, id, memory.EventQuery{Types: q.Types, Since: since, Until: q.To, Limit: memory.MaxEventLimit})
		if errors.Is(err, memory.ErrNotFound) {
			return nil // erased or unknown: nothing to count
		}
		if err != nil {
			return fmt.Errorf("events of %s: %w", id, err)
		}
		fresh := 0
		for _, ev := range page {
			if seen[ev.ID] {
				continue
			}
			fresh++
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(page) < memory.MaxEventLimit {
			return nil
		}
		if fresh == 0 {
			return fmt.Errorf("events of %s: more than %d events at %s", id, memory.MaxEventLimit, since)
		}
		last := page[len(page)-1].At
		if !last.Equal(since) {
			clear(seen)
		}
		since = last
		for _, ev := range page {
			if ev.At.Equal(last) {
				seen[ev.ID] = true
			}
		}
	}
}

// Profiles implements ProfileReader.
func (s StoreScanner) Profiles(ctx context.Context, ids []string) (map[string]memory.Profile, error) {
	out := make(map[string]memory.Profile, len(ids))
	for _, id := range ids {
		p, err := s.Store.Profile(ctx, id)
		if errors.Is(err, memory.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("profile of %s: %w", id, err)
		}
		out[id] = p
	}
	return out, nil
}
