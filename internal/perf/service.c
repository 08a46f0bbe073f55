#include "perf/service.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/buf.h"
#include "core/money.h"
#include "org/service.h"
#include "perf/formulas.h"
#include "quota/alloc.h"
#include "quota/service.h"

/* Hundredths (cents, hundredths of a percent, of a deal, of a day) as a JSON number. */
static json_t *
hundredths(int64_t v)
{
	return money_to_json(v);
}

static json_t *
value_json(struct perf_value v)
{
	return v.defined ? hundredths(v.v) : json_null();
}

/*
 * ---- the result cache (internal/cache) ----
 * A costly answer (a team's or the org's figures, a board, a distribution,
 * a series) is kept under a key made of the operation, the org, the org's
 * data version read with the settings before any data (0017_data_versions:
 * every committed write of the org's data changes it), today in the org's
 * time zone, the caller's visibility and the normalised query. Access is
 * checked before every lookup; only answers (never errors) are kept.
 */

/* The start of a key into b. */
static void
key_begin(struct buf *b, const char *op, const struct caller *who, const char *version, cal_date today)
{
	buf_printf(b, "%s|%zu:%s|%s|%ld|", op, strlen(who->org), who->org, version, (long)today);
	scope_key(who->scope, b);
}

static void
key_scope(struct buf *b, const struct perf_scope *s, enum quota_metric metric)
{
	buf_printf(b, "%d:%lld|m%d|", (int)s->kind, (long long)s->id, (int)metric);
}

/* An answer's key, and whether this request claimed its computation (result_cache_get_or_claim). */
struct kept {
	struct buf key;
	bool claimed;
};

/*
 * The answer kept under k into *out, or (text not NULL) its rendered text
 * into *text and *out NULL; its aux into *aux: true on a hit. On a miss the
 * request computes the answer, and keep or kept_clear ends its claim.
 */
static bool
cached(struct kept *k, json_t **out, char **text, int64_t *aux)
{
	return !k->key.oom && k->key.data &&
	       result_cache_get_or_claim(result_cache_global(), k->key.data, out, text, NULL, aux, &k->claimed);
}

/* Keep answer v (and aux) under k. */
static void
keep(struct kept *k, const json_t *v, int64_t aux)
{
	if (!k->key.oom && k->key.data && v) {
		result_cache_put(result_cache_global(), k->key.data, v, aux);
		k->claimed = false;
	}
}

/* Give up a claim not ended by keep (the request failed: waiters compute for themselves). */
static void
kept_clear(struct kept *k)
{
	if (k->claimed)
		result_cache_release(result_cache_global(), k->key.data);
	buf_clear(&k->key);
}

/* Team id (found among the org's or not) may be seen by the caller: ST_OK, else 404 / 403 with the reason. */
static enum status
team_visible(const struct caller *who, int64_t id, bool found, struct issues *e)
{
	if (!found) {
		issues_add(e, NULL, "%s", "no such team");
		return ST_NOT_FOUND;
	}
	if (scope_quota_team(who->scope, id) >= SCOPE_READ)
		return ST_OK;
	issues_add(e, NULL, "%s", "the team is outside the teams whose figures you may see");
	return ST_FORBIDDEN;
}

/* The caller may see scope s: 404 / 403 otherwise. */
static enum status
may_see(struct db_conn *c, const struct caller *who, const struct perf_scope *s, int64_t *team, struct issues *e)
{
	enum status st;

	*team = 0;
	switch (s->kind) {
	case PERF_ORG:
		if (scope_reads_all(who->scope))
			return ST_OK;
		issues_add(e, NULL, "%s", "the org's figures need read access to every team");
		return ST_FORBIDDEN;
	case PERF_PERSON:
		if ((st = org_service_person_team(c, who, s->id, team)) == ST_NOT_FOUND)
			issues_add(e, NULL, "%s", "no such person");
		if (st != ST_OK)
			return st;
		if (scope_quota_person(who->scope, s->id, *team) >= SCOPE_READ)
			return ST_OK;
		issues_add(e, NULL, "%s", "the person is outside the people whose figures you may see");
		return ST_FORBIDDEN;
	case PERF_TEAM: {
		int64_t parent;
		if ((st = org_service_team_parent(c, who, s->id, &parent)) != ST_OK && st != ST_NOT_FOUND)
			return st;
		*team = s->id;
		return team_visible(who, s->id, st == ST_OK, e);
	}
	}
	return ST_INTERNAL;
}

/*
 * may_see, then the org's settings and data version (the key of a cached
 * answer): for a team or the org one statement (the team read with the
 * settings), for a person two.
 */
static enum status
may_see_versioned(struct db_conn *c, const struct caller *who, const struct perf_scope *s, int64_t *team,
                  struct org_settings *x, char version[ORG_VERSION_MAX], struct issues *e)
{
	bool found = false;
	enum status st;

	if (s->kind == PERF_PERSON || (s->kind == PERF_ORG && !scope_reads_all(who->scope))) {
		if ((st = may_see(c, who, s, team, e)) != ST_OK)
			return st;
		return org_service_settings_versioned(c, who, 0, x, version, NULL);
	}
	*team = s->kind == PERF_TEAM ? s->id : 0;
	if ((st = org_service_settings_versioned(c, who, *team, x, version, &found)) != ST_OK)
		return st;
	return s->kind == PERF_TEAM ? team_visible(who, s->id, found, e) : ST_OK;
}

enum status
perf_service_may_see(struct db_conn *c, const struct caller *who, const struct perf_scope *s, struct issues *e)
{
	int64_t team;
	return may_see(c, who, s, &team, e);
}

/* A team's quota ramped: its own (not ramped), else its sellers' ramped quotas and its child teams'. */
static int64_t
team_effective(const struct quota_tree *t, int64_t team_id, bool *any)
{
	const struct quota_tree_team *tm = quota_tree_team_find(t, team_id);
	int64_t sum = 0;

	if (tm && tm->has_quota) {
		*any = true;
		return tm->amount;
	}
	for (size_t i = 0; i < t->npeople; i++) {
		const struct quota_tree_person *p = &t->people[i];
		if (p->team_id == team_id && p->has_quota && quota_tree_is_seller(t, p)) {
			sum += quota_apply_factor(p->amount, p->ramp_bp);
			*any = true;
		}
	}
	for (size_t i = 0; i < t->nteams; i++)
		if (t->teams[i].parent_id == team_id && t->teams[i].id != team_id && t->teams[i].id != t->root)
			sum += team_effective(t, t->teams[i].id, any);
	return sum;
}

/* A person read on its own (quota_service_person): may the caller see them? 403 otherwise. */
static enum status
person_visible(const struct caller *who, const struct quota_tree_person *p, struct issues *e)
{
	if (scope_quota_person(who->scope, p->id, p->team_id) >= SCOPE_READ)
		return ST_OK;
	issues_add(e, NULL, "%s", "the person is outside the people whose figures you may see");
	return ST_FORBIDDEN;
}

/* A person's quota, in full and ramped, as scope_quota gives it from a tree. */
static void
person_quota(const struct quota_tree_person *p, bool *has, int64_t *full, int64_t *effective, const char **source)
{
	*has = p->has_quota;
	*full = p->has_quota ? p->amount : 0;
	*effective = p->has_quota ? quota_apply_factor(p->amount, p->ramp_bp) : 0;
	*source = p->has_quota ? "explicit" : "none";
}

/* The scope's quota, in full and ramped; *has false when it has none. */
static void
scope_quota(const struct quota_tree *t, const struct perf_scope *s, bool *has, int64_t *full, int64_t *effective,
            const char **source)
{
	*has = false;
	*full = *effective = 0;
	*source = "none";
	if (s->kind == PERF_PERSON) {
		const struct quota_tree_person *p = quota_tree_person_find(t, s->id);
		if (p && p->has_quota) {
			*has = true;
			*full = p->amount;
			*effective = quota_apply_factor(p->amount, p->ramp_bp);
			*source = "explicit";
		}
		return;
	}
	for (size_t i = 0; i < t->nteams; i++) {
		const struct quota_tree_team *tm = &t->teams[i];
		if (s->kind == PERF_TEAM ? tm->id != s->id : tm->parent_id != 0)
			continue;
		int64_t v;
		enum quota_source src = quota_tree_team_value(tm, &v);
		if (src == QUOTA_SOURCE_NONE)
			continue;
		bool any = false;
		*has = true;
		*full += v;
		*effective += team_effective(t, tm->id, &any);
		*source = s->kind == PERF_ORG ? "rolled_up" : quota_source_name(src);
	}
}

/*
 * Last year's shape of period p: the credited won value per day of ly (the
 * same period a year before) summed per day of p for a month, per month
 * otherwise. *n = 0 when last year has nothing.
 */
static enum status
days_shape(const struct perf_day *days, size_t ndays, const struct period *p, const struct period *ly,
           enum quota_metric metric, struct perf_weight **out, size_t *n)
{
	int64_t total = 0;

