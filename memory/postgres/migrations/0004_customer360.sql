-- Customer 360: merges, events, profiles, long-term memories and the
-- anonymous counts erasure leaves behind.

-- A merged customer keeps its row so its id still resolves: merged_into
-- names the survivor. Merges are flattened (a survivor merged later passes
-- its merged ids on), so resolving is one hop: coalesce(merged_into, id).
ALTER TABLE customers ADD COLUMN merged_into text REFERENCES customers (id) ON DELETE CASCADE;
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE merges (
	into_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	from_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	reason  text NOT NULL,
	at      timestamptz NOT NULL,
	PRIMARY KEY (into_id, at, from_id)
);

-- Events are read per customer and time window, so (customer_id, at, id)
-- is the index a window scan walks in order, either direction; id alone is
-- unique, which makes ingestion idempotent (INSERT ... ON CONFLICT DO
-- NOTHING). ids compare bytewise, as in the embedded store.
CREATE TABLE events (
	id          text COLLATE "C" PRIMARY KEY,
	customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	type        text NOT NULL,
	source      text NOT NULL,
	props       jsonb NOT NULL,
	at          timestamptz NOT NULL,
	received_at timestamptz NOT NULL
);
CREATE INDEX events_customer_at ON events (customer_id, at, id);

-- The profile is one JSON document per customer, changed only under the
-- row's lock (UpdateProfile reads it FOR UPDATE).
CREATE TABLE profiles (
	customer_id text PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
	doc         jsonb NOT NULL,
	updated_at  timestamptz NOT NULL
);

-- Memories are searched one customer at a time, exactly: a customer holds
-- tens of memories, so the customer_id index narrows the table to those
-- few rows and their distances are computed for them alone. Chosen by
-- measurement (BenchmarkMemoryRecall and BenchmarkMemoryRecallHNSW: 1,000,000
-- memories of 100,000 customers, 256-dimensional offline embeddings, top
-- 10, 2-core machine): this exact scan answers in 0.16 ms at p50 and 1.3 ms
-- at p99 with recall@10 1.000. The alternative, one HNSW index over all
-- memories searched with pgvector 0.8's iterative scans (relaxed_order)
-- and the customer as a filter, keeps one row in 100,000, so the scan
-- gives up long before it has collected a customer's 10: recall@10 0.001
-- to 0.002 at p50 7.5-11 ms and p99 460-770 ms, for ef_search 40-1000 and
-- hnsw.max_scan_tuples 20,000-1,000,000. And with such an index present,
-- the planner could trade exactness away, so there is none.
CREATE TABLE memories (
	id            text COLLATE "C" PRIMARY KEY,
	customer_id   text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	kind          text NOT NULL,
	key           text NOT NULL,
	text          text NOT NULL,
	value         text NOT NULL,
	lang          text NOT NULL,
	importance    float8 NOT NULL,
	sources       jsonb NOT NULL,
	created_at    timestamptz NOT NULL,
	valid_from    timestamptz NOT NULL,
	valid_to      timestamptz,
	superseded_by text,
	-- Keyword search ranks a customer's few current memories by BM25
	-- computed from these terms on the fly (per-customer statistics, as
	-- the embedded store does), so no postings table is kept.
	terms         text[] NOT NULL,
	embedding     vector({{dim}}) NOT NULL
);
CREATE INDEX memories_customer ON memories (customer_id, created_at DESC, id DESC);

-- What erasures removed, as sums only.
CREATE TABLE erasure_totals (
	one           boolean PRIMARY KEY DEFAULT true CHECK (one),
	customers     bigint NOT NULL DEFAULT 0,
	identities    bigint NOT NULL DEFAULT 0,
	conversations bigint NOT NULL DEFAULT 0,
	messages      bigint NOT NULL DEFAULT 0,
	events        bigint NOT NULL DEFAULT 0,
	memories      bigint NOT NULL DEFAULT 0
);
INSERT INTO erasure_totals DEFAULT VALUES;
