package embedded

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/kairoscx/kairos/memory"
)

// Profile returns the stored profile, or an empty one.
func (s *Store) Profile(ctx context.Context, customerID string) (memory.Profile, error) {
	var p memory.Profile
	err := s.db.View(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		p.CustomerID = cus
		_, err = get(tx.Bucket(bProfiles), []byte(cus), &p)
		return err
	})
	if err != nil {
		return memory.Profile{}, wrap("profile", err)
	}
	return p, nil
}

// UpdateProfile runs update inside one bbolt write transaction; bbolt
// serializes writers, so update runs exactly once and never loses a
// concurrent update.
func (s *Store) UpdateProfile(ctx context.Context, customerID string, update func(*memory.Profile) error) (memory.Profile, error) {
	var p memory.Profile
	err := s.db.Update(func(tx *bolt.Tx) error {
		cus, err := resolve(tx, customerID)
		if err != nil {
			return err
		}
		p = memory.Profile{CustomerID: cus}
		b := tx.Bucket(bProfiles)
		if _, err := get(b, []byte(cus), &p); err != nil {
			return err
		}
		if err := update(&p); err != nil {
			return err
		}
		p.CustomerID, p.UpdatedAt = cus, s.stamp()
		return put(b, []byte(cus), p)
	})
	if err != nil {
		return memory.Profile{}, wrap("update profile", err)
	}
	return p, nil
}

// UpdateProfiles runs every update inside one bbolt write transaction;
// see memory.CustomerStore.
func (s *Store) UpdateProfiles(ctx context.Context, customerIDs []string, update func(string, *memory.Profile) error) error {
	if len(customerIDs) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProfiles)
		profiles := make(map[string]*memory.Profile)
		var order []string
		for _, id := range customerIDs {
			cus, err := resolve(tx, id)
			if err != nil {
				return err
			}
			p, ok := profiles[cus]
			if !ok {
				p = &memory.Profile{CustomerID: cus}
				if _, err := get(b, []byte(cus), p); err != nil {
					return err
				}
				profiles[cus] = p
				order = append(order, cus)
			}
			if err := update(id, p); err != nil {
				return err
			}
			p.CustomerID = cus
		}
		now := s.stamp()
		for _, cus := range order {
			p := profiles[cus]
			p.CustomerID, p.UpdatedAt = cus, now
			if err := put(b, []byte(cus), *p); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("update profiles", err)
}
