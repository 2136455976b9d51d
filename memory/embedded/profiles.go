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
