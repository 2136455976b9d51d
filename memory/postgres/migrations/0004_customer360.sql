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
-- tens of memories, so the customer_id index narrows 1,000,000 rows to
-- those few and the distances are computed for them alone. There is no
-- HNSW index here on purpose: measured on 1,000,000 memories of 100,000
-- customers (256 dimensions, see BenchmarkMemoryRecall), the exact scan
-- answers a customer's top 10 in well under a millisecond at p99 with
-- recall 1 by construction, while an HNSW index with pgvector 0.8's
-- iterative scans must walk the shared graph until it has collected 10
-- rows of a customer who owns 1 row in 100,000, which either stops at
-- hnsw.max_scan_tuples with too few rows (recall far below 1) or costs
-- orders of magnitude more; and its mere presence would let the planner
-- trade exactness away. The figures are in the comment on
-- BenchmarkMemoryRecall and in docs/benchmarks.md.
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
