-- 0016_stage_outcome_months_cover: the stage win rates (every performance read
-- with open pipeline, and a person's above all) read the whole months of an
-- org from an index alone. stage_outcome_months is tiny (stages x months) but
-- its rows are rewritten by every closing deal, so its heap spreads over many
-- mostly empty pages (109 pages for 259 rows on the 100,000-deal bench org):
-- a sequential scan of them was 155 buffers and ~0.3 ms a read; the index
-- is 8 buffers, ~0.1 ms. Its updates stop being HOT (won and closed are in
-- the index): one more index entry per month row written.
CREATE INDEX stage_outcome_months_cover ON stage_outcome_months (org_id, month) INCLUDE (stage, won, closed);
