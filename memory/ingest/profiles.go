package ingest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kairoscx/kairos/memory"
	"github.com/kairoscx/kairos/memory/profile"
)

// Profile update retries: the events are stored by then, so a failed
// update is retried here rather than by redelivery.
var profileRetries = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}

// historyLimit bounds the stored events read for one profile figure.
const historyLimit = 1000

// updateProfile applies a customer's new events (in time order) in one
// profile write. With new orders, the reorder interval becomes the median
// of the customer's stored order gaps; when activity reaches a new day,
// visit days are recounted from stored events.
func (in *Ingest) updateProfile(ctx context.Context, customerID string, evs []memory.Event, now time.Time) error {
	var orders []time.Time
	if slices.ContainsFunc(evs, func(e memory.Event) bool { return e.Type == profile.TypeOrderPlaced }) {
		var err error
		if orders, err = in.orderTimes(ctx, customerID); err != nil {
			in.logger.Warn("order history; keeping the mean reorder interval", "customer", customerID, "err", err)
		}
	}
	var newDay bool
	update := func(p *memory.Profile) error {
		before := p.Behaviour.LastSeen
		for _, ev := range evs {
			profile.Apply(p, ev)
		}
		if len(orders) > 0 {
			p.Business.ReorderIntervalDays = profile.ReorderInterval(orders)
		}
		finish(p, customerID, now)
		newDay = utcDay(p.Behaviour.LastSeen) != utcDay(before)
		return nil
	}
	if err := in.retry(ctx, func() error {
		_, err := in.store.UpdateProfile(ctx, customerID, update)
		return err
	}); err != nil {
		return fmt.Errorf("ingest: update profile of %s: %w", customerID, err)
	}
	if !newDay {
		return nil
	}
	n, err := in.visitDays(ctx, customerID, now)
	if err != nil {
		in.logger.Warn("visit days; keeping the estimate", "customer", customerID, "err", err)
		return nil
	}
	return in.retry(ctx, func() error {
		_, err := in.store.UpdateProfile(ctx, customerID, func(p *memory.Profile) error {
			p.Behaviour.VisitDays30 = n
			return nil
		})
		return err
	})
}

func finish(p *memory.Profile, customerID string, now time.Time) {
	p.CustomerID = customerID
	p.UpdatedAt = now
	p.Business.Stage = profile.Stage(p, now)
}

func utcDay(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	return t.UTC().Unix() / 86400
}

func (in *Ingest) retry(ctx context.Context, fn func() error) error {
	err := fn()
	for _, d := range profileRetries {
		if err == nil {
			return nil
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

// orderTimes returns the times of the customer's latest orders.
func (in *Ingest) orderTimes(ctx context.Context, customerID string) ([]time.Time, error) {
	evs, err := in.store.Events(ctx, customerID, memory.EventQuery{
		Types: []string{profile.TypeOrderPlaced}, Limit: historyLimit, Desc: true})
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(evs))
	for i, e := range evs {
		out[i] = e.At
	}
	return out, nil
}

// visitDays counts the distinct days with activity in the last 30 from
// stored events, skipping to the next day after each page so that a busy
// customer costs a few reads at most.
func (in *Ingest) visitDays(ctx context.Context, customerID string, now time.Time) (int, error) {
	since := now.Add(-profile.VisitWindow)
	var times []time.Time
	for range 31 {
		evs, err := in.store.Events(ctx, customerID, memory.EventQuery{
			Types: profile.BehaviourTypes(), Since: since, Until: now.Add(time.Nanosecond), Limit: historyLimit})
		if err != nil {
			return 0, err
		}
		for _, e := range evs {
			times = append(times, e.At)
		}
		if len(evs) < historyLimit {
			break
		}
		last := evs[len(evs)-1].At.UTC()
		since = time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	return profile.VisitDays(times, now), nil
}

// Rebuild recomputes a customer's profile from their stored events, for
// repair (a profile write that failed after its events were stored) and
// after merges. The conversation part of the interaction profile
// (conversations, messages, question types, sentiment, last contact) is
// kept; everything events feed is replayed.
func (in *Ingest) Rebuild(ctx context.Context, customerID string) (memory.Profile, error) {
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
	var orders, activity []time.Time
	for _, e := range all {
		switch {
		case e.Type == profile.TypeOrderPlaced:
			orders = append(orders, e.At)
		case slices.Contains(profile.BehaviourTypes(), e.Type):
			activity = append(activity, e.At)
		}
	}
	p, err := in.store.UpdateProfile(ctx, customerID, func(p *memory.Profile) error {
		fresh := memory.Profile{Interaction: p.Interaction}
		fresh.Interaction.CSAT, fresh.Interaction.CES = memory.Score{}, memory.Score{}
		for _, e := range all {
			profile.Apply(&fresh, e)
		}
		fresh.Business.ReorderIntervalDays = profile.ReorderInterval(orders)
		fresh.Behaviour.VisitDays30 = profile.VisitDays(activity, now)
		finish(&fresh, customerID, now)
		*p = fresh
		return nil
	})
	if err != nil {
		return memory.Profile{}, fmt.Errorf("ingest: rebuild %s: %w", customerID, err)
	}
	return p, nil
}
