#include "quota/shares.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

enum status
quota_shares_weights(json_t *weights, const struct quota_tree *t, const struct quota_part *parts, int n,
                     struct quota_alloc *alloc, struct issues *e)
{
	const char *k;
	json_t *v;
	bool any = false, *given = calloc((size_t)n, sizeof *given);
	struct issues found = {0};

	if (!given)
		return ST_NOMEM;
	json_object_foreach(weights, k, v)
	{
		struct quota_ref a;
		int i = n;
		if (quota_ref_parse(k, &a) == ST_OK)
			for (i = 0; i < n; i++) {
				struct quota_ref b = quota_tree_part_ref(t, &parts[i]);
				if (a.type == b.type && a.id == b.id)
					break;
			}
		if (i == n) {
			issues_add(&found, "weights",
			           "%.60s is not a part of the team (its active members and child teams)", k);
			continue;
		}
		double w = json_is_number(v) ? json_number_value(v) : -1;
		if (!json_is_number(v) || !(w >= 0) || w > 1e9) {
			issues_add(&found, "weights", "%.60s: must be a number from 0 to 1000000000", k);
			continue;
		}
		alloc[i].basis = (int64_t)(w * 1e6 + 0.5);
		given[i] = true;
		any = any || alloc[i].basis > 0;
	}
	for (int i = 0; i < n; i++)
		if (!given[i]) {
			struct quota_ref a = quota_tree_part_ref(t, &parts[i]);
			issues_add(&found, "weights", "%s:%lld has no weight", quota_assignee_name(a.type),
			           (long long)a.id);
		}
	free(given);
	if (!issues_any(&found) && !any)
		issues_add(&found, "weights", "must not all be zero");
	if (!issues_any(&found))
		return ST_OK;
	issues_move(e, &found);
	return ST_INVALID;
}

/* An array with one percentage per child period, in order. */
static void
read_array(json_t *v, int n, int64_t *bp, struct issues *e)
{
	if ((int)json_array_size(v) != n) {
		issues_add(e, "percentages", "must have %d entries, one per child period", n);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *why = NULL;
		if (money_from_json(json_array_get(v, (size_t)i), false, &bp[i], &why) != ST_OK)
			issues_add(e, "percentages", "entry %d: %s", i, why ? why : "invalid");
	}
}

/* An object with one percentage per child period id. */
static void
read_object(json_t *v, const struct period *children, int n, int64_t *bp, struct issues *e)
{
	const char *k;
	json_t *x;

	json_object_foreach(v, k, x)
	{
		int i = 0;
		while (i < n && strcmp(children[i].id, k) != 0)
			i++;
		if (i == n)
			issues_add(e, "percentages", "%.20s is not a child period of the quota's period", k);
	}
	for (int i = 0; i < n; i++) {
		const char *why = NULL;
		if (!(x = json_object_get(v, children[i].id)))
			issues_add(e, "percentages", "%s has no percentage", children[i].id);
		else if (money_from_json(x, false, &bp[i], &why) != ST_OK)
			issues_add(e, "percentages", "%s: %s", children[i].id, why ? why : "invalid");
	}
}

enum status
quota_shares_percentages(json_t *v, const struct period *children, int n, int64_t *bp, struct issues *e)
{
	struct issues found = {0};
	int64_t sum = 0;

	if (json_is_array(v))
		read_array(v, n, bp, &found);
	else if (json_is_object(v))
		read_object(v, children, n, bp, &found);
	else
		issues_add(&found, "percentages",
		           "must be an array (one number per child period) or an object by period id");
	for (int i = 0; !issues_any(&found) && i < n; i++) {
		if (bp[i] > 10000)
			issues_add(&found, "percentages", "each must be between 0 and 100");
		sum += bp[i];
	}
	if (!issues_any(&found) && sum != 10000) {
		char total[32];
		money_format(sum, total, sizeof total);
		issues_add(&found, "percentages", "must sum to exactly 100 (they sum to %s)", total);
	}
	if (!issues_any(&found))
		return ST_OK;
	issues_move(e, &found);
	return ST_INVALID;
}
