-- 0014_lead_training_jobs: a training runs as a job (issue 12 item 2).
--
-- POST /v1/lead-scoring/models/{segment}/train records a job here and
-- answers 202; a thread of the attaind that took it runs it outside any
-- transaction and writes the model in one short transaction at the end.
-- While it runs, that thread's session holds the advisory lock
-- (LEAD_JOB_LOCK_KEY, id); a job queued or running whose lock nobody holds
-- has lost its attaind and is marked failed at the next start-up.
CREATE TABLE lead_training_jobs (
	org_id text NOT NULL REFERENCES orgs (org_id),
	id bigserial,
	segment text NOT NULL CHECK (segment IN ('b2b', 'b2c')),
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
	progress int NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
	step text NOT NULL DEFAULT 'queued' CHECK (length(step) BETWEEN 1 AND 64),
	error text CHECK (length(error) BETWEEN 1 AND 1000),
	trained_version int CHECK (trained_version >= 1),
	created_by text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 255),
	created_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz,
	CONSTRAINT lead_training_jobs_outcome CHECK (
		(state = 'succeeded') = (trained_version IS NOT NULL) AND
		(state = 'failed') = (error IS NOT NULL) AND
		(state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
	-- like every table's key, it begins with org_id (DESIGN §2 "Scaling out")
	PRIMARY KEY (org_id, id)
);
-- One job in flight per segment: a second POST gets the one queued or running.
CREATE UNIQUE INDEX lead_training_jobs_in_flight ON lead_training_jobs (org_id, segment)
	WHERE state IN ('queued', 'running');
CREATE INDEX lead_training_jobs_open ON lead_training_jobs (id) WHERE state IN ('queued', 'running');
