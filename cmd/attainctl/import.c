/*
 * import.c — `attainctl import KIND FILE`: teams, people, deals, quotas or
 * leads from a CSV or NDJSON file (internal/importer reads and shapes the
 * records), through the services the API uses: deals and leads through the
 * bulk sync of POST /v1/{deals,leads}/bulk, in batches of its size; teams,
 * people and quotas one row at a time through their create/update, upserted
 * by external_id (quotas by assignee, period, metric and filter), one
 * transaction per batch and a savepoint per row. --dry-run rolls back what
 * it did: the one transaction of teams, people or quotas, each batch of
 * deals or leads.
 */
#include "cmd/attainctl/import.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/deals.h"
#include "api/leads.h"
#include "api/people.h"
#include "api/teams.h"
#include "auth/principal.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/money.h"
#include "db/db.h"
#include "deals/service.h"
#include "importer/reader.h"
#include "importer/shape.h"
#include "importer/store.h"
#include "leads/service.h"
#include "org/service.h"
#include "quota/service.h"

/* Rows of teams, people or quotas per transaction. */
#define ROW_BATCH 500

void
import_usage(FILE *f)
{
	fputs(
	    "  import KIND FILE [--org O] [--format csv|ndjson] [--map src=dst,...] [--map-file F]\n"
	    "         [--dry-run] [--batch N]\n"
	    "                               upsert teams, people, deals, quotas or leads (KIND) from FILE\n"
	    "                               (CSV with a header row, or NDJSON for .ndjson/.jsonl; - is "
	    "stdin)\n"
	    "                               by external_id (quotas: assignee, period, metric, filter),\n"
	    "                               through the API's validation: deals and leads as\n"
	    "                               POST /v1/{deals,leads}/bulk, the others as their create/update.\n"
	    "                               References: owner, manager, person by e-mail or external_id;\n"
	    "                               team, parent by external_id (or owner_id, team_id ... ids).\n"
	    "                               --org: default the only org of the database. --map renames\n"
	    "                               columns; --map-file reads renames (src=dst a line), e.g.\n"
	    "                               cmd/attainctl/maps/salesforce-opportunities.map. --dry-run\n"
	    "                               checks everything and writes nothing. --batch: deals or leads a\n"
	    "                               transaction (default and most 100000, as a bulk call).\n"
	    "                               Rejected rows go to stderr as FILE:LINE: field: reason.\n"
	    "                               Exit status: 0 every row in, 1 some rows rejected,\n"
	    "                               2 usage, file or database error.\n",
	    f);
}

/* ---- keys of people and teams --------------------------------------------------------- */

struct slot {
	char *key; /* owned; NULL = empty */
	int64_t id;
};

/* A string -> id table (open addressing). */
struct keys {
	struct slot *slots; /* owned */
	size_t cap, n;
	bool oom;
};

static struct slot *
keys_slot(const struct keys *k, const char *key)
{
	size_t i = (size_t)hash_string(key) & (k->cap - 1);

	while (k->slots[i].key && strcmp(k->slots[i].key, key) != 0)
		i = (i + 1) & (k->cap - 1);
	return &k->slots[i];
}

static void
keys_put(struct keys *k, const char *key, int64_t id)
{
	if ((k->n + 1) * 2 > k->cap) {
		struct keys bigger = {.cap = k->cap ? k->cap * 2 : 1024};
		if (!(bigger.slots = calloc(bigger.cap, sizeof *bigger.slots))) {
			k->oom = true;
			return;
		}
		for (size_t i = 0; i < k->cap; i++)
			if (k->slots[i].key)
				*keys_slot(&bigger, k->slots[i].key) = k->slots[i];
		free(k->slots);
		bigger.n = k->n;
		*k = bigger;
	}
	struct slot *s = keys_slot(k, key);
	if (!s->key) {
		if (!(s->key = strdup(key))) {
			k->oom = true;
			return;
		}
		k->n++;
	}
	s->id = id;
}

static int64_t
keys_get(const struct keys *k, const char *key)
{
	return k->cap ? keys_slot(k, key)->id : 0;
}