	*out = NULL;
	*n = 0;
	bool daily = p->grain == GRAIN_MONTH;
	size_t nparts = daily ? (size_t)(p->end - p->start + 1) : (p->grain == GRAIN_QUARTER ? 3 : 12);
	struct perf_weight *w = calloc(nparts, sizeof *w);
	if (!w)
		return ST_NOMEM;
	for (size_t k = 0; k < nparts; k++)
		w[k].end = daily ? p->start + (cal_date)k : cal_date_add_months(p->start, (int)k + 1) - 1;
	w[nparts - 1].end = p->end;
	for (size_t i = 0; i < ndays; i++) {
		int64_t v = metric == QUOTA_DEAL_COUNT ? days[i].count : days[i].amount;
		size_t k = 0;
		if (daily)
			k = (size_t)(days[i].day - ly->start);
		else
			while (k + 1 < nparts && days[i].day > cal_date_add_months(ly->start, (int)k + 1) - 1)
				k++;
		if (k < nparts) {
			w[k].weight += v;
			total += v;
		}
	}
	if (total <= 0) {
		free(w);
		return ST_OK;
	}
	*out = w;
	*n = nparts;
	return ST_OK;
}

/* Last year's shape of the period for scope s (days_shape), read from the deals. */
static enum status
last_year_shape(struct db_conn *c, const struct caller *who, const struct perf_scope *s, const struct period *p,
                int fy_start, enum quota_metric metric, struct perf_weight **out, size_t *n)
{
	struct period ly;
	struct perf_day *days = NULL;
	size_t ndays = 0;
	enum status st;

	*out = NULL;
	*n = 0;
	period_year_ago(p, fy_start, &ly);
	if ((st = perf_store_won_by_day(c, who->org, s, ly.start, ly.end, &days, &ndays)) == ST_OK)
		st = days_shape(days, ndays, p, &ly, metric, out, n);
	free(days);
	return st;
}

/* A quota's split (its month or quarter quotas tiling the period) as weights; *n = 0 when it sums to nothing. */
static enum status
split_weights(const struct quota_period_amount *parts, size_t nparts, struct perf_weight **out, size_t *n)
{
	int64_t total = 0;

	*out = NULL;
	*n = 0;
	if (nparts == 0)
		return ST_OK;
	struct perf_weight *w = calloc(nparts, sizeof *w);
	if (!w)
		return ST_NOMEM;
	for (size_t i = 0; i < nparts; i++) {
		w[i] = (struct perf_weight){parts[i].end, parts[i].amount};
		total += parts[i].amount;
	}
	if (total <= 0) {
		free(w);
		return ST_OK;
	}
	*out = w;
	*n = nparts;
	return ST_OK;
}

/*
 * The quota's split as the seasonal shape of a team's own quota (its
 * quotas of the months, else quarters, that cover the period), *n = 0 when
 * there is none or the scope has no quota.
 */
static enum status
quota_split_shape(struct db_conn *c, const struct caller *who, const struct perf_scope *s, const struct period *p,
                  enum quota_metric metric, bool has_quota, struct perf_weight **out, size_t *n)
{
	struct quota_period_amount *parts = NULL;
	size_t nparts = 0;
	enum status st;

	*out = NULL;
	*n = 0;
	if (s->kind == PERF_ORG || !has_quota)
		return ST_OK;
	struct quota_ref a = {s->kind == PERF_PERSON ? QUOTA_PERSON : QUOTA_TEAM, s->id};
	if ((st = quota_service_split_of(c, who, &a, p, metric, &parts, &nparts)) == ST_OK)
		st = split_weights(parts, nparts, out, n);
	free(parts);
	return st;
}

/* The open pipeline of f by stage with each stage's historical win rate from rates. */
static enum status
stages_of(const struct perf_stage_rate *rates, size_t nrates, const struct perf_facts *f, enum quota_metric metric,
          struct perf_stage **out)
{
	*out = NULL;
	if (f->nstages == 0)
		return ST_OK;
	struct perf_stage *v = calloc(f->nstages, sizeof *v);
	if (!v)
		return ST_NOMEM;
	for (size_t i = 0; i < f->nstages; i++) {
		v[i].open_amount = metric == QUOTA_DEAL_COUNT ? f->stages[i].count : f->stages[i].amount;
		for (size_t k = 0; k < nrates; k++)
			if (strcmp(rates[k].stage, f->stages[i].stage) == 0 && rates[k].closed > 0)
				v[i].win_rate_bp = (rates[k].won * PERF_PCT_WHOLE * 2 + rates[k].closed) / (2 * rates[k].closed);
	}
	*out = v;
	return ST_OK;
}

/* The open pipeline by stage with each stage's historical win rate, read. */
static enum status
stage_inputs(struct db_conn *c, const struct caller *who, const struct perf_when *w, const struct perf_facts *f,
             enum quota_metric metric, struct perf_stage **out)
{
	struct perf_stage_rate *rates = NULL;
	size_t nrates = 0;
	enum status st;

	*out = NULL;
	if (f->nstages == 0)
		return ST_OK;
	if ((st = perf_store_stage_rates(c, who->org, w, &rates, &nrates)) == ST_OK)
		st = stages_of(rates, nrates, f, metric, out);
	free(rates);
	return st;
}

/* The inputs of perf_compute for sums s (no quota, no shape, no stages: the caller adds them). */
static struct perf_inputs
inputs_of(const struct perf_sums *s, const struct perf_when *w, enum quota_metric metric)
{
	return (struct perf_inputs){
	    .start = w->start,
	    .end = w->end,
	    .as_of = w->as_of,
	    .achieved = metric == QUOTA_DEAL_COUNT ? s->won_count : s->won_amount,
	    .won_count = s->won_count,
	    .lost_count = s->lost_count,
	    .won_amount = s->won_amount,
	    .lost_amount = s->lost_amount,
	    .open_pipeline = metric == QUOTA_DEAL_COUNT ? s->open_count : s->open_amount,
	    .open_count = s->open_count,
	    .renewal_won_count = s->renewal_won_count,
	    .renewal_lost_count = s->renewal_lost_count,
	    .expansion_won_amount = s->expansion_won_amount,
	    .cycles = s->cycles,
	    .ncycles = s->ncycles,
	};
}

/* The figures every split has (no quota): into o. */
static void
common_json(json_t *o, const struct perf_inputs *in, const struct perf_figures *f)
{
	json_object_set_new(o, "achieved", hundredths(in->achieved));
	json_object_set_new(o, "open_pipeline", hundredths(in->open_pipeline));
	json_object_set_new(o, "won_count", hundredths(in->won_count));
	json_object_set_new(o, "lost_count", hundredths(in->lost_count));
	json_object_set_new(o, "open_count", hundredths(in->open_count));
	json_object_set_new(o, "won_amount", hundredths(in->won_amount));
	json_object_set_new(o, "lost_amount", hundredths(in->lost_amount));
	json_object_set_new(o, "win_rate_count_pct", value_json(f->win_rate_count_pct));
	json_object_set_new(o, "win_rate_value_pct", value_json(f->win_rate_value_pct));
	json_object_set_new(o, "avg_deal_size", value_json(f->avg_deal_size));
	json_object_set_new(o, "avg_cycle_days", value_json(f->avg_cycle_days));
	json_object_set_new(o, "median_cycle_days", value_json(f->median_cycle_days));
	json_object_set_new(o, "velocity", value_json(f->velocity));
	json_object_set_new(o, "renewal_rate_pct", value_json(f->renewal_rate_pct));
	json_object_set_new(o, "expansion_share_pct", value_json(f->expansion_share_pct));
}

/* A split's figures (by type, by segment) as JSON; NULL on failure. */
static json_t *
split_json(const struct perf_sums *s, const struct perf_when *w, enum quota_metric metric)
{
	struct perf_inputs in = inputs_of(s, w, metric);
	struct perf_figures f;
	json_t *o;

	if (perf_compute(&in, &f) != ST_OK || !(o = json_object()))
		return NULL;
	common_json(o, &in, &f);
	json_object_set_new(o, "projection_linear", value_json(f.projection_linear));
	return o;
}

static json_t *
date_json(cal_date d)
{
	char b[16];
	cal_date_format(d, b, sizeof b);
	return json_string(b);
}

static const char *const kind_names[] = {"person", "team", "org"};

