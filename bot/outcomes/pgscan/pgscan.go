// Package pgscan reads the outcome figures' records from a Kairos
// PostgreSQL database in bulk: one query per scan instead of one per
// customer. It reads memory/postgres's tables (events, event_records,
// customers, profiles) and writes nothing. Scans of record types (turns,
// surveys, offers, firings, handoffs) read event_records, the store's copy
// of them (migration 0008), not the events table they are a small part of.
package pgscan

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kairoscx/kairos/bot/outcomes"
	"github.com/kairoscx/kairos/internal/jsonscan"
	"github.com/kairoscx/kairos/memory"
)

// Scanner is an outcomes.EventScanner, TurnScanner, RecordScanner,
// CustomerLister, ProfileReader and SegmentReader over a PostgreSQL store's
// tables.
type Scanner struct {
	pool *pgxpool.Pool
	// records are the types event_records holds.
	records map[string]bool
}

// Open connects to the store's database (the URL memory/postgres uses),
// whose schema the store has brought up to date.
func Open(ctx context.Context, url string) (*Scanner, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgscan: %w", err)
	}
	// No JIT compilation: a report's queries are index scans and simple
	// scans whose estimated cost passes jit_above_cost, and compiling
	// them cost more than it saved (10-50 ms a query).
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	// Every query planned for its parameters: a report runs each of its
	// statements a few times with different values, and a generic plan
	// can be far off (a probe for one outcome type, not knowing how few
	// events the type matches, keeps to the index without the type and
	// reads every event of the window). Planning is microseconds against
	// queries of tens of milliseconds.
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	// A report reads up to eight things at once (conversations, records,
	// firings, the churn sample, two probe workers each for exposures
	// and issue contacts).
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, 8)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgscan: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT type FROM event_record_types`)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgscan: record types (open the store first: it migrates the schema): %w", err)
	}
	types, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgscan: record types: %w", err)
	}
	s := &Scanner{pool: pool, records: map[string]bool{}}
	for _, t := range types {
		s.records[t] = true
	}
	return s, nil
}

// Close releases the connections.
func (s *Scanner) Close() { s.pool.Close() }

var (
	_ outcomes.EventScanner        = (*Scanner)(nil)
	_ outcomes.CustomerLister      = (*Scanner)(nil)
	_ outcomes.ProfileReader       = (*Scanner)(nil)
	_ outcomes.Prober              = (*Scanner)(nil)
	_ outcomes.TurnScanner         = (*Scanner)(nil)
	_ outcomes.RecordScanner       = (*Scanner)(nil)
	_ outcomes.SegmentReader       = (*Scanner)(nil)
	_ outcomes.ConversationScanner = (*Scanner)(nil)
)

// probeChunk is how many probes go into one query.
const probeChunk = 5000

// FirstEvents implements outcomes.Prober: one query per chunk of probes
// with the same types, each probe an index range scan of
// events (customer_id, at, id) that stops at the first match; chunks are
// asked probeWorkers at a time.
func (s *Scanner) FirstEvents(ctx context.Context, probes []outcomes.Probe) ([]*memory.Event, error) {
	found := make([]*memory.Event, len(probes))
	groups := map[string][]int{}
	var keys []string
	var chunks [][]int
	for i, p := range probes {
		k := fmt.Sprint(p.Exclude, p.Types)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range keys {
		idx := groups[k]
		// In index order: neighbouring probes share index and heap pages.
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(strings.Compare(probes[a].Customer, probes[b].Customer), probes[a].From.Compare(probes[b].From))
		})
		chunks = append(chunks, chunked(idx)...)
	}
	err := inParallel(ctx, chunks, func(ctx context.Context, part []int) error { return s.probe(ctx, probes, part, found) })
	if err != nil {
		return nil, err
	}
	return found, nil
}

// chunked cuts idx into chunks of probeChunk.
func chunked(idx []int) [][]int {
	var out [][]int
	for lo := 0; lo < len(idx); lo += probeChunk {
		out = append(out, idx[lo:min(lo+probeChunk, len(idx))])
	}
	return out
}

// probeWorkers is how many chunks of probes are asked at once: the
// server answers one on each of its cores while the report goes on.
const probeWorkers = 2

// inParallel runs fn on every chunk, probeWorkers at a time, and returns
// the first error.
func inParallel(parent context.Context, chunks [][]int, fn func(context.Context, []int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	next := make(chan []int)
	errs := make(chan error, probeWorkers)
	for range probeWorkers {
		go func() {
			var err error
			for part := range next {
				if err == nil {
					if err = fn(ctx, part); err != nil {
						cancel()
					}
				}
			}
			errs <- err
		}()
	}
	for _, c := range chunks {
		select {
		case next <- c:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	var first error
	for range probeWorkers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = parent.Err()
	}
	return first
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
	// Probes for given types say so in the index condition, so the
	// planner can take events (customer_id, type, at, id) (migration
	// 0010) and skip the customer's other events; probes for any type
	// but some walk events (customer_id, at, id) from the start (each
	// chunk is planned for its types: see plan_cache_mode in Open).
	cond := `e.type = ANY($4::text[])`
	if first.Exclude || len(types) == 0 {
		cond = `(cardinality($4::text[]) = 0 OR e.type <> ALL($4::text[]))`
	}
	rows, err := s.pool.Query(ctx, `SELECT w.i, e.id, e.customer_id, e.type, e.source, e.props, e.at
FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS w(c, f, t, i)
CROSS JOIN LATERAL (
	SELECT id, customer_id, type, source, props, at FROM events e
	WHERE e.customer_id = w.c AND e.at >= w.f AND e.at < w.t AND `+cond+`
	ORDER BY e.at, e.id LIMIT 1) e`, cs, fs, ts, types)
	if err != nil {
		return fmt.Errorf("pgscan: probe: %w", err)
	}
	defer rows.Close()
	// Decoded from the wire values, as ScanEvents does.
	fds := rows.FieldDescriptions()
	if len(fds) != 7 || fds[0].Format != pgx.BinaryFormatCode || fds[6].Format != pgx.BinaryFormatCode {
		return fmt.Errorf("pgscan: probe: ordinal or time not in binary format")
	}
	binaryProps := fds[5].Format == pgx.BinaryFormatCode
	intern := interner()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 7 || len(v[0]) != 8 || len(v[6]) != 8 {
			return fmt.Errorf("pgscan: probe: unexpected row")
		}
		j := int64(binary.BigEndian.Uint64(v[0]))
		if j < 1 || int(j) > len(idx) {
			return fmt.Errorf("pgscan: probe: row %d of %d", j, len(idx))
		}
		props := v[5]
		if binaryProps {
			if len(props) < 1 || props[0] != 1 {
				return fmt.Errorf("pgscan: probe: jsonb version %v", props[:min(1, len(props))])
			}
			props = props[1:]
		}
		found[idx[j-1]] = &memory.Event{ID: string(v[1]), CustomerID: intern(v[2]), Type: intern(v[3]), Source: intern(v[4]),
			Props: json.RawMessage(slices.Clone(props)), At: wireTime(v[6])}
	}
	return rows.Err()
}

// ScanEvents implements outcomes.EventScanner. Events of merged customers
// are stored under the survivor already. A scan of record types only reads
// event_records.
func (s *Scanner) ScanEvents(ctx context.Context, q outcomes.Scan, fn func(memory.Event) error) error {
	table := "events"
	if len(q.Types) > 0 && !slices.ContainsFunc(q.Types, func(t string) bool { return !s.records[t] }) {
		table = "event_records"
	}
	sql := `SELECT id, customer_id, type, source, props, at FROM ` + table + ` WHERE at >= $1 AND at < $2`
	args := []any{q.From, q.To}
	if len(q.Customers) > 0 {
		// One index range scan per customer: with customer_id = ANY the
		// planner misjudged the rows and scanned the whole events table
		// in parallel (1.8 s on three processes for 2,000 customers of
		// 100,000, against 0.2 s this way).
		args = append(args, q.Customers)
		sql = `SELECT e.id, e.customer_id, e.type, e.source, e.props, e.at FROM unnest($3::text[]) AS c(id)
			CROSS JOIN LATERAL (SELECT * FROM ` + table + ` WHERE customer_id = c.id AND at >= $1 AND at < $2) e WHERE true`
	}
	if len(q.Types) > 0 {
		args = append(args, q.Types)
		sql += fmt.Sprintf(" AND type = ANY($%d)", len(args))
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("pgscan: events: %w", err)
	}
	defer rows.Close()
	// Decoded from the wire values, as ScanTurns does. props is jsonb:
	// its text, or in binary a version byte (1) and the text.
	fds := rows.FieldDescriptions()
	if len(fds) != 6 || fds[5].Format != pgx.BinaryFormatCode {
		return fmt.Errorf("pgscan: events: time not in binary format")
	}
	binaryProps := fds[4].Format == pgx.BinaryFormatCode
	intern := interner()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 6 || len(v[5]) != 8 {
			return fmt.Errorf("pgscan: events: unexpected row")
		}
		props := v[4]
		if binaryProps {
			if len(props) < 1 || props[0] != 1 {
				return fmt.Errorf("pgscan: events: jsonb version %v", props[:min(1, len(props))])
			}
			props = props[1:]
		}
		ev := memory.Event{ID: string(v[0]), CustomerID: intern(v[1]), Type: intern(v[2]), Source: intern(v[3]),
			Props: json.RawMessage(slices.Clone(props)), At: wireTime(v[5])}
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

// turnColumns are what ScanTurns reads of a turn in event_records, in
// the order decodeTurns decodes them.
const turnColumns = `e.id, e.customer_id, e.conversation_id, e.at, e.channel, e.intent, e.mood,
	e.valence, e.repeats, e.intervened, e.response_ms, e.tokens, e.cost`

// ScanTurns implements outcomes.TurnScanner from the turn fields
// event_records extracted when the turns were stored.
func (s *Scanner) ScanTurns(ctx context.Context, from, to time.Time, fn func(outcomes.Turn) error) error {
	return s.scanTurns(ctx, `SELECT `+turnColumns+` FROM event_records e
		WHERE e.type = $3 AND e.at >= $1 AND e.at < $2 AND e.conversation_id IS NOT NULL`, []any{from, to, outcomes.EventTurn}, fn)
}

// scanTurns runs a query of turnColumns. A report may read hundreds of
// thousands of turns, so the rows are decoded from their binary wire
// values (text, timestamptz, float8, bool) without the per-value
// allocations of Scan, and the repeated strings (customers,
// conversations, channels, intents, moods) are shared.
func (s *Scanner) scanTurns(ctx context.Context, sql string, args []any, fn func(outcomes.Turn) error) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("pgscan: turns: %w", err)
	}
	defer rows.Close()
	for i, f := range rows.FieldDescriptions() { // text is the same in either format
		if f.Format != pgx.BinaryFormatCode && (i == 3 || i >= 7) {
			return fmt.Errorf("pgscan: turns: column %s not in binary format", f.Name)
		}
	}
	intern := interner()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 13 || len(v[3]) != 8 {
			return fmt.Errorf("pgscan: turns: unexpected row")
		}
		t := outcomes.Turn{ID: string(v[0]), Customer: intern(v[1]), Conversation: intern(v[2]), At: wireTime(v[3]),
			Channel: intern(v[4]), Intent: intern(v[5]), Mood: intern(v[6]),
			Valence: wireFloat(v[7], 0), Repeats: wireFloat(v[8], 0), Intervened: len(v[9]) == 1 && v[9][0] == 1,
			ResponseMS: wireFloat(v[10], math.NaN()), Tokens: wireFloat(v[11], math.NaN()), Cost: wireFloat(v[12], math.NaN())}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgscan: turns: %w", err)
	}
	return nil
}

// IssueContacts implements outcomes.ConversationScanner: one query per
// chunk of probes with the same intents, each probe an index range scan of
// event_records (customer_id, at, id) that stops at the first match.
func (s *Scanner) IssueContacts(ctx context.Context, probes []outcomes.IssueProbe) ([]bool, error) {
	raised := make([]bool, len(probes))
	groups := map[string][]int{}
	var keys []string
	for i, p := range probes {
		k := strings.Join(p.Intents, "\x00")
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	var chunks [][]int
	for _, k := range keys {
		idx := groups[k]
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(strings.Compare(probes[a].Customer, probes[b].Customer), probes[a].From.Compare(probes[b].From))
		})
		chunks = append(chunks, chunked(idx)...)
	}
	err := inParallel(ctx, chunks, func(ctx context.Context, part []int) error {
		cs := make([]string, len(part))
		fs := make([]time.Time, len(part))
		ts := make([]time.Time, len(part))
		for j, i := range part {
			cs[j], fs[j], ts[j] = probes[i].Customer, probes[i].From, probes[i].To
		}
		rows, err := s.pool.Query(ctx, `SELECT w.i FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS w(c, f, t, i)
			WHERE EXISTS (SELECT 1 FROM event_records e WHERE e.customer_id = w.c AND e.at > w.f AND e.at < w.t
				AND e.type = $4 AND e.conversation_id IS NOT NULL AND e.intent = ANY($5))`,
			cs, fs, ts, outcomes.EventTurn, probes[part[0]].Intents)
		if err != nil {
			return fmt.Errorf("pgscan: issue contacts: %w", err)
		}
		var j int64
		_, err = pgx.ForEachRow(rows, []any{&j}, func() error {
			if j < 1 || int(j) > len(part) {
				return fmt.Errorf("row %d of %d", j, len(part))
			}
			raised[part[j-1]] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("pgscan: issue contacts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return raised, nil
}

// ScanConversations implements outcomes.ConversationScanner from
// conversation_rollups (migration 0009), which the store keeps summed up
// over all of a conversation's turns. A conversation with turns outside
// [from, to) as well is summed up here from its turns inside, read from
// event_records, as the interface asks.
func (s *Scanner) ScanConversations(ctx context.Context, from, to time.Time, fn func(outcomes.Conversation) error) error {
	rows, err := s.pool.Query(ctx, `SELECT customer_id, conversation_id, start_at, end_at, turns, repeats, channel,
		response_ms, tokens, cost, negative_at, intervened_at, recovered_at
		FROM conversation_rollups WHERE start_at >= $1 AND end_at < $2`, from, to)
	if err != nil {
		return fmt.Errorf("pgscan: conversations: %w", err)
	}
	defer rows.Close()
	for i, f := range rows.FieldDescriptions() {
		if f.Format != pgx.BinaryFormatCode && (i >= 2 && i != 6) {
			return fmt.Errorf("pgscan: conversations: column %s not in binary format", f.Name)
		}
	}
	intern := interner()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 13 || len(v[2]) != 8 || len(v[3]) != 8 || len(v[4]) != 4 || len(v[5]) != 4 {
			return fmt.Errorf("pgscan: conversations: unexpected row")
		}
		c := outcomes.Conversation{Customer: intern(v[0]), ID: string(v[1]), Start: wireTime(v[2]), End: wireTime(v[3]),
			Turns: int(int32(binary.BigEndian.Uint32(v[4]))), Repeats: int(int32(binary.BigEndian.Uint32(v[5]))), Channel: intern(v[6]),
			ResponseMS: wireFloat(v[7], math.NaN()), Tokens: wireFloat(v[8], math.NaN()), Cost: wireFloat(v[9], math.NaN()),
			Negative: v[10] != nil, NegativeAt: wireTimeOrZero(v[10]), IntervenedAt: wireTimeOrZero(v[11]), RecoveredAt: wireTimeOrZero(v[12])}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgscan: conversations: %w", err)
	}
	rows.Close()
	// Conversations partly outside the period: from their turns inside.
	byCustomer := map[string][]outcomes.Turn{}
	err = s.scanTurns(ctx, `SELECT `+turnColumns+` FROM conversation_rollups r
		JOIN event_records e ON e.customer_id = r.customer_id AND e.conversation_id = r.conversation_id
		WHERE r.start_at < $2 AND r.end_at >= $1 AND (r.start_at < $1 OR r.end_at >= $2)
		AND e.type = $3 AND e.at >= $1 AND e.at < $2`, []any{from, to, outcomes.EventTurn}, func(t outcomes.Turn) error {
		byCustomer[t.Customer] = append(byCustomer[t.Customer], t)
		return nil
	})
	if err != nil {
		return err
	}
	for _, ts := range byCustomer {
		slices.SortFunc(ts, func(a, b outcomes.Turn) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
		for _, c := range outcomes.SummarizeTurns(ts) {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// ScanRecords implements outcomes.RecordScanner from the fields
// event_records extracted when the surveys, offers and feedback were
// stored, decoded as ScanTurns decodes turns.
func (s *Scanner) ScanRecords(ctx context.Context, from, to time.Time, fn func(outcomes.Record) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, customer_id, type, at, channel, decision_id, action, outcome, csat, ces
		FROM event_records WHERE type = ANY($3) AND at >= $1 AND at < $2`,
		from, to, []string{outcomes.EventSurvey, outcomes.EventOffered, outcomes.EventFeedback})
	if err != nil {
		return fmt.Errorf("pgscan: records: %w", err)
	}
	defer rows.Close()
	for i, f := range rows.FieldDescriptions() {
		if f.Format != pgx.BinaryFormatCode && (i == 3 || i >= 8) {
			return fmt.Errorf("pgscan: records: column %s not in binary format", f.Name)
		}
	}
	intern := interner()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 10 || len(v[3]) != 8 {
			return fmt.Errorf("pgscan: records: unexpected row")
		}
		// Customers are not interned: 100,000 of them cost more to look up
		// than to copy.
		r := outcomes.Record{ID: string(v[0]), Customer: string(v[1]), Type: intern(v[2]), At: wireTime(v[3]),
			Channel: intern(v[4]), DecisionID: string(v[5]), Action: intern(v[6]), Outcome: intern(v[7]),
			CSAT: wireFloat(v[8], math.NaN()), CES: wireFloat(v[9], math.NaN())}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgscan: records: %w", err)
	}
	return nil
}

