#include "seed/seed.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "leads/service.h"
#include "org/service.h"
#include "seed/plan.h"
#include "seed/store.h"

/* Deals drawn per statement: a batch and its history stay well inside memory. */
#define SEED_BATCH 100000L
/* Ids of won deals scanned per renewal statement. */
#define SEED_RENEWAL_WINDOW 500000L

/* ---- leads ----------------------------------------------------------------- */

/* splitmix64: the leads' own stream of numbers, from the seed. */
static uint64_t
mix_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
mix_u(uint64_t *s)
{
	return (double)(mix_next(s) >> 11) / 9007199254740992.0;
}

/* Log-normal with this median and spread. */
static double
mix_lognormal(uint64_t *s, double median, double sigma)
{
	double u1 = mix_u(s), u2 = mix_u(s);

	return median * exp(sigma * sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2));
}

/* Parse "{1,2,3}" into a malloc'd array (*n entries; NULL and 0 when empty). */
static int64_t *
parse_ids(const char *text, size_t *n)
{
	size_t cap = 1;
	int64_t *v;

	for (const char *p = text; *p; p++)
		cap += *p == ',';
	if (!(v = malloc(cap * sizeof *v)))
		return NULL;
	*n = 0;
	for (const char *p = text; *p;) {
		char *end;
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		v[(*n)++] = strtoll(p, &end, 10);
		p = end;
	}
	return v;
}

static const char *const authorities[] = {"none", "influencer", "decision_maker", "economic_buyer"};
static const char *const needs[] = {"none", "low", "medium", "high"};
static const char *const sources[] = {"web", "referral", "event", "outbound", "partner"};
static const char *const industries[] = {"software", "retail",        "healthcare",
                                         "finance",  "manufacturing", "education"};
static const char *const companies[] = {"Northwind", "Contoso", "Fabrikam",  "Tailspin",
                                        "Litware",   "Adatum",  "Proseware", "Wingtip",
                                        "Lucerne",   "Alpine",  "Coho",      "Fourth Coffee"};
static const char *const people_names[] = {"Ana Ruiz",   "Ben Carter",  "Chen Wei",   "Dana Novak",
                                           "Eli Haddad", "Femi Okafor", "Greta Lind", "Hugo Blanc",
                                           "Isla Moore", "Jae Park"};
#define PICK(arr, u) arr[(size_t)((u) * (double)(sizeof arr / sizeof arr[0]))]

/* What one generated lead adds to the date lists. */
struct lead_dates {
	struct buf ext, created, updated;
};

static void
dates_add(struct lead_dates *d, const char *ext, cal_date created, cal_date updated)
{
	char a[16], b[16];

	cal_date_format(created, a, sizeof a);
	cal_date_format(updated, b, sizeof b);
	buf_printf(&d->ext, "%s%s", d->ext.len ? "," : "{", ext);
	buf_printf(&d->created, "%s%s", d->created.len ? "," : "{", a);
	buf_printf(&d->updated, "%s%s", d->updated.len ? "," : "{", b);
}

/*
 * Lead i of segment seg (closed when i < SEED_LEADS_CLOSED): its BANT and
 * firmographics drawn from s, its outcome by a logistic of them (economic
 * buyers, high need, larger budgets, engagement and referrals convert
 * more), so a training finds something to learn.
 */
