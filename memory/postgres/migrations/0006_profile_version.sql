-- Every write of a profile gives it a new version from one sequence, so a
-- store that kept the decoded profile it last wrote can tell, under the
-- row's lock, that the stored document is still that one and skip reading
-- and decoding it (profileCache). Versions never repeat, also across
-- nodes, deletes and re-inserts.
CREATE SEQUENCE profile_versions;
ALTER TABLE profiles ADD COLUMN version bigint NOT NULL DEFAULT nextval('profile_versions');
