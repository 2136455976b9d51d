-- Outcome reports read every conversation of a period: 130,000
-- conversations of 480,000 turns for 100,000 customers × 90 days, and
-- reading and folding the turns was the largest part of a report
-- (docs/benchmarks.md, outcomes). conversation_rollups keeps each
-- conversation's turns summed up as bot/outcomes folds them
-- (outcomes.Conversation), so a report reads one row per conversation.
--
-- A row is recomputed from all of the conversation's turns in
-- event_records whenever a turn of it is inserted, moved (a merge) or
-- deleted (erasure, or its event deleted): turns of one conversation come
-- in different batches and out of order, and only a recomputation makes
-- the first turn's fields, the sums in turn order and the recovery
-- sequence come out exactly as the fold's. Triggers on event_records do
-- it at the end of each statement, so every writer keeps the rollup
-- (AppendEvents, merges, erasure, cascades) in its own transaction.
--
-- Concurrent writers of one conversation: the refresh first locks the
-- conversation's row (creating it when new) and only then reads the turns,
-- in a statement of its own; under READ COMMITTED (the store's isolation)
-- that statement sees every turn committed by a transaction that held the
-- lock before, and a transaction that comes later waits for the lock and
-- then sees this one's turns. Under REPEATABLE READ or SERIALIZABLE a
-- second writer would fail with a serialization error instead.
CREATE TABLE conversation_rollups (
	customer_id     text NOT NULL,
	conversation_id text COLLATE "C" NOT NULL,
	-- first and last turn
	start_at        timestamptz,
	end_at          timestamptz,
	turns           integer NOT NULL DEFAULT 0,
	-- turns with repeats > 0
	repeats         integer NOT NULL DEFAULT 0,
	-- the first non-empty channel of a turn, in turn order
	channel         text,
	-- the first turn's response_ms (NULL: not recorded)
	response_ms     float8,
	-- sums of the values >= 0, added in turn order; NULL when none
	tokens          float8,
	cost            float8,
	-- the first negative turn (mood frustrated or angry, or valence <=
	-- -0.4), the first turn marked intervened from that one on, and the
	-- last turn that is not negative with valence >= 0 (NULL: none)
	negative_at     timestamptz,
	intervened_at   timestamptz,
	recovered_at    timestamptz,
	PRIMARY KEY (customer_id, conversation_id)
);
-- A report reads the conversations with a turn in its period.
CREATE INDEX conversation_rollups_start ON conversation_rollups (start_at);

-- kairos_refresh_conversations recomputes the rollups of the given
-- (customer, conversation) pairs: locks them (creating new ones), then
-- writes each from its turns, or deletes it when it has none left.
CREATE FUNCTION kairos_refresh_conversations(cus text[], conv text[]) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO conversation_rollups (customer_id, conversation_id)
		SELECT DISTINCT c, v FROM unnest(cus, conv) AS k(c, v) WHERE c IS NOT NULL AND v IS NOT NULL ORDER BY 1, 2
		ON CONFLICT DO NOTHING;
	PERFORM 1 FROM conversation_rollups r
		WHERE (r.customer_id, r.conversation_id) IN (SELECT c, v FROM unnest(cus, conv) AS k(c, v))
		ORDER BY r.customer_id, r.conversation_id FOR UPDATE;
	-- A statement of its own: it reads the turns after the locks are held.
	-- A conversation left without turns gets turns = 0, then goes.
	WITH k AS (SELECT DISTINCT c, v FROM unnest(cus, conv) AS k(c, v) WHERE c IS NOT NULL AND v IS NOT NULL),
	t AS (SELECT e.customer_id, e.conversation_id, e.id, e.at, e.channel, e.repeats, e.response_ms, e.tokens, e.cost,
			coalesce(e.intervened, false) AS intervened,
			(e.mood IN ('frustrated', 'angry') OR coalesce(e.valence, 0) <= -0.4::float8) AS negative,
			(coalesce(e.mood, '') NOT IN ('frustrated', 'angry') AND coalesce(e.valence, 0) >= 0) AS recovered
		FROM k JOIN event_records e ON e.customer_id = k.c AND e.conversation_id = k.v
		WHERE e.type = 'conversation.turn'),
	-- after_negative: a negative turn came at or before this one.
	w AS (SELECT t.*, bool_or(t.negative) OVER (PARTITION BY t.customer_id, t.conversation_id ORDER BY t.at, t.id
			ROWS UNBOUNDED PRECEDING) AS after_negative FROM t),
	a AS (SELECT w.customer_id, w.conversation_id, min(w.at) AS start_at, max(w.at) AS end_at, count(*) AS turns,
			count(*) FILTER (WHERE w.repeats > 0) AS repeats,
			(array_agg(w.channel ORDER BY w.at, w.id) FILTER (WHERE w.channel <> ''))[1] AS channel,
			(array_agg(w.response_ms ORDER BY w.at, w.id))[1] AS response_ms,
			sum(w.tokens ORDER BY w.at, w.id) FILTER (WHERE w.tokens >= 0) AS tokens,
			sum(w.cost ORDER BY w.at, w.id) FILTER (WHERE w.cost >= 0) AS cost,
			min(w.at) FILTER (WHERE w.negative) AS negative_at,
			min(w.at) FILTER (WHERE w.intervened AND w.after_negative) AS intervened_at,
			max(w.at) FILTER (WHERE w.recovered) AS recovered_at
		FROM w
		GROUP BY w.customer_id, w.conversation_id)
	INSERT INTO conversation_rollups AS r (customer_id, conversation_id, start_at, end_at, turns, repeats, channel,
			response_ms, tokens, cost, negative_at, intervened_at, recovered_at)
		SELECT k.c, k.v, a.start_at, a.end_at, coalesce(a.turns, 0), coalesce(a.repeats, 0), a.channel,
			a.response_ms, a.tokens, a.cost, a.negative_at, a.intervened_at, a.recovered_at
		FROM k LEFT JOIN a ON a.customer_id = k.c AND a.conversation_id = k.v
		ON CONFLICT (customer_id, conversation_id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at,
			turns = excluded.turns, repeats = excluded.repeats, channel = excluded.channel,
			response_ms = excluded.response_ms, tokens = excluded.tokens, cost = excluded.cost,
			negative_at = excluded.negative_at, intervened_at = excluded.intervened_at, recovered_at = excluded.recovered_at;
	DELETE FROM conversation_rollups r USING unnest(cus, conv) AS k(c, v)
		WHERE r.customer_id = k.c AND r.conversation_id = k.v AND r.turns = 0;
END $$;

CREATE FUNCTION kairos_event_records_inserted() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM new_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL) THEN
		PERFORM kairos_refresh_conversations(array_agg(customer_id), array_agg(conversation_id))
			FROM new_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;

CREATE FUNCTION kairos_event_records_deleted() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM old_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL) THEN
		PERFORM kairos_refresh_conversations(array_agg(customer_id), array_agg(conversation_id))
			FROM old_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;

-- An update may move a turn (a merge changes customer_id): both the
-- conversation it left and the one it joined are recomputed.
CREATE FUNCTION kairos_event_records_updated() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM old_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL)
		OR EXISTS (SELECT 1 FROM new_rows WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL) THEN
		PERFORM kairos_refresh_conversations(array_agg(customer_id), array_agg(conversation_id))
			FROM (SELECT customer_id, conversation_id FROM old_rows WHERE type = 'conversation.turn'
				UNION SELECT customer_id, conversation_id FROM new_rows WHERE type = 'conversation.turn') k
			WHERE conversation_id IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER event_records_rollup_insert AFTER INSERT ON event_records
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kairos_event_records_inserted();
CREATE TRIGGER event_records_rollup_update AFTER UPDATE ON event_records
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kairos_event_records_updated();
CREATE TRIGGER event_records_rollup_delete AFTER DELETE ON event_records
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kairos_event_records_deleted();

-- The turns stored before this migration.
SELECT kairos_refresh_conversations(array_agg(customer_id), array_agg(conversation_id))
	FROM (SELECT DISTINCT customer_id, conversation_id FROM event_records
		WHERE type = 'conversation.turn' AND conversation_id IS NOT NULL) k;