static json_t *
lead_make(uint64_t *s, const char *seg, int i, const int64_t *owners, size_t nowners,
          const struct seed_plan *pl, cal_date today, struct lead_dates *dates)
{
	bool b2b = strcmp(seg, "b2b") == 0, closed = i < SEED_LEADS_CLOSED;
	int auth = (int)(mix_u(s) * 4), need = (int)(mix_u(s) * 4), engagement = (int)(mix_u(s) * 101);
	double budget = mix_lognormal(s, b2b ? 30000 : 1500, 0.9);
	const char *source = PICK(sources, mix_u(s));
	static const double auth_w[] = {-1.2, 0, 0.7, 1.2}, need_w[] = {-1.4, -0.5, 0.3, 1.0};
	double z = (b2b ? -0.9 : -0.6) + auth_w[auth] * (b2b ? 1 : 0.4) + need_w[need] +
	           (b2b ? 0.6 : 0.4) * log10(budget / (b2b ? 30000 : 1500)) +
	           (engagement - 50) / (b2b ? 40.0 : 25.0) + (strcmp(source, "referral") == 0 ? 0.6 : 0);
	double p = 1 / (1 + exp(-z)), u = mix_u(s);
	cal_date created = closed ? pl->first + (cal_date)(mix_u(s) * (double)(today - 45 - pl->first))
	                          : today - (cal_date)(mix_u(s) * 60);
	cal_date updated = closed ? created + 10 + (cal_date)(mix_u(s) * 35) : created;
	char ext[48], timeline[16], email[96];
	const char *status = closed ? (u < p ? "converted" : "disqualified")
	                            : (u < 0.6    ? "new"
	                               : u < 0.85 ? "qualified"
	                                          : "nurture");
	const char *company = PICK(companies, mix_u(s)), *contact = PICK(people_names, mix_u(s));

	snprintf(ext, sizeof ext, "seed-lead-%s-%05d", seg, i + 1);
	snprintf(email, sizeof email, "lead%d.%s@example.com", i + 1, seg);
	cal_date_format(created + 14 + (cal_date)(mix_u(s) * 170), timeline, sizeof timeline);
	dates_add(dates, ext, created, updated > today ? today : updated);
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:i, s:s, s:s}", "external_id", ext,
	              "segment", seg, "company", company, "contact_name", contact, "email", email, "source",
	              source, "budget", (json_int_t)llround(budget), "authority", authorities[auth], "need",
	              needs[need], "timeline", timeline, "engagement", engagement, "industry",
	              PICK(industries, mix_u(s)), "status", status);
	if (o && b2b)
		json_object_set_new(o, "employees",
		                    json_integer((json_int_t)llround(mix_lognormal(s, 200, 1.2))));
	if (o && nowners) {
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)owners[(size_t)(mix_u(s) * (double)nowners)]);
		json_object_set_new(o, "owner_id", json_string(id));
	}
	return o;
}

/* The demo's leads of both segments, through the leads' bulk sync, then backdated. */
static enum status
seed_leads(struct db_conn *c, const char *org, unsigned seed, const struct seed_plan *pl, cal_date today,
           long *made)
{
	static const char *const segs[] = {"b2b", "b2c"};
	struct scope sc = {.roles = ROLE_ADMIN};
	struct caller who = {.org = org, .sub = "attainctl-seed", .scope = &sc};
	struct lead_batch batch = {0};
	struct lead_dates dates = {0};
	struct leads_bulk_result res = {0};
	enum status st = ST_OK;
	int index = 0;

	for (size_t k = 0; st == ST_OK && k < 2; k++) {
		uint64_t s = ((uint64_t)seed << 8) ^ (k + 1);
		char *text = NULL;
		size_t n = 0;
		int64_t *owners = NULL;

		if ((st = seed_store_owners(c, segs[k], &text)) != ST_OK)
			break;
		if (strcmp(text, "{}") == 0) {
			free(text);
			if ((st = seed_store_owners(c, NULL, &text)) != ST_OK)
				break;
		}
		owners = parse_ids(text, &n);
		free(text);
		if (!owners) {
			st = ST_NOMEM;
			break;
		}
		for (int i = 0; st == ST_OK && i < SEED_LEADS_CLOSED + SEED_LEADS_OPEN; i++) {
			json_t *item = lead_make(&s, segs[k], i, owners, n, pl, today, &dates);
			st = item ? lead_batch_add(&batch, index++, item) : ST_NOMEM;
			json_decref(item);
		}
		free(owners);
	}
	if (st == ST_OK && (dates.ext.oom || dates.created.oom || dates.updated.oom))
		st = ST_NOMEM;
	if (st == ST_OK)
		st = leads_service_bulk(c, &who, &batch, true, false, &res);
	if (st == ST_OK) {
		buf_putc(&dates.ext, '}');
		buf_putc(&dates.created, '}');
		buf_putc(&dates.updated, '}');
		st = dates.ext.oom || dates.created.oom || dates.updated.oom
		         ? ST_NOMEM
		         : seed_store_leads_dates(c, org, dates.ext.data, dates.created.data,
		                                  dates.updated.data);
	}
	if (st == ST_OK)
		*made = res.created + res.updated + res.unchanged;
	leads_service_bulk_result_clear(&res);
	lead_batch_clear(&batch);
	buf_clear(&dates.ext);
	buf_clear(&dates.created);
	buf_clear(&dates.updated);
	return st;
}

