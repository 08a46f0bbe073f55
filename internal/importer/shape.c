/* shape.c — import records into the API's objects, kind by kind. */
#include "importer/shape.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar/calendar.h"
#include "core/money.h"
#include "leads/lead.h"
#include "quota/quota.h"

enum ftype {
	F_TEXT,  /* a string of min..max characters */
	F_EMAIL, /* an e-mail address */
	F_INT,   /* an integer in min..max */
	F_MONEY, /* >= 0, at most 2 decimals */
	F_BOOL,
	F_DATE,
	F_ENUM,     /* one of values, normalised */
	F_KEY,      /* a key of the org's (a stage, a forecast category), normalised */
	F_ID,       /* one of attain's ids */
	F_PERSON,   /* a person's external_id or e-mail -> `to` */
	F_TEAM,     /* a team's external_id -> `to` */
	F_PERIOD,   /* a period id */
	F_ASSIGNEE, /* "person:ID" or "team:ID" */
	F_JSON,     /* a JSON value (a CSV cell holds its text) */
};

struct field {
	const char *name;
	enum ftype type;
	long long min, max;
	const char *const *values;
	const char *to; /* the API's field; NULL = name */
	bool required;
};

static const char *const segments[] = {"b2b", "b2c", NULL};
static const char *const deal_types[] = {"new_business", "upsell", "cross_sell", "renewal", NULL};
static const char *const metrics[] = {"revenue", "deal_count", NULL};

#define TEXT(n, lo, hi, req)                                                                                 \
	{                                                                                                    \
		n, F_TEXT, lo, hi, NULL, NULL, req                                                           \
	}
#define END                                                                                                  \
	{                                                                                                    \
		NULL, F_TEXT, 0, 0, NULL, NULL, false                                                        \
	}

static const struct field team_fields[] = {
    TEXT("external_id", 1, 200, true),
    TEXT("name", 1, 200, true),
    {"parent", F_TEAM, 0, 0, NULL, "parent_id", false},
    {"parent_id", F_ID, 0, 0, NULL, NULL, false},
    {"manager", F_PERSON, 0, 0, NULL, "manager_id", false},
    {"manager_id", F_ID, 0, 0, NULL, NULL, false},
    END,
};

static const struct field person_fields[] = {
    TEXT("external_id", 1, 200, true),
    TEXT("name", 1, 200, true),
    {"email", F_EMAIL, 3, 254, NULL, NULL, true},
    {"team", F_TEAM, 0, 0, NULL, "team_id", false},
    {"team_id", F_ID, 0, 0, NULL, NULL, false},
    TEXT("title", 1, 200, false),
    {"segment", F_ENUM, 0, 0, segments, NULL, false},
    {"hired_on", F_DATE, 0, 0, NULL, NULL, false},
    {"ramp_months", F_INT, 0, 24, NULL, NULL, false},
    {"active", F_BOOL, 0, 0, NULL, NULL, false},
    END,
};

static const struct field deal_fields[] = {
    TEXT("external_id", 1, 255, true),
    TEXT("name", 1, 500, false),
    TEXT("account", 0, 500, false),
    {"owner", F_PERSON, 0, 0, NULL, "owner_id", false},
    {"owner_id", F_ID, 0, 0, NULL, NULL, false},
    {"segment", F_ENUM, 0, 0, segments, NULL, false},
    {"type", F_ENUM, 0, 0, deal_types, NULL, false},
    {"amount", F_MONEY, 0, 0, NULL, NULL, false},
    {"stage", F_KEY, 1, 64, NULL, NULL, false},
    {"probability", F_INT, 0, 100, NULL, NULL, false},
    {"forecast_category", F_KEY, 1, 32, NULL, NULL, false},
    {"close_date", F_DATE, 0, 0, NULL, NULL, false},
    {"created_on", F_DATE, 0, 0, NULL, NULL, false},
    {"splits", F_JSON, 0, 0, NULL, NULL, false},
    END,
};

static const struct field lead_fields[] = {
    TEXT("external_id", 1, 255, true),
    TEXT("company", 1, 200, false),
    TEXT("contact_name", 1, 200, false),
    {"email", F_EMAIL, 3, 254, NULL, NULL, false},
    {"segment", F_ENUM, 0, 0, lead_segments, NULL, false},
    TEXT("source", 1, 200, false),
    {"budget", F_MONEY, 0, 0, NULL, NULL, false},
    {"authority", F_ENUM, 0, 0, lead_authorities, NULL, false},
    {"need", F_ENUM, 0, 0, lead_needs, NULL, false},
    {"timeline", F_DATE, 0, 0, NULL, NULL, false},
    {"employees", F_INT, 0, 2147483647LL, NULL, NULL, false},
    TEXT("industry", 1, 200, false),
    {"engagement", F_INT, 0, 100, NULL, NULL, false},
    {"attributes", F_JSON, 0, 0, NULL, NULL, false},
    {"owner", F_PERSON, 0, 0, NULL, "owner_id", false},
    {"owner_id", F_ID, 0, 0, NULL, NULL, false},
    {"status", F_ENUM, 0, 0, lead_statuses, NULL, false},
    {"converted_deal_id", F_ID, 0, 0, NULL, NULL, false},
    END,
};

