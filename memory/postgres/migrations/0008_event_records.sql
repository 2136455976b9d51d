-- Outcome reports read Kairos's own records about customers (conversation
-- turns, surveys, next-best-action offers and feedback, proactive firings,
-- handoff records) across all customers of a period: about 8% of the
-- events, interleaved with page views in the events heap, so even along
-- the (type, at) index a report touched pages all over the table, and it
-- decoded every turn's props (13-15 s for 100,000 customers × 90 days;
-- docs/benchmarks.md, outcomes).
--
-- event_records keeps a copy of those events in a table of their own.
-- AppendEvents writes the copy in the statement that inserts the event,
-- from the rows that insert returns, so an event redelivered (ON CONFLICT
-- DO NOTHING) is copied exactly once and none is copied without its event.
-- Merges move the copies with the events; erasure deletes them with the
-- events (and the foreign key would cascade as well).
--
-- event_record_types lists what is copied. A type added later needs a
-- migration that inserts it and backfills its events, as this one does.
CREATE TABLE event_record_types (
	type text PRIMARY KEY
);
INSERT INTO event_record_types (type) VALUES
	('conversation.turn'), ('survey'), ('nba_offered'), ('nba_feedback'),
	('proactive.firing'), ('handoff.record');

-- The turn_* columns are the fields bot/outcomes reads of a
-- conversation.turn event (bot/proactivehooks.go writes them), taken out
-- of the JSON once, when the row is written: a report then reads turns
-- without parsing JSON (measured: extracting them at read time cost 1.4 s
-- of a report over 480,000 turns). They follow outcomes.ParseTurn: a field
-- of the wrong JSON type is NULL, as if absent, and so is a number outside
-- ±1e-300..1e300 (other than 0), which double precision may not hold; a
-- turn without a non-empty string conversation_id has no
-- turn_conversation and is no conversation's turn. They are NULL for the
-- other types.
CREATE FUNCTION kairos_jsonb_text(v jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' END;
CREATE FUNCTION kairos_jsonb_float8(v jsonb) RETURNS float8
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN jsonb_typeof(v) = 'number' THEN
		CASE WHEN v::numeric = 0 OR abs(v::numeric) BETWEEN 1e-300 AND 1e300 THEN v::float8 END END;

CREATE TABLE event_records (
	id          text COLLATE "C" PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
	customer_id text NOT NULL,
	type        text NOT NULL,
	source      text NOT NULL,
	at          timestamptz NOT NULL,
	props       jsonb NOT NULL,
	turn_conversation text COLLATE "C" GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn'
		THEN nullif(kairos_jsonb_text(props->'conversation_id'), '') END) STORED,
	turn_channel text GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_text(props->'channel') END) STORED,
	turn_intent text GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_text(props->'intent') END) STORED,
	turn_mood text GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_text(props->'mood') END) STORED,
	turn_valence float8 GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_float8(props->'valence') END) STORED,
	turn_repeats float8 GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_float8(props->'repeats') END) STORED,
	turn_intervened boolean GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn'
		AND jsonb_typeof(props->'intervened') = 'boolean' THEN (props->'intervened')::boolean END) STORED,
	turn_response_ms float8 GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_float8(props->'response_ms') END) STORED,
	turn_tokens float8 GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_float8(props->'tokens') END) STORED,
	turn_cost float8 GENERATED ALWAYS AS (CASE WHEN type = 'conversation.turn' THEN kairos_jsonb_float8(props->'cost') END) STORED
);
-- A report reads a period of every type; erasure, merges and the
-- per-customer probes read one customer's.
CREATE INDEX event_records_at ON event_records (at);
CREATE INDEX event_records_customer_at ON event_records (customer_id, at, id);

INSERT INTO event_records (id, customer_id, type, source, at, props)
	SELECT id, customer_id, type, source, at, props FROM events
	WHERE type IN (SELECT type FROM event_record_types)
	ORDER BY at, id;