static void
keys_clear(struct keys *k)
{
	for (size_t i = 0; i < k->cap; i++)
		free(k->slots[i].key);
	free(k->slots);
	*k = (struct keys){0};
}

/* ---- the run ---------------------------------------------------------------------------- */

struct run {
	enum imp_kind kind;
	const char *path;
	bool dry_run;
	int batch; /* items per bulk batch; 0 = the endpoint's most */
	struct db_conn *c;
	struct caller who;
	struct keys people;   /* "e:<email lower case>", "x:<external_id>" -> person id */
	struct keys teams;    /* external_id -> team id */
	struct keys versions; /* "p<id>" / "t<id>" -> version, of the rows as they were */
	long created, updated, unchanged, rejected, rows;
	struct buf lines; /* owned: the file line (a long) of each item of the bulk batch */
	bool failed;      /* a database or memory failure: stop */
	/* progress */
	bool tty;
	long long size; /* bytes of the file, 0 = unknown */
	struct timespec t0, last;
	struct imp_reader *reader;
};

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress(struct run *r, bool last)
{
	struct timespec now;
	double t, rate, frac;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && since(&r->last, &now) < (r->tty ? 0.1 : 10.0))
		return;
	r->last = now;
	t = since(&r->t0, &now);
	rate = t > 0 ? (double)r->rows / t : 0;
	frac = r->size > 0 ? (double)imp_reader_offset(r->reader) / (double)r->size : 0;
	if (frac > 1)
		frac = 1;
	if (r->tty) {
		char bar[31];
		int full = (int)(frac * 30);
		for (int i = 0; i < 30; i++)
			bar[i] = i < full ? '#' : '.';
		bar[30] = '\0';
		if (r->size > 0 && frac > 0 && !last) {
			double eta = t / frac - t;
			fprintf(stderr, "\r[%s] %3.0f%% %ld rows %.0f rows/s ETA %d:%02d  ", bar, frac * 100,
			        r->rows, rate, (int)eta / 60, (int)eta % 60);
		} else
			fprintf(stderr, "\r[%s] %3.0f%% %ld rows %.0f rows/s           ", bar, frac * 100,
			        r->rows, rate);
		if (last)
			fputc('\n', stderr);
	} else if (!last)
		fprintf(stderr, "attainctl import: %ld rows read (%.0f rows/s)\n", r->rows, rate);
	fflush(stderr);
}

/* Report the issues of the row at `line`. */
static void
reject(struct run *r, long line, const struct issues *e)
{
	if (r->tty)
		fputs("\r\033[K", stderr);
	for (size_t i = 0; i < e->n; i++) {
		if (e->items[i].field)
			fprintf(stderr, "%s:%ld: %s: %s\n", r->path, line, e->items[i].field,
			        e->items[i].message);
		else
			fprintf(stderr, "%s:%ld: %s\n", r->path, line, e->items[i].message);
	}
	if (e->omitted)
		fprintf(stderr, "%s:%ld: and %zu more problems\n", r->path, line, e->omitted);
	if (!e->n)
		fprintf(stderr, "%s:%ld: rejected\n", r->path, line);
	r->rejected++;
}

static int64_t
person_ref(void *ctx, const char *key)
{
	struct run *r = ctx;
	char k[320];

	if (strchr(key, '@')) {
		size_t i = 0;
		k[i++] = 'e';
		k[i++] = ':';
		for (; *key && i + 1 < sizeof k; key++)
			k[i++] = (char)tolower((unsigned char)*key);
		k[i] = '\0';
		int64_t id = keys_get(&r->people, k);
		if (id)
			return id;
		key = k + 2;
	}
	snprintf(k, sizeof k, "x:%s", key);
	return keys_get(&r->people, k);
}

static int64_t
team_ref(void *ctx, const char *key)
{
	return keys_get(&((struct run *)ctx)->teams, key);
}

static void
version_put(struct run *r, char what, int64_t id, int version)
{
	char k[32];

	snprintf(k, sizeof k, "%c%" PRId64, what, id);
	keys_put(&r->versions, k, version);
}

static int
version_get(struct run *r, char what, int64_t id)
{
	char k[32];

	snprintf(k, sizeof k, "%c%" PRId64, what, id);
	return (int)keys_get(&r->versions, k);
}

