package ingest

import (
	"context"
	"errors"
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

// customerEvents is one customer's new events in a batch, in time order,
// with what their profile update needs read beforehand.
type customerEvents struct {
	id     string
	evs    []memory.Event
	orders []time.Time // stored order times, when evs has an order
	newDay bool        // set by the update: activity reached a new UTC day
}

// updateProfiles applies each customer's new events to their profile, all
// in one store transaction: a commit per batch, not per customer. With new
// orders, the reorder interval becomes the median of the customer's stored
// order gaps (read first, as the update must not read). When activity
// reaches a new day, visit days are recounted from stored events and
// written in a second transaction for just those customers. It returns
// the customers whose update was lost.
func (in *Ingest) updateProfiles(ctx context.Context, cs []*customerEvents, now time.Time) map[string]error {
	parallel(len(cs), func(k int) {
		c := cs[k]
		if !slices.ContainsFunc(c.evs, func(e memory.Event) bool { return e.Type == profile.TypeOrderPlaced }) {
			return
		}
		var err error
		if c.orders, err = in.orderTimes(ctx, c.id); err != nil {
			in.logger.Warn("order history; keeping the mean reorder interval", "customer", c.id, "err", err)
		}
	})
	byID := make(map[string]*customerEvents, len(cs))
	ids := make([]string, len(cs))
	for k, c := range cs {
		byID[c.id], ids[k] = c, c.id
	}
	lost := in.updateAll(ctx, ids, func(id string, p *memory.Profile) error {
		c := byID[id]
		before := p.Behaviour.LastSeen
		for _, ev := range c.evs {
			profile.Apply(p, ev)
		}
		if len(c.orders) > 0 {
			p.Business.ReorderIntervalDays = profile.ReorderInterval(c.orders)
		}
		finish(p, id, now)
		c.newDay = utcDay(p.Behaviour.LastSeen) != utcDay(before)
		return nil
	})
	var fresh []*customerEvents
	for _, c := range cs {
		if c.newDay && lost[c.id] == nil {
			fresh = append(fresh, c)
		}
	}
	days := make([]int, len(fresh))
	counted := make([]bool, len(fresh))
	parallel(len(fresh), func(k int) {
		var err error
		if days[k], err = in.visitDays(ctx, fresh[k].id, now); err != nil {
			in.logger.Warn("visit days; keeping the estimate", "customer", fresh[k].id, "err", err)
			return
		}
		counted[k] = true
	})
	dayOf := make(map[string]int, len(fresh))
	var dayIDs []string
	for k, c := range fresh {
		if counted[k] {
			dayOf[c.id] = days[k]
			dayIDs = append(dayIDs, c.id)
		}
	}
	for id, err := range in.updateAll(ctx, dayIDs, func(id string, p *memory.Profile) error {
		p.Behaviour.VisitDays30 = dayOf[id]
		return nil
	}) {
		lost[id] = err
	}
	return lost
}

// updateAll applies update to the profiles of ids in one transaction.
// When that fails for good, each customer is updated alone, so that one
// customer's failure (say, erased meanwhile) costs only their update. It
// returns the customers whose update failed.
func (in *Ingest) updateAll(ctx context.Context, ids []string, update func(string, *memory.Profile) error) map[string]error {
	lost := make(map[string]error)
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

func utcDay(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	return t.UTC().Unix() / 86400
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