/* The whole answer; NULL on failure. */
static json_t *
render(const struct perf_query *q, const struct period *p, const struct perf_when *w, bool has_quota, int64_t full,
       const char *source, const struct perf_inputs *in, const struct perf_figures *f, const struct perf_facts *facts,
       const char *basis)
{
	json_t *o = json_object(), *scope = json_object(), *period = json_object(), *proj = json_object(),
	       *bt = json_object(), *bs = json_object();
	char id[24];

	if (!o || !scope || !period || !proj || !bt || !bs) {
		json_decref(o);
		json_decref(scope);
		json_decref(period);
		json_decref(proj);
		json_decref(bt);
		json_decref(bs);
		return NULL;
	}
	json_object_set_new(scope, "type", json_string(kind_names[q->scope.kind]));
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	json_object_set_new(scope, "id", q->scope.kind == PERF_ORG ? json_null() : json_string(id));
	json_object_set_new(o, "scope", scope);
	json_object_set_new(period, "id", json_string(p->id));
	json_object_set_new(period, "start", date_json(p->start));
	json_object_set_new(period, "end", date_json(p->end));
	json_object_set_new(o, "period", period);
	json_object_set_new(o, "metric", json_string(quota_metric_name(q->metric)));
	json_object_set_new(o, "as_of", date_json(w->as_of));
	json_object_set_new(o, "period_days", json_integer(f->period_days));
	json_object_set_new(o, "elapsed_days", json_integer(f->elapsed_days));
	json_object_set_new(o, "quota", has_quota ? hundredths(full) : json_null());
	json_object_set_new(o, "effective_quota", has_quota ? hundredths(in->effective_quota) : json_null());
	json_object_set_new(o, "quota_source", json_string(source));
	json_object_set_new(o, "attainment_pct", has_quota ? value_json(f->attainment_pct) : json_null());
	json_object_set_new(o, "gap", has_quota ? hundredths(f->gap) : json_null());
	json_object_set_new(o, "expected_to_date", has_quota ? value_json(f->expected_linear) : json_null());
	json_object_set_new(o, "pace_pct", has_quota ? value_json(f->pace_linear_pct) : json_null());
	json_object_set_new(o, "expected_to_date_seasonal", has_quota ? value_json(f->expected_seasonal) : json_null());
	json_object_set_new(o, "pace_seasonal_pct", has_quota ? value_json(f->pace_seasonal_pct) : json_null());
	json_object_set_new(o, "seasonal_basis", basis ? json_string(basis) : json_null());
	json_object_set_new(proj, "linear", value_json(f->projection_linear));
	json_object_set_new(proj, "seasonal", value_json(f->projection_seasonal));
	json_object_set_new(proj, "pipeline", value_json(f->projection_pipeline));
	json_object_set_new(o, "projections", proj);
	json_object_set_new(o, "pipeline_needed", has_quota ? value_json(f->pipeline_needed) : json_null());
	json_object_set_new(o, "coverage", has_quota ? value_json(f->coverage) : json_null());
	common_json(o, in, f);
	for (int i = 0; i < PERF_TYPES; i++)
		json_object_set_new(bt, perf_type_name(i), split_json(&facts->by_type[i], w, q->metric));
	for (int i = 0; i < PERF_SEGMENTS; i++)
		json_object_set_new(bs, perf_segment_name(i), split_json(&facts->by_segment[i], w, q->metric));
	json_object_set_new(o, "by_type", bt);
	json_object_set_new(o, "by_segment", bs);
	return o;
}

/*
 * The org's stage win rates as of a day, kept in the result cache under the
 * data version they were read at (they are the same for every person's read
 * of the org that day, and change only with its deals): "rates|org|version|day".
 * Kept as [[stage, won, closed], ...].
 */
static void
rates_key(struct buf *b, const char *org, const char *version, cal_date as_of)
{
	buf_printf(b, "rates|%zu:%s|%s|%ld", strlen(org), org, version, (long)as_of);
}

/* The rates kept under key into *out (malloc'd) and *n: true on a hit. */
static bool
rates_recall(const struct buf *key, struct perf_stage_rate **out, size_t *n)
{
	json_t *v = NULL, *x;
	size_t i;

	if (key->oom || !key->data || !result_cache_get(result_cache_global(), key->data, &v, NULL, NULL, NULL))
		return false;
	struct perf_stage_rate *r = calloc(json_array_size(v) + 1, sizeof *r);
	bool ok = r != NULL;
	json_array_foreach(v, i, x) {
		const char *stage = json_string_value(json_array_get(x, 0));
		if (!ok || !stage) {
			ok = false;
			break;
		}
		snprintf(r[i].stage, sizeof r[i].stage, "%s", stage);
		r[i].won = json_integer_value(json_array_get(x, 1));
		r[i].closed = json_integer_value(json_array_get(x, 2));
	}
	json_decref(v);
	if (!ok) {
		free(r);
		return false;
	}
	*out = r;
	*n = i;
	return true;
}

/* Keep the rates under key. */
static void
rates_keep(const struct buf *key, const struct perf_stage_rate *r, size_t n)
{
	json_t *v = json_array();

	if (key->oom || !key->data || !v) {
		json_decref(v);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(v, json_pack("[s,I,I]", r[i].stage, (json_int_t)r[i].won,
		                                       (json_int_t)r[i].closed)) != 0) {
			json_decref(v);
			return;
		}
	result_cache_put(result_cache_global(), key->data, v, 0);
	json_decref(v);
}

/* How many times a person's read is tried on settings that keep changing under it (then 503). */
#define PERSON_READ_TRIES 4

/*
 * Everything a person's figures need, in one round trip: the org settings
 * (*settings), the person and their quota (*person, *p, *split), their facts,
 * the stage rates and last year's days (*pr). The reads are made on the
 * settings this process last saw for the org; the settings read in the same
 * batch must be the same, else all is read again on them. As of an earlier
 * day, the facts are read after (the history: one statement at a time).
 */
static enum status
person_read(struct db_conn *c, const struct caller *who, const struct perf_query *q, const struct quota_spec *spec,
            struct org_settings *settings, struct quota_tree_person *person, struct period *p,
            struct quota_period_amount **split, size_t *nsplit, struct perf_person_read *pr, struct issues *e)
{
	struct org_settings guess, fresh;
	char guessed[ORG_VERSION_MAX];
	enum status st;

	if (!org_service_settings_guess(who, &guess, guessed) && (st = org_service_settings(c, who, &guess)) != ST_OK)
		return st;
	for (int tries = 0; tries < PERSON_READ_TRIES; tries++) {
		struct db_batch b = {0};
		struct org_settings_call sc;
		char version[ORG_VERSION_MAX];
		struct quota_person_call qc;
		struct perf_person_call pc;
		struct period ly;
		struct buf key = {0};
		struct perf_stage_rate *kept = NULL;
		size_t nkept = 0;

		org_service_settings_queue(&b, who, &sc);
		if ((st = quota_service_person_queue(&b, who, q->scope.id, spec, &guess, &qc, p, e)) != ST_OK)
			return st;
		struct perf_when w = {.start = p->start, .end = p->end, .as_of = q->has_as_of ? q->as_of : guess.today};
		w.historic = w.as_of < guess.today;
		period_year_ago(p, guess.fiscal_year_start_month, &ly);
		/* the rates kept at the version last seen: used if the batch reads that version again */
		if (!w.historic && guessed[0])
			rates_key(&key, who->org, guessed, w.as_of);
		bool have = !w.historic && guessed[0] && rates_recall(&key, &kept, &nkept);
		if (!w.historic)
			perf_store_person_queue(&b, who->org, &q->scope, &w, &ly, !have, &pc);
		db_batch_run(c, &b);
		if ((st = org_service_settings_take(c, who, &b, &sc, &fresh, version)) == ST_OK &&
		    !org_settings_same(&fresh, &guess)) {
			db_batch_clear(&b); /* read on other settings than the org's: again, on these */
			buf_clear(&key);
			free(kept);
			guess = fresh;
			memcpy(guessed, version, sizeof guessed);
			continue;
		}
		if (st == ST_OK && (st = quota_service_person_take(c, &b, &qc, person, split, nsplit)) == ST_OK)
			st = w.historic ? perf_store_person_history(c, who->org, &q->scope, &w, &ly, pr)
			                : perf_store_person_take(c, &b, &pc, pr);
		db_batch_clear(&b);
		if (st == ST_OK && !w.historic) {
			if (have && strcmp(version, guessed) == 0) { /* nothing written since they were kept */
				pr->rates = kept;
				pr->nrates = nkept;
				kept = NULL;
			} else {
				/* read in the batch, after the version (so at least as new as it), or now */
				if (have)
					st = perf_store_stage_rates(c, who->org, &w, &pr->rates, &pr->nrates);
				buf_clear(&key);
				rates_key(&key, who->org, version, w.as_of);
				if (st == ST_OK)
					rates_keep(&key, pr->rates, pr->nrates);
			}
		}
		buf_clear(&key);
		free(kept);
		if (st == ST_OK)
			*settings = guess;
		return st;
	}
	return ST_UNAVAILABLE;
}

