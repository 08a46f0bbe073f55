/* periods.c — /v1/periods: the org's calendar (DESIGN §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "calendar/calendar.h"
#include "org/service.h"

static const char *const period_columns[] = { "id", "grain", "fiscal_year", "number", "start", "end", NULL };

/* {id, grain, fiscal_year, number, start, end}; months carry their fiscal year. */
static json_t *
period_json(const struct period *p, int fy_start)
{
	char start[16], end[16];
	struct period fy;

	period_containing(p->start, GRAIN_YEAR, fy_start, &fy);
	cal_date_format(p->start, start, sizeof start);
	cal_date_format(p->end, end, sizeof end);
	return json_pack("{s:s,s:s,s:i,s:i,s:s,s:s}", "id", p->id, "grain", period_grain_name(p->grain),
			 "fiscal_year", fy.fiscal_year, "number", p->grain == GRAIN_YEAR ? fy.fiscal_year : p->number,
			 "start", start, "end", end);
}

static bool
fiscal_start(struct req *r, int *out)
{
	struct org_settings s;
	struct caller who;
	enum status st;

	req_caller_unscoped(r, &who);
	if ((st = org_service_settings(r->conn, &who, &s)) != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	*out = s.fiscal_year_start_month;
	return true;
}

void
handle_periods_list(struct req *r)
{
	static const char *const grains[] = { "month", "quarter", "year", NULL };
	struct issues e = { 0 };
	const char *grain_name = "month";
	enum period_grain grain;
	cal_date from, to;
	struct period p, fy;
	int fy_start;
	enum field_state fs_from, fs_to;

	query_enum(r, "grain", grains, &e, &grain_name);
	fs_from = query_date(r, "from", &e, &from);
	fs_to = query_date(r, "to", &e, &to);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!fiscal_start(r, &fy_start))
		return;
	period_grain_parse(grain_name, &grain);
	period_containing(cal_date_from_unix(time(NULL)), GRAIN_YEAR, fy_start, &fy);
	if (fs_from != FIELD_SET)
		from = fs_to == FIELD_SET ? cal_date_add_months(to, -11) : fy.start;
	if (fs_to != FIELD_SET)
		to = fs_from == FIELD_SET ? cal_date_add_months(from, 12) - 1 : fy.end;
	if (to < from) {
		issues_add(&e, "to", "must not be before from");
		respond_errors(r, &e);
		return;
	}
	json_t *items = json_array();
	period_containing(from, grain, fy_start, &p);
	while (p.start <= to) {
		if (json_array_size(items) == 1000) {
			json_decref(items);
			issues_add(&e, "to", "the range holds more than 1000 periods");
			respond_errors(r, &e);
			return;
		}
		json_array_append_new(items, period_json(&p, fy_start));
		period_next(&p, fy_start, &p);
	}
	const char *accept = req_header(r, "Accept");
	if (accept && strstr(accept, "text/csv")) {
		char *csv = csv_render(items, period_columns);
		json_decref(items);
		if (!csv) {
			respond_status(r, ST_NOMEM, NULL);
			return;
		}
		respond_raw(r, 200, "text/csv; charset=utf-8", csv, strlen(csv));
		free(csv);
		return;
	}
	respond_json(r, 200, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

void
handle_periods_get(struct req *r)
{
	struct period p;
	int fy_start;
	struct issues e = { 0 };

	if (!fiscal_start(r, &fy_start))
		return;
	if (period_parse(r->params[0], fy_start, &p) != ST_OK) {
		issues_add(&e, "period_id", "must be a period id such as 2026-07, FY2026-Q3 or FY2026");
		respond_errors(r, &e);
		return;
	}
	respond_json(r, 200, period_json(&p, fy_start));
}
