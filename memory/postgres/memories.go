package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/kairoscx/kairos/memory"
)

// memoryColumns are what listings return; searches leave the embedding
// out.
const (
	memoryBase    = "id, customer_id, kind, key, text, value, lang, importance, sources, created_at, valid_from, valid_to, superseded_by, terms"
	memoryColumns = memoryBase + ", embedding"
)

// prepareMemory validates m and fills in its id and times.
func (s *Store) prepareMemory(m memory.Memory) (memory.Memory, []byte, error) {
	if m.ID == "" {
		m.ID = memory.NewID("mem_")
	}
	if err := memory.ValidateMemory(m); err != nil {
		return m, nil, err
	}
	if err := memory.CheckEmbedding(m.Embedding, s.dim); err != nil {
		return m, nil, err
	}
	now := s.stamp()
	m.CreatedAt = now
	if m.ValidFrom.IsZero() {
		m.ValidFrom = now
	}
	m.ValidFrom = m.ValidFrom.UTC().Truncate(time.Microsecond)
	if !m.ValidTo.IsZero() {
		m.ValidTo = m.ValidTo.UTC().Truncate(time.Microsecond)
	}
	if m.Terms == nil {
		m.Terms = []string{}
	}
	m.Terms, m.Embedding, m.Sources = slices.Clone(m.Terms), slices.Clone(m.Embedding), slices.Clone(m.Sources)
	sources, err := json.Marshal(m.Sources)
	if m.Sources == nil {
		sources = []byte("[]")
	}
	return m, sources, err
}

// insertMemorySQL stores a memory for the survivor of $2, locking it FOR
// SHARE so a merge or an erasure of the customer waits or is waited for.
const insertMemorySQL = `INSERT INTO memories (` + memoryColumns + `)
	SELECT $1, c.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
	FROM customers c WHERE c.id = (` + resolveSQL + `$2) AND c.merged_into IS NULL FOR SHARE
	RETURNING customer_id`

func insertArgs(m memory.Memory, sources []byte) []any {
	var validTo *time.Time
	if !m.ValidTo.IsZero() {
		validTo = &m.ValidTo
	}
	var by *string
	if m.SupersededBy != "" {
		by = &m.SupersededBy
	}
	return []any{m.ID, m.CustomerID, m.Kind, m.Key, m.Text, m.Value, m.Lang, m.Importance, sources, m.CreatedAt, m.ValidFrom, validTo, by, m.Terms, pgvector.NewVector(m.Embedding)}
}

// AddMemory stores m in one statement.
func (s *Store) AddMemory(ctx context.Context, m memory.Memory) (memory.Memory, error) {
	m, sources, err := s.prepareMemory(m)
	if err != nil {
		return memory.Memory{}, wrap("add memory", err)
	}
	err = s.pool.QueryRow(ctx, insertMemorySQL, insertArgs(m, sources)...).Scan(&m.CustomerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return memory.Memory{}, fmt.Errorf("postgres: add memory: customer %q: %w", m.CustomerID, memory.ErrNotFound)
	}
	if err != nil {
		return memory.Memory{}, wrap("add memory", err)
	}
	return m, nil
}

// endMemorySQL ends a current memory under its row lock and reports its
// customer; no row means unknown, ended false means it had ended already
// (or, with $4 set, belongs to another customer than $4's survivor).
const endMemorySQL = `WITH old AS (SELECT id, customer_id, valid_from, valid_to FROM memories WHERE id = $1 FOR UPDATE),
	upd AS (UPDATE memories m SET valid_to = greatest($2, old.valid_from), superseded_by = $3
		FROM old WHERE m.id = old.id AND old.valid_to IS NULL
			AND ($4::text IS NULL OR old.customer_id = (` + resolveSQL + `$4::text))
		RETURNING m.id)
	SELECT customer_id, valid_to, EXISTS (SELECT 1 FROM upd),
		$4::text IS NULL OR customer_id = coalesce((` + resolveSQL + `$4::text), '') FROM old`

// insertNextSQL stores the successor only when endMemorySQL just ended
// old for it, for old's customer.
const insertNextSQL = `INSERT INTO memories (` + memoryColumns + `)
	SELECT $1, o.customer_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
	FROM memories o WHERE o.id = $15 AND o.superseded_by = $1
	RETURNING customer_id`

