-- Kairos schema, version 1. {{dim}} is replaced with the configured
-- embedding dimension when this migration first runs; kairos_meta keeps it
-- so a later Open with another dimension fails clearly.

CREATE TABLE kairos_meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
INSERT INTO kairos_meta (key, value) VALUES ('embedding_dim', '{{dim}}');

CREATE TABLE customers (
	id         text PRIMARY KEY,
	created_at timestamptz NOT NULL
);

CREATE TABLE identities (
	kind        text NOT NULL,
	value       text NOT NULL,
	customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	PRIMARY KEY (kind, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

CREATE TABLE conversations (
	id          text PRIMARY KEY,
	customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	channel     text NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	last_seq    bigint NOT NULL DEFAULT 0,
	acked_seq   bigint NOT NULL DEFAULT 0
);
CREATE INDEX conversations_latest ON conversations (customer_id, channel, created_at DESC, id DESC);

CREATE TABLE messages (
	conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seq             bigint NOT NULL,
	role            text NOT NULL,
	text            text NOT NULL,
	client_id       text NOT NULL DEFAULT '',
	reply_to        bigint NOT NULL DEFAULT 0,
	created_at      timestamptz NOT NULL,
	PRIMARY KEY (conversation_id, seq)
);
-- A resent client message must hit this index: AppendMessage inserts with
-- ON CONFLICT DO NOTHING on it.
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_id) WHERE client_id <> '';
CREATE INDEX messages_reply_to ON messages (conversation_id, reply_to, seq) WHERE reply_to > 0 AND role IN ('bot', 'agent');

CREATE TABLE documents (
	id         text PRIMARY KEY,
	title      text NOT NULL,
	source     text NOT NULL,
	format     text NOT NULL,
	lang       text NOT NULL,
	created_at timestamptz NOT NULL,
	chunks     integer NOT NULL
);
CREATE INDEX documents_created ON documents (created_at DESC, id);

CREATE TABLE chunks (
	id          text PRIMARY KEY,
	document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	ord         integer NOT NULL,
	title       text NOT NULL,
	heading     text NOT NULL,
	text        text NOT NULL,
	lang        text NOT NULL,
	terms       text[] NOT NULL,
	-- Built from terms as exact lexemes (with positions, so term frequency
	-- counts), never re-parsed: keyword search matches the same tokens the
	-- embedded store matches.
	tsv         tsvector NOT NULL,
	embedding   vector({{dim}}) NOT NULL
);
CREATE INDEX chunks_document ON chunks (document_id);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops);