static void
person_key(struct run *r, int64_t id, const char *external_id, const char *email)
{
	char k[320];

	if (external_id) {
		snprintf(k, sizeof k, "x:%s", external_id);
		keys_put(&r->people, k, id);
	}
	if (email) {
		size_t i = 2;
		k[0] = 'e';
		k[1] = ':';
		for (; *email && i + 1 < sizeof k; email++)
			k[i++] = (char)tolower((unsigned char)*email);
		k[i] = '\0';
		keys_put(&r->people, k, id);
	}
}

static void
on_person(void *ctx, int64_t id, int version, const char *external_id, const char *email)
{
	struct run *r = ctx;

	person_key(r, id, external_id, email);
	version_put(r, 'p', id, version);
}

static void
on_team(void *ctx, int64_t id, int version, const char *external_id, const char *email)
{
	struct run *r = ctx;

	(void)email;
	if (external_id)
		keys_put(&r->teams, external_id, id);
	version_put(r, 't', id, version);
}

/* ---- deals and leads: the bulk sync --------------------------------------------------- */

struct bulk {
	struct run *run;
	struct deals_sync *deals;
	struct lead_batch leads;
	int n; /* items in the batch */
};

/* The file line of the next item of the batch (lines.oom on failure). */
static void
line_keep(struct run *r, long line)
{
	buf_append(&r->lines, (const char *)&line, sizeof line);
}

/* The file line of item `index` of the batch. */
static long
line_of(const struct run *r, int index)
{
	long line;

	memcpy(&line, r->lines.data + (size_t)index * sizeof line, sizeof line);
	return line;
}

static void
on_refused(void *ctx, int index, struct issues *e)
{
	struct bulk *b = ctx;

	reject(b->run, line_of(b->run, index), e);
	issues_clear(e);
}

static enum status
bulk_open(struct bulk *b)
{
	struct deals_sync_refusals to = {on_refused, b};

	b->n = 0;
	buf_clear(&b->run->lines);
	if (b->run->kind == IMP_DEALS)
		return deals_service_sync_open(b->run->c, &b->run->who, &to, &b->deals);
	return ST_OK;
}

/* One record into the batch: obj NULL with e its problems. */
static void
bulk_add(struct bulk *b, json_t *obj, long line, struct issues *e)
{
	struct deal_input in;

	line_keep(b->run, line);
	if (b->run->lines.oom) {
		b->run->failed = true;
		return;
	}
	if (b->run->kind == IMP_DEALS) {
		if (obj)
			deal_read(obj, DEAL_READ_BULK, &in, e);
		deals_service_sync_add(b->deals, b->n, obj ? &in : NULL, e);
	} else if (!obj || !lead_read(obj, LEAD_BULK, e)) /* what POST /v1/leads/bulk checks of an item */
		reject(b->run, line, e);
	else if (lead_batch_add(&b->leads, b->n, obj) != ST_OK)
		b->run->failed = true;
	b->n++;
}

/* Write the batch (in its own transaction, or a savepoint of the dry run's) and start another. */
static enum status
bulk_flush(struct bulk *b, bool reopen)
{
	struct run *r = b->run;
	enum status st = ST_OK;

	if (b->n > 0 && (st = db_begin(r->c)) == ST_OK) {
		if (r->kind == IMP_DEALS) {
			struct deal_bulk_counts done = {0};
			st = deals_service_sync_run(r->c, &r->who, b->deals, false, &done);
			r->created += done.created, r->updated += done.updated,
			    r->unchanged += done.unchanged;
		} else {
			struct leads_bulk_result res = {0};
			st = leads_service_bulk(r->c, &r->who, &b->leads, false, false, &res);
			for (size_t i = 0; st == ST_OK && i < res.nrejects; i++)
				reject(r, line_of(r, res.rejects[i].index), &res.rejects[i].issues);
			if (st == ST_OK)
				r->created += res.created, r->updated += res.updated,
				    r->unchanged += res.unchanged;
			leads_service_bulk_result_clear(&res);
		}
		/* The dry run rolls each batch back: the sync's temporary table lives until the end of its
		 * transaction. */
		if (st == ST_OK && !r->dry_run)
			st = db_commit(r->c);
		else
			db_rollback(r->c);
	}
	deals_service_sync_free(b->deals);
	b->deals = NULL;
	lead_batch_clear(&b->leads);
	if (st == ST_OK && reopen)
		st = bulk_open(b);
	return st;
}

