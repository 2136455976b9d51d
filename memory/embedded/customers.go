package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

type customerRec struct {
	CreatedAt time.Time `json:"created_at"`
	// MergedInto is the survivor this customer was merged into; always a
	// customer that is not merged itself (merges are flattened).
	MergedInto string `json:"merged_into,omitempty"`
}

// identityKey is uvarint(len(kind)) kind value, so no kind/value pair can
// collide with another whatever bytes they hold.
func identityKey(id memory.Identity) []byte {
	k := binary.AppendUvarint(nil, uint64(len(id.Kind)))
	k = append(k, id.Kind...)
	return append(k, id.Value...)
}

// CustomerByIdentity returns the customer known by id, creating both on
// first sight. bbolt serializes writers, so two first sightings cannot
// create two customers.
func (s *Store) CustomerByIdentity(ctx context.Context, id memory.Identity) (memory.Customer, bool, error) {
	if id.Kind == "" || id.Value == "" {
		return memory.Customer{}, false, fmt.Errorf("embedded: customer by identity %q/%q: empty kind or value: %w", id.Kind, id.Value, memory.ErrInvalid)
	}
	if err := memory.CheckText(id.Kind + id.Value); err != nil {
		return memory.Customer{}, false, wrap("customer by identity", err)
	}
	key := identityKey(id)
	var c memory.Customer
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		c, found, err = lookupCustomer(tx, key)
		return err
	})
	if err != nil || found {
		return c, false, wrap("customer by identity", err)
	}
	created := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if c, found, err = lookupCustomer(tx, key); err != nil || found {
			return err
		}
		c = memory.Customer{ID: memory.NewID("cus_"), CreatedAt: s.stamp()}
		if err := put(tx.Bucket(bCustomers), []byte(c.ID), customerRec{CreatedAt: c.CreatedAt}); err != nil {
			return err
		}
		created = true
		return attach(tx, c.ID, key)
	})
	return c, created, wrap("customer by identity", err)
}

func lookupCustomer(tx *bolt.Tx, identKey []byte) (memory.Customer, bool, error) {
	id := tx.Bucket(bIdent).Get(identKey)
	if id == nil {
		return memory.Customer{}, false, nil
	}
	var rec customerRec
	ok, err := get(tx.Bucket(bCustomers), id, &rec)
	if err != nil || !ok {
		return memory.Customer{}, false, fmt.Errorf("identity points at customer %s: missing or corrupt (%v)", id, err)
	}
	return memory.Customer{ID: string(id), CreatedAt: rec.CreatedAt}, true, nil
}

// wrap adds the operation to err, or returns nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("embedded: %s: %w", op, err)
}

// CustomerIDs lists every live customer (not the ids merged into another,
// not the erased), in id order: what reports and backtests iterate.
func (s *Store) CustomerIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCustomers).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec customerRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("customer %s: %w", k, err)
			}
			if rec.MergedInto == "" {
				ids = append(ids, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: customer ids: %w", err)
	}
	return ids, nil
}
