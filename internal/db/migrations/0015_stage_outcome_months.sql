-- 0015_stage_outcome_months: two cheaper reads for a person's performance.
--
-- perf_people (0013) by person: last year's months of one person (the
-- seasonal shape of a quarter or a year) read their own few rows instead of
-- every person's rows of those months. Its columns are never updated, so
-- the rows' updates stay HOT.
CREATE INDEX perf_people_person ON perf_people (org_id, person_id, month);

-- stage_outcomes (0008) summed by month of close
-- date, so a stage's win rate as of a day D sums the org's whole months
-- before D's month here and the days of D's month up to D in stage_outcomes:
-- about stages × (months + 31) rows instead of stages × every day of the
-- org's history (7,700 rows, 1.3 ms, at three years; every performance read
-- with open pipeline pays it).
--
-- Kept by a row trigger on stage_outcomes: each change of a day's row adds
-- its difference to the row of its month, in the order stage_outcomes_track
-- writes the days (org, stage, day), so two writers lock months in one order.
CREATE TABLE stage_outcome_months (
	org_id text NOT NULL,
	stage text NOT NULL,
	month date NOT NULL, -- the first day of the month of the close dates counted
	won bigint NOT NULL DEFAULT 0,
	closed bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (org_id, stage, month)
);

-- The days of one month of an org, every stage: the part of the read after its whole months.
CREATE INDEX stage_outcomes_org_day ON stage_outcomes (org_id, day) INCLUDE (stage, won, closed);

CREATE FUNCTION stage_outcome_months_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dw bigint := NEW.won;
	dc bigint := NEW.closed;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		dw := NEW.won - OLD.won;
		dc := NEW.closed - OLD.closed;
	END IF;
	IF dw <> 0 OR dc <> 0 THEN
		INSERT INTO stage_outcome_months AS m (org_id, stage, month, won, closed)
		VALUES (NEW.org_id, NEW.stage, date_trunc('month', NEW.day)::date, dw, dc)
		ON CONFLICT (org_id, stage, month) DO UPDATE SET won = m.won + EXCLUDED.won, closed = m.closed + EXCLUDED.closed;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER stage_outcome_months_track AFTER INSERT OR UPDATE ON stage_outcomes
	FOR EACH ROW EXECUTE FUNCTION stage_outcome_months_track();

INSERT INTO stage_outcome_months (org_id, stage, month, won, closed)
SELECT org_id, stage, date_trunc('month', day)::date, sum(won), sum(closed)
FROM stage_outcomes GROUP BY org_id, stage, date_trunc('month', day)::date;
