-- Outcome reports scan one kind of event (surveys, offers, firings, turns)
-- across all customers in a period; with only the per-customer index that
-- is a scan of every event. Measured: a report over 10,000 customers ×
-- 90 days went from 9–13 s to about 2 s (docs/benchmarks.md, outcomes).
CREATE INDEX IF NOT EXISTS events_type_at ON events (type, at);