enum status
perf_service_get(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                 char **text, struct issues *e)
{
	struct quota_spec spec = {.period = q->period, .metric = q->metric};
	struct quota_tree tree = {0};
	struct quota_tree_person person = {0};
	struct quota_period_amount *split = NULL;
	size_t nsplit = 0;
	struct period p;
	struct org_settings settings;
	struct perf_facts facts = {0};
	struct perf_person_read pr = {0};
	const struct perf_facts *fx = &facts;
	struct perf_weight *weights = NULL;
	struct perf_stage *stages = NULL;
	size_t nweights = 0;
	int64_t team, full, effective;
	cal_date today;
	bool has_quota;
	const char *source, *basis = NULL;
	json_t *o = NULL;
	char version[ORG_VERSION_MAX];
	struct kept key = {0};
	bool caching = false;
	enum status st;

	if (q->scope.kind == PERF_PERSON) {
		/* a person's own row and quota: their team decides whether the caller may see them */
		if ((st = person_read(c, who, q, &spec, &settings, &person, &p, &split, &nsplit, &pr, e)) == ST_NOT_FOUND)
			issues_add(e, NULL, "%s", "no such person");
		if (st != ST_OK || (st = person_visible(who, &person, e)) != ST_OK)
			goto out;
		person_quota(&person, &has_quota, &full, &effective, &source);
	} else {
		if ((st = may_see_versioned(c, who, &q->scope, &team, &settings, version, e)) != ST_OK)
			goto out;
		if (!q->explain) {
			key_begin(&key.key, "get", who, version, settings.today);
			key_scope(&key.key, &q->scope, q->metric);
			buf_printf(&key.key, "%s|%ld", q->period, q->has_as_of ? (long)q->as_of : -1L);
			if (cached(&key, out, text, NULL))
				goto out; /* st is ST_OK */
			caching = true;
		}
		if ((st = quota_service_tree(c, who, team, &spec, &settings, &tree, &p, e)) != ST_OK)
			goto out;
		scope_quota(&tree, &q->scope, &has_quota, &full, &effective, &source);
	}
	today = settings.today;
	struct perf_when w = {.start = p.start, .end = p.end, .as_of = q->has_as_of ? q->as_of : today};
	w.historic = w.as_of < today;
	if (q->scope.kind == PERF_PERSON) {
		/* read by person_read: the facts, the stage rates and last year's days (used without a split) */
		struct period ly;
		period_year_ago(&p, settings.fiscal_year_start_month, &ly);
		if ((st = split_weights(split, nsplit, &weights, &nweights)) != ST_OK)
			goto out;
		bool by_split = nweights > 0;
		if ((st = stages_of(pr.rates, pr.nrates, &pr.facts, q->metric, &stages)) != ST_OK ||
		    (!by_split && (st = days_shape(pr.days, pr.ndays, &p, &ly, q->metric, &weights, &nweights)) != ST_OK))
			goto out;
		basis = by_split ? "quota_split" : nweights > 0 ? "last_year" : NULL;
		fx = &pr.facts;
	} else {
		if ((st = perf_store_facts(c, who->org, &q->scope, &w, &facts)) != ST_OK ||
		    (st = stage_inputs(c, who, &w, &facts, q->metric, &stages)) != ST_OK ||
		    (st = quota_split_shape(c, who, &q->scope, &p, q->metric, has_quota, &weights, &nweights)) != ST_OK)
			goto out;
		if (nweights > 0)
			basis = "quota_split";
		else if ((st = last_year_shape(c, who, &q->scope, &p, settings.fiscal_year_start_month, q->metric,
		                               &weights, &nweights)) != ST_OK)
			goto out;
		else if (nweights > 0)
			basis = "last_year";
	}
	struct perf_inputs in = inputs_of(&fx->all, &w, q->metric);
	struct perf_figures f;
	in.effective_quota = effective;
	in.stages = stages;
	in.nstages = fx->nstages;
	in.weights = weights;
	in.nweights = nweights;
	if ((st = perf_compute(&in, &f)) != ST_OK) {
		st = st == ST_INVALID ? ST_INTERNAL : st;
		goto out;
	}
	if (!(o = render(q, &p, &w, has_quota, full, source, &in, &f, fx, basis))) {
		st = ST_NOMEM;
		goto out;
	}
	if (q->explain) {
		json_t *won = NULL, *opn = NULL;
		bool truncated = false;
		if ((st = perf_store_explain(c, who->org, &q->scope, &w, PERF_EXPLAIN_MAX, &won, &opn, &truncated)) !=
		    ST_OK)
			goto out;
		json_object_set_new(o, "explain", json_pack("{s:o,s:o,s:b}", "achieved", won, "open_pipeline", opn,
		                                             "truncated", truncated));
	}
	if (caching)
		keep(&key, o, 0);
	*out = o;
	o = NULL;
out:
	kept_clear(&key);
	json_decref(o);
	free(weights);
	free(stages);
	perf_facts_clear(&facts);
	perf_person_read_clear(&pr);
	quota_tree_clear(&tree);
	free(person.name);
	free(split);
	return st;
}

/* ---- leaderboards and distributions ------------------------------------------------- */

const char *const perf_board_figures[] = {
    "attainment_pct", "achieved",        "quota",          "effective_quota",    "gap",
    "expected_to_date", "pace_pct",      "projection_linear", "open_pipeline",   "coverage",
    "pipeline_needed", "won_count",      "lost_count",     "won_amount",         "lost_amount",
    "win_rate_count_pct", "win_rate_value_pct", "avg_deal_size", "avg_cycle_days", "median_cycle_days",
    "velocity",        "renewal_rate_pct", "expansion_share_pct", NULL};

/*
 * One person or child team of a board, its figures computed; its JSON is
 * built only when it is shown (a page of a leaderboard, a scorecard's row).
 */
struct board_row {
	int64_t id;
	const struct quota_tree_team *team;     /* a child team's row, or */
	const struct quota_tree_person *person; /* a person's */
	const struct perf_sums *sums;           /* NULL: nothing credited */
	bool has_quota;
	int64_t full, effective;
	int64_t key;      /* the sort figure, hundredths as published */
	bool key_null;    /* it is null: after every other row */
	int64_t attainment; /* hundredths of a percent; -1 without a rated quota (none, or 0) */
};

static const struct perf_sums no_sums;

/* The inputs and figures of row x into *in and *f; false on failure. */
static bool
row_compute(const struct board_row *x, const struct perf_when *w, enum quota_metric metric, struct perf_inputs *in,
            struct perf_figures *f)
{
	*in = inputs_of(x->sums ? x->sums : &no_sums, w, metric);
	in->effective_quota = x->effective;
	return perf_compute(in, f) == ST_OK;
}

/* Figure `name` (one of perf_board_figures) of a row into *v; false when it is null. */
static bool
figure_of(const char *name, const struct board_row *x, const struct perf_inputs *in, const struct perf_figures *f,
          int64_t *v)
{
	static const char *const quota_figures[] = {"attainment_pct", "quota", "effective_quota", "gap",
	                                            "expected_to_date", "pace_pct", "coverage", "pipeline_needed",
	                                            NULL};
	const struct {
		const char *name;
		struct perf_value v;
	} table[] = {
	    {"attainment_pct", f->attainment_pct},
	    {"achieved", {true, in->achieved}},
	    {"quota", {true, x->full}},
	    {"effective_quota", {true, x->effective}},
	    {"gap", {true, f->gap}},
	    {"expected_to_date", f->expected_linear},
	    {"pace_pct", f->pace_linear_pct},
	    {"projection_linear", f->projection_linear},
	    {"open_pipeline", {true, in->open_pipeline}},
	    {"coverage", f->coverage},
	    {"pipeline_needed", f->pipeline_needed},
	    {"won_count", {true, in->won_count}},
	    {"lost_count", {true, in->lost_count}},
	    {"won_amount", {true, in->won_amount}},
	    {"lost_amount", {true, in->lost_amount}},
	    {"win_rate_count_pct", f->win_rate_count_pct},
	    {"win_rate_value_pct", f->win_rate_value_pct},
	    {"avg_deal_size", f->avg_deal_size},
	    {"avg_cycle_days", f->avg_cycle_days},
	    {"median_cycle_days", f->median_cycle_days},
	    {"velocity", f->velocity},
	    {"renewal_rate_pct", f->renewal_rate_pct},
	    {"expansion_share_pct", f->expansion_share_pct},
	};

	for (size_t i = 0; !x->has_quota && quota_figures[i]; i++)
		if (strcmp(name, quota_figures[i]) == 0)
			return false;
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(name, table[i].name) == 0) {
			*v = table[i].v.v;
			return table[i].v.defined;
		}
	return false;
}

/* The JSON of row x (its figures, without its rank); NULL on failure. */
static json_t *
row_json(const struct board_row *x, const struct perf_when *w, enum quota_metric metric)
{
	struct perf_inputs in;
	struct perf_figures f;
	char id[24], team[24];
	json_t *o;
	bool has = x->has_quota;

	if (!row_compute(x, w, metric, &in, &f))
		return NULL;
	snprintf(id, sizeof id, "%lld", (long long)x->id);
	if (x->team) {
		o = json_pack("{s:{s:s,s:s}}", "team", "id", id, "name", x->team->name);
	} else {
		snprintf(team, sizeof team, "%lld", (long long)x->person->team_id);
		o = json_pack("{s:{s:s,s:s,s:s}}", "person", "id", id, "name", x->person->name, "team_id", team);
	}
	if (!o)
		return NULL;
	json_object_set_new(o, "quota", has ? hundredths(x->full) : json_null());
	json_object_set_new(o, "effective_quota", has ? hundredths(x->effective) : json_null());
	json_object_set_new(o, "attainment_pct", has ? value_json(f.attainment_pct) : json_null());
	json_object_set_new(o, "gap", has ? hundredths(f.gap) : json_null());
	json_object_set_new(o, "expected_to_date", has ? value_json(f.expected_linear) : json_null());
	json_object_set_new(o, "pace_pct", has ? value_json(f.pace_linear_pct) : json_null());
	json_object_set_new(o, "projection_linear", value_json(f.projection_linear));
	json_object_set_new(o, "coverage", has ? value_json(f.coverage) : json_null());
	json_object_set_new(o, "pipeline_needed", has ? value_json(f.pipeline_needed) : json_null());
	common_json(o, &in, &f);
	return o;
}

static const struct perf_sums *
group_of(struct perf_group *g, size_t n, int64_t key)
{
	const struct perf_group *x = perf_group_find(g, n, key);

	return x ? &x->sums : NULL;
}

