/* org.c — GET/PATCH /v1/org: the org's settings (DESIGN §6). */
#include <stdio.h>
#include <stdlib.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "core/money.h"
#include "org/currency.h"
#include "org/store.h"

void
handle_org_get(struct req *r)
{
	struct rowjson row = { 0 };
	enum status st = org_get(r->conn, r->who.org, &row);

	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_row(r, 200, &row, NULL);
	rowjson_clear(&row);
}

/* ramp_curve: up to 24 percentages, each > 0 and <= 100, non-decreasing. */
static char *
parse_ramp(json_t *body, struct issues *e)
{
	json_t *v = json_object_get(body, "ramp_curve"), *x;
	struct buf b = { 0 };
	int64_t prev = 0;
	size_t i;
	char field[48], num[32];

	if (!v)
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > 24) {
		issues_add(e, "ramp_curve", "must be an array of at most 24 percentages");
		return NULL;
	}
	buf_putc(&b, '{');
	json_array_foreach(v, i, x) {
		int64_t cents;
		const char *why = NULL;
		snprintf(field, sizeof field, "ramp_curve[%zu]", i);
		if (money_from_json(x, false, &cents, &why) != ST_OK) {
			issues_add(e, field, "%s", why);
			continue;
		}
		if (cents <= 0 || cents > 10000) {
			issues_add(e, field, "must be greater than 0 and at most 100");
			continue;
		}
		if (cents < prev)
			issues_add(e, field, "must not be below the month before");
		prev = cents;
		money_format(cents, num, sizeof num);
		buf_printf(&b, i ? ",%s" : "%s", num);
	}
	buf_putc(&b, '}');
	return buf_take(&b);
}

void
handle_org_patch(struct req *r)
{
	static const char *const allowed[] = { "name", "fiscal_year_start_month", "currency", "timezone",
					       "ramp_curve", NULL };
	struct issues e = { 0 };
	struct org_patch p = { 0 };
	struct rowjson row = { 0 };
	long long fy = 0;
	char *ramp = NULL;
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	parse_only(body, allowed, &e);
	if (parse_string(body, "name", 1, 200, &e, &p.name) == FIELD_NULL)
		issues_add(&e, "name", "must not be null");
	if (parse_int(body, "fiscal_year_start_month", 1, 12, &e, &fy) == FIELD_NULL)
		issues_add(&e, "fiscal_year_start_month", "must not be null");
	p.fiscal_year_start_month = (int)fy;
	if (parse_string(body, "currency", 3, 3, &e, &p.currency) == FIELD_NULL)
		issues_add(&e, "currency", "must not be null");
	if (p.currency && !currency_known(p.currency))
		issues_add(&e, "currency", "must be an ISO 4217 code such as USD or EUR");
	if (parse_string(body, "timezone", 1, 64, &e, &p.timezone) == FIELD_NULL)
		issues_add(&e, "timezone", "must not be null");
	if (p.timezone) {
		bool known = false;
		enum status st = org_timezone_known(r->conn, p.timezone, &known);
		if (st != ST_OK) {
			respond_status(r, st, NULL);
			goto out;
		}
		if (!known)
			issues_add(&e, "timezone", "must be an IANA time zone such as Europe/Paris");
	}
	ramp = parse_ramp(body, &e);
	p.ramp_curve = ramp;
	if (issues_any(&e)) {
		respond_errors(r, &e);
		goto out;
	}
	enum status st = org_update(r->conn, r->who.org, &p, req_if_match(r), &row);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_row(r, 200, &row, NULL);
out:
	issues_clear(&e);
	rowjson_clear(&row);
	free(ramp);
	json_decref(body);
}
