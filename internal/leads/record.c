#include "leads/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "leads/lead.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

json_t *
lead_record_merge(const json_t *base, const json_t *body)
{
	json_t *m = base ? json_deep_copy(base) : json_object();

	if (m && json_object_update(m, (json_t *)body) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

const char *
lead_record_text(const json_t *lead, const char *key)
{
	return json_string_value(json_object_get(lead, key));
}

enum status
lead_record_default_segment(json_t *merged, const char *owner_segment)
{
	const char *seg = lead_record_text(merged, "segment");

	if (seg)
		return ST_OK;
	seg = *owner_segment ? owner_segment : "b2b";
	return json_object_set_new(merged, "segment", json_string(seg)) == 0 ? ST_OK : ST_NOMEM;
}

void
lead_record_clear(struct lead_record *r)
{
	free(r->attributes);
	free(r->bant);
	free(r->breakdown);
	memset(r, 0, sizeof *r);
}

/* The JSON text of v (reference stolen); NULL when v is NULL or out of memory. */
static char *
dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_FLAGS) : NULL;

	json_decref(v);
	return s;
}

/* Fill r from the merged lead l (read from `merged`) and its score. */
static enum status
fill(struct lead_record *r, const json_t *merged, const struct lead *l, const struct score_model *m,
     const struct score_result *res)
{
	json_t *empty = json_object();

	if (l->has_budget)
		money_format(l->budget, r->budget, sizeof r->budget);
	if (l->has_timeline)
		cal_date_format(l->timeline, r->timeline, sizeof r->timeline);
	if (l->has_employees)
		snprintf(r->employees, sizeof r->employees, "%lld", l->employees);
	if (l->has_engagement)
		snprintf(r->engagement, sizeof r->engagement, "%d", l->engagement);
	snprintf(r->score, sizeof r->score, "%d", res->score);
	r->grade[0] = res->grade;
	if (res->has_probability)
		snprintf(r->probability, sizeof r->probability, "%.2f",
		         round(res->probability * 10000) / 100);
	r->attributes = json_dumps(l->attributes ? l->attributes : empty, JSON_FLAGS);
	json_decref(empty);
	r->bant = dump(score_bant_json(res));
	r->breakdown = dump(score_breakdown_json(m, res));
	if (!r->attributes || !r->bant || !r->breakdown) {
		lead_record_clear(r);
		return ST_NOMEM;
	}
	const char *v[LEAD_RECORD_NCOLS] = {
	    [LEAD_RECORD_EXTERNAL_ID] = lead_record_text(merged, "external_id"),
	    [LEAD_RECORD_COMPANY] = l->company,
	    [LEAD_RECORD_CONTACT_NAME] = l->contact_name,
	    [LEAD_RECORD_EMAIL] = l->email,
	    [LEAD_RECORD_SEGMENT] = l->segment,
	    [LEAD_RECORD_SOURCE] = l->source,
	    [LEAD_RECORD_BUDGET] = l->has_budget ? r->budget : NULL,
	    [LEAD_RECORD_AUTHORITY] = l->authority >= 0 ? lead_authorities[l->authority] : NULL,
	    [LEAD_RECORD_NEED] = l->need >= 0 ? lead_needs[l->need] : NULL,
	    [LEAD_RECORD_TIMELINE] = l->has_timeline ? r->timeline : NULL,
	    [LEAD_RECORD_EMPLOYEES] = l->has_employees ? r->employees : NULL,
	    [LEAD_RECORD_INDUSTRY] = l->industry,
	    [LEAD_RECORD_ENGAGEMENT] = l->has_engagement ? r->engagement : NULL,
	    [LEAD_RECORD_ATTRIBUTES] = r->attributes,
	    [LEAD_RECORD_OWNER_ID] = lead_record_text(merged, "owner_id"),
	    [LEAD_RECORD_STATUS] = l->status ? l->status : "new",
	    [LEAD_RECORD_CONVERTED_DEAL_ID] = lead_record_text(merged, "converted_deal_id"),
	    [LEAD_RECORD_SCORE] = r->score,
	    [LEAD_RECORD_GRADE] = r->grade,
	    [LEAD_RECORD_PROBABILITY] = res->has_probability ? r->probability : NULL,
	    [LEAD_RECORD_SUGGESTED_STATUS] = res->suggested_status,
	    [LEAD_RECORD_BANT] = r->bant,
	    [LEAD_RECORD_SCORE_BREAKDOWN] = r->breakdown,
	};
	memcpy(r->v, v, sizeof v);
	return ST_OK;
}

enum status
lead_record_fill(struct lead_record *out, const json_t *merged, int64_t id, const cal_date *created_on,
                 const struct score_model *m, cal_date today, struct score_result *scratch)
{
	struct score_result *res = scratch ? scratch : malloc(sizeof *res);
	struct lead l;
	enum status st = ST_INVALID;

	memset(out, 0, sizeof *out);
	if (!res)
		return ST_NOMEM;
	if (lead_from_json(merged, &l) == ST_OK) {
		l.id = id;
		l.created_on = created_on ? *created_on : today;
		score_lead(m, &l, today, res);
		st = fill(out, merged, &l, m, res);
	}
	if (res != scratch)
		free(res);
	return st;
}

static json_t *
percent_or_null(const char *text)
{
	return text ? json_real(strtod(text, NULL)) : json_null();
}

json_t *
lead_record_preview(const struct lead_record *r, int rules_version, int trained_version)
{
	return json_pack("{s:s,s:i,s:s,s:o,s:s,s:o,s:o,s:i,s:o}", "segment", r->v[LEAD_RECORD_SEGMENT], "score",
	                 atoi(r->v[LEAD_RECORD_SCORE]), "grade", r->v[LEAD_RECORD_GRADE], "probability",
	                 percent_or_null(r->v[LEAD_RECORD_PROBABILITY]), "suggested_status",
	                 r->v[LEAD_RECORD_SUGGESTED_STATUS], "bant", json_loads(r->bant, 0, NULL),
	                 "score_breakdown", json_loads(r->breakdown, 0, NULL), "rules_version", rules_version,
	                 "trained_version", trained_version > 0 ? json_integer(trained_version) : json_null());
}
