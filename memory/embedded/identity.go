package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

// maxReason bounds a merge's reason.
const maxReason = 512

type mergeRec struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Customer returns a customer, following a merge to its survivor.
func (s *Store) Customer(ctx context.Context, id string) (memory.Customer, error) {
	var c memory.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, id)
		if err != nil {
			return err
		}
		rec, err := loadCustomer(tx, cus)
		c = memory.Customer{ID: cus, CreatedAt: rec.CreatedAt}
		return err
	})
	if err != nil {
		return memory.Customer{}, wrap("customer", err)
	}
	return c, nil
}

// Customers resolves many ids in one read transaction.
func (s *Store) Customers(ctx context.Context, ids []string) (map[string]memory.Customer, error) {
	out := make(map[string]memory.Customer, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, id := range ids {
			if _, done := out[id]; done {
				continue
			}
			cus, err := resolve(tx, id)
			if errors.Is(err, memory.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			rec, err := loadCustomer(tx, cus)
			if err != nil {
				return err
			}
			out[id] = memory.Customer{ID: cus, CreatedAt: rec.CreatedAt}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("customers", err)
	}
	return out, nil
}

// Identities lists a customer's identities in key order.
func (s *Store) Identities(ctx context.Context, customerID string) ([]memory.Identity, error) {
	var out []memory.Identity
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		for _, ik := range suffixes(tx.Bucket(bCustIdent), custPrefix(cus)) {
			id, err := decodeIdentityKey(ik)
			if err != nil {
				return err
			}
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("identities", err)
	}
	return out, nil
}

// LinkIdentity attaches id to the customer, merging its current owner in
// (or the customer into its owner) when it has one. The whole check and
// merge is one bbolt write transaction, which bbolt serializes, so
// concurrent links of the same pair merge once.
func (s *Store) LinkIdentity(ctx context.Context, customerID string, id memory.Identity, survivor string, reason string) (memory.Customer, error) {
	if id.Kind == "" || id.Value == "" {
		return memory.Customer{}, fmt.Errorf("embedded: link identity %q/%q: empty kind or value: %w", id.Kind, id.Value, memory.ErrInvalid)
	}
	if len(reason) > maxReason {
		return memory.Customer{}, fmt.Errorf("embedded: link identity: reason longer than %d bytes: %w", maxReason, memory.ErrInvalid)
	}
	if err := memory.CheckText(id.Kind + id.Value + reason + survivor + customerID); err != nil {
		return memory.Customer{}, wrap("link identity", err)
	}
	s.memMu.Lock()
	defer s.memMu.Unlock()
	var c memory.Customer
	var from string
	err := s.db.Update(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		ik := identityKey(id)
		owner := string(tx.Bucket(bIdent).Get(ik))
		into := cus
		if survivor != "" {
			if into, err = resolve(tx, survivor); err != nil || (into != cus && into != owner) {
				return fmt.Errorf("survivor %q is neither customer %q nor the identity's owner: %w", survivor, customerID, memory.ErrInvalid)
			}
		}
		switch {
		case owner == "":
			err = attach(tx, cus, ik)
		case owner != cus:
			from = cus
			if into == cus {
				from = owner
			}
			err = s.merge(tx, into, from, reason)
		}
		if err != nil {
			return err
		}
		rec, err := loadCustomer(tx, into)
		c = memory.Customer{ID: into, CreatedAt: rec.CreatedAt}
		return err
	})
	if err != nil {
		return memory.Customer{}, wrap("link identity", err)
	}
	if from != "" {
		s.mems.move(from, c.ID)
	}
	return c, nil
}

// Merges lists the merges into a customer, oldest first.
func (s *Store) Merges(ctx context.Context, customerID string) ([]memory.Merge, error) {
	var out []memory.Merge
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		b := tx.Bucket(bMerges)
		for _, k := range suffixes(b, custPrefix(cus)) {
			var rec mergeRec
			if _, err := get(b, custKey(cus, k), &rec); err != nil || len(k) < 8 {
				return fmt.Errorf("merge %q: corrupt (%v)", k, err)
			}
			out = append(out, memory.Merge{Into: cus, From: string(k[8:]), Reason: rec.Reason, At: rec.At})
		}
		return nil
	})
	if err != nil {
		return nil, wrap("merges", err)
	}
	return out, nil
}

// merge moves everything of from to into and records it. Both are
// survivors (resolved) and differ.
func (s *Store) merge(tx *bolt.Tx, into, from, reason string) error {
	steps := []struct {
		what string
		fn   func(tx *bolt.Tx, into, from string) error
	}{
		{"identities", mergeIdentities},
		{"conversations", mergeConversations},
		{"events", mergeEvents},
		{"memories", mergeMemories},
		{"profile", mergeProfile},
		{"merge records", mergeMerges},
	}
	for _, st := range steps {
		if err := st.fn(tx, into, from); err != nil {
			return fmt.Errorf("merge %s into %s: %s: %w", from, into, st.what, err)
		}
	}
	now := s.stamp()
	if err := put(tx.Bucket(bMerges), custKey(into, append(timeKey(now), from...)), mergeRec{Reason: reason, At: now}); err != nil {
		return err
	}
	return setMergedInto(tx, from, into)
}

