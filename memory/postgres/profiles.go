package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

// Profile returns the stored profile, or an empty one, in one query.
func (s *Store) Profile(ctx context.Context, customerID string) (memory.Profile, error) {
	var cus string
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT r.id, p.doc FROM (`+resolveSQL+`$1) r(id) LEFT JOIN profiles p ON p.customer_id = r.id`, customerID).Scan(&cus, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Profile{}, fmt.Errorf("postgres: profile: customer %q: %w", customerID, memory.ErrNotFound)
	}
	if err != nil {
		return memory.Profile{}, wrap("profile", err)
	}
	return decodeProfile(cus, doc)
}

func decodeProfile(cus string, doc []byte) (memory.Profile, error) {
	p := memory.Profile{CustomerID: cus}
	if doc != nil {
		if err := json.Unmarshal(doc, &p); err != nil {
			return memory.Profile{}, fmt.Errorf("postgres: profile of %s: %w", cus, err)
		}
	}
	p.CustomerID = cus
	return p, nil
}

// lockProfileSQL locks the customer FOR SHARE (a merge waits) and its
// profile row FOR UPDATE (another updater waits), creating an empty row on
// first use so there is a row to lock. It runs after the insert in the same
// transaction, so it sees that row.
const (
	ensureProfileSQL = `INSERT INTO profiles (customer_id, doc, updated_at)
		SELECT id, '{}', $2 FROM customers WHERE id = (` + resolveSQL + `$1) AND merged_into IS NULL FOR SHARE
		ON CONFLICT (customer_id) DO NOTHING`
	lockProfileSQL = `SELECT p.customer_id, p.doc FROM profiles p
		WHERE p.customer_id = (` + resolveSQL + `$1) FOR UPDATE`
)

// UpdateProfile is a read-modify-write under the profile row's lock: one
// pipelined round trip begins, locks and reads; a second writes and
// commits. Concurrent updaters of one customer queue on the lock, so no
// update is lost and update runs once.
func (s *Store) UpdateProfile(ctx context.Context, customerID string, update func(*memory.Profile) error) (memory.Profile, error) {
	p, err := s.updateProfile(ctx, customerID, update)
	return p, wrap("update profile", err)
}

func (s *Store) updateProfile(ctx context.Context, customerID string, update func(*memory.Profile) error) (p memory.Profile, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return p, err
	}
	defer conn.Release()
	committed := false
	defer func() {
		// A failed statement or update leaves the transaction open;
		// a connection not idle is closed by the pool on release, but
		// rolling back keeps it.
		if !committed {
			conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var cus string
	var doc []byte
	found := false
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue(ensureProfileSQL, customerID, s.stamp())
	batch.Queue(lockProfileSQL, customerID).QueryRow(func(row pgx.Row) error {
		return noRows(row.Scan(&cus, &doc), &found)
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return p, err
	}
	if !found {
		return p, fmt.Errorf("customer %q: %w", customerID, memory.ErrNotFound)
	}
	if p, err = decodeProfile(cus, doc); err != nil {
		return p, err
	}
	if err := update(&p); err != nil {
		return memory.Profile{}, err
	}
	p.CustomerID, p.UpdatedAt = cus, s.stamp()
	data, err := json.Marshal(p)
	if err != nil {
		return memory.Profile{}, err
	}
	var version int64
	batch = &pgx.Batch{}
	batch.Queue("UPDATE profiles SET doc = $2, updated_at = $3, version = nextval('profile_versions') WHERE customer_id = $1 RETURNING version",
		cus, data, p.UpdatedAt).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return memory.Profile{}, err
	}
	committed = true
	s.profiles.put(cus, version, p)
	return p, nil
}

// The batch forms of ensureProfileSQL and lockProfileSQL: both visit the
// survivors in customer-id order, so two batches sharing customers lock
// them in the same order and never deadlock. lockProfilesSQL returns a
// row per requested id (merged ids repeat their survivor's row).
const (
	ensureProfilesSQL = `INSERT INTO profiles (customer_id, doc, updated_at)
		SELECT s.id, '{}', $2 FROM customers s
		WHERE s.id IN (SELECT coalesce(merged_into, id) FROM customers WHERE id = ANY($1)) AND s.merged_into IS NULL
		ORDER BY s.id FOR SHARE
		ON CONFLICT (customer_id) DO NOTHING`
	// A row still at the version the store kept ($2, $3) comes back
	// without its document (profileCache).
	lockProfilesSQL = `SELECT r.id, p.customer_id, p.version, CASE WHEN p.version = k.v THEN NULL ELSE p.doc END
		FROM customers r JOIN profiles p ON p.customer_id = coalesce(r.merged_into, r.id)
		LEFT JOIN unnest($2::text[], $3::bigint[]) k(id, v) ON k.id = p.customer_id
		WHERE r.id = ANY($1) ORDER BY p.customer_id FOR UPDATE OF p`
	// The documents travel as one JSON array, not as a text[] of
	// documents: one parameter of a few hundred kilobytes costs pgx a
	// copy, an array of them far more.
	writeProfilesSQL = `UPDATE profiles p SET doc = d.doc, updated_at = $3, version = nextval('profile_versions')
		FROM unnest($1::text[]) WITH ORDINALITY u(id, n)
		JOIN json_array_elements($2::json) WITH ORDINALITY d(doc, n) USING (n)
		WHERE p.customer_id = u.id
		RETURNING p.customer_id, p.version`
)

// UpdateProfiles updates many profiles in one transaction of two round
// trips: one begins, creates missing rows and locks and reads them all; a
// second writes them back with one statement and commits. See
// memory.CustomerStore.
func (s *Store) UpdateProfiles(ctx context.Context, customerIDs []string, update func(string, *memory.Profile) error) error {
	if len(customerIDs) == 0 {
		return nil
	}
	return wrap("update profiles", s.updateProfiles(ctx, customerIDs, update))
}

func (s *Store) updateProfiles(ctx context.Context, customerIDs []string, update func(string, *memory.Profile) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed { // keeps the connection; see updateProfile
			conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	survivor := make(map[string]string, len(customerIDs))
	docs := make(map[string][]byte, len(customerIDs))
	kept := make(map[string]memory.Profile) // by survivor, at the version sent
	var keptIDs []string
	var keptVersions []int64
	for _, id := range customerIDs {
		if _, dup := kept[id]; dup {
			continue
		}
		if p, v, ok := s.profiles.get(id); ok {
			kept[id] = p
			keptIDs, keptVersions = append(keptIDs, id), append(keptVersions, v)
		}
	}
	fromKept := make(map[string]bool)
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue(ensureProfilesSQL, customerIDs, s.stamp())
	batch.Queue(lockProfilesSQL, customerIDs, keptIDs, keptVersions).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id, cus string
			var version int64
			var doc []byte
			if err := rows.Scan(&id, &cus, &version, &doc); err != nil {
				return err
			}
			survivor[id], docs[cus] = cus, doc
			fromKept[cus] = doc == nil
		}
		return rows.Err()
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	profiles := make(map[string]*memory.Profile, len(docs))
	var order []string
	for _, id := range customerIDs {
		cus, ok := survivor[id]
		if !ok {
			return fmt.Errorf("customer %q: %w", id, memory.ErrNotFound)
		}
		p := profiles[cus]
		if p == nil {
			var decoded memory.Profile
			if k, ok := kept[cus]; ok && fromKept[cus] {
				decoded = k
			} else if decoded, err = decodeProfile(cus, docs[cus]); err != nil {
				return err
			}
			p = &decoded
			profiles[cus] = p
			order = append(order, cus)
		}
		if err := update(id, p); err != nil {
			return err
		}
		p.CustomerID = cus
	}
	now := s.stamp()
	data := []byte{'['}
	for i, cus := range order {
		p := profiles[cus]
		p.CustomerID, p.UpdatedAt = cus, now
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, b...)
	}
	data = append(data, ']')
	versions := make(map[string]int64, len(order))
	batch = &pgx.Batch{}
	batch.Queue(writeProfilesSQL, order, string(data), now).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var cus string
			var v int64
			if err := rows.Scan(&cus, &v); err != nil {
				return err
			}
			versions[cus] = v
		}
		return rows.Err()
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	committed = true
	for cus, v := range versions {
		s.profiles.put(cus, v, *profiles[cus])
	}
	return nil
}
