package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

var _ memory.CustomerStore = (*Store)(nil)

var keyTotals = []byte("totals")

// DeleteCustomer erases a customer (the survivor, when id was merged) in
// one transaction and adds what it removed to the anonymous totals.
func (s *Store) DeleteCustomer(ctx context.Context, id string) (memory.Erasure, error) {
	s.memMu.Lock()
	defer s.memMu.Unlock()
	var e memory.Erasure
	var cus string
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if cus, err = resolve(tx, id); err != nil {
			return err
		}
		if e, err = erase(tx, cus); err != nil {
			return err
		}
		var totals memory.Erasure
		b := tx.Bucket(bErasure)
		if _, err := get(b, keyTotals, &totals); err != nil {
			return err
		}
		return put(b, keyTotals, addErasure(totals, e))
	})
	if err != nil {
		return memory.Erasure{}, wrap("delete customer", err)
	}
	s.mems.drop(cus)
	return e, nil
}

func addErasure(a, b memory.Erasure) memory.Erasure {
	return memory.Erasure{Customers: a.Customers + b.Customers, Identities: a.Identities + b.Identities,
		Conversations: a.Conversations + b.Conversations, Messages: a.Messages + b.Messages,
		Events: a.Events + b.Events, Memories: a.Memories + b.Memories}
}

func erase(tx *bolt.Tx, cus string) (memory.Erasure, error) {
	var e memory.Erasure
	prefix := custPrefix(cus)
	var err error
	if e.Identities, err = eraseIdentities(tx, prefix); err != nil {
		return e, fmt.Errorf("identities: %w", err)
	}
	if e.Conversations, e.Messages, err = eraseConversations(tx, prefix); err != nil {
		return e, fmt.Errorf("conversations: %w", err)
	}
	if e.Events, err = eraseEvents(tx, prefix); err != nil {
		return e, fmt.Errorf("events: %w", err)
	}
	if e.Memories, err = eraseKeyed(tx, bCustMems, bMemories, prefix); err != nil {
		return e, fmt.Errorf("memories: %w", err)
	}
	if err := tx.Bucket(bProfiles).Delete([]byte(cus)); err != nil {
		return e, err
	}
	// Customers merged into this one are the same person: their ids go
	// too, with the merge records.
	mb, cb := tx.Bucket(bMerges), tx.Bucket(bCustomers)
	for _, k := range suffixes(mb, prefix) {
		if err := cb.Delete(k[8:]); err != nil {
			return e, err
		}
		e.Customers++
	}
	if _, err := deletePrefix(mb, prefix); err != nil {
		return e, err
	}
	e.Customers++
	return e, cb.Delete([]byte(cus))
}

func eraseIdentities(tx *bolt.Tx, prefix []byte) (int, error) {
	ib := tx.Bucket(bIdent)
	for _, ik := range suffixes(tx.Bucket(bCustIdent), prefix) {
		if err := ib.Delete(ik); err != nil {
			return 0, err
		}
	}
	return deletePrefix(tx.Bucket(bCustIdent), prefix)
}

func eraseConversations(tx *bolt.Tx, prefix []byte) (convs, msgs int, err error) {
	for _, id := range suffixes(tx.Bucket(bCustConvs), prefix) {
		cp := convPrefix(string(id))
		n, err := deletePrefix(tx.Bucket(bMessages), cp)
		if err != nil {
			return 0, 0, err
		}
		msgs += n
		for _, b := range [][]byte{bClientIDs, bReplies} {
			if _, err := deletePrefix(tx.Bucket(b), cp); err != nil {
				return 0, 0, err
			}
		}
		if err := tx.Bucket(bConvs).Delete(id); err != nil {
			return 0, 0, err
		}
	}
	if _, err := deletePrefix(tx.Bucket(bLatest), prefix); err != nil {
		return 0, 0, err
	}
	convs, err = deletePrefix(tx.Bucket(bCustConvs), prefix)
	return convs, msgs, err
}

func eraseEvents(tx *bolt.Tx, prefix []byte) (int, error) {
	ids := tx.Bucket(bEventIDs)
	for _, k := range suffixes(tx.Bucket(bEvents), prefix) {
		if err := ids.Delete(k[8:]); err != nil {
			return 0, err
		}
	}
	return deletePrefix(tx.Bucket(bEvents), prefix)
}

// eraseKeyed deletes the records listed under prefix in the per-customer
// bucket idx from the bucket recs, then the listing.
func eraseKeyed(tx *bolt.Tx, idx, recs, prefix []byte) (int, error) {
	rb := tx.Bucket(recs)
	for _, id := range suffixes(tx.Bucket(idx), prefix) {
		if err := rb.Delete(id); err != nil {
			return 0, err
		}
	}
	return deletePrefix(tx.Bucket(idx), prefix)
}

// ErasureTotals returns the sum of every erasure so far.
func (s *Store) ErasureTotals(ctx context.Context) (memory.Erasure, error) {
	var totals memory.Erasure
	err := s.db.View(func(tx *bolt.Tx) error {
		_, err := get(tx.Bucket(bErasure), keyTotals, &totals)
		return err
	})
	return totals, wrap("erasure totals", err)
}
