// Package pgscan reads the outcome figures' records from a Kairos
// PostgreSQL database in bulk: one query per scan instead of one per
// customer. It reads memory/postgres's tables (events, customers,
// profiles) and writes nothing.
package pgscan

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/memory"
)

// Scanner is an outcomes.EventScanner, CustomerLister and ProfileReader
// over a PostgreSQL store's tables.
type Scanner struct {
	pool *pgxpool.Pool
}

// Open connects to the store's database (the URL memory/postgres uses).
func Open(ctx context.Context, url string) (*Scanner, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("pgscan: %w", err)
	}
	return &Scanner{pool: pool}, nil
}

// Close releases the connections.
func (s *Scanner) Close() { s.pool.Close() }

var (
	_ outcomes.EventScanner   = (*Scanner)(nil)
	_ outcomes.CustomerLister = (*Scanner)(nil)
	_ outcomes.ProfileReader  = (*Scanner)(nil)
	_ outcomes.Prober         = (*Scanner)(nil)
)

// probeChunk is how many probes go into one query.
const probeChunk = 5000

// FirstEvents implements outcomes.Prober: one query per chunk of probes
// with the same types, each probe an index range scan of
// events (customer_id, at, id) that stops at the first match.
func (s *Scanner) FirstEvents(ctx context.Context, probes []outcomes.Probe) ([]*memory.Event, error) {
	found := make([]*memory.Event, len(probes))
	groups := map[string][]int{}
	var keys []string
	for i, p := range probes {
		k := fmt.Sprint(p.Exclude, p.Types)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range keys {
		idx := groups[k]
		for lo := 0; lo < len(idx); lo += probeChunk {
			if err := s.probe(ctx, probes, idx[lo:min(lo+probeChunk, len(idx))], found); err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

func (s *Scanner) probe(ctx context.Context, probes []outcomes.Probe, idx []int, found []*memory.Event) error {
	cs := make([]string, len(idx))
	fs := make([]time.Time, len(idx))
	ts := make([]time.Time, len(idx))
	for j, i := range idx {
		cs[j], fs[j], ts[j] = probes[i].Customer, probes[i].From, probes[i].To
	}
	first := probes[idx[0]]
	types := first.Types
	if types == nil {
		types = []string{}
	}
	rows, err := s.pool.Query(ctx, `SELECT w.i, e.id, e.customer_id, e.type, e.source, e.props, e.at
FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS w(c, f, t, i)
CROSS JOIN LATERAL (
	SELECT id, customer_id, type, source, props, at FROM events e
	WHERE e.customer_id = w.c AND e.at >= w.f AND e.at < w.t
	  AND (cardinality($4::text[]) = 0 OR (e.type = ANY($4::text[])) <> $5)
	ORDER BY e.at, e.id LIMIT 1) e`, cs, fs, ts, types, first.Exclude)
	if err != nil {
		return fmt.Errorf("pgscan: probe: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var j int64
		var ev memory.Event
		var props []byte
		if err := rows.Scan(&j, &ev.ID, &ev.CustomerID, &ev.Type, &ev.Source, &props, &ev.At); err != nil {
			return fmt.Errorf("pgscan: probe: %w", err)
		}
		if j < 1 || int(j) > len(idx) {
			return fmt.Errorf("pgscan: probe: row %d of %d", j, len(idx))
		}
		ev.Props, ev.At = json.RawMessage(props), ev.At.UTC()
		found[idx[j-1]] = &ev
	}
	return rows.Err()
}

// ScanEvents implements outcomes.EventScanner. Events of merged customers
// are stored under the survivor already.
func (s *Scanner) ScanEvents(ctx context.Context, q outcomes.Scan, fn func(memory.Event) error) error {
	sql := `SELECT id, customer_id, type, source, props, at FROM events WHERE at >= $1 AND at < $2`
	args := []any{q.From, q.To}
	if len(q.Types) > 0 {
		args = append(args, q.Types)
		sql += fmt.Sprintf(" AND type = ANY($%d)", len(args))
	}
	if len(q.Customers) > 0 {
		args = append(args, q.Customers)
		sql += fmt.Sprintf(" AND customer_id = ANY($%d)", len(args))
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("pgscan: events: %w", err)
	}
	defer rows.Close()
	var ev memory.Event
	var props []byte
	var at time.Time
	for rows.Next() {
		if err := rows.Scan(&ev.ID, &ev.CustomerID, &ev.Type, &ev.Source, &props, &at); err != nil {
			return fmt.Errorf("pgscan: events: %w", err)
		}
		ev.Props, ev.At = json.RawMessage(props), at.UTC()
		if err := fn(ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CustomerIDs implements outcomes.CustomerLister: customers not merged
// into another.
func (s *Scanner) CustomerIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM customers WHERE merged_into IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("pgscan: customers: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgscan: customers: %w", err)
	}
	return ids, nil
}

// Profiles implements outcomes.ProfileReader.
func (s *Scanner) Profiles(ctx context.Context, ids []string) (map[string]memory.Profile, error) {
	out := make(map[string]memory.Profile, len(ids))
	rows, err := s.pool.Query(ctx, `SELECT customer_id, doc FROM profiles WHERE customer_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("pgscan: profiles: %w", err)
	}
	defer rows.Close()
	var id string
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("pgscan: profiles: %w", err)
		}
		var p memory.Profile
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, fmt.Errorf("pgscan: profile of %s: %w", id, err)
		}
		p.CustomerID = id
		out[id] = p
	}
	return out, rows.Err()
}
