-- 0007_perf: the split-credit rule for one deal, as a function (DESIGN §7
-- "Performance").
--
-- deal_credits (0002_pipeline) gives every deal's credits at once; a
-- performance read needs the credits of a few deals (those of the people in
-- scope), computed on the amount a deal had on the day asked about, so it
-- calls this per deal instead. Same rule as the view and as
-- internal/deals/credit.c: amount × percent / 100 rounded down to the cent,
-- the cents left over one each to the largest remainders, ties to the lower
-- person id; no splits: the owner holds 100 %. The integration tests check
-- the function against the view on every deal they create.
CREATE FUNCTION deal_credit_rows(amount numeric, owner bigint, persons bigint[], percents numeric[])
RETURNS TABLE (person_id bigint, percent numeric, credit numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT owner, 100.00::numeric(5, 2), amount
	WHERE cardinality(persons) = 0
	UNION ALL
	SELECT x.person_id, x.percent,
	       ((x.exact / 10000 + CASE WHEN row_number() OVER (ORDER BY x.exact % 10000 DESC, x.person_id)
				     <= x.cents - sum(x.exact / 10000) OVER () THEN 1 ELSE 0 END)::numeric / 100)::numeric(14, 2)
	FROM (
		SELECT u.person_id, u.percent, (amount * 100)::bigint AS cents,
		       (amount * 100)::bigint * (u.percent * 100)::bigint AS exact
		FROM unnest(persons, percents) AS u (person_id, percent)
	) x
	WHERE cardinality(persons) > 0
$$;
