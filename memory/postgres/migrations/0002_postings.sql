-- Keyword search by BM25 over a postings table, the formula the embedded
-- store uses, instead of ts_rank over a tsvector: ts_rank recomputed over
-- every matching row cost 12-17 ms per query on 10,000 chunks when a query
-- term was common, and ranked differently from the embedded store.

-- One row per distinct term of a chunk: its count in the chunk (tf) and the
-- chunk's length in terms (len), so a query reads postings only.
CREATE TABLE chunk_terms (
	term     text NOT NULL,
	chunk_id text NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
	tf       integer NOT NULL,
	len      integer NOT NULL,
	-- Covering, so a query's postings come from the index alone once
	-- vacuum has marked the pages all-visible.
	PRIMARY KEY (term, chunk_id) INCLUDE (tf, len)
);
CREATE INDEX chunk_terms_chunk ON chunk_terms (chunk_id);

-- Corpus size and total length for BM25's idf and length normalization,
-- kept by AddDocument and DeleteDocument in the same transaction.
CREATE TABLE chunk_stats (
	one    boolean PRIMARY KEY DEFAULT true CHECK (one),
	chunks bigint NOT NULL,
	terms  bigint NOT NULL
);

INSERT INTO chunk_stats (chunks, terms)
	SELECT count(*), coalesce(sum(cardinality(terms)), 0) FROM chunks;
INSERT INTO chunk_terms (term, chunk_id, tf, len)
	SELECT t, c.id, count(*), cardinality(c.terms) FROM chunks c, unnest(c.terms) t
	WHERE t <> '' GROUP BY c.id, t;

DROP INDEX chunks_tsv;
ALTER TABLE chunks DROP COLUMN tsv;
