-- Outcome reports ask, for every proactive exposure of a period, whether
-- the customer did the trigger's outcome (an order, a paid bill) within
-- its window: about 60,000 such probes for 100,000 customers × 90 days.
-- With only events (customer_id, at, id) each probe walks all of the
-- customer's events in the window and reads each one's row to see its
-- type; with the type in the index after the customer a probe descends
-- once and reads a row only when there is one. Per-customer reads of
-- given types (Store.Events with Types) take it too.
--
-- events_type_at (migration 0007) served reports scanning one record type
-- across all customers; since migration 0008 they read event_records, and
-- no query of Kairos's reads events by type across customers, so it goes:
-- the events table keeps three indexes, as before.
CREATE INDEX IF NOT EXISTS events_customer_type_at ON events (customer_id, type, at, id);
DROP INDEX IF EXISTS events_type_at;
