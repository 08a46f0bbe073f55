/* org.c — GET/PATCH /v1/org: the org's settings (DESIGN §6). */
#include <stdio.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "api/write.h"
#include "core/money.h"
#include "org/service.h"

void
handle_org_get(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;

	req_caller_unscoped(r, &who);
	respond_outcome(r, org_service_get(r->conn, &who, &row), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

/* ramp_curve: up to ORG_RAMP_MAX percentages, each checked by org_ramp_month_check. */
static void
read_ramp(json_t *body, struct org_patch *p, struct issues *e)
{
	json_t *v = json_object_get(body, "ramp_curve"), *x;
	int64_t prev = 0;
	size_t i;

	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) > ORG_RAMP_MAX) {
		issues_add(e, "ramp_curve", "must be an array of at most %d percentages", ORG_RAMP_MAX);
		return;
	}
	p->set_ramp = true;
	p->ramp_len = json_array_size(v);
	json_array_foreach(v, i, x) {
		const char *why = NULL;
		char field[48];

		if (money_from_json(x, false, &p->ramp[i], &why) == ST_OK) {
			org_ramp_month_check(i, p->ramp[i], &prev, e);
			continue;
		}
		snprintf(field, sizeof field, "ramp_curve[%zu]", i);
		issues_add(e, field, "%s", why);
	}
}

/* The body as a change of the settings; what is wrong with it goes to e. */
static void
read_patch(json_t *body, struct org_patch *p, struct issues *e)
{
	static const char *const allowed[] = { "name", "fiscal_year_start_month", "currency", "timezone",
					       "ramp_curve", NULL };
	long long fy = 0;

	parse_only(body, allowed, e);
	if (parse_string(body, "name", 1, 200, e, &p->name) == FIELD_NULL)
		issues_add(e, "name", "must not be null");
	if (parse_int(body, "fiscal_year_start_month", 1, 12, e, &fy) == FIELD_NULL)
		issues_add(e, "fiscal_year_start_month", "must not be null");
	p->fiscal_year_start_month = (int)fy;
	if (parse_string(body, "currency", 3, 3, e, &p->currency) == FIELD_NULL)
		issues_add(e, "currency", "must not be null");
	if (parse_string(body, "timezone", 1, 64, e, &p->timezone) == FIELD_NULL)
		issues_add(e, "timezone", "must not be null");
	read_ramp(body, p, e);
}

/*
 * The reading's issues go to the service with the patch, which adds its own
 * (currency, time zone), so one 400 names every problem of the request.
 */
void
handle_org_patch(struct req *r)
{
	struct body_write w;
	struct org_patch p = { 0 };

	if (body_write_begin(r, false, &w)) {
		read_patch(w.body, &p, &w.e);
		if (req_caller(r, &w.who))
			body_write_answer(r, &w, org_service_patch(r->conn, &w.who, &p, req_if_match(r), &w.row, &w.e),
					  200, NULL);
	}
	body_write_clear(&w);
}
