-- 0018_perf_people_cover: a board (leaderboard, distribution, scorecard) reads
-- the kept sums of every person of its scope for the period's months, and the
-- won cycles of the people on its page, from indexes alone, so its cost does
-- not grow with the org's deals.
--
-- Measured on the 10M-deal bench org (10,000 people, bench/performance.sh):
-- perf_people's rows are rewritten by every deal write of their person and
-- month, so a quarter's 27,000 rows lay on 21,900 heap pages (1.2 GB for
-- 387,000 rows after the seed): 68 ms to read them, against 10 ms from this
-- index. perf_people_cycles is keyed by month first, so the cycles of 50
-- people over a quarter scanned the month range of everyone (284,000 index
-- entries, 84 ms); by person first they are 1.4 ms. The cost: perf_people's
-- updates stop being HOT (the sums are in the index), one more index entry
-- for each person-month row a write changes.
CREATE INDEX perf_people_cover ON perf_people (org_id, month, person_id)
	INCLUDE (won_cents, won_weight, lost_cents, lost_weight, open_cents, open_weight, renewal_won_weight,
		renewal_lost_weight, expansion_won_cents);
CREATE INDEX perf_people_cycles_person ON perf_people_cycles (org_id, person_id, month, days) INCLUDE (weight);