static int
board_cmp(const void *a, const void *b, void *asc)
{
	const struct board_row *x = a, *y = b;

	if (x->key_null != y->key_null)
		return x->key_null ? 1 : -1;
	if (!x->key_null && x->key != y->key) {
		int c = x->key < y->key ? -1 : 1;
		return *(bool *)asc ? c : -c;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

/* What a board or a distribution reads: access, the period, the tree and the sums. */
struct board {
	struct quota_tree tree;
	struct period period;
	struct perf_when when;
	struct perf_group *groups;
	size_t ngroups;
	bool cycles; /* the groups carry their cycles (else board_cycles adds them for the rows shown) */
};

static void
board_clear(struct board *b)
{
	quota_tree_clear(&b->tree);
	perf_groups_free(b->groups, b->ngroups);
	memset(b, 0, sizeof *b);
}

/*
 * The board of `scope` (tree of team `root`; 0: the org) for period and
 * metric at `as_of` (today given); with `cycles`, every row's won cycles
 * (a sort by a cycle figure needs them all).
 */
static enum status
board_fill(struct db_conn *c, const struct caller *who, const struct perf_scope *scope, int64_t root,
           const char *period, enum quota_metric metric, cal_date as_of, const struct org_settings *x, bool teams,
           bool cycles, struct board *b, struct issues *e)
{
	struct quota_spec spec = {.period = period, .metric = metric};
	enum status st;

	memset(b, 0, sizeof *b);
	if ((st = quota_service_tree(c, who, root, &spec, x, &b->tree, &b->period, e)) != ST_OK)
		return st;
	b->when = (struct perf_when){.start = b->period.start, .end = b->period.end, .as_of = as_of,
	                             .historic = as_of < x->today};
	b->cycles = cycles;
	return perf_store_groups(c, who->org, scope, &b->when, teams, &b->cycles, &b->groups, &b->ngroups);
}

/* Add the cycles of rows[0..n) to b's groups unless they are there. */
static enum status
board_cycles(struct db_conn *c, const struct caller *who, struct board *b, const struct board_row *rows, size_t n)
{
	int64_t *ids;
	enum status st;

	if (b->cycles || n == 0)
		return ST_OK;
	if (!(ids = calloc(n, sizeof *ids)))
		return ST_NOMEM;
	for (size_t i = 0; i < n; i++)
		ids[i] = rows[i].id;
	st = perf_store_people_cycles(c, who->org, &b->when, ids, n, b->groups, b->ngroups);
	free(ids);
	return st;
}

/*
 * What a board checks and reads first: access (the scope's team into
 * *team), the settings and the data version; then the key of its answer
 * (operation op) into key.
 */
static enum status
board_begin(struct db_conn *c, const struct caller *who, const struct perf_board_query *q, const char *op,
            int64_t *team, struct org_settings *x, struct buf *key, struct issues *e)
{
	char version[ORG_VERSION_MAX];
	enum status st;

	if ((st = may_see_versioned(c, who, &q->scope, team, x, version, e)) != ST_OK)
		return st;
	key_begin(key, op, who, version, x->today);
	key_scope(key, &q->scope, q->metric);
	buf_printf(key, "%s|%ld|", q->period, q->has_as_of ? (long)q->as_of : -1L);
	return ST_OK;
}

/*
 * The attainments (hundredths of a percent) of the rows with an effective
 * quota above 0 into att (room for n), their number returned.
 */
static size_t
rated_attainments(const struct board_row *rows, size_t n, int64_t *att)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].attainment >= 0)
			att[m++] = rows[i].attainment;
	return m;
}

/* Compute row x's sort key and attainment; false on failure. */
static bool
row_rate(struct board_row *x, const struct perf_when *w, enum quota_metric metric, const char *sort)
{
	struct perf_inputs in;
	struct perf_figures f;

	if (!row_compute(x, w, metric, &in, &f))
		return false;
	x->key_null = !figure_of(sort, x, &in, &f, &x->key);
	x->attainment = x->has_quota && x->effective > 0 && f.attainment_pct.defined ? f.attainment_pct.v : -1;
	return true;
}

/* The rows of the board (people or child teams), rated by `sort`, into *rows (free) and *n. */
static enum status
board_rows(struct board *b, const struct perf_board_query *q, const char *sort, struct board_row **rows, size_t *n)
{
	const struct quota_tree *t = &b->tree;
	size_t cap = t->npeople + t->nteams, k = 0;
	struct board_row *v = calloc(cap + 1, sizeof *v);

	if (!v)
		return ST_NOMEM;
	for (size_t i = 0; i < t->nteams && q->teams; i++) {
		const struct quota_tree_team *tm = &t->teams[i];
		if (q->scope.kind == PERF_TEAM ? tm->parent_id != q->scope.id || tm->id == t->root : tm->parent_id != 0)
			continue;
		struct board_row *x = &v[k++];
		bool any = false;
		*x = (struct board_row){.id = tm->id, .team = tm, .sums = group_of(b->groups, b->ngroups, tm->id)};
		x->has_quota = quota_tree_team_value(tm, &x->full) != QUOTA_SOURCE_NONE;
		x->effective = x->has_quota ? team_effective(t, tm->id, &any) : 0;
	}
	for (size_t i = 0; i < t->npeople && !q->teams; i++) {
		const struct quota_tree_person *p = &t->people[i];
		const struct perf_sums *s = group_of(b->groups, b->ngroups, p->id);
		if (!p->active && !p->has_quota && !s)
			continue;
		v[k++] = (struct board_row){.id = p->id, .person = p, .sums = s, .has_quota = p->has_quota,
		                            .full = p->has_quota ? p->amount : 0,
		                            .effective = p->has_quota ? quota_apply_factor(p->amount, p->ramp_bp) : 0};
	}
	for (size_t i = 0; i < k; i++)
		if (!row_rate(&v[i], &b->when, q->metric, sort)) {
			free(v);
			return ST_NOMEM;
		}
	*rows = v;
	*n = k;
	return ST_OK;
}

enum status
perf_service_leaderboard(struct db_conn *c, const struct caller *who, const struct perf_board_query *q, json_t **out,
                         char **text, int64_t *next, struct issues *e)
{
	const char *sort = q->sort ? q->sort : "attainment_pct";
	struct board b;
	struct board_row *rows = NULL;
	size_t n = 0;
	bool asc = q->ascending;
	enum status st;

	bool by_cycle = strcmp(sort, "avg_cycle_days") == 0 || strcmp(sort, "median_cycle_days") == 0 ||
	                strcmp(sort, "velocity") == 0;
	size_t from = 0, to = 0;
	struct org_settings x;
	struct kept key = {0};
	int64_t team;

	memset(&b, 0, sizeof b);
	if ((st = board_begin(c, who, q, "board", &team, &x, &key.key, e)) != ST_OK) {
		kept_clear(&key);
		return st;
	}
	buf_printf(&key.key, "%d|%s|%d|%d|%lld", q->teams, sort, asc, q->limit, (long long)q->offset);
	if (cached(&key, out, text, next)) {
		kept_clear(&key);
		return ST_OK;
	}
	if ((st = board_fill(c, who, &q->scope, team, q->period, q->metric, q->has_as_of ? q->as_of : x.today, &x,
	                     q->teams, by_cycle, &b, e)) == ST_OK &&
	    (st = board_rows(&b, q, sort, &rows, &n)) == ST_OK) {
		qsort_r(rows, n, sizeof *rows, board_cmp, &asc);
		from = q->offset < (int64_t)n ? (size_t)q->offset : n;
		to = q->offset + q->limit < (int64_t)n ? (size_t)(q->offset + q->limit) : n;
		st = board_cycles(c, who, &b, rows + from, to - from);
	}
	if (st == ST_OK) {
		json_t *items = json_array();
		size_t ahead = 0;
		for (size_t i = 0; i < n && items && (int64_t)i < q->offset + q->limit; i++) {
			if (i > 0 && (rows[i].key_null != rows[i - 1].key_null || rows[i].key != rows[i - 1].key))
				ahead = i;
			if ((int64_t)i < q->offset)
				continue;
			json_t *o = row_json(&rows[i], &b.when, q->metric);
			if (!o || json_object_set_new(o, "rank", json_integer((json_int_t)ahead + 1)) != 0 ||
			    json_array_append_new(items, o) != 0) {
				json_decref(o);
				json_decref(items);
				items = NULL;
			}
		}
		*next = q->offset + q->limit < (int64_t)n ? q->offset + q->limit : -1;
		*out = items ? json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:I,s:o}", "period", b.period.id, "metric",
		                         quota_metric_name(q->metric), "as_of", date_json(b.when.as_of), "level",
		                         q->teams ? "teams" : "people", "sort", sort, "order", asc ? "asc" : "desc",
		                         "total", (json_int_t)n, "items", items)
		             : NULL;
		st = *out ? ST_OK : ST_NOMEM;
		if (st == ST_OK && q->cursor) {
			char cur[64];
			if (*next >= 0)
				q->cursor(*next, cur, sizeof cur);
			json_object_set_new(*out, "next_cursor", *next >= 0 ? json_string(cur) : json_null());
		}
		if (st == ST_OK)
			keep(&key, *out, *next);
	}
	kept_clear(&key);
	free(rows);
	board_clear(&b);
	return st;
}