/* ---- teams, people, quotas: one row at a time ----------------------------------------- */

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An id field: *set says whether it is given (null = 0). */
static int64_t
id_of(json_t *o, const char *k, bool *set)
{
	json_t *v = json_object_get(o, k);

	*set = v != NULL;
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

/* Count a write whose row had version `before` (0 = created) and has `after`. */
static void
count(struct run *r, int before, int after)
{
	if (!before)
		r->created++;
	else if (after == before)
		r->unchanged++;
	else
		r->updated++;
}

static enum status
team_row(struct run *r, json_t *o, struct issues *e)
{
	struct team_input in = {
	    .name = str(o, "name"), .set_external_id = true, .external_id = str(o, "external_id")};
	struct rowjson row = {0};
	struct team_input api;
	int64_t id = keys_get(&r->teams, in.external_id);
	int before = id ? version_get(r, 't', id) : 0;
	enum status st;

	if (!team_read(o, !id, &api, e)) /* what POST/PATCH /v1/teams check of a body */
		return ST_INVALID;

	in.parent_id = id_of(o, "parent_id", &in.set_parent);
	in.manager_id = id_of(o, "manager_id", &in.set_manager);
	st = id ? org_service_team_patch(r->c, &r->who, id, &in, -1, &row, e)
	        : org_service_team_create(r->c, &r->who, &in, &row, e);
	if (st == ST_OK) {
		count(r, before, row.version);
		keys_put(&r->teams, in.external_id, row.id);
		version_put(r, 't', row.id, row.version);
	}
	rowjson_clear(&row);
	return st;
}

static enum status
person_row(struct run *r, json_t *o, struct issues *e)
{
	struct person_input in = {
	    .name = str(o, "name"),
	    .email = str(o, "email"),
	    .title = str(o, "title"),
	    .set_title = json_object_get(o, "title") != NULL,
	    .segment = str(o, "segment"),
	    .set_segment = json_object_get(o, "segment") != NULL,
	    .hired_on = str(o, "hired_on"),
	    .set_hired_on = json_object_get(o, "hired_on") != NULL,
	    .ramp_months = json_is_integer(json_object_get(o, "ramp_months"))
	                       ? (int)json_integer_value(json_object_get(o, "ramp_months"))
	                       : -1,
	    .active = json_is_boolean(json_object_get(o, "active"))
	                  ? json_is_true(json_object_get(o, "active"))
	                  : -1,
	    .set_external_id = true,
	    .external_id = str(o, "external_id"),
	};
	struct rowjson row = {0};
	char k[256];
	int64_t id;
	int before;
	enum status st;

	snprintf(k, sizeof k, "x:%s", in.external_id);
	id = keys_get(&r->people, k);
	before = id ? version_get(r, 'p', id) : 0;
	struct person_input api;
	if (!person_read(o, !id, &api, e)) /* what POST/PATCH /v1/people check of a body */
		return ST_INVALID;
	in.team_id = id_of(o, "team_id", &in.set_team);
	st = id ? org_service_person_patch(r->c, &r->who, id, &in, -1, &row, e)
	        : org_service_person_create(r->c, &r->who, &in, &row, e);
	if (st == ST_OK) {
		count(r, before, row.version);
		person_key(r, row.id, in.external_id, in.email);
		version_put(r, 'p', row.id, row.version);
	}
	rowjson_clear(&row);
	return st;
}

static enum status
quota_row(struct run *r, json_t *o, struct issues *e)
{
	struct quota_input in = {.set = QUOTA_SET_ALL, .period = str(o, "period"), .notes = str(o, "notes")};
	json_t *filter = json_object_get(o, "filter");
	const char *metric = str(o, "metric"), *why = NULL;
	struct rowjson row = {0};
	int64_t id = 0;
	int before = 0;
	enum status st;

	if (quota_ref_parse(str(o, "assignee"), &in.assignee) != ST_OK ||
	    money_from_json(json_object_get(o, "amount"), false, &in.amount, &why) != ST_OK) {
		issues_add(e, "assignee", "must be person:ID or team:ID");
		return ST_INVALID;
	}
	in.metric = quota_metric_from_name(metric);
	in.filter_type = str(filter, "type");
	in.filter_segment = str(filter, "segment");
	st = imp_store_quota_find(r->c, r->who.org, quota_assignee_name(in.assignee.type), in.assignee.id,
	                          in.period, quota_metric_name(in.metric), in.filter_type, in.filter_segment,
	                          &id, &before);
	if (st == ST_OK)
		st = quota_service_replace(r->c, &r->who, id, -1, &in, &row, e);
	else if (st == ST_NOT_FOUND) {
		before = 0;
		st = quota_service_create(r->c, &r->who, &in, &row, e);
	}
	if (st == ST_OK)
		count(r, before, row.version);
	rowjson_clear(&row);
	return st;
}

/* One row of teams, people or quotas in a savepoint; false when the run must stop. */
static bool
single_row(struct run *r, json_t *obj, long line, struct issues *e)
{
	enum status st;

	if (!obj) {
		reject(r, line, e);
		return true;
	}
	if ((st = db_begin(r->c)) != ST_OK)
		return false;
	switch (r->kind) {
	case IMP_TEAMS: st = team_row(r, obj, e); break;
	case IMP_PEOPLE: st = person_row(r, obj, e); break;
	default: st = quota_row(r, obj, e); break;
	}
	if (st == ST_OK)
		return db_commit(r->c) == ST_OK;
	db_rollback(r->c);
	if (st == ST_INVALID || st == ST_CONFLICT || st == ST_FORBIDDEN || st == ST_NOT_FOUND ||
	    st == ST_STALE) {
		if (!issues_any(e))
			issues_add(e, NULL, "refused (%s)", status_name(st));
		reject(r, line, e);
		return true;
	}
	fprintf(stderr, "attainctl import: %s:%ld: %s (SQLSTATE %s)\n", r->path, line, status_name(st),
	        db_last_sqlstate(r->c));
	return false;
}

/* ---- the command ------------------------------------------------------------------------- */

struct options {
	enum imp_kind kind;
	const char *path;
	const char *org;
	bool dry_run;
	int batch; /* deals or leads per bulk batch; 0 = the bulk endpoint's most */
	bool format_set;
	enum imp_format format;
	struct imp_map map;
};

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("attainctl import: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(attainctl import --help)\n", stderr);
	return 2;
}