// SupersedeMemory ends old and stores next in one pipelined transaction:
// one round trip.
func (s *Store) SupersedeMemory(ctx context.Context, oldID string, next memory.Memory) (memory.Memory, error) {
	next, sources, err := s.prepareMemory(next)
	if err != nil {
		return memory.Memory{}, wrap("supersede memory", err)
	}
	var wantCus *string
	if next.CustomerID != "" {
		wantCus = &next.CustomerID
	}
	var cus string
	var validTo *time.Time
	found, ended, same := false, false, false
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue(endMemorySQL, oldID, next.ValidFrom, next.ID, wantCus).QueryRow(func(row pgx.Row) error {
		return noRows(row.Scan(&cus, &validTo, &ended, &same), &found)
	})
	args := insertArgs(next, sources)
	batch.Queue(insertNextSQL, append(append(args[:1:1], args[2:]...), oldID)...).QueryRow(func(row pgx.Row) error {
		return noRows(row.Scan(&next.CustomerID), new(bool))
	})
	batch.Queue("COMMIT")
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return memory.Memory{}, wrap("supersede memory", err)
	}
	switch {
	case !found:
		return memory.Memory{}, fmt.Errorf("postgres: supersede memory %q: %w", oldID, memory.ErrNotFound)
	case !same:
		return memory.Memory{}, fmt.Errorf("postgres: supersede memory %q: next memory is for customer %q, old for %q: %w", oldID, next.CustomerID, cus, memory.ErrInvalid)
	case !ended:
		return memory.Memory{}, fmt.Errorf("postgres: supersede memory %q: ended at %s: %w", oldID, validTo, memory.ErrConflict)
	}
	return next, nil
}

// InvalidateMemory ends a memory at at in one statement.
func (s *Store) InvalidateMemory(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = s.stamp()
	}
	var cus string
	var validTo *time.Time
	var ended, same bool
	err := s.pool.QueryRow(ctx, endMemorySQL, id, at.UTC(), nil, nil).Scan(&cus, &validTo, &ended, &same)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: invalidate memory %q: %w", id, memory.ErrNotFound)
	case err != nil:
		return wrap("invalidate memory", err)
	case !ended:
		return fmt.Errorf("postgres: invalidate memory %q: ended at %s: %w", id, validTo, memory.ErrConflict)
	}
	return nil
}

