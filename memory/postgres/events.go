package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kairoscx/kairos/memory"
)

// appendEventsSQL stores a batch in one statement: the batch travels as
// arrays and is unnested server-side, its customers are resolved and
// locked FOR SHARE in id order (a merge of one of them waits or is waited
// for; never a deadlock), and the rows go in with ON CONFLICT DO NOTHING on
// the event id. DISTINCT ON keeps the first of an id repeated within the
// batch. The rows inserted whose type is in event_record_types are copied
// to event_records in the same statement (migration 0008): a redelivered
// event inserts nothing, so its copy is never made twice. A trigger on
// event_records then recomputes the conversation_rollups of the turns'
// conversations at the end of the statement (migration 0009). When any
// customer is unknown nothing is inserted and the unknown ids come back
// instead.
const appendEventsSQL = `WITH input AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
			WITH ORDINALITY AS t(id, customer_id, type, source, props, at, ord)),
	cus AS (SELECT id, coalesce(merged_into, id) AS survivor FROM customers
		WHERE id IN (SELECT customer_id FROM input) ORDER BY id FOR SHARE),
	missing AS (SELECT DISTINCT customer_id FROM input WHERE customer_id NOT IN (SELECT id FROM cus)),
	ins AS (INSERT INTO events (id, customer_id, type, source, props, at, received_at)
		SELECT DISTINCT ON (i.id) i.id, c.survivor, i.type, i.source, i.props::jsonb, i.at, $7
		FROM input i JOIN cus c ON c.id = i.customer_id
		WHERE NOT EXISTS (SELECT 1 FROM missing)
		ORDER BY i.id, i.ord
		ON CONFLICT (id) DO NOTHING
		RETURNING id, customer_id, type, source, props, at),
	rec AS (INSERT INTO event_records (id, customer_id, type, source, at, props)
		SELECT id, customer_id, type, source, at, props FROM ins
		WHERE type IN (SELECT type FROM event_record_types))
	SELECT (SELECT coalesce(array_agg(id), '{}') FROM ins), (SELECT coalesce(array_agg(customer_id), '{}') FROM missing)`

// AppendEvents stores a batch in one round trip; see memory.CustomerStore.
func (s *Store) AppendEvents(ctx context.Context, events []memory.Event) ([]bool, error) {
	n := len(events)
	if n == 0 {
		return []bool{}, nil
	}
	ids, cus, types, sources, props, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	first := make(map[string]int, n)
	for i, e := range events {
		if err := memory.ValidateEvent(e); err != nil {
			return nil, fmt.Errorf("postgres: append events: event %d: %w", i, err)
		}
		ids[i], cus[i], types[i], sources[i], ats[i] = e.ID, e.CustomerID, e.Type, e.Source, e.At.UTC()
		props[i] = "{}"
		if len(e.Props) > 0 {
			props[i] = string(e.Props)
		}
		if _, ok := first[e.ID]; !ok {
			first[e.ID] = i
		}
	}
	var inserted, missing []string
	err := s.pool.QueryRow(ctx, appendEventsSQL, ids, cus, types, sources, props, ats, s.stamp()).Scan(&inserted, &missing)
	if err != nil {
		return nil, wrap("append events", err)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("postgres: append events: customer %q: %w", missing[0], memory.ErrNotFound)
	}
	created := make([]bool, n)
	for _, id := range inserted {
		created[first[id]] = true
	}
	return created, nil
}

// StoredEvents looks the ids up by the events' primary key in one query.
func (s *Store) StoredEvents(ctx context.Context, ids []string) ([]bool, error) {
	stored := make([]bool, len(ids))
	ask := storable(ids)
	if len(ask) == 0 {
		return stored, nil
	}
	var found []string
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM events WHERE id = ANY($1)`, ask).Scan(&found); err != nil {
		return nil, wrap("stored events", err)
	}
	have := make(map[string]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for i, id := range ids {
		stored[i] = have[id]
	}
	return stored, nil
}

// eventsSQL reads one window of a customer's events along the
// (customer_id, at, id) index. $6 picks the direction; a customer with no
// events in the window still yields one row of NULLs, so an unknown
// customer is told apart in the same query.
const eventsSQL = `SELECT r.id, e.id, e.type, e.source, e.props, e.at, e.received_at FROM (` + resolveSQL + `$1) r(id)
	LEFT JOIN LATERAL (
		(SELECT * FROM events WHERE customer_id = r.id AND at >= $2 AND at < $3 AND (cardinality($4::text[]) = 0 OR type = ANY ($4))
			AND NOT $6 ORDER BY at, id LIMIT $5)
		UNION ALL
		(SELECT * FROM events WHERE customer_id = r.id AND at >= $2 AND at < $3 AND (cardinality($4::text[]) = 0 OR type = ANY ($4))
			AND $6 ORDER BY at DESC, id DESC LIMIT $5)
	) e ON true`

var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Events returns one customer's events, windowed by q, in one query.
func (s *Store) Events(ctx context.Context, customerID string, q memory.EventQuery) ([]memory.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = memory.DefaultEventLimit
	}
	limit = min(limit, memory.MaxEventLimit)
	since, until := q.Since, q.Until
	if since.IsZero() {
		since = minTime
	}
	if until.IsZero() {
		until = maxTime
	}
	types := q.Types
	if types == nil {
		types = []string{}
	}
	rows, err := s.pool.Query(ctx, eventsSQL, customerID, since, until, types, limit, q.Desc)
	if err != nil {
		return nil, wrap("events", err)
	}
	out, n, err := collectEvents(rows)
	if err != nil {
		return nil, wrap("events", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("postgres: events: customer %q: %w", customerID, memory.ErrNotFound)
	}
	return out, nil
}

func collectEvents(rows pgx.Rows) ([]memory.Event, int, error) {
	defer rows.Close()
	var out []memory.Event
	n := 0
	for rows.Next() {
		n++
		var cus string
		var id, typ, source *string
		var props []byte
		var at, received *time.Time
		if err := rows.Scan(&cus, &id, &typ, &source, &props, &at, &received); err != nil {
			return nil, 0, err
		}
		if id != nil {
			out = append(out, memory.Event{ID: *id, CustomerID: cus, Type: *typ, Source: *source, Props: props, At: utc(*at), ReceivedAt: utc(*received)})
		}
	}
	return out, n, rows.Err()
}
