/* periods.c — /v1/periods: the org's calendar (DESIGN §6). */
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

/* 200 with the periods, as {"items": [...], "next_cursor": null} or CSV. */
static void
answer_periods(struct req *r, const struct period_list *l)
{
	json_t *items = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(items, period_json(&l->items[i], l->fy_start));
	if (respond_wants_csv(r)) {
		respond_csv(r, items, period_columns);
		json_decref(items);
		return;
	}
	respond_json(r, 200, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

void
handle_periods_list(struct req *r)
{
	static const char *const grains[] = { "month", "quarter", "year", NULL };
	struct issues e = { 0 };
	struct period_query q = { 0 };
	struct period_list l = { 0 };
	struct caller who;
	const char *grain_name = "month";

	query_enum(r, "grain", grains, &e, &grain_name);
	q.set_from = query_date(r, "from", &e, &q.from) == FIELD_SET;
	q.set_to = query_date(r, "to", &e, &q.to) == FIELD_SET;
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	period_grain_parse(grain_name, &q.grain);
	req_caller_unscoped(r, &who);
	enum status st = org_service_periods(r->conn, &who, &q, &l, &e);
	if (st != ST_OK)
		respond_store_error(r, st, &e);
	else
		answer_periods(r, &l);
	period_list_clear(&l);
}

void
handle_periods_get(struct req *r)
{
	struct issues e = { 0 };
	struct period p;
	struct caller who;
	int fy_start;

	req_caller_unscoped(r, &who);
	enum status st = org_service_period_get(r->conn, &who, r->params[0], &p, &fy_start, &e);
	if (st != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_json(r, 200, period_json(&p, fy_start));
}