func setMergedInto(tx *bolt.Tx, id, into string) error {
	rec, err := loadCustomer(tx, id)
	if err != nil {
		return err
	}
	rec.MergedInto = into
	return put(tx.Bucket(bCustomers), []byte(id), rec)
}

func mergeIdentities(tx *bolt.Tx, into, from string) error {
	ci := tx.Bucket(bCustIdent)
	for _, ik := range suffixes(ci, custPrefix(from)) {
		if err := attach(tx, into, ik); err != nil {
			return err
		}
		if err := ci.Delete(custKey(from, ik)); err != nil {
			return err
		}
	}
	return nil
}

func mergeConversations(tx *bolt.Tx, into, from string) error {
	cc, convs := tx.Bucket(bCustConvs), tx.Bucket(bConvs)
	for _, id := range suffixes(cc, custPrefix(from)) {
		rec, err := loadConv(tx, string(id))
		if err != nil {
			return err
		}
		rec.CustomerID = into
		if err := put(convs, id, rec); err != nil {
			return err
		}
		if err := cc.Put(custKey(into, id), nil); err != nil {
			return err
		}
		if err := cc.Delete(custKey(from, id)); err != nil {
			return err
		}
	}
	// Each channel keeps one current conversation: the later started of
	// the two, as PostgreSQL's latest-conversation query picks.
	latest := tx.Bucket(bLatest)
	for _, channel := range suffixes(latest, custPrefix(from)) {
		fk, ik := custKey(from, channel), custKey(into, channel)
		fromConv := string(latest.Get(fk))
		keep := fromConv
		if intoConv := latest.Get(ik); intoConv != nil {
			a, err := loadConv(tx, string(intoConv))
			if err != nil {
				return err
			}
			b, err := loadConv(tx, fromConv)
			if err != nil {
				return err
			}
			if c := b.CreatedAt.Compare(a.CreatedAt); c < 0 || (c == 0 && fromConv < string(intoConv)) {
				keep = string(intoConv)
			}
		}
		if err := latest.Put(ik, []byte(keep)); err != nil {
			return err
		}
		if err := latest.Delete(fk); err != nil {
			return err
		}
	}
	return nil
}

func mergeEvents(tx *bolt.Tx, into, from string) error {
	ev, ids := tx.Bucket(bEvents), tx.Bucket(bEventIDs)
	for _, k := range suffixes(ev, custPrefix(from)) {
		old, nk := custKey(from, k), custKey(into, k)
		if err := ev.Put(nk, ev.Get(old)); err != nil {
			return err
		}
		if err := ev.Delete(old); err != nil {
			return err
		}
		if err := ids.Put(k[8:], nk); err != nil {
			return err
		}
	}
	return nil
}

func mergeMemories(tx *bolt.Tx, into, from string) error {
	cm, mb := tx.Bucket(bCustMems), tx.Bucket(bMemories)
	for _, id := range suffixes(cm, custPrefix(from)) {
		var rec memoryRec
		if ok, err := get(mb, id, &rec); err != nil || !ok {
			return fmt.Errorf("memory %s: missing or corrupt (%v)", id, err)
		}
		rec.CustomerID = into
		if err := put(mb, id, rec); err != nil {
			return err
		}
		if err := cm.Put(custKey(into, id), nil); err != nil {
			return err
		}
		if err := cm.Delete(custKey(from, id)); err != nil {
			return err
		}
	}
	return nil
}

func mergeProfile(tx *bolt.Tx, into, from string) error {
	b := tx.Bucket(bProfiles)
	var fp memory.Profile
	ok, err := get(b, []byte(from), &fp)
	if err != nil || !ok {
		return err
	}
	ip := memory.Profile{CustomerID: into}
	if _, err := get(b, []byte(into), &ip); err != nil {
		return err
	}
	merged := memory.MergeProfiles(ip, fp)
	merged.CustomerID = into
	if err := put(b, []byte(into), merged); err != nil {
		return err
	}
	return b.Delete([]byte(from))
}

// mergeMerges flattens: customers merged into from now resolve to into,
// and their records move to into.
func mergeMerges(tx *bolt.Tx, into, from string) error {
	b := tx.Bucket(bMerges)
	for _, k := range suffixes(b, custPrefix(from)) {
		v := b.Get(custKey(from, k))
		var rec mergeRec
		if err := json.Unmarshal(v, &rec); err != nil || len(k) < 8 {
			return fmt.Errorf("merge %q: corrupt (%v)", k, err)
		}
		if err := b.Put(custKey(into, k), v); err != nil {
			return err
		}
		if err := b.Delete(custKey(from, k)); err != nil {
			return err
		}
		if err := setMergedInto(tx, string(k[8:]), into); err != nil {
			return err
		}
	}
	return nil
}
