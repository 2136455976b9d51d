-- Profiles are read and written whole (the ingest consumer rewrites
-- hundreds per batch) and never queried inside, so the document is json,
-- which PostgreSQL only validates on write and returns as stored, instead
-- of jsonb, which it parses into its binary form on every write and turns
-- back into text on every read. And a profile row of up to about 8 KB
-- stays inline and uncompressed (toast_tuple_target), so a write does not
-- compress it and a read does not decompress it. Measured with
-- BenchmarkUpdateProfiles (400 of 2,000 regular-sized profiles per call):
-- see docs/benchmarks.md, ingestion.
ALTER TABLE profiles ALTER COLUMN doc TYPE json USING doc::json;
ALTER TABLE profiles SET (toast_tuple_target = 8160);