/* Read the command line into *o; 0, -1 for --help, or 2. */
static int
options_parse(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
	    {"org", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
	    {"map", required_argument, NULL, 'm'}, {"map-file", required_argument, NULL, 'M'},
	    {"dry-run", no_argument, NULL, 'n'},   {"batch", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	char err[256];
	int ch;
	FILE *f;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->org = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'h': return -1;
		case 'b': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > DEAL_BULK_MAX)
				return usage_error("--batch must be a number from 1 to %d", DEAL_BULK_MAX);
			o->batch = (int)v;
			break;
		}
		case 'f':
			o->format_set = true;
			if (strcmp(optarg, "csv") == 0)
				o->format = IMP_CSV;
			else if (strcmp(optarg, "ndjson") == 0)
				o->format = IMP_NDJSON;
			else
				return usage_error("--format must be csv or ndjson, not %s", optarg);
			break;
		case 'm':
			if (imp_map_add_spec(&o->map, optarg, err, sizeof err) != ST_OK)
				return usage_error("%s", err);
			break;
		case 'M':
			if (!(f = fopen(optarg, "r")))
				return usage_error("--map-file: cannot open %s", optarg);
			if (imp_map_add_file(&o->map, f, err, sizeof err) != ST_OK) {
				fclose(f);
				fprintf(stderr, "attainctl import: --map-file %s: %s\n", optarg, err);
				return 2;
			}
			fclose(f);
			break;
		default: return usage_error("%s", "unknown option");
		}
	}
	if (argc - optind != 2)
		return usage_error("%s", "give KIND and FILE");
	if (!imp_kind_parse(argv[optind], &o->kind))
		return usage_error("KIND must be teams, people, deals, quotas or leads, not %s",
		                   argv[optind]);
	o->path = argv[optind + 1];
	if (!o->format_set)
		o->format = imp_format_of(o->path);
	return 0;
}