enum status
perf_service_distribution(struct db_conn *c, const struct caller *who, const struct perf_board_query *q,
                          json_t **out, char **text, struct issues *e)
{
	struct perf_board_query people = *q;
	struct board b;
	struct board_row *rows = NULL;
	int64_t *att = NULL;
	size_t n = 0, m = 0;
	enum status st;

	struct org_settings x;
	struct kept key = {0};
	int64_t team;

	people.teams = false;
	memset(&b, 0, sizeof b);
	if ((st = board_begin(c, who, &people, "distribution", &team, &x, &key.key, e)) != ST_OK ||
	    cached(&key, out, text, NULL)) {
		kept_clear(&key);
		return st;
	}
	if ((st = board_fill(c, who, &people.scope, team, people.period, people.metric,
	                     people.has_as_of ? people.as_of : x.today, &x, false, false, &b, e)) == ST_OK &&
	    (st = board_rows(&b, &people, "attainment_pct", &rows, &n)) == ST_OK &&
	    (st = (att = calloc(n + 1, sizeof *att)) ? ST_OK : ST_NOMEM) == ST_OK) {
		m = rated_attainments(rows, n, att);
		struct perf_distribution d;
		if ((st = perf_compute_distribution(att, m, &d)) == ST_OK) {
			json_t *buckets = json_object();
			for (int i = 0; i < PERF_BUCKETS; i++)
				json_object_set_new(buckets, perf_bucket_name((enum perf_bucket)i),
				                    json_integer((json_int_t)d.buckets[i]));
			*out = json_pack("{s:s,s:s,s:o,s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:o}", "period", b.period.id, "metric",
			                 quota_metric_name(q->metric), "as_of", date_json(b.when.as_of), "people",
			                 (json_int_t)d.count, "people_without_quota", (json_int_t)(n - m), "buckets",
			                 buckets, "at_or_above_quota", (json_int_t)d.at_or_above_quota,
			                 "at_or_above_quota_pct", value_json(d.at_or_above_quota_pct), "p25",
			                 value_json(d.p25), "median", value_json(d.median), "p75", value_json(d.p75));
			st = *out ? ST_OK : ST_NOMEM;
			if (st == ST_OK)
				keep(&key, *out, 0);
		}
	}
	kept_clear(&key);
	free(rows);
	free(att);
	board_clear(&b);
	return st;
}

/* ---- series: trend and scorecard --------------------------------------------------------- */

/* The periods of q into *out (free) and *n; ST_INVALID naming "to" when there are none or too many. */
static enum status
series_periods(const struct perf_series_query *q, int fy_start, struct period **out, size_t *n, struct issues *e)
{
	struct period p, last;

	if (q->to < q->from) {
		issues_add(e, "to", "must not be before from");
		return ST_INVALID;
	}
	period_containing(q->from, q->grain, fy_start, &p);
	period_containing(q->to, q->grain, fy_start, &last);
	struct period *v = calloc(PERF_SERIES_MAX, sizeof *v);
	size_t k = 0;
	if (!v)
		return ST_NOMEM;
	for (;;) {
		if (k == PERF_SERIES_MAX) {
			free(v);
			issues_add(e, "to", "at most %d periods at a time", PERF_SERIES_MAX);
			return ST_INVALID;
		}
		v[k++] = p;
		if (p.start >= last.start)
			break;
		struct period nx;
		period_next(&p, fy_start, &nx);
		p = nx;
	}
	*out = v;
	*n = k;
	return ST_OK;
}

static json_t *
period_json(const struct period *p)
{
	return json_pack("{s:s,s:o,s:o}", "id", p->id, "start", date_json(p->start), "end", date_json(p->end));
}

/*
 * What a series reads first: access (and the scope's team), the org's
 * settings (today) and data version, and q's periods (free); the key of its
 * answer (operation op) into key.
 */
static enum status
series_begin(struct db_conn *c, const struct caller *who, const struct perf_series_query *q, const char *op,
             int64_t *team, struct org_settings *settings, struct period **periods, size_t *np, struct buf *key,
             struct issues *e)
{
	char version[ORG_VERSION_MAX];
	enum status st;

	if ((st = may_see_versioned(c, who, &q->scope, team, settings, version, e)) != ST_OK)
		return st;
	key_begin(key, op, who, version, settings->today);
	key_scope(key, &q->scope, q->metric);
	buf_printf(key, "%ld|%ld|%d", (long)q->from, (long)q->to, (int)q->grain);
	return series_periods(q, settings->fiscal_year_start_month, periods, np, e);
}

enum status
perf_service_trend(struct db_conn *c, const struct caller *who, const struct perf_series_query *q, json_t **out,
                   char **text, struct issues *e)
{
	struct period *periods = NULL;
	struct perf_day *days = NULL;
	size_t np = 0, nd = 0;
	int64_t team;
	struct org_settings settings;
	json_t *points = NULL;
	struct kept key = {0};
	enum status st;

	if ((st = series_begin(c, who, q, "trend", &team, &settings, &periods, &np, &key.key, e)) != ST_OK ||
	    cached(&key, out, text, NULL))
		goto out;
	cal_date end = periods[np - 1].end < settings.today ? periods[np - 1].end : settings.today;
	if (end >= periods[0].start &&
	    (st = perf_store_won_by_day(c, who->org, &q->scope, periods[0].start, end, &days, &nd)) != ST_OK)
		goto out;
	if (!(points = json_array())) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0, d = 0; i < np; i++) {
		struct quota_tree tree = {0};
		struct period p;
		struct quota_spec spec = {.period = periods[i].id, .metric = q->metric};
		struct perf_sums sums = {0};
		bool has;
		int64_t full, eff;
		const char *source;

		for (; d < nd && days[d].day <= periods[i].end; d++) {
			if (days[d].day < periods[i].start)
				continue;
			sums.won_amount += days[d].amount;
			sums.won_count += days[d].count;
		}
		if ((st = quota_service_tree(c, who, team, &spec, &settings, &tree, &p, e)) != ST_OK)
			goto out;
		scope_quota(&tree, &q->scope, &has, &full, &eff, &source);
		quota_tree_clear(&tree);
		struct perf_when w = {.start = p.start, .end = p.end, .as_of = settings.today};
		struct perf_inputs in = inputs_of(&sums, &w, q->metric);
		struct perf_figures f;
		in.effective_quota = eff;
		if ((st = perf_compute(&in, &f)) != ST_OK)
			goto out;
		json_t *pt = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "period", period_json(&p), "quota",
		                       has ? hundredths(full) : json_null(), "effective_quota",
		                       has ? hundredths(eff) : json_null(), "achieved", hundredths(in.achieved),
		                       "attainment_pct", has ? value_json(f.attainment_pct) : json_null(), "won_count",
		                       hundredths(sums.won_count));
		if (!pt || json_array_append_new(points, pt) != 0) {
			st = ST_NOMEM;
			goto out;
		}
	}
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	*out = json_pack("{s:{s:s,s:o},s:s,s:s,s:O}", "scope", "type", kind_names[q->scope.kind], "id",
	                 q->scope.kind == PERF_ORG ? json_null() : json_string(id), "metric",
	                 quota_metric_name(q->metric), "grain", period_grain_name(q->grain), "points", points);
	st = *out ? ST_OK : ST_NOMEM;
	if (st == ST_OK)
		keep(&key, *out, 0);
out:
	kept_clear(&key);
	json_decref(points);
	free(periods);
	free(days);
	return st;
}

enum status
perf_service_scorecard(struct db_conn *c, const struct caller *who, const struct perf_series_query *q, json_t **out,
                       char **text, struct issues *e)
{
	struct period *periods = NULL;
	size_t np = 0;
	int64_t team;
	struct org_settings settings;
	json_t *points = NULL;
	struct kept key = {0};
	enum status st;

	if ((st = series_begin(c, who, q, "scorecard", &team, &settings, &periods, &np, &key.key, e)) != ST_OK ||
	    cached(&key, out, text, NULL))
		goto out;
	if (!(points = json_array())) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		/* the person's team as a board (the team's aggregates come with the person's figures) */
		struct perf_board_query bq = {.scope = {.kind = team ? PERF_TEAM : PERF_PERSON, .id = team ? team : q->scope.id},
		                              .period = periods[i].id, .metric = q->metric};
		struct board b = {0};
		struct board_row *rows = NULL;
		size_t n = 0;
		json_t *mine = NULL;

		if ((st = board_fill(c, who, &bq.scope, team, periods[i].id, q->metric, settings.today, &settings, false,
		                     false, &b, e)) == ST_OK)
			st = board_rows(&b, &bq, "attainment_pct", &rows, &n);
		for (size_t k = 0; k < n && st == ST_OK; k++)
			if (rows[k].id == q->scope.id)
				st = board_cycles(c, who, &b, &rows[k], 1);
		int64_t *att = st == ST_OK ? calloc(n + 1, sizeof *att) : NULL;
		size_t m = 0, ahead = 0;
		bool rated = false;
		int64_t my = 0;
		if (st == ST_OK && !att)
			st = ST_NOMEM;
		for (size_t k = 0; k < n && st == ST_OK; k++)
			if (rows[k].id == q->scope.id) {
				if (!(mine = row_json(&rows[k], &b.when, q->metric)))
					st = ST_NOMEM;
				rated = !rows[k].key_null;
				my = rows[k].key;
			}
		if (st == ST_OK)
			m = rated_attainments(rows, n, att);
		for (size_t k = 0; k < m && rated; k++)
			ahead += att[k] > my;
		struct perf_distribution d;
		if (st == ST_OK && (st = perf_compute_distribution(att, m, &d)) == ST_OK) {
			if (!mine)
				mine = json_object(); /* not in the team's tree (no team): no figures */
			json_t *pt = json_pack("{s:o,s:O,s:{s:o,s:I,s:o}}", "period", period_json(&b.period), "person",
			                       mine, "team", "id", team ? json_integer(0) : json_null(), "people_with_quota",
			                       (json_int_t)m, "median_attainment_pct", value_json(d.median));
			if (pt && team) {
				char id[24];
				snprintf(id, sizeof id, "%lld", (long long)team);
				json_object_set_new(json_object_get(pt, "team"), "id", json_string(id));
			}
			if (pt)
				json_object_set_new(json_object_get(pt, "team"), "rank",
				                    rated && m ? json_integer((json_int_t)ahead + 1) : json_null());
			if (!pt || json_array_append_new(points, pt) != 0)
				st = ST_NOMEM;
		}
		json_decref(mine);
		free(att);
		free(rows);
		board_clear(&b);
		if (st != ST_OK)
			goto out;
	}
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	*out = json_pack("{s:s,s:s,s:s,s:O}", "person_id", id, "metric", quota_metric_name(q->metric), "grain",
	                 period_grain_name(q->grain), "points", points);
	st = *out ? ST_OK : ST_NOMEM;
	if (st == ST_OK)
		keep(&key, *out, 0);