static const struct field quota_fields[] = {
    {"person", F_PERSON, 0, 0, NULL, "assignee", false},
    {"team", F_TEAM, 0, 0, NULL, "assignee", false},
    {"assignee", F_ASSIGNEE, 0, 0, NULL, NULL, false},
    {"period", F_PERIOD, 0, 0, NULL, NULL, true},
    {"metric", F_ENUM, 0, 0, metrics, NULL, false},
    {"filter_type", F_ENUM, 0, 0, deal_types, NULL, false},
    {"filter_segment", F_ENUM, 0, 0, segments, NULL, false},
    {"amount", F_MONEY, 0, 0, NULL, NULL, true},
    TEXT("notes", 0, 2000, false),
    END,
};

static const struct {
	const char *name;
	const struct field *fields;
	const char *columns;
} kinds[] = {
    [IMP_TEAMS] = {"teams", team_fields,
                   "external_id, name, parent (external_id) | parent_id, manager (email or "
                   "external_id) | manager_id"},
    [IMP_PEOPLE] = {"people", person_fields,
                    "external_id, name, email, team (external_id) | team_id, title, segment, hired_on, "
                    "ramp_months, active"},
    [IMP_DEALS] =
        {"deals", deal_fields,
         "external_id, name, account, owner (email or external_id) | owner_id, segment, type, amount, "
         "stage, probability, forecast_category, close_date, created_on, splits (JSON)"},
    [IMP_QUOTAS] =
        {"quotas", quota_fields,
         "person (email or external_id) | team (external_id) | assignee (person:ID, team:ID), period, "
         "metric, filter_type, filter_segment, amount, notes"},
    [IMP_LEADS] =
        {"leads", lead_fields,
         "external_id, company, contact_name, email, segment, source, budget, authority, need, "
         "timeline, employees, industry, engagement, attributes (JSON), owner (email or external_id) | "
         "owner_id, status, converted_deal_id"},
};

bool
imp_kind_parse(const char *word, enum imp_kind *out)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(word, kinds[i].name) == 0) {
			*out = (enum imp_kind)i;
			return true;
		}
	return false;
}

const char *
imp_kind_name(enum imp_kind k)
{
	return kinds[k].name;
}

const char *
imp_kind_columns(enum imp_kind k)
{
	return kinds[k].columns;
}

