package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

// eventRec is an event as stored; its customer and id are in the key.
type eventRec struct {
	Type       string          `json:"type"`
	Source     string          `json:"source,omitempty"`
	Props      json.RawMessage `json:"props"`
	At         time.Time       `json:"at"`
	ReceivedAt time.Time       `json:"received_at"`
}

// AppendEvents stores a batch in one transaction; see
// memory.CustomerStore for what is checked and what a duplicate does.
func (s *Store) AppendEvents(ctx context.Context, events []memory.Event) ([]bool, error) {
	recs := make([]eventRec, len(events))
	for i, e := range events {
		if err := memory.ValidateEvent(e); err != nil {
			return nil, fmt.Errorf("embedded: append events: event %d: %w", i, err)
		}
		props := json.RawMessage("{}")
		if len(e.Props) > 0 {
			var buf bytes.Buffer
			if err := json.Compact(&buf, e.Props); err != nil {
				return nil, fmt.Errorf("embedded: append events: event %d: props: %v: %w", i, err, memory.ErrInvalid)
			}
			props = buf.Bytes()
		}
		recs[i] = eventRec{Type: e.Type, Source: e.Source, Props: props, At: e.At.UTC().Truncate(time.Microsecond)}
	}
	created := make([]bool, len(events))
	err := s.db.Update(func(tx *bolt.Tx) error {
		eb, ids := tx.Bucket(bEvents), tx.Bucket(bEventIDs)
		now := s.stamp()
		resolved := map[string]string{}
		for i, e := range events {
			if ids.Get([]byte(e.ID)) != nil {
				continue
			}
			cus, ok := resolved[e.CustomerID]
			if !ok {
				var err error
				if cus, err = resolve(tx, e.CustomerID); err != nil {
					return fmt.Errorf("event %d (%s): %w", i, e.ID, err)
				}
				resolved[e.CustomerID] = cus
			}
			recs[i].ReceivedAt = now
			key := custKey(cus, append(timeKey(recs[i].At), e.ID...))
			if err := put(eb, key, recs[i]); err != nil {
				return err
			}
			if err := ids.Put([]byte(e.ID), key); err != nil {
				return err
			}
			created[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, wrap("append events", err)
	}
	return created, nil
}

// StoredEvents looks the ids up in the event id index.
func (s *Store) StoredEvents(ctx context.Context, ids []string) ([]bool, error) {
	stored := make([]bool, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bEventIDs)
		for i, id := range ids {
			stored[i] = id != "" && b.Get([]byte(id)) != nil
		}
		return nil
	})
	if err != nil {
		return nil, wrap("stored events", err)
	}
	return stored, nil
}

// Events walks the customer's keys between q.Since and q.Until in the
// order asked, filtering types.
func (s *Store) Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error) {
	limit := eventLimit(q.Limit)
	types := map[string]bool{}
	for _, t := range q.Types {
		types[t] = true
	}
	var out []memory.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		prefix := custPrefix(cus)
		lo, hi := prefix, []byte(cus+"\x01")
		if !q.Since.IsZero() {
			lo = custKey(cus, timeKey(q.Since))
		}
		if !q.Until.IsZero() {
			hi = custKey(cus, timeKey(q.Until))
		}
		c := tx.Bucket(bEvents).Cursor()
		var k, v []byte
		step := c.Next
		if q.Desc {
			step = c.Prev
			if k, v = c.Seek(hi); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for ; k != nil && bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) < 0 && len(out) < limit; k, v = step() {
			e, err := decodeEvent(cus, prefix, k, v)
			if err != nil {
				return err
			}
			if len(types) == 0 || types[e.Type] {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("events", err)
	}
	return out, nil
}

// eventLimit applies EventQuery's default and maximum.
func eventLimit(n int) int {
	if n <= 0 {
		return memory.DefaultEventLimit
	}
	return min(n, memory.MaxEventLimit)
}

func decodeEvent(cus string, prefix, k, v []byte) (memory.Event, error) {
	if len(k) < len(prefix)+8 {
		return memory.Event{}, fmt.Errorf("event key %q: bad length", k)
	}
	var rec eventRec
	if err := json.Unmarshal(v, &rec); err != nil {
		return memory.Event{}, fmt.Errorf("event %q: %w", k, err)
	}
	return memory.Event{ID: string(k[len(prefix)+8:]), CustomerID: cus, Type: rec.Type, Source: rec.Source,
		Props: slices.Clip(rec.Props), At: rec.At, ReceivedAt: rec.ReceivedAt}, nil
}