/* ---- deals and quotas --------------------------------------------------------- */

/* The base deals in batches, then renewals of the won ones, up to the plan's count. */
static enum status
seed_deals(struct db_conn *c, const char *org, const struct seed_plan *pl)
{
	long base = pl->closed + pl->open, taken = 0;
	int64_t first_id = 0, id;
	enum status st = ST_OK;

	for (long lo = 1; st == ST_OK && lo <= base; lo += SEED_BATCH) {
		long hi = lo + SEED_BATCH - 1 > base ? base : lo + SEED_BATCH - 1;
		st = seed_store_deals(c, org, pl, lo, hi, &id);
		if (lo == 1)
			first_id = id;
	}
	int64_t last_id = first_id + base - 1;
	for (int64_t from = first_id; st == ST_OK && taken < pl->renewal && from <= last_id;
	     from += SEED_RENEWAL_WINDOW) {
		long made = 0;
		st = seed_store_renewals(
		    c, org, base + taken + 1, pl->renewal - taken, from,
		    from + SEED_RENEWAL_WINDOW - 1 > last_id ? last_id : from + SEED_RENEWAL_WINDOW - 1,
		    &made);
		taken += made;
	}
	return st;
}

enum status
seed_pipeline(struct db_conn *c, const char *org, const struct seed_options *o, struct seed_result *out)
{
	struct scope sc = {.roles = ROLE_ADMIN};
	struct caller who = {.org = org, .sub = "attainctl-seed", .scope = &sc};
	struct org_settings set;
	struct seed_params p = {.deals = o->deals, .seed = o->seed, .today = o->today};
	struct seed_plan *pl = malloc(sizeof *pl);
	struct seed_result r = {0};
	enum status st;

	if (!pl)
		return ST_NOMEM;
	if ((st = org_service_settings(c, &who, &set)) != ST_OK ||
	    (!o->set_today && (st = org_service_today(c, &who, &p.today)) != ST_OK))
		goto out;
	p.fy_start_month = set.fiscal_year_start_month;
	if ((st = seed_plan_make(&p, pl)) != ST_OK ||
	    (st = seed_store_setup(c, org, o->seed, pl, p.today)) != ST_OK ||
	    (st = seed_deals(c, org, pl)) != ST_OK || (st = seed_store_analyze(c, true)) != ST_OK ||
	    (st = seed_store_quotas(c, org, pl, p.today)) != ST_OK ||
	    (o->leads && (st = seed_leads(c, org, o->seed, pl, p.today, &r.leads)) != ST_OK) ||
	    (st = seed_store_teardown(c)) != ST_OK || (st = seed_store_analyze(c, false)) != ST_OK ||
	    (st = seed_store_counts(c, org, &r.deals, &r.history, &r.quotas)) != ST_OK)
		goto out;
	r.today = p.today;
	*out = r;
out:
	free(pl);
	return st;
}
