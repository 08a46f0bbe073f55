-- 0008_stage_outcomes: the historical win rate of every stage, kept as the
-- deals' history grows (DESIGN §7 "Performance": the pipeline projection).
--
-- A stage's win rate as of a day D: of the org's deals that closed (won or
-- lost) on or before D by their close date and whose history passed through
-- the stage at any time, the share won. Counting it from deal_history at
-- every read took 16 s at 1M deals; this table holds, per org, stage and
-- close date, how many such deals closed and how many of them won, so a
-- read sums at most stages × days rows.
--
-- Kept by one statement-level trigger on deal_history (every deal write,
-- single or bulk, appends history in the same transaction): for each deal
-- that got rows, its contribution before them (its last earlier row's status
-- and close date, over the stages of its earlier rows) is taken away and its
-- contribution after them added. History rows are never updated in what
-- matters here (status, close date, stage) nor deleted.
CREATE TABLE stage_outcomes (
	org_id text NOT NULL,
	stage text NOT NULL,
	day date NOT NULL, -- the close date of the deals counted
	won bigint NOT NULL DEFAULT 0,
	closed bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (org_id, stage, day)
);

CREATE FUNCTION stage_outcomes_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO stage_outcomes AS o (org_id, stage, day, won, closed)
	SELECT d.org_id, d.stage, d.day, sum(d.won), sum(d.closed)
	FROM (
		WITH n AS (SELECT org_id, deal_id, min(version) AS lo, max(version) AS hi
			   FROM new_rows GROUP BY org_id, deal_id),
		prev AS (SELECT n.org_id, p.status, p.close_date_to,
				ARRAY(SELECT DISTINCT h.stage_to FROM deal_history h
				      WHERE h.org_id = n.org_id AND h.deal_id = n.deal_id AND h.version < n.lo) AS passed
			 FROM n JOIN LATERAL (SELECT h.status, h.close_date_to FROM deal_history h
					      WHERE h.org_id = n.org_id AND h.deal_id = n.deal_id AND h.version < n.lo
					      ORDER BY h.version DESC LIMIT 1) p ON true
			 WHERE p.status IN ('won', 'lost')),
		next AS (SELECT n.org_id, l.status, l.close_date_to,
				ARRAY(SELECT DISTINCT h.stage_to FROM deal_history h
				      WHERE h.org_id = n.org_id AND h.deal_id = n.deal_id AND h.version <= n.hi) AS passed
			 FROM n JOIN deal_history l ON l.org_id = n.org_id AND l.deal_id = n.deal_id AND l.version = n.hi
			 WHERE l.status IN ('won', 'lost'))
		SELECT prev.org_id, s AS stage, prev.close_date_to AS day,
		       -(prev.status = 'won')::int AS won, -1 AS closed
		FROM prev, unnest(prev.passed) AS s
		UNION ALL
		SELECT next.org_id, s, next.close_date_to, (next.status = 'won')::int, 1
		FROM next, unnest(next.passed) AS s
	) d
	GROUP BY d.org_id, d.stage, d.day
	HAVING sum(d.won) <> 0 OR sum(d.closed) <> 0
	-- one lock order for every writer: two bulk syncs never deadlock here
	ORDER BY d.org_id, d.stage, d.day
	ON CONFLICT (org_id, stage, day) DO UPDATE SET won = o.won + EXCLUDED.won, closed = o.closed + EXCLUDED.closed;
	RETURN NULL;
END
$$;
CREATE TRIGGER stage_outcomes_track AFTER INSERT ON deal_history REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION stage_outcomes_track();

-- What the history holds already.
INSERT INTO stage_outcomes (org_id, stage, day, won, closed)
SELECT l.org_id, p.stage_to, l.close_date_to, count(*) FILTER (WHERE l.status = 'won'), count(*)
FROM (SELECT DISTINCT ON (org_id, deal_id) org_id, deal_id, status, close_date_to
      FROM deal_history ORDER BY org_id, deal_id, version DESC) l
JOIN (SELECT DISTINCT org_id, deal_id, stage_to FROM deal_history) p
	ON p.org_id = l.org_id AND p.deal_id = l.deal_id
WHERE l.status IN ('won', 'lost')
GROUP BY l.org_id, p.stage_to, l.close_date_to;
