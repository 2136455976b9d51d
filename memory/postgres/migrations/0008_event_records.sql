-- Outcome reports read Kairos's own records about customers (conversation
-- turns, surveys, next-best-action offers and feedback, proactive firings,
-- handoff records) across all customers of a period: about 8% of the
-- events, interleaved with page views in the events heap, so even along
-- the (type, at) index a report touched pages all over the table (13-15 s
-- for 100,000 customers × 90 days; docs/benchmarks.md, outcomes).
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

CREATE TABLE event_records (
	id          text COLLATE "C" PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
	customer_id text NOT NULL,
	type        text NOT NULL,
	at          timestamptz NOT NULL,
	props       jsonb NOT NULL
);
-- A report reads a period of every type; erasure, merges and the
-- per-customer probes read one customer's.
CREATE INDEX event_records_at ON event_records (at);
CREATE INDEX event_records_customer_at ON event_records (customer_id, at, id);

INSERT INTO event_records (id, customer_id, type, at, props)
	SELECT id, customer_id, type, at, props FROM events
	WHERE type IN (SELECT type FROM event_record_types)
	ORDER BY at, id;
