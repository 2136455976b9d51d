package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

// absent is the version kept for a customer known to have no profile row
// yet; the sequence of real versions starts at 1.
const absent = 0

// customersAheadSQL resolves ids as Customers does and reads the
// survivors' profile rows beside: the version, and the document unless
// the row is still at the version the store keeps ($2, $3). A survivor
// without a row has a NULL version.
const customersAheadSQL = `SELECT c.id, s.id, s.created_at, p.version, CASE WHEN p.version = k.v THEN NULL ELSE p.doc END
	FROM customers c JOIN customers s ON s.id = coalesce(c.merged_into, c.id)
	LEFT JOIN profiles p ON p.customer_id = s.id
	LEFT JOIN unnest($2::text[], $3::bigint[]) k(id, v) ON k.id = s.id
	WHERE c.id = ANY($1)`

// CustomersAhead is Customers that also reads the survivors' profiles
// ahead, in the same one query, and keeps them (see profileCache), so that
// UpdateKeptProfiles can write them later in one round trip. A profile
// still at the version the store keeps is not read again. The ingest
// consumer resolves each batch's customers with it while the batch before
// is being applied.
func (s *Store) CustomersAhead(ctx context.Context, ids []string) (map[string]memory.Customer, error) {
	out := make(map[string]memory.Customer, len(ids))
	ask := storable(ids)
	if len(ask) == 0 {
		return out, nil
	}
	keptIDs, keptVersions := make([]string, 0, len(ask)), make([]int64, 0, len(ask))
	for _, id := range ask {
		if v, ok := s.profiles.version(id); ok && v != absent {
			keptIDs, keptVersions = append(keptIDs, id), append(keptVersions, v)
		}
	}
	rows, err := s.pool.Query(ctx, customersAheadSQL, ask, keptIDs, keptVersions)
	if err != nil {
		return nil, wrap("customers ahead", err)
	}
	var id string
	var c memory.Customer
	var version *int64
	var doc []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &c.ID, &c.CreatedAt, &version, &doc}, func() error {
		c.CreatedAt = utc(c.CreatedAt)
		out[id] = c
		switch {
		case version == nil:
			s.profiles.putOwned(c.ID, absent, memory.Profile{CustomerID: c.ID})
		case doc != nil:
			p, err := decodeProfile(c.ID, doc)
			if err != nil {
				return err
			}
			s.profiles.putOwned(c.ID, *version, p)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("customers ahead", err)
	}
	return out, nil
}

// The two statements of UpdateKeptProfiles, sent in one round trip and
// run as one implicit transaction: customers before profiles, as every
// writer locks them, so no deadlock. Each takes its ids ($1) and their
// documents as one JSON array, streamed beside the ids by ROWS FROM, never
// joined, hashed or sorted.
//
// insertKeptSQL creates the rows of customers kept as having none, each
// customer locked FOR SHARE in id order, as UpdateProfiles does (a merge
// waits, or makes the customer drop out); a row someone created meanwhile
// stays as it is.
//
// updateKeptSQL locks each row in id order only if it is still at the
// version kept ($2), without its document (a sort of those would spill to
// disk), and writes those. A row changed since by anyone else (another
// node, a single UpdateProfile, a merge, which locks the profiles it
// merges, an erasure, which deletes them) has another version or is gone,
// drops out (PostgreSQL re-checks a row it waited for), and is not
// returned.
const (
	insertKeptSQL = `WITH c AS (SELECT id FROM customers WHERE id = ANY($1) AND merged_into IS NULL ORDER BY id FOR SHARE)
	INSERT INTO profiles (customer_id, doc, updated_at)
	SELECT d.id, d.doc, $3 FROM ROWS FROM (unnest($1::text[]), json_array_elements($2::json)) d(id, doc)
	WHERE d.id IN (SELECT id FROM c)
	ON CONFLICT (customer_id) DO NOTHING
	RETURNING customer_id, version`
	updateKeptSQL = `WITH l AS (SELECT p.customer_id FROM profiles p JOIN unnest($1::text[], $2::bigint[]) k(id, v)
			ON k.id = p.customer_id AND p.version = k.v
		ORDER BY p.customer_id FOR UPDATE OF p)
	UPDATE profiles p SET doc = d.doc, updated_at = $4, version = nextval('profile_versions')
	FROM ROWS FROM (unnest($1::text[]), json_array_elements($3::json)) d(id, doc)
	WHERE p.customer_id = d.id AND p.customer_id IN (SELECT customer_id FROM l)
	RETURNING p.customer_id, p.version`
)