// DeleteMemory erases one memory.
func (s *Store) DeleteMemory(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM memories WHERE id = $1", id)
	if err != nil {
		return wrap("delete memory", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete memory %q: %w", id, memory.ErrNotFound)
	}
	return nil
}

// scanMemory scans memoryBase columns (plus the embedding when emb), from
// a LEFT JOIN whose id may be NULL; ok is false then.
func scanMemory(row pgx.Row, emb bool, extra ...any) (m memory.Memory, ok bool, err error) {
	var id, cus, kind, key, text, value, lang, by *string
	var imp *float64
	var sources []byte
	var created, from, to *time.Time
	var v *pgvector.Vector
	dst := []any{&id, &cus, &kind, &key, &text, &value, &lang, &imp, &sources, &created, &from, &to, &by, &m.Terms}
	if emb {
		dst = append(dst, &v)
	}
	if err := row.Scan(append(dst, extra...)...); err != nil || id == nil {
		return m, false, err
	}
	m.ID, m.CustomerID, m.Kind, m.Key, m.Text, m.Value, m.Lang, m.Importance = *id, *cus, *kind, *key, *text, *value, *lang, *imp
	m.CreatedAt, m.ValidFrom = utc(*created), utc(*from)
	if to != nil {
		m.ValidTo = utc(*to)
	}
	if by != nil {
		m.SupersededBy = *by
	}
	if emb && v != nil {
		m.Embedding = v.Slice()
	}
	if len(sources) > 0 && string(sources) != "[]" {
		if err := json.Unmarshal(sources, &m.Sources); err != nil {
			return m, false, fmt.Errorf("memory %s sources: %w", m.ID, err)
		}
	}
	return m, true, nil
}

// Memories lists a customer's memories, newest first, in one query.
func (s *Store) Memories(ctx context.Context, customerID string, withHistory bool) ([]memory.Memory, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.`+prefixed("m.", memoryColumns)+` FROM (`+resolveSQL+`$1) r(id)
		LEFT JOIN memories m ON m.customer_id = r.id AND ($2 OR m.valid_to IS NULL)
		ORDER BY m.created_at DESC, m.id DESC`, customerID, withHistory)
	if err != nil {
		return nil, wrap("memories", err)
	}
	defer rows.Close()
	var out []memory.Memory
	n := 0
	for rows.Next() {
		n++
		m, ok, err := scanMemory(rows, true)
		if err != nil {
			return nil, wrap("memories", err)
		}
		if ok {
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("memories", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("postgres: memories: customer %q: %w", customerID, memory.ErrNotFound)
	}
	return out, nil
}

// prefixed qualifies a column list with p ("m." turns "id, text" into
// "id, m.text"; the caller writes the first qualifier).
func prefixed(p, cols string) string { return strings.ReplaceAll(cols, ", ", ", "+p) }

// searchMemoriesSQL is the exact per-customer search: the customer_id
// index yields the customer's rows, the current ones are ranked by cosine
// distance. There is no vector index on memories, so the plan cannot be
// anything but exact (see migration 0004).
var searchMemoriesSQL = `SELECT m.` + prefixed("m.", memoryBase) + `, 1 - (m.embedding <=> $2) FROM (` + resolveSQL + `$1) r(id)
	LEFT JOIN LATERAL (SELECT * FROM memories WHERE customer_id = r.id AND valid_to IS NULL
		ORDER BY embedding <=> $2, id LIMIT $3) m ON true`

// SearchMemories returns the customer's k nearest current memories in one
// query.
func (s *Store) SearchMemories(ctx context.Context, customerID string, v []float32, k int) ([]memory.MemoryHit, error) {
	if err := memory.CheckEmbedding(v, s.dim); err != nil {
		return nil, wrap("search memories", err)
	}
	k = max(clampK(k), 0)
	rows, err := s.pool.Query(ctx, searchMemoriesSQL, customerID, pgvector.NewVector(v), k)
	if err != nil {
		return nil, wrap("search memories", err)
	}
	return collectMemoryHits(rows, "search memories", customerID)
}

// keywordMemoriesSQL ranks the customer's current memories by BM25 with
// the embedded store's formula and per-customer statistics (N, average
// length and df over that customer's current memories), computed from the
// few rows the customer_id index yields.
var keywordMemoriesSQL = `WITH r AS (` + resolveSQL + `$1),
	m AS (SELECT id, terms, cardinality(terms)::float8 AS len FROM memories WHERE customer_id = (SELECT * FROM r) AND valid_to IS NULL),
	st AS (SELECT count(*)::float8 AS n, greatest(coalesce(sum(len), 0) / greatest(count(*), 1), 1) AS avglen FROM m),
	tf AS (SELECT m.id, t AS term, count(*)::float8 AS tf, m.len FROM m, unnest(m.terms) t WHERE t = ANY ($2::text[]) GROUP BY m.id, t, m.len),
	df AS (SELECT term, count(*)::float8 AS df FROM tf GROUP BY term),
	top AS (SELECT tf.id, sum(ln(1 + (st.n - df.df + 0.5) / (df.df + 0.5)) * tf.tf * ($4::float8 + 1) / (tf.tf + $4::float8 * (1 - $5::float8 + $5::float8 * tf.len / st.avglen))) AS score
		FROM tf JOIN df USING (term), st GROUP BY tf.id ORDER BY score DESC, tf.id LIMIT $3)
	SELECT x.` + prefixed("x.", memoryBase) + `, x.score FROM (SELECT * FROM r) rr(id)
	LEFT JOIN LATERAL (SELECT m.*, top.score FROM top JOIN memories m USING (id)) x ON true`

// SearchMemoriesKeyword ranks the customer's current memories by BM25 in
// one query.
func (s *Store) SearchMemoriesKeyword(ctx context.Context, customerID string, terms []string, k int) ([]memory.MemoryHit, error) {
	q, _ := queryTerms(terms)
	if q == nil {
		q = []string{}
	}
	k = max(clampK(k), 0)
	rows, err := s.pool.Query(ctx, keywordMemoriesSQL, customerID, q, k, bm25K1, bm25B)
	if err != nil {
		return nil, wrap("search memories keyword", err)
	}
	return collectMemoryHits(rows, "search memories keyword", customerID)
}

func collectMemoryHits(rows pgx.Rows, op, customerID string) ([]memory.MemoryHit, error) {
	defer rows.Close()
	var out []memory.MemoryHit
	n := 0
	for rows.Next() {
		n++
		var score *float64
		m, ok, err := scanMemory(rows, false, &score)
		if err != nil {
			return nil, wrap(op, err)
		}
		if ok {
			out = append(out, memory.MemoryHit{Memory: m, Score: *score})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("postgres: %s: customer %q: %w", op, customerID, memory.ErrNotFound)
	}
	slices.SortStableFunc(out, func(a, b memory.MemoryHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}
