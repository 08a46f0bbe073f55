-- 0006_idempotency_caller: an Idempotency-Key belongs to the caller who sent
-- it (DESIGN §5): the same key from another subject, or the same subject
-- with other roles or another person, is another key, so a stored answer is
-- never replayed to anyone but the caller it was written for. `caller` is
-- api/middleware.c's idempotency identity; rows written before have '' and
-- so match no caller any more.
ALTER TABLE idempotency_keys ADD COLUMN caller text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (org_id, caller, key);