static const struct field *
field_of(enum imp_kind k, const char *name)
{
	for (const struct field *f = kinds[k].fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

bool
imp_kind_takes(enum imp_kind k, const char *name)
{
	return field_of(k, name) != NULL;
}

/* ---- converting text --------------------------------------------------------------- */

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* "1,234.50" -> "1234.50" into out (len bytes) when the commas group thousands; else s as it is. */
static void
drop_thousands(const char *s, char *out, size_t len)
{
	const char *dot = strchr(s, '.');
	size_t intlen = dot ? (size_t)(dot - s) : strlen(s), digits = 0, j = 0;
	bool grouped = strchr(s, ',') != NULL;

	for (size_t i = intlen; grouped && i-- > 0;) {
		if (s[i] == ',') {
			grouped = digits == 3 && i > 0;
			digits = 0;
		} else if (isdigit((unsigned char)s[i]) || (i == 0 && s[i] == '-'))
			digits += isdigit((unsigned char)s[i]) != 0;
		else
			grouped = false;
	}
	for (const char *p = s; *p && j + 1 < len; p++)
		if (!grouped || *p != ',')
			out[j++] = *p;
	out[j] = '\0';
}

/* An enum value or key as the API writes it: lower case, blanks and hyphens as '_'. */
static void
normalise(const char *s, char *out, size_t len)
{
	size_t j = 0;

	while (isspace((unsigned char)*s))
		s++;
	for (; *s && j + 1 < len; s++)
		out[j++] = *s == ' ' || *s == '-' ? '_' : (char)tolower((unsigned char)*s);
	while (j && out[j - 1] == '_')
		j--;
	out[j] = '\0';
}

/* A date cell as "YYYY-MM-DD" into out (11 bytes); false when it is none. */
static bool
date_text(const char *s, char *out)
{
	unsigned m, d, y;
	int used = 0;
	cal_date day;

	if (strlen(s) >= 10 && s[4] == '-' && (s[10] == '\0' || s[10] == ' ' || s[10] == 'T')) {
		snprintf(out, 11, "%.10s", s);
		return cal_date_parse(out, &day) == ST_OK;
	}
	if (sscanf(s, "%u/%u/%u%n", &m, &d, &y, &used) == 3 && (s[used] == '\0' || s[used] == ' ') &&
	    y >= 1000 && y <= 9999 && m <= 12 && d <= 31) {
		snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
		return cal_date_parse(out, &day) == ST_OK;
	}
	return false;
}

static bool
in_values(const char *const *values, const char *s)
{
	for (; *values; values++)
		if (strcmp(*values, s) == 0)
			return true;
	return false;
}

static void
enum_issue(const struct field *f, struct issues *e)
{
	char list[256] = "";
	size_t used = 0;

	for (const char *const *v = f->values; *v && used < sizeof list; v++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *v);
	issues_add(e, f->name, "must be one of: %s", list);
}

/* A JSON object of at most LEAD_ATTR_MAX_KEYS scalars (the API's lead attributes). */
static bool
attributes_ok(json_t *v, struct issues *e)
{
	const char *key;
	json_t *x;

	if (json_is_null(v))
		return true;
	if (!json_is_object(v) || json_object_size(v) > LEAD_ATTR_MAX_KEYS) {
		issues_add(e, "attributes", "must be an object of at most %d strings, numbers or booleans",
		           LEAD_ATTR_MAX_KEYS);
		return false;
	}
	json_object_foreach (v, key, x) {
		size_t n = strlen(key);
		if (n == 0 || n > LEAD_ATTR_KEY_MAX ||
		    (json_is_string(x) && json_string_length(x) > LEAD_ATTR_TEXT_MAX) ||
		    !(json_is_string(x) || json_is_number(x) || json_is_boolean(x))) {
			issues_add(e, "attributes",
			           "key \"%.*s\": a key of 1..%d bytes whose value is a string of at most %d "
			           "bytes, a number or a boolean",
			           LEAD_ATTR_KEY_MAX, key, LEAD_ATTR_KEY_MAX, LEAD_ATTR_TEXT_MAX);
			return false;
		}
	}
	return true;
}

/*
 * Field f's value v (borrowed) as the API takes it: a new reference, or NULL
 * with an issue in e.
 */
static json_t *
convert(const struct field *f, json_t *v, const struct imp_refs *refs, struct issues *e)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char text[64], *end;
	int64_t cents, id;
	long long n;

	if (json_is_null(v))
		return json_null();
	switch (f->type) {
	case F_TEXT:
	case F_EMAIL:
		if (!s)
			break;
		if ((long long)utf8_chars(s) < f->min || (long long)utf8_chars(s) > f->max) {
			issues_add(e, f->name, "must be %lld to %lld characters", f->min, f->max);
			return NULL;
		}
		if (f->type == F_EMAIL && (!strchr(s, '@') || strchr(s, ' '))) {
			issues_add(e, f->name, "must be an e-mail address");
			return NULL;
		}
		return json_incref(v);
	case F_INT:
		if (s) {
			errno = 0;
			n = strtoll(s, &end, 10);
			if (*end == '%' && f->max == 100) /* a percentage as spreadsheets write it */
				end++;
			if (end == s || *end || errno)
				break;
		} else if (json_is_integer(v))
			n = json_integer_value(v);
		else
			break;
		if (n < f->min || n > f->max) {
			issues_add(e, f->name, "must be an integer from %lld to %lld", f->min, f->max);
			return NULL;
		}
		return json_integer(n);
	case F_MONEY: {
		const char *why = NULL;
		json_t *num = NULL;
		if (s) {
			drop_thousands(s, text, sizeof text);
			if (money_parse_text(text, &cents) != ST_OK)
				break;
			num = money_to_json(cents);
		} else
			num = json_incref(v);
		if (!num || money_from_json(num, false, &cents, &why) != ST_OK) {
			json_decref(num);
			issues_add(e, f->name, "%s", why ? why : "must be a number with at most 2 decimals");
			return NULL;
		}
		return num;
	}
	case F_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (!s)
			break;
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
			return json_true();
		if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
			return json_false();
		break;
	case F_DATE:
		if (s && date_text(s, text))
			return json_string(text);
		issues_add(e, f->name, "must be a date YYYY-MM-DD (or M/D/YYYY)");
		return NULL;
	case F_ENUM:
	case F_KEY:
		if (!s)
			break;
		normalise(s, text, sizeof text);
		if (f->type == F_ENUM && !in_values(f->values, text)) {
			enum_issue(f, e);
			return NULL;
		}
		if (f->type == F_KEY && (!*text || (long long)strlen(text) > f->max)) {
			issues_add(e, f->name, "must be 1 to %lld characters", f->max);
			return NULL;
		}
		return json_string(text);
	case F_ID:
		/* Ids are opaque strings on the API; a number is taken too. */
		if (json_is_integer(v) && json_integer_value(v) > 0)
			id = (int64_t)json_integer_value(v);
		else if (!s || (id = strtoll(s, &end, 10)) <= 0 || *end) {
			issues_add(e, f->name, "must be an id (a string of digits)");
			return NULL;
		}
		snprintf(text, sizeof text, "%" PRId64, id);
		return json_string(text);
	case F_PERSON:
	case F_TEAM:
		if (!s)
			break;
		id = f->type == F_PERSON ? refs->person(refs->ctx, s) : refs->team(refs->ctx, s);
		if (!id) {
			issues_add(e, f->name,
			           f->type == F_PERSON ? "no person of the org has this e-mail or external_id"
			                               : "no team of the org has this external_id");
			return NULL;
		}
		if (strcmp(f->to, "assignee") == 0) {
			snprintf(text, sizeof text, "%s:%" PRId64, f->type == F_PERSON ? "person" : "team",
			         id);
			return json_string(text);
		}
		snprintf(text, sizeof text, "%" PRId64, id);
		return json_string(text);
	case F_PERIOD:
		if (s && quota_period_id_valid(s))
			return json_incref(v);
		issues_add(e, f->name, "must be a period id (2026-07, FY2026-Q3, FY2026)");
		return NULL;
	case F_ASSIGNEE: {
		struct quota_ref ref;
		if (s && quota_ref_parse(s, &ref) == ST_OK)
			return json_incref(v);
		issues_add(e, f->name, "must be person:ID or team:ID");
		return NULL;
	}
	case F_JSON:
		if (s) {
			json_t *x = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
			if (!x) {
				issues_add(e, f->name, "must hold JSON");
				return NULL;
			}
			if (strcmp(f->name, "attributes") == 0 && !attributes_ok(x, e)) {
				json_decref(x);
				return NULL;
			}
			return x;
		}
		if (strcmp(f->name, "attributes") == 0 && !attributes_ok(v, e))
			return NULL;
		return json_incref(v);
	}
	switch (f->type) {
	case F_INT: issues_add(e, f->name, "must be an integer"); break;
	case F_MONEY: issues_add(e, f->name, "must be a number with at most 2 decimals"); break;
	case F_BOOL: issues_add(e, f->name, "must be true or false"); break;
	case F_ENUM: enum_issue(f, e); break;
	default: issues_add(e, f->name, "must be a string"); break;
	}
	return NULL;
}

/* Set key of o (a.b: b of the object a) to v (stolen). */
static void
put(json_t *o, const char *key, json_t *v)
{
	const char *dot = strchr(key, '.');

	if (!dot) {
		json_object_set_new(o, key, v);
		return;
	}
	char outer[32];
	snprintf(outer, sizeof outer, "%.*s", (int)(dot - key), key);
	json_t *sub = json_object_get(o, outer);
	if (!sub) {
		sub = json_object();
		json_object_set_new(o, outer, sub);
	}
	json_object_set_new(sub, dot + 1, v);
}

enum status
imp_shape(enum imp_kind k, json_t *in, const struct imp_refs *refs, json_t **out, struct issues *e)
{
	json_t *o = json_object(), *v;
	const char *key;

	if (!o)
		return ST_NOMEM;
	json_object_foreach (in, key, v) {
		const struct field *f = field_of(k, key);
		const char *to;
		json_t *x;

		if (!f) {
			issues_add(e, key, "unknown field");
			continue;
		}
		to = f->to ? f->to : f->name;
		if (k == IMP_QUOTAS && strncmp(key, "filter_", 7) == 0)
			to = strcmp(key, "filter_type") == 0 ? "filter.type" : "filter.segment";
		if (json_object_get(o, to) || (strcmp(to, f->name) != 0 && json_object_get(in, to))) {
			issues_add(e, key, "%s is given twice", to);
			continue;
		}
		if ((x = convert(f, v, refs, e)))
			put(o, to, x);
	}
	for (const struct field *f = kinds[k].fields; f->name; f++)
		if (f->required && !json_object_get(in, f->name))
			issues_add(e, f->name, "is required");
	if (k == IMP_QUOTAS) {
		if (!json_object_get(o, "assignee") && !issues_any(e))
			issues_add(e, "assignee", "is required: a person, a team or an assignee column");
		if (!json_object_get(o, "metric"))
			json_object_set_new(o, "metric", json_string("revenue"));
	}
	if (issues_any(e)) {
		json_decref(o);
		return ST_INVALID;
	}
	*out = o;
	return ST_OK;
}