/* The org to import into: --org, else the only one. 0 or 2. */
static int
pick_org(struct db_conn *c, struct options *o, char **owned)
{
	char *orgs[2] = {0};
	size_t n = 0;

	if (o->org && o->dry_run) {
		/* The dry run writes nothing, not even the org. */
		if (imp_store_org_exists(c, o->org) == ST_OK)
			return 0;
		fprintf(stderr, "attainctl import: no org %s (a dry run does not create it)\n", o->org);
		return 2;
	}
	if (o->org) {
		if (org_service_ensure(c, o->org) == ST_OK)
			return 0;
		fprintf(stderr, "attainctl import: cannot make org %s (SQLSTATE %s)\n", o->org,
		        db_last_sqlstate(c));
		return 2;
	}
	if (imp_store_orgs(c, orgs, 2, &n) != ST_OK)
		return 2;
	if (n != 1) {
		for (size_t i = 0; i < n; i++)
			free(orgs[i]);
		fprintf(stderr, "attainctl import: --org is required: the database has %s orgs\n",
		        n ? "several" : "no");
		return 2;
	}
	o->org = *owned = orgs[0];
	return 0;
}

/* Warn of and leave out the CSV columns the kind does not take. */
static void
drop_unknown_columns(struct imp_reader *rd, enum imp_kind k)
{
	size_t n;
	const char *const *cols = imp_reader_columns(rd, &n);

	for (size_t i = 0; i < n; i++)
		if (cols[i][0] && !imp_kind_takes(k, cols[i])) {
			fprintf(stderr, "attainctl import: ignoring column \"%s\" (%s takes: %s)\n", cols[i],
			        imp_kind_name(k), imp_kind_columns(k));
			imp_reader_drop_column(rd, i);
		}
}

/* Read every record and write it; false on a failure that stops the run. */
static bool
run_records(struct run *r)
{
	struct imp_refs refs = {person_ref, team_ref, r};
	struct bulk b = {.run = r};
	bool bulk = r->kind == IMP_DEALS || r->kind == IMP_LEADS;
	int max = r->batch ? r->batch : r->kind == IMP_DEALS ? DEAL_BULK_MAX : LEAD_BULK_MAX;
	enum status st = ST_OK;

	if (bulk && bulk_open(&b) != ST_OK)
		return false;
	for (;;) {
		struct issues e = {0};
		json_t *raw = NULL, *obj = NULL;
		long line = 0;

		st = imp_reader_next(r->reader, &raw, &line, &e);
		if (st != ST_OK)
			break;
		r->rows++;
		if (raw && imp_shape(r->kind, raw, &refs, &obj, &e) == ST_NOMEM)
			r->failed = true;
		json_decref(raw);
		if (bulk) {
			bulk_add(&b, obj, line, &e);
			if (b.n == max && (st = bulk_flush(&b, true)) != ST_OK)
				r->failed = true;
		} else if (!single_row(r, obj, line, &e))
			r->failed = true;
		else if (r->rows % ROW_BATCH == 0 && !r->dry_run && db_tx_depth(r->c) == 1)
			r->failed = db_commit(r->c) != ST_OK || db_begin(r->c) != ST_OK;
		json_decref(obj);
		issues_clear(&e);
		if (r->failed || r->people.oom || r->teams.oom || r->versions.oom)
			break;
		progress(r, false);
	}
	if (st == ST_UNAVAILABLE)
		fprintf(stderr, "attainctl import: %s: %s\n", r->path, strerror(errno));
	if (st == ST_NOMEM)
		fprintf(stderr, "attainctl import: out of memory\n");
	if (bulk && !r->failed && st == ST_NOT_FOUND && bulk_flush(&b, false) != ST_OK)
		r->failed = true;
	deals_service_sync_free(b.deals);
	lead_batch_clear(&b.leads);
	if (r->failed && db_last_sqlstate(r->c)[0])
		fprintf(stderr, "attainctl import: the database said SQLSTATE %s\n", db_last_sqlstate(r->c));
	return !r->failed && st == ST_NOT_FOUND;
}

