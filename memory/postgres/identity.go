package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

var _ memory.CustomerStore = (*Store)(nil)

// resolveSQL is the survivor a customer id stands for (itself unless
// merged); merges are flattened, so one hop is enough.
const resolveSQL = "SELECT coalesce(merged_into, id) FROM customers WHERE id = "

// maxReason bounds a merge's reason.
const maxReason = 512

// maxLinkAttempts bounds LinkIdentity's retries when the customers it
// locked changed between reading and locking.
const maxLinkAttempts = 5

// Customer returns a customer, following a merge to its survivor.
func (s *Store) Customer(ctx context.Context, id string) (memory.Customer, error) {
	var c memory.Customer
	err := s.pool.QueryRow(ctx, `SELECT s.id, s.created_at FROM customers c JOIN customers s ON s.id = coalesce(c.merged_into, c.id)
		WHERE c.id = $1`, id).Scan(&c.ID, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Customer{}, fmt.Errorf("postgres: customer %q: %w", id, memory.ErrNotFound)
	}
	c.CreatedAt = utc(c.CreatedAt)
	return c, wrap("customer", err)
}

// Customers resolves many ids in one query. Ids PostgreSQL cannot hold
// (invalid UTF-8, NUL) name no customer and are left out before asking.
func (s *Store) Customers(ctx context.Context, ids []string) (map[string]memory.Customer, error) {
	out := make(map[string]memory.Customer, len(ids))
	ask := storable(ids)
	if len(ask) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, s.id, s.created_at FROM customers c JOIN customers s ON s.id = coalesce(c.merged_into, c.id)
		WHERE c.id = ANY($1)`, ask)
	if err != nil {
		return nil, wrap("customers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c memory.Customer
		if err := rows.Scan(&id, &c.ID, &c.CreatedAt); err != nil {
			return nil, wrap("customers", err)
		}
		c.CreatedAt = utc(c.CreatedAt)
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("customers", err)
	}
	return out, nil
}

// storable returns the distinct ids that PostgreSQL text can hold: valid
// UTF-8 without NUL. Others can name nothing stored.
func storable(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] && utf8.ValidString(id) && !strings.ContainsRune(id, 0) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Identities lists a customer's identities in one query; a customer
// without identities yields one row of NULLs, so unknown is told apart.
func (s *Store) Identities(ctx context.Context, customerID string) ([]memory.Identity, error) {
	rows, err := s.pool.Query(ctx, `SELECT i.kind, i.value FROM (`+resolveSQL+`$1) r(id)
		LEFT JOIN identities i ON i.customer_id = r.id ORDER BY i.kind, i.value`, customerID)
	if err != nil {
		return nil, wrap("identities", err)
	}
	var out []memory.Identity
	n := 0
	for rows.Next() {
		n++
		var kind, value *string
		if err := rows.Scan(&kind, &value); err != nil {
			return nil, wrap("identities", err)
		}
		if kind != nil {
			out = append(out, memory.Identity{Kind: *kind, Value: *value})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("identities", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("postgres: identities: customer %q: %w", customerID, memory.ErrNotFound)
	}
	return out, nil
}

// Merges lists the merges into a customer, oldest first.
func (s *Store) Merges(ctx context.Context, customerID string) ([]memory.Merge, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, m.from_id, m.reason, m.at FROM (`+resolveSQL+`$1) r(id)
		LEFT JOIN merges m ON m.into_id = r.id ORDER BY m.at, m.from_id`, customerID)
	if err != nil {
		return nil, wrap("merges", err)
	}
	var out []memory.Merge
	n := 0
	for rows.Next() {
		n++
		var into string
		var from, reason *string
		var at *time.Time
		if err := rows.Scan(&into, &from, &reason, &at); err != nil {
			return nil, wrap("merges", err)
		}
		if from != nil {
			out = append(out, memory.Merge{Into: into, From: *from, Reason: *reason, At: utc(*at)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("merges", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("postgres: merges: customer %q: %w", customerID, memory.ErrNotFound)
	}
	return out, nil
}

// lockPairSQL locks the customer and the identity's owner, in id order so
// two merges never deadlock. Only survivors are locked: a row merged while
// this waited drops out, and the caller retries.
const lockPairSQL = `SELECT id FROM customers WHERE merged_into IS NULL AND id IN (
		` + resolveSQL + `$1 UNION SELECT customer_id FROM identities WHERE kind = $2 AND value = $3)
	ORDER BY id FOR UPDATE`

// linkStateSQL reads, after the locks, what LinkIdentity decides on.
const linkStateSQL = `SELECT (` + resolveSQL + `$1), (SELECT customer_id FROM identities WHERE kind = $2 AND value = $3),
	(` + resolveSQL + `$4)`

// LinkIdentity attaches id to the customer or merges the two customers in
// one transaction of two pipelined round trips: the first begins, locks
// both customers and reads the state; the second applies the decision and
// commits. Every other writer of a
// customer's data locks the customer row FOR SHARE first, so nothing is
// written to a customer while it is being merged away.
func (s *Store) LinkIdentity(ctx context.Context, customerID string, id memory.Identity, survivor string, reason string) (memory.Customer, error) {
	if id.Kind == "" || id.Value == "" {
		return memory.Customer{}, fmt.Errorf("postgres: link identity %q/%q: empty kind or value: %w", id.Kind, id.Value, memory.ErrInvalid)
	}
	if len(reason) > maxReason {
		return memory.Customer{}, fmt.Errorf("postgres: link identity: reason longer than %d bytes: %w", maxReason, memory.ErrInvalid)
	}
	if err := memory.CheckText(id.Kind + id.Value + reason + survivor + customerID); err != nil {
		return memory.Customer{}, wrap("link identity", err)
	}
	for range maxLinkAttempts {
		c, retry, err := s.link(ctx, customerID, id, survivor, reason)
		if !retry {
			return c, wrap("link identity", err)
		}
	}
	return memory.Customer{}, fmt.Errorf("postgres: link identity: customers kept changing under %d attempts: %w", maxLinkAttempts, memory.ErrConflict)
}

func (s *Store) link(ctx context.Context, customerID string, id memory.Identity, survivor, reason string) (c memory.Customer, retry bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return c, false, err
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var locked []string
	var cus, owner, into *string
	profiles := map[string]memory.Profile{}
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue(lockPairSQL, customerID, id.Kind, id.Value).Query(func(rows pgx.Rows) error {
		locked, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	batch.Queue(linkStateSQL, customerID, id.Kind, id.Value, survivor).QueryRow(func(row pgx.Row) error {
		return row.Scan(&cus, &owner, &into)
	})
	// The profiles are locked, not only read: UpdateKeptProfiles writes a
	// profile without locking its customer, so a merge must hold the rows
	// it merges, or such a write between this read and the merge's own
	// would be lost.
	batch.Queue(`SELECT customer_id, doc FROM profiles WHERE customer_id = ANY (SELECT id FROM customers
		WHERE merged_into IS NULL AND id IN (`+resolveSQL+`$1 UNION SELECT customer_id FROM identities WHERE kind = $2 AND value = $3))
		ORDER BY customer_id FOR UPDATE`,
		customerID, id.Kind, id.Value).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var cid string
			var doc []byte
			if err := rows.Scan(&cid, &doc); err != nil {
				return err
			}
			var p memory.Profile
			if err := json.Unmarshal(doc, &p); err != nil {
				return fmt.Errorf("profile of %s: %w", cid, err)
			}
			profiles[cid] = p
		}
		return rows.Err()
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return c, false, err
	}
	if cus == nil {
		return c, false, fmt.Errorf("customer %q: %w", customerID, memory.ErrNotFound)
	}
	want := []string{*cus}
	if owner != nil && *owner != *cus {
		want = append(want, *owner)
	}
	slices.Sort(want)
	if !slices.Equal(locked, want) {
		return c, true, nil // merged or linked meanwhile: read again
	}
	target := *cus
	if survivor != "" {
		if into == nil || (*into != *cus && (owner == nil || *into != *owner)) {
			return c, false, fmt.Errorf("survivor %q is neither customer %q nor the identity's owner: %w", survivor, customerID, memory.ErrInvalid)
		}
		target = *into
	}
	batch = &pgx.Batch{}
	switch {
	case owner == nil:
		batch.Queue("INSERT INTO identities (kind, value, customer_id) VALUES ($1, $2, $3)", id.Kind, id.Value, target)
	case *owner != *cus:
		from := *cus
		if target == *cus {
			from = *owner
		}
		if err := s.queueMerge(batch, target, from, reason, profiles); err != nil {
			return c, false, err
		}
	}
	batch.Queue("SELECT id, created_at FROM customers WHERE id = $1", target).QueryRow(func(row pgx.Row) error {
		return row.Scan(&c.ID, &c.CreatedAt)
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return memory.Customer{}, false, err
	}
	committed = true
	c.CreatedAt = utc(c.CreatedAt)
	return c, false, nil
}

// queueMerge queues the statements that move everything of from to into.
func (s *Store) queueMerge(b *pgx.Batch, into, from, reason string, profiles map[string]memory.Profile) error {
	for _, q := range []string{
		"UPDATE identities SET customer_id = $1 WHERE customer_id = $2",
		"UPDATE conversations SET customer_id = $1 WHERE customer_id = $2",
		"UPDATE events SET customer_id = $1 WHERE customer_id = $2",
		"UPDATE event_records SET customer_id = $1 WHERE customer_id = $2", // its trigger moves the conversation_rollups
		"UPDATE memories SET customer_id = $1 WHERE customer_id = $2",
		"UPDATE merges SET into_id = $1 WHERE into_id = $2",
		"UPDATE customers SET merged_into = $1 WHERE id = $2 OR merged_into = $2",
	} {
		b.Queue(q, into, from)
	}
	now := s.stamp()
	b.Queue("INSERT INTO merges (into_id, from_id, reason, at) VALUES ($1, $2, $3, $4)", into, from, reason, now)
	fp, ok := profiles[from]
	if !ok {
		return nil
	}
	ip, ok := profiles[into]
	if !ok {
		ip = memory.Profile{CustomerID: into}
	}
	merged := memory.MergeProfiles(ip, fp)
	merged.CustomerID = into
	doc, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	s.profiles.drop(from, into)
	b.Queue("DELETE FROM profiles WHERE customer_id = $1", from)
	b.Queue(`INSERT INTO profiles (customer_id, doc, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, version = nextval('profile_versions')`, into, doc, now)
	return nil
}

// CustomerIDs lists every live customer (not the ids merged into another,
// not the erased), in id order: what reports and backtests iterate.
func (s *Store) CustomerIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM customers WHERE merged_into IS NULL ORDER BY id`)
	if err != nil {
		return nil, wrap("customer ids", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap("customer ids", err)
	}
	return ids, nil
}