// interner shares equal strings: a report's records repeat customers,
// conversations, channels and the like many times.
func interner() func([]byte) string {
	strs := map[string]string{}
	return func(b []byte) string {
		if s, ok := strs[string(b)]; ok {
			return s
		}
		s := string(b)
		strs[s] = s
		return s
	}
}

// pgEpoch is where PostgreSQL's binary timestamps count from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// wireTime decodes a binary timestamptz: microseconds since pgEpoch.
func wireTime(b []byte) time.Time {
	return pgEpoch.Add(time.Duration(int64(binary.BigEndian.Uint64(b))) * time.Microsecond)
}

// wireTimeOrZero decodes a binary timestamptz, or is zero when the value
// is NULL.
func wireTimeOrZero(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return wireTime(b)
}

// wireFloat decodes a binary float8, or is null when the value is NULL.
func wireFloat(b []byte, null float64) float64 {
	if len(b) != 8 {
		return null
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

// segmentHead is how much of a profile document Segments reads at first:
// memory.Profile's JSON holds the customer id, the time and then the
// business part with the tier and stage, a few hundred bytes in (up to
// about 1.3 kB with the most recent orders kept).
const segmentHead = 2048

// Segments implements outcomes.SegmentReader. Decoding whole profiles
// (3.4 kB each in the demo) cost 5-8 s for 100,000 customers, and
// PostgreSQL's own JSON functions parse the whole document too; so it
// reads the head of each document and decodes the business part from
// it, and reads the whole document only of those whose head does not hold
// that part whole.
func (s *Scanner) Segments(ctx context.Context, ids []string) (map[string]outcomes.Segment, error) {
	out := make(map[string]outcomes.Segment, len(ids))
	rows, err := s.pool.Query(ctx, `SELECT customer_id, substring(textsend(doc::text) FROM 1 FOR $2)
		FROM profiles WHERE customer_id = ANY($1)`, ids, segmentHead)
	if err != nil {
		return nil, fmt.Errorf("pgscan: segments: %w", err)
	}
	defer rows.Close()
	// Read from the wire values: a head is 2 kB, and copying 100,000 of
	// them was most of what a report by segment allocated.
	if fds := rows.FieldDescriptions(); len(fds) != 2 || fds[1].Format != pgx.BinaryFormatCode {
		return nil, fmt.Errorf("pgscan: segments: head not in binary format")
	}
	var whole []string
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 2 {
			return nil, fmt.Errorf("pgscan: segments: unexpected row")
		}
		id, head := string(v[0]), v[1]
		if seg, ok := segmentFast(head); ok {
			out[id] = seg
		} else if seg, ok := segmentOf(head); ok {
			out[id] = seg
		} else {
			whole = append(whole, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgscan: segments: %w", err)
	}
	rows.Close()
	if len(whole) > 0 {
		ps, err := s.Profiles(ctx, whole)
		if err != nil {
			return nil, err
		}
		for id, p := range ps {
			out[id] = outcomes.Segment{Tier: p.Business.Tier, Stage: p.Business.Stage}
		}
	}
	return out, nil
}

// segmentOf decodes the business part of a profile document from its
// head; ok is false when the head ends before that part does.
func segmentOf(head []byte) (outcomes.Segment, bool) {
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return outcomes.Segment{}, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return outcomes.Segment{}, false
		}
		if k, _ := key.(string); strings.EqualFold(k, "business") {
			var b struct {
				Tier  string `json:"tier"`
				Stage string `json:"stage"`
			}
			if dec.Decode(&b) != nil {
				return outcomes.Segment{}, false
			}
			return outcomes.Segment{Tier: b.Tier, Stage: b.Stage}, true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return outcomes.Segment{}, false
		}
	}
	return outcomes.Segment{}, false
}

// segmentFast is segmentOf for the documents memory/postgres writes (the
// common case, 10x faster): it finds the business object by skipping the
// values before it without decoding them, and decodes only that object.
// ok is false when it cannot tell (a key with escapes before it, or the
// head ends first); then segmentOf decides. The documents are PostgreSQL
// json values, valid JSON, so skipping needs no validation.
func segmentFast(head []byte) (outcomes.Segment, bool) {
	i := skipWS(head, 0)
	if i >= len(head) || head[i] != '{' {
		return outcomes.Segment{}, false
	}
	i = skipWS(head, i+1)
	for i < len(head) && head[i] == '"' {
		end := stringEnd(head, i)
		if end < 0 {
			return outcomes.Segment{}, false
		}
		key := head[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return outcomes.Segment{}, false
		}
		i = skipWS(head, end)
		if i >= len(head) || head[i] != ':' {
			return outcomes.Segment{}, false
		}
		i = skipWS(head, i+1)
		vend := valueEnd(head, i)
		if vend < 0 {
			return outcomes.Segment{}, false
		}
		if strings.EqualFold(string(key), "business") {
			if seg, ok := businessFast(head[i:vend]); ok {
				return seg, true
			}
			var b struct {
				Tier  string `json:"tier"`
				Stage string `json:"stage"`
			}
			if json.Unmarshal(head[i:vend], &b) != nil {
				return outcomes.Segment{}, false
			}
			return outcomes.Segment{Tier: b.Tier, Stage: b.Stage}, true
		}
		i = skipWS(head, vend)
		if i >= len(head) || head[i] != ',' {
			return outcomes.Segment{}, false
		}
		i = skipWS(head, i+1)
	}
	return outcomes.Segment{}, false
}

// businessFast reads tier and stage from the business object obj (whole,
// as valueEnd cut it) as json.Unmarshal into a struct would: keys matched
// without regard to case, the last of duplicates winning, null leaving a
// value as it was. It declines keys with escapes, tier or stage values
// that are not plain strings or null, and text that is not valid UTF-8;
// segmentFast then asks encoding/json.
func businessFast(obj []byte) (outcomes.Segment, bool) {
	var seg outcomes.Segment
	i := jsonscan.SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return seg, false
	}
	i = jsonscan.SkipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return seg, true
	}
	for {
		kend, _, ok := jsonscan.PlainString(obj, i)
		if !ok {
			return seg, false
		}
		key := obj[i+1 : kend-1]
		i = jsonscan.SkipSpace(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return seg, false
		}
		i = jsonscan.SkipSpace(obj, i+1)
		var field *string
		switch {
		case strings.EqualFold(string(key), "tier"):
			field = &seg.Tier
		case strings.EqualFold(string(key), "stage"):
			field = &seg.Stage
		}
		if field == nil {
			vend := valueEnd(obj, i)
			if vend < 0 {
				return seg, false
			}
			i = vend
		} else if jsonscan.Literal(obj, i, "null") {
			i += len("null")
		} else {
			vend, printable, ok := jsonscan.PlainString(obj, i)
			if !ok || (!printable && !utf8.Valid(obj[i+1:vend-1])) {
				return seg, false
			}
			*field = string(obj[i+1 : vend-1])
			i = vend
		}
		i = jsonscan.SkipSpace(obj, i)
		switch {
		case i < len(obj) && obj[i] == ',':
			i = jsonscan.SkipSpace(obj, i+1)
		case i < len(obj) && obj[i] == '}':
			return seg, true
		default:
			return seg, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the position after the string starting at b[i], or -1 when
// b ends first.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd is the position after the (valid) JSON value starting at b[i],
// or -1 when b ends first.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	for j := i; j < len(b); j++ { // a number, true, false or null
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return -1
}
