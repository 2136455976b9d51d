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

-- The columns after props are the fields bot/outcomes reads of these
-- events (conversation.turn: bot/proactivehooks.go; survey; nba_offered
-- and nba_feedback: bot/predict/nba), taken out of the JSON once, when the
-- row is written: a report then reads hundreds of thousands of records
-- without parsing JSON (measured: extracting the turns' fields at read
-- time cost 1.4 s of a report over 480,000 turns). They follow
-- outcomes.ParseTurn and ParseRecord: a field of the wrong JSON type is
-- NULL, as if absent, and so is a number other than 0 outside
-- ±1e-300..1e300, which double precision may not hold; an empty
-- conversation_id is NULL (the turn is no conversation's). Firings and
-- handoff records are read from props.
CREATE FUNCTION kairos_jsonb_text(v jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' END $$;
CREATE FUNCTION kairos_jsonb_float8(v jsonb) RETURNS float8
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN
		CASE WHEN v::numeric = 0 OR abs(v::numeric) BETWEEN 1e-300 AND 1e300 THEN v::float8 END END $$;

CREATE TABLE event_records (
	id          text COLLATE "C" PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
	customer_id text NOT NULL,
	type        text NOT NULL,
	source      text NOT NULL,
	at          timestamptz NOT NULL,
	props       jsonb NOT NULL,
	conversation_id text COLLATE "C" GENERATED ALWAYS AS (nullif(kairos_jsonb_text(props->'conversation_id'), '')) STORED,
	channel     text GENERATED ALWAYS AS (kairos_jsonb_text(props->'channel')) STORED,
	intent      text GENERATED ALWAYS AS (kairos_jsonb_text(props->'intent')) STORED,
	mood        text GENERATED ALWAYS AS (kairos_jsonb_text(props->'mood')) STORED,
	valence     float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'valence')) STORED,
	repeats     float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'repeats')) STORED,
	intervened  boolean GENERATED ALWAYS AS (CASE WHEN jsonb_typeof(props->'intervened') = 'boolean' THEN (props->'intervened')::boolean END) STORED,
	response_ms float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'response_ms')) STORED,
	tokens      float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'tokens')) STORED,
	cost        float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'cost')) STORED,
	decision_id text GENERATED ALWAYS AS (kairos_jsonb_text(props->'decision_id')) STORED,
	action      text GENERATED ALWAYS AS (kairos_jsonb_text(props->'action')) STORED,
	outcome     text GENERATED ALWAYS AS (kairos_jsonb_text(props->'outcome')) STORED,
	csat        float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'csat')) STORED,
	ces         float8 GENERATED ALWAYS AS (kairos_jsonb_float8(props->'ces')) STORED
);
-- A report reads a period of each type; erasure and merges read one
-- customer's records.
CREATE INDEX event_records_type_at ON event_records (type, at);
CREATE INDEX event_records_customer_at ON event_records (customer_id, at, id);

INSERT INTO event_records (id, customer_id, type, source, at, props)
	SELECT id, customer_id, type, source, at, props FROM events
	WHERE type IN (SELECT type FROM event_record_types)
	ORDER BY at, id;