int
import_main(int argc, char **argv)
{
	struct options o = {0};
	struct run r = {0};
	struct scope scope = {0};
	struct db_pool *pool = NULL;
	struct stat sb;
	char err[256] = "", *org = NULL;
	FILE *f = NULL;
	int rc = options_parse(argc, argv, &o);
	bool ok;

	if (rc) {
		if (rc < 0)
			import_usage(stdout);
		imp_map_clear(&o.map);
		return rc < 0 ? 0 : rc;
	}
	rc = 2;
	if (!(f = strcmp(o.path, "-") == 0 ? stdin : fopen(o.path, "r"))) {
		fprintf(stderr, "attainctl import: %s: %s\n", o.path, strerror(errno));
		goto out;
	}
	r = (struct run){
	    .kind = o.kind, .path = o.path, .dry_run = o.dry_run, .batch = o.batch, .tty = isatty(2)};
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
		r.size = sb.st_size;
	if (imp_reader_open(f, o.format, &o.map, &r.reader, err, sizeof err) != ST_OK) {
		fprintf(stderr, "attainctl import: %s: %s\n", o.path, err[0] ? err : "out of memory");
		goto out;
	}
	if (o.format == IMP_CSV)
		drop_unknown_columns(r.reader, o.kind);
	if (!(pool = ctl_pool_open()) || db_acquire(pool, &r.c) != ST_OK) {
		fprintf(stderr, "attainctl import: DATABASE_URL: cannot connect to PostgreSQL\n");
		goto out;
	}
	if (pick_org(r.c, &o, &org) != 0)
		goto out;
	if (org_service_scope_load(r.c, o.org, ROLE_ADMIN, 0, &scope) != ST_OK ||
	    imp_store_keys(r.c, o.org, 1, on_person, &r) != ST_OK ||
	    imp_store_keys(r.c, o.org, 0, on_team, &r) != ST_OK) {
		fprintf(stderr, "attainctl import: cannot load org %s (SQLSTATE %s)\n", o.org ? o.org : "?",
		        db_last_sqlstate(r.c));
		goto out;
	}
	r.who = (struct caller){.org = o.org, .sub = "attainctl-import", .scope = &scope};
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.last = r.t0;
	/* Teams, people and quotas: one transaction per ROW_BATCH rows, a savepoint per row; the dry run
	 * one transaction for all, rolled back. Deals and leads: a transaction per bulk batch (bulk_flush).
	 */
	if (o.kind != IMP_DEALS && o.kind != IMP_LEADS && db_begin(r.c) != ST_OK)
		goto out;
	ok = run_records(&r);
	if (o.dry_run || !ok) {
		if (db_tx_depth(r.c) > 0)
			db_rollback(r.c);
	} else if (db_tx_depth(r.c) > 0 && db_commit(r.c) != ST_OK)
		ok = false;
	progress(&r, true);
	if (!ok) {
		fprintf(stderr, "attainctl import: stopped after %ld rows; %s\n", r.rows,
		        o.dry_run || o.kind == IMP_DEALS || o.kind == IMP_LEADS
		            ? "batches written before stay"
		            : "the last batch was rolled back");
		goto out;
	}
	printf("%s %s: rows: %ld, created: %ld, updated: %ld, unchanged: %ld, rejected: %ld%s\n",
	       imp_kind_name(o.kind), o.path, r.rows, r.created, r.updated, r.unchanged, r.rejected,
	       o.dry_run ? " (dry run: nothing written)" : "");
	rc = r.rejected ? 1 : 0;
out:
	imp_reader_free(r.reader);
	if (f && f != stdin)
		fclose(f);
	scope_clear(&scope);
	keys_clear(&r.people);
	keys_clear(&r.teams);
	keys_clear(&r.versions);
	buf_clear(&r.lines);
	if (pool) {
		db_release(pool, r.c);
		db_pool_free(pool);
	}
	free(org);
	imp_map_clear(&o.map);
	return rc;
}
