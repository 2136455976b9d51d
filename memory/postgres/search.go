package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/kairoscx/kairos/memory"
)

const chunkColumns = "id, document_id, ord, title, heading, text, lang, terms, embedding"

// maxPositions is how many positions a tsvector keeps per lexeme.
const maxPositions = 256

// lexeme quotes t as a tsvector/tsquery lexeme: never re-parsed, so
// whatever characters a term holds it matches itself and nothing else.
func lexeme(t string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t) + "'"
}

// tsvectorLiteral renders terms as a tsvector with positions, so ts_rank
// sees how often each term occurs.
func tsvectorLiteral(terms []string) string {
	pos := map[string][]int{}
	var order []string
	for i, t := range terms {
		if t == "" {
			continue
		}
		if _, ok := pos[t]; !ok {
			order = append(order, t)
		}
		if len(pos[t]) < maxPositions {
			pos[t] = append(pos[t], min(i+1, 16383))
		}
	}
	var b strings.Builder
	for _, t := range order {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lexeme(t))
		b.WriteByte(':')
		for j, p := range pos[t] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
		}
	}
	return b.String()
}

// tsqueryLiteral ORs the distinct terms; ok is false when none is left.
func tsqueryLiteral(terms []string) (string, bool) {
	seen := map[string]bool{}
	var parts []string
	for _, t := range terms {
		if t == "" || seen[t] || checkText(t) != nil {
			continue
		}
		seen[t] = true
		parts = append(parts, lexeme(t))
	}
	return strings.Join(parts, " | "), len(parts) > 0
}

func scanHit(r pgx.CollectableRow) (memory.ChunkHit, error) {
	var h memory.ChunkHit
	var v pgvector.Vector
	var score float64
	err := r.Scan(&h.ID, &h.DocumentID, &h.Ord, &h.Title, &h.Heading, &h.Text, &h.Lang, &h.Terms, &v, &score)
	h.Embedding, h.Score = v.Slice(), score
	return h, err
}

// SearchVector returns the k chunks nearest to v by cosine similarity, using
// the HNSW index. Each connection has hnsw.ef_search set at connect, so the
// usual search is one plain query; a k beyond it raises ef_search for one
// pipelined transaction, still one round trip.
func (s *Store) SearchVector(ctx context.Context, v []float32, k int) ([]memory.ChunkHit, error) {
	if err := checkEmbedding(v, s.dim); err != nil {
		return nil, wrap("search vector", err)
	}
	k = clampK(k)
	if k <= 0 {
		return nil, nil
	}
	const q = "SELECT " + chunkColumns + ", 1 - (embedding <=> $1) FROM chunks ORDER BY embedding <=> $1 LIMIT $2"
	var hits []memory.ChunkHit
	var err error
	if k <= s.ef {
		var rows pgx.Rows
		if rows, err = s.pool.Query(ctx, q, pgvector.NewVector(v), k); err == nil {
			hits, err = pgx.CollectRows(rows, scanHit)
		}
	} else {
		batch := &pgx.Batch{}
		batch.Queue("BEGIN READ ONLY")
		batch.Queue("SELECT set_config('hnsw.ef_search', $1, true)", strconv.Itoa(k))
		batch.Queue(q, pgvector.NewVector(v), k).Query(func(rows pgx.Rows) error {
			hits, err = pgx.CollectRows(rows, scanHit)
			return err
		})
		batch.Queue("COMMIT")
		err = s.pool.SendBatch(ctx, batch).Close()
	}
	if err != nil {
		return nil, wrap("search vector", err)
	}
	sortHits(hits)
	return hits, nil
}

// defaultEFSearch is HNSW's candidate list size when Options leave it
// unset. See the measurement in its comment at the end of this file.
const defaultEFSearch = 40

// SearchKeyword returns the k chunks best matching any of terms, ranked by
// ts_rank over the GIN-indexed tsvector.
func (s *Store) SearchKeyword(ctx context.Context, terms []string, k int) ([]memory.ChunkHit, error) {
	k = clampK(k)
	q, ok := tsqueryLiteral(terms)
	if !ok || k <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+chunkColumns+`, ts_rank(tsv, q)::float8 AS score
		FROM chunks, CAST($1 AS tsquery) q WHERE tsv @@ q ORDER BY score DESC, id LIMIT $2`, q, k)
	if err != nil {
		return nil, wrap("search keyword", err)
	}
	hits, err := pgx.CollectRows(rows, scanHit)
	if err != nil {
		return nil, wrap("search keyword", err)
	}
	sortHits(hits)
	return hits, nil
}