// UpdateKeptProfiles is UpdateProfiles for the profiles this store keeps
// (those it wrote or read ahead last, see profileCache and CustomersAhead)
// in one round trip and without reading them: update runs on the kept
// copies, and each one is written only if its row is still as kept. It
// returns the entries of customerIDs it did not write, in order: not kept,
// or changed since by someone else, merged away or erased; the caller
// updates those with UpdateProfiles, where update runs again on the stored
// profile. Each written profile is written once; an error (from update or
// the statements) writes nothing.
//
// Unlike UpdateProfiles, the profiles written are not one transaction
// with the rest: callers that need all or nothing use UpdateProfiles.
func (s *Store) UpdateKeptProfiles(ctx context.Context, customerIDs []string, update func(customerID string, p *memory.Profile) error) (rest []string, err error) {
	type entry struct {
		p       memory.Profile
		version int64
	}
	kept := make(map[string]*entry, len(customerIDs))
	var order []string // kept ids, first appearance
	for _, id := range customerIDs {
		e, seen := kept[id]
		if !seen {
			if p, v, ok := s.profiles.get(id); ok {
				e = &entry{p: p, version: v}
				order = append(order, id)
			}
			kept[id] = e // nil: not kept
		}
		if e == nil {
			continue
		}
		if err := update(id, &e.p); err != nil {
			return nil, fmt.Errorf("postgres: update kept profiles: %w", err)
		}
	}
	if len(order) == 0 {
		return customerIDs, nil
	}
	now := s.stamp()
	// New rows and kept rows go in separate statements, each with its own
	// documents, so no document is sent or parsed twice.
	var ins, upd keptWrite
	for _, id := range order {
		e := kept[id]
		e.p.CustomerID, e.p.UpdatedAt = id, now
		w := &upd
		if e.version == absent {
			w = &ins
		}
		if err := w.add(id, e.version, &e.p); err != nil {
			return nil, wrap("update kept profiles", err)
		}
	}
	got := make(map[string]int64, len(order))
	collect := func(rows pgx.Rows) error {
		var cus string
		var v int64
		_, err := pgx.ForEachRow(rows, []any{&cus, &v}, func() error {
			got[cus] = v
			return nil
		})
		return err
	}
	batch := &pgx.Batch{}
	if len(ins.ids) > 0 {
		batch.Queue(insertKeptSQL, ins.ids, ins.docs(), now).Query(collect)
	}
	if len(upd.ids) > 0 {
		batch.Queue(updateKeptSQL, upd.ids, upd.versions, upd.docs(), now).Query(collect)
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		// Nothing was written (one implicit transaction); the kept
		// copies are untouched, as update ran on copies of them.
		return nil, wrap("update kept profiles", err)
	}
	for cus, v := range got {
		// The copy is no one else's: kept without cloning it again.
		s.profiles.putOwned(cus, v, kept[cus].p)
	}
	for _, id := range customerIDs {
		if _, ok := got[id]; !ok {
			rest = append(rest, id)
		}
	}
	return rest, nil
}

// keptWrite is one statement's share of UpdateKeptProfiles: ids, the
// versions they were kept at, and their documents as one JSON array, one
// parameter (a text[] of documents measured no cheaper on either side).
type keptWrite struct {
	ids      []string
	versions []int64
	data     []byte
}

func (w *keptWrite) add(id string, version int64, p *memory.Profile) error {
	if w.data == nil {
		w.data = append(w.data, '[')
	} else {
		w.data = append(w.data, ',')
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	w.data = append(w.data, b...)
	w.ids, w.versions = append(w.ids, id), append(w.versions, version)
	return nil
}

func (w *keptWrite) docs() string { return string(append(w.data, ']')) }
