-- 0017_data_versions: a version of each org's data, raised by every write
-- that the cached dashboard reads depend on (issue 10 "Speed and scale";
-- internal/cache, the result cache of attaind).
--
-- attaind keeps the answers of its costly performance reads (a team's or
-- the org's figures, leaderboards, distributions, trends, scorecards) in a
-- process-wide cache keyed on the org's version. The version is the sum of
-- the org's rows here, read in the same statement as the org's settings,
-- before the data: every committed write raises it, so an equal sum means
-- no write committed in between and the kept answer is the answer now; a
-- write through any attaind, psql or a migration is seen by every attaind.
--
-- Statement-level triggers (transition tables, set-based) on every table
-- those reads read directly; the kept sums of 0013 (perf_rollup, perf_cycles,
-- perf_closed_days, perf_people, perf_people_cycles, perf_marks) and
-- stage_outcome_months are written only by triggers of tables listed here,
-- in the same statement, so they need none (tests/integration/
-- test_result_cache.py checks the list against pg_trigger).
--
-- No TRUNCATE trigger: attaind never truncates these tables, and a TRUNCATE
-- names no org (raising every org's version would read across orgs). After
-- a TRUNCATE by hand, restart attaind (or run it with ATTAIN_RESULT_CACHE_MB=0).
--
-- A writer adds 1 to its own slot (its backend pid mod 64) of each org its
-- statement touched: concurrent writers of one org rarely touch the same row
-- (an org-wide row would queue every writer of the org behind the one
-- before, to its commit: see perf_marks in 0013). Rows only grow; an org
-- deleted and made again is told apart by its orgs row's created_at, which
-- the reader keys on too.
CREATE TABLE org_data_versions (
	org_id text NOT NULL,
	slot smallint NOT NULL,
	v bigint NOT NULL,
	PRIMARY KEY (org_id, slot)
);

-- Raise the version of each org in orgs (sorted: one lock order).
CREATE FUNCTION org_data_bump(orgs text[]) RETURNS void LANGUAGE sql AS $$
	INSERT INTO org_data_versions AS d (org_id, slot, v)
	SELECT o, (pg_backend_pid() % 64)::smallint, 1 FROM unnest(orgs) o WHERE o IS NOT NULL ORDER BY 1
	ON CONFLICT (org_id, slot) DO UPDATE SET v = d.v + 1
$$;

CREATE FUNCTION org_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM org_data_bump(ARRAY(SELECT DISTINCT n.org_id FROM new_rows n));
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM org_data_bump(ARRAY(SELECT DISTINCT o.org_id FROM old_rows o));
	ELSE
		PERFORM org_data_bump(ARRAY(SELECT n.org_id FROM new_rows n UNION SELECT o.org_id FROM old_rows o));
	END IF;
	RETURN NULL;
END
$$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['orgs', 'teams', 'team_closure', 'people', 'stage_lists', 'stages', 'deals',
	                         'deal_splits', 'deal_history', 'stage_outcomes', 'quotas']
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
		               ' FOR EACH STATEMENT EXECUTE FUNCTION org_data_changed()', t || '_version_ins', t);
		EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
		               ' FOR EACH STATEMENT EXECUTE FUNCTION org_data_changed()', t || '_version_upd', t);
		EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
		               ' FOR EACH STATEMENT EXECUTE FUNCTION org_data_changed()', t || '_version_del', t);
	END LOOP;
END
$$;