out:
	kept_clear(&key);
	json_decref(points);
	free(periods);
	return st;
}

/* ---- the forecast roll-up ------------------------------------------------------------------ */

static const char *const categories[] = {"closed", "commit", "best_case", "pipeline", "omitted"};
#define NCATEGORIES 5

/* The sums of one scope or child. */
struct rollup {
	int64_t amount[NCATEGORIES], count[NCATEGORIES], weighted[NCATEGORIES];
	int64_t pushed, overdue, stale;
};

static void
rollup_add(struct rollup *r, const struct perf_pipeline_row *x)
{
	for (int k = 0; k < NCATEGORIES; k++)
		if (strcmp(x->category, categories[k]) == 0) {
			r->amount[k] += x->amount;
			r->count[k] += x->count;
			r->weighted[k] += x->weighted;
		}
	r->pushed += x->pushed;
	r->overdue += x->overdue;
	r->stale += x->stale;
}

/* The figures of r into o (with the quota when has). */
static json_t *
rollup_json(json_t *o, const struct rollup *r, bool has, int64_t quota)
{
	json_t *cats = json_object();
	int64_t commit = r->amount[0] + r->amount[1], best = commit + r->amount[2];

	for (int k = 0; k < NCATEGORIES; k++)
		json_object_set_new(cats, categories[k],
		                    json_pack("{s:o,s:o,s:o}", "amount", hundredths(r->amount[k]), "count",
		                              hundredths(r->count[k]), "weighted", hundredths(r->weighted[k])));
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "commit_forecast", hundredths(commit));
	json_object_set_new(o, "best_case_forecast", hundredths(best));
	json_object_set_new(o, "open_pipeline", hundredths(r->amount[1] + r->amount[2] + r->amount[3]));
	json_object_set_new(o, "weighted_pipeline", hundredths(r->weighted[1] + r->weighted[2] + r->weighted[3]));
	json_object_set_new(o, "quota", has ? hundredths(quota) : json_null());
	json_object_set_new(o, "gap", has ? hundredths(quota - r->amount[0]) : json_null());
	json_object_set_new(o, "commit_gap", has ? hundredths(quota - commit) : json_null());
	json_object_set_new(o, "risk", json_pack("{s:I,s:I,s:I}", "pushed_twice", (json_int_t)r->pushed, "past_close_date",
	                                         (json_int_t)r->overdue, "no_stage_change_30d", (json_int_t)r->stale));
	return o;
}

enum status
perf_service_forecast_rollup(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                             struct issues *e)
{
	struct quota_spec spec = {.period = q->period, .metric = QUOTA_REVENUE};
	struct quota_tree tree = {0};
	struct period p;
	struct perf_pipeline_row *rows = NULL;
	size_t n = 0;
	int64_t team, full, effective;
	struct org_settings settings;
	char version[ORG_VERSION_MAX];
	struct kept kept = {0};
	bool has;
	const char *source;
	json_t *o = NULL, *children = NULL;
	enum status st;

	/* the raw layer of the roll-up reads the deals, quotas, people and teams alone: kept by version */
	if ((st = may_see_versioned(c, who, &q->scope, &team, &settings, version, e)) != ST_OK)
		goto out;
	key_begin(&kept.key, "forecast", who, version, settings.today);
	key_scope(&kept.key, &q->scope, QUOTA_REVENUE);
	buf_printf(&kept.key, "%s|%ld", q->period, q->has_as_of ? (long)q->as_of : -1L);
	if (cached(&kept, out, NULL, NULL))
		goto out; /* st is ST_OK */
	if ((st = quota_service_tree(c, who, team, &spec, &settings, &tree, &p, e)) != ST_OK)
		goto out;
	struct perf_when w = {.start = p.start, .end = p.end, .as_of = q->has_as_of ? q->as_of : settings.today};
	w.historic = w.as_of < settings.today;
	if ((st = perf_store_pipeline(c, who->org, &q->scope, &w, &rows, &n)) != ST_OK)
		goto out;
	scope_quota(&tree, &q->scope, &has, &full, &effective, &source);
	struct rollup whole = {0};
	for (size_t i = 0; i < n; i++)
		if (rows[i].whole)
			rollup_add(&whole, &rows[i]);
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	o = json_pack("{s:{s:s,s:o},s:o,s:o}", "scope", "type", kind_names[q->scope.kind], "id",
	              q->scope.kind == PERF_ORG ? json_null() : json_string(id), "period", period_json(&p), "as_of",
	              date_json(w.as_of));
	children = json_array();
	if (!o || !children) {
		st = ST_NOMEM;
		goto out;
	}
	{
		char key[48];
		const char *name = NULL;
		if (q->scope.kind == PERF_PERSON) {
			const struct quota_tree_person *pp = quota_tree_person_find(&tree, q->scope.id);
			name = pp ? pp->name : NULL;
		} else if (q->scope.kind == PERF_TEAM) {
			const struct quota_tree_team *tm = quota_tree_team_find(&tree, q->scope.id);
			name = tm ? tm->name : NULL;
		}
		snprintf(key, sizeof key, q->scope.kind == PERF_ORG ? "org" : "%s:%s", kind_names[q->scope.kind], id);
		json_object_set_new(o, "key", json_string(key));
		json_object_set_new(o, "name", name ? json_string(name) : json_null());
	}
	rollup_json(o, &whole, has, effective);
	/* the direct children: a team's members, then its child teams (the org: its root teams) */
	for (size_t i = 0; i < tree.npeople && q->scope.kind == PERF_TEAM; i++) {
		const struct quota_tree_person *pp = &tree.people[i];
		if (pp->team_id != q->scope.id)
			continue;
		char key[40], pid[24];
		struct rollup r = {0};
		snprintf(key, sizeof key, "person:%lld", (long long)pp->id);
		snprintf(pid, sizeof pid, "%lld", (long long)pp->id);
		for (size_t k = 0; k < n; k++)
			if (!rows[k].whole && rows[k].child && strcmp(rows[k].child, key) == 0)
				rollup_add(&r, &rows[k]);
		json_t *ch = json_pack("{s:s,s:s,s:{s:s,s:s}}", "key", key, "name", pp->name, "person", "id", pid, "name",
		                       pp->name);
		if (!ch || json_array_append_new(children, rollup_json(ch, &r, pp->has_quota,
		                                                           quota_apply_factor(pp->amount, pp->ramp_bp))) != 0) {
			st = ST_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < tree.nteams && q->scope.kind != PERF_PERSON; i++) {
		const struct quota_tree_team *tm = &tree.teams[i];
		if (q->scope.kind == PERF_TEAM ? tm->parent_id != q->scope.id || tm->id == tree.root : tm->parent_id != 0)
			continue;
		char key[40], tid[24];
		struct rollup r = {0};
		int64_t v;
		bool any = false;
		snprintf(key, sizeof key, "team:%lld", (long long)tm->id);
		snprintf(tid, sizeof tid, "%lld", (long long)tm->id);
		for (size_t k = 0; k < n; k++)
			if (!rows[k].whole && rows[k].child && strcmp(rows[k].child, key) == 0)
				rollup_add(&r, &rows[k]);
		bool th = quota_tree_team_value(tm, &v) != QUOTA_SOURCE_NONE;
		json_t *ch = json_pack("{s:s,s:s,s:{s:s,s:s}}", "key", key, "name", tm->name, "team", "id", tid, "name",
		                       tm->name);
		if (!ch || json_array_append_new(children, rollup_json(ch, &r, th, th ? team_effective(&tree, tm->id, &any)
		                                                                         : 0)) != 0) {
			st = ST_NOMEM;
			goto out;
		}
	}
	json_object_set_new(o, "children", children);
	children = NULL;
	keep(&kept, o, 0);
	*out = o;
	o = NULL;
out:
	kept_clear(&kept);
	json_decref(o);
	json_decref(children);
	perf_pipeline_free(rows, n);
	quota_tree_clear(&tree);
	return st;
}

/* ---- what forecast calls are measured on --------------------------------------------------- */

void
perf_call_entities_free(struct perf_call_entity *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].closed);
		free(v[i].called);
	}
	free(v);
}

