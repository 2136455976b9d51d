package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/kairoscx/kairos/memory"
)

// insertChunkSQL stores a chunk and its postings: one row per distinct
// non-empty term with its count and the chunk's length.
const insertChunkSQL = `WITH c AS (
		INSERT INTO chunks (id, document_id, ord, title, heading, text, lang, terms, embedding)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, terms)
	INSERT INTO chunk_terms (term, chunk_id, tf, len)
	SELECT t, c.id, count(*), cardinality(c.terms) FROM c, unnest(c.terms) t WHERE t <> '' GROUP BY c.id, c.terms, t`

// AddDocument stores d and its chunks in one transaction. The chunk inserts
// go out as one pipelined batch, one round trip however many there are.
func (s *Store) AddDocument(ctx context.Context, d memory.Document, chunks []memory.Chunk) (memory.Document, error) {
	d, chunks, err := memory.PrepareDocument(d, chunks, s.dim, s.stamp())
	if err != nil {
		return memory.Document{}, wrap("add document", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO documents (id, title, source, format, lang, created_at, chunks) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			d.ID, d.Title, d.Source, d.Format, d.Lang, d.CreatedAt, d.Chunks)
		total := 0
		for _, c := range chunks {
			terms := c.Terms
			if terms == nil {
				terms = []string{}
			}
			total += len(terms)
			batch.Queue(insertChunkSQL, c.ID, c.DocumentID, c.Ord, c.Title, c.Heading, c.Text, c.Lang, terms, pgvector.NewVector(c.Embedding))
		}
		// Last, so concurrent ingestions wait on this one row only briefly.
		batch.Queue("UPDATE chunk_stats SET chunks = chunks + $1, terms = terms + $2", len(chunks), total)
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return memory.Document{}, wrap("add document", err)
	}
	return d, nil
}

// Documents lists documents, newest first.
func (s *Store) Documents(ctx context.Context) ([]memory.Document, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, title, source, format, lang, created_at, chunks FROM documents ORDER BY created_at DESC, id")
	if err != nil {
		return nil, wrap("documents", err)
	}
	docs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (memory.Document, error) {
		var d memory.Document
		err := r.Scan(&d.ID, &d.Title, &d.Source, &d.Format, &d.Lang, &d.CreatedAt, &d.Chunks)
		d.CreatedAt = utc(d.CreatedAt)
		return d, err
	})
	return docs, wrap("documents", err)
}

// DeleteDocument removes a document; its chunks and their postings go
// with it (ON DELETE CASCADE), and the corpus statistics are reduced in the
// same statement.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	var n int
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM documents WHERE id = $1 RETURNING id),
		gone AS (SELECT count(*) AS n, coalesce(sum(cardinality(terms)), 0) AS t FROM chunks WHERE document_id IN (SELECT id FROM d)),
		u AS (UPDATE chunk_stats SET chunks = chunks - gone.n, terms = terms - gone.t FROM gone WHERE gone.n > 0)
		SELECT count(*) FROM d`, id).Scan(&n)
	if err != nil {
		return wrap("delete document", err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: delete document %q: %w", id, memory.ErrNotFound)
	}
	return nil
}

// clampK bounds k: HNSW's ef_search stops at 1000, and no caller needs more.
func clampK(k int) int { return min(k, 1000) }

func sortHits(hits []memory.ChunkHit) {
	slices.SortStableFunc(hits, func(a, b memory.ChunkHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
}