/* A walk of a quota tree noting its teams and people with their figures per period. */
struct call_walk {
	const struct quota_tree *t;
	size_t np;
	const int64_t *pclosed, *pcalled; /* [person index * np + period] */
	const int64_t *tclosed, *tcalled; /* [team index * np + period]: the team's subtree */
	const size_t *members;            /* person indexes sorted by (team, id) */
	bool shallow;
	struct perf_call_entity *v;
	size_t n, cap;
};

static enum status
call_add(struct call_walk *w, bool team, size_t idx, int64_t team_of)
{
	if (w->n == w->cap) {
		struct perf_call_entity *v = reallocarray(w->v, w->cap ? w->cap * 2 : 64, sizeof *v);
		if (!v)
			return ST_NOMEM;
		w->v = v;
		w->cap = w->cap ? w->cap * 2 : 64;
	}
	const char *name = team ? w->t->teams[idx].name : w->t->people[idx].name;
	struct perf_call_entity *en = &w->v[w->n++];
	*en = (struct perf_call_entity){.team = team,
	                                .id = team ? w->t->teams[idx].id : w->t->people[idx].id,
	                                .team_of = team_of,
	                                .name = name ? strdup(name) : NULL,
	                                .closed = malloc(w->np * sizeof(int64_t)),
	                                .called = malloc(w->np * sizeof(int64_t))};
	if ((name && !en->name) || !en->closed || !en->called)
		return ST_NOMEM;
	memcpy(en->closed, (team ? w->tclosed : w->pclosed) + idx * w->np, w->np * sizeof(int64_t));
	memcpy(en->called, (team ? w->tcalled : w->pcalled) + idx * w->np, w->np * sizeof(int64_t));
	return ST_OK;
}

/* Team ti, its members by id, then its child teams by id: walked, or noted alone with w->shallow. */
static enum status
call_visit(struct call_walk *w, size_t ti)
{
	const struct quota_tree *t = w->t;
	int64_t id = t->teams[ti].id;
	enum status st = call_add(w, true, ti, 0);

	/* the team's members: a run of w->members (sorted by team, then id) */
	size_t lo = 0, hi = t->npeople;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->people[w->members[mid]].team_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < t->npeople && t->people[w->members[k]].team_id == id && st == ST_OK; k++)
		st = call_add(w, false, w->members[k], id);
	for (size_t k = 0; k < t->nteams && st == ST_OK; k++)
		if (t->teams[k].parent_id == id && t->teams[k].id != t->root)
			st = w->shallow ? call_add(w, true, k, 0) : call_visit(w, k);
	return st;
}

static int
member_cmp(const void *a, const void *b, void *tree)
{
	const struct quota_tree *t = tree;
	const struct quota_tree_person *x = &t->people[*(const size_t *)a], *y = &t->people[*(const size_t *)b];

	if (x->team_id != y->team_id)
		return x->team_id < y->team_id ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

enum status
perf_service_call_figures(struct db_conn *c, const struct caller *who, const struct perf_scope *s, bool shallow,
                          const struct period *periods, const cal_date *at, size_t np, struct perf_call_entity **out,
                          size_t *n, struct issues *e)
{
	struct quota_spec spec = {.metric = QUOTA_REVENUE};
	struct quota_tree tree = {0};
	struct org_settings settings;
	struct period p;
	struct call_walk w = {.np = np, .shallow = shallow};
	int64_t team, *pclosed = NULL, *pcalled = NULL, *tclosed = NULL, *tcalled = NULL;
	size_t *members = NULL;
	enum status st;

	*out = NULL;
	*n = 0;
	if (s->kind == PERF_PERSON || np == 0)
		return ST_INTERNAL;
	spec.period = periods[0].id;
	if ((st = may_see(c, who, s, &team, e)) != ST_OK || (st = org_service_settings(c, who, &settings)) != ST_OK ||
	    (st = quota_service_tree(c, who, team, &spec, &settings, &tree, &p, e)) != ST_OK)
		goto out;
	size_t npp = tree.npeople ? tree.npeople : 1, nt = tree.nteams ? tree.nteams : 1;
	pclosed = calloc(npp * np, sizeof *pclosed);
	pcalled = calloc(npp * np, sizeof *pcalled);
	tclosed = calloc(nt * np, sizeof *tclosed);
	tcalled = calloc(nt * np, sizeof *tcalled);
	members = calloc(npp, sizeof *members);
	if (!pclosed || !pcalled || !tclosed || !tcalled || !members) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t pi = 0; pi < np; pi++) {
		struct perf_when now = {.start = periods[pi].start, .end = periods[pi].end, .as_of = settings.today};
		struct perf_when then = {.start = periods[pi].start, .end = periods[pi].end, .as_of = at[pi]};
		struct perf_call_amounts *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		then.historic = at[pi] < settings.today;
		if ((st = perf_store_call_amounts(c, who->org, s, &now, &a, &na)) == ST_OK)
			st = perf_store_call_amounts(c, who->org, s, &then, &b, &nb);
		for (size_t k = 0; st == ST_OK && k < na + nb; k++) {
			const struct perf_call_amounts *x = k < na ? &a[k] : &b[k - na];
			const struct quota_tree_person *pp = quota_tree_person_find(&tree, x->person_id);
			if (!pp) /* outside the tree (a person of no team, for the org): no row of theirs is shown */
				continue;
			int64_t v = k < na ? x->closed : x->commit_forecast;
			(k < na ? pclosed : pcalled)[(size_t)(pp - tree.people) * np + pi] = v;
			/* the person's team and every team above it, inside the tree */
			for (const struct quota_tree_team *tm = quota_tree_team_find(&tree, pp->team_id); tm;
			     tm = tm->id == tree.root || !tm->parent_id ? NULL : quota_tree_team_find(&tree, tm->parent_id))
				(k < na ? tclosed : tcalled)[(size_t)(tm - tree.teams) * np + pi] += v;
		}
		free(a);
		free(b);
		if (st != ST_OK)
			goto out;
	}
	for (size_t k = 0; k < tree.npeople; k++)
		members[k] = k;
	qsort_r(members, tree.npeople, sizeof *members, member_cmp, &tree);
	w.t = &tree;
	w.pclosed = pclosed;
	w.pcalled = pcalled;
	w.tclosed = tclosed;
	w.tcalled = tcalled;
	w.members = members;
	for (size_t k = 0; k < tree.nteams && st == ST_OK; k++) {
		const struct quota_tree_team *tm = &tree.teams[k];
		if (s->kind == PERF_TEAM ? tm->id == s->id : tm->parent_id == 0)
			st = s->kind == PERF_TEAM || !shallow ? call_visit(&w, k) : call_add(&w, true, k, 0);
	}
	if (st == ST_OK) {
		*out = w.v;
		*n = w.n;
		w.v = NULL;
		w.n = 0;
	}
out:
	perf_call_entities_free(w.v, w.n);
	free(pclosed);
	free(pcalled);
	free(tclosed);
	free(tcalled);
	free(members);
	quota_tree_clear(&tree);
	return st;
}

enum status
perf_service_won_series(struct db_conn *c, const struct caller *who, const struct perf_scope *s,
                        enum period_grain grain, enum quota_metric metric, struct period **periods, int64_t **values,
                        size_t *n, struct issues *e)
{
	struct org_settings settings;
	struct period last, *v = NULL;
	struct perf_day *days = NULL;
	size_t nd = 0, k = 0;
	int64_t team, *sums = NULL;
	cal_date today;
	enum status st;

	*periods = NULL;
	*values = NULL;
	*n = 0;
	if ((st = may_see(c, who, s, &team, e)) != ST_OK || (st = org_service_settings(c, who, &settings)) != ST_OK ||
	    (st = org_service_today(c, who, &today)) != ST_OK)
		return st;
	int fy = settings.fiscal_year_start_month;
	struct period now;
	period_containing(today, grain, fy, &now);
	period_prev(&now, fy, &last);
	if (!(v = calloc(PERF_SERIES_MAX, sizeof *v)) || !(sums = calloc(PERF_SERIES_MAX, sizeof *sums))) {
		free(v);
		return ST_NOMEM;
	}
	/* the latest PERF_SERIES_MAX complete periods, oldest first */
	v[PERF_SERIES_MAX - 1] = last;
	for (size_t i = PERF_SERIES_MAX - 1; i > 0; i--)
		period_prev(&v[i], fy, &v[i - 1]);
	if ((st = perf_store_won_by_day(c, who->org, s, v[0].start, last.end, &days, &nd)) != ST_OK)
		goto out;
	for (size_t d = 0, i = 0; d < nd; d++) {
		while (i < PERF_SERIES_MAX && days[d].day > v[i].end)
			i++;
		if (i < PERF_SERIES_MAX && days[d].day >= v[i].start)
			sums[i] += metric == QUOTA_DEAL_COUNT ? days[d].count : days[d].amount;
	}
	while (k < PERF_SERIES_MAX && sums[k] == 0)
		k++;
	*n = PERF_SERIES_MAX - k;
	if (*n) {
		memmove(v, v + k, *n * sizeof *v);
		memmove(sums, sums + k, *n * sizeof *sums);
		*periods = v;
		*values = sums;
		v = NULL;
		sums = NULL;
	}
out:
	free(v);
	free(sums);
	free(days);
	return st;
}
