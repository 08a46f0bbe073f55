#include "leads/lead.h"

#include <math.h>
#include <string.h>

#include "core/money.h"

const char *const lead_segments[] = { "b2b", "b2c", NULL };
const char *const lead_authorities[] = { "none", "influencer", "decision_maker", "economic_buyer", NULL };
const char *const lead_needs[] = { "none", "low", "medium", "high", NULL };
const char *const lead_statuses[] = { "new", "qualified", "nurture", "disqualified", "converted", NULL };

bool
lead_status_write_allowed(const char *from, const char *to)
{
	return !(from && to && strcmp(from, "disqualified") == 0 && strcmp(to, "converted") == 0);
}

enum field_id {
	F_COMPANY,
	F_CONTACT_NAME,
	F_EMAIL,
	F_SEGMENT,
	F_SOURCE,
	F_BUDGET,
	F_AUTHORITY,
	F_NEED,
	F_TIMELINE,
	F_EMPLOYEES,
	F_INDUSTRY,
	F_ENGAGEMENT,
	F_ATTRIBUTE,
};

static const struct {
	const char *name;
	enum lead_field_type type;
	const char *const *values;
} catalogue[] = {
	[F_COMPANY] = { "company", LF_TEXT, NULL },
	[F_CONTACT_NAME] = { "contact_name", LF_TEXT, NULL },
	[F_EMAIL] = { "email", LF_TEXT, NULL },
	[F_SEGMENT] = { "segment", LF_SEGMENT, lead_segments },
	[F_SOURCE] = { "source", LF_TEXT, NULL },
	[F_BUDGET] = { "budget", LF_MONEY, NULL },
	[F_AUTHORITY] = { "authority", LF_ORDINAL, lead_authorities },
	[F_NEED] = { "need", LF_ORDINAL, lead_needs },
	[F_TIMELINE] = { "timeline", LF_DATE, NULL },
	[F_EMPLOYEES] = { "employees", LF_INT, NULL },
	[F_INDUSTRY] = { "industry", LF_TEXT, NULL },
	[F_ENGAGEMENT] = { "engagement", LF_INT, NULL },
};

#define ATTR_PREFIX "attributes."

int
lead_enum_index(const char *const *values, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], s) == 0)
			return i;
	return -1;
}

bool
lead_field_resolve(const char *name, struct lead_field_ref *out)
{
	struct lead_field_ref f = { 0 };
	size_t n = strlen(name);

	if (n > LEAD_FIELD_NAME_MAX)
		return false;
	memcpy(f.name, name, n + 1);
	if (strncmp(name, ATTR_PREFIX, strlen(ATTR_PREFIX)) == 0) {
		if (n == strlen(ATTR_PREFIX))
			return false;
		f.type = LF_ATTRIBUTE;
		f.field = F_ATTRIBUTE;
		*out = f;
		return true;
	}
	for (int i = 0; i < F_ATTRIBUTE; i++)
		if (strcmp(catalogue[i].name, name) == 0) {
			f.type = catalogue[i].type;
			f.field = i;
			f.values = catalogue[i].values;
			*out = f;
			return true;
		}
	return false;
}

const char *
lead_field_key(const struct lead_field_ref *f)
{
	return f->type == LF_ATTRIBUTE ? f->name + strlen(ATTR_PREFIX) : "";
}

static void
text_value(const char *s, struct lead_value *out)
{
	if (s) {
		out->type = LV_TEXT;
		out->text = s;
	}
}

static void
ordinal_value(const char *const *values, int idx, struct lead_value *out)
{
	if (idx >= 0) {
		out->type = LV_ORDINAL;
		out->ordinal = idx;
		out->text = values[idx];
	}
}

static void
attribute_value(const struct lead *l, const char *key, struct lead_value *out)
{
	const json_t *v = l->attributes ? json_object_get(l->attributes, key) : NULL;

	if (json_is_string(v)) {
		out->type = LV_TEXT;
		out->text = json_string_value(v);
	} else if (json_is_number(v)) {
		out->type = LV_NUMBER;
		out->number = json_number_value(v);
	} else if (json_is_boolean(v)) {
		out->type = LV_BOOL;
		out->flag = json_is_true(v);
	}
}

void
lead_value_get(const struct lead *l, const struct lead_field_ref *f, struct lead_value *out)
{
	memset(out, 0, sizeof *out);
	switch ((enum field_id)f->field) {
	case F_COMPANY: text_value(l->company, out); break;
	case F_CONTACT_NAME: text_value(l->contact_name, out); break;
	case F_EMAIL: text_value(l->email, out); break;
	case F_SOURCE: text_value(l->source, out); break;
	case F_INDUSTRY: text_value(l->industry, out); break;
	case F_SEGMENT: ordinal_value(lead_segments, lead_enum_index(lead_segments, l->segment), out); break;
	case F_AUTHORITY: ordinal_value(lead_authorities, l->authority, out); break;
	case F_NEED: ordinal_value(lead_needs, l->need, out); break;
	case F_BUDGET:
		if (l->has_budget) {
			out->type = LV_NUMBER;
			out->cents = l->budget;
			out->number = (double)l->budget / 100.0;
		}
		break;
	case F_TIMELINE:
		if (l->has_timeline) {
			out->type = LV_DATE;
			out->date = l->timeline;
		}
		break;
	case F_EMPLOYEES:
		if (l->has_employees) {
			out->type = LV_NUMBER;
			out->number = (double)l->employees;
		}
		break;
	case F_ENGAGEMENT:
		if (l->has_engagement) {
			out->type = LV_NUMBER;
			out->number = l->engagement;
		}
		break;
	case F_ATTRIBUTE: attribute_value(l, lead_field_key(f), out); break;
	}
}

/* ---- reading a lead from JSON -------------------------------------------- */

static bool
get_text(const json_t *obj, const char *k, const char **out)
{
	const json_t *v = json_object_get(obj, k);

	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	*out = json_string_value(v);
	return true;
}

static bool
get_enum(const json_t *obj, const char *k, const char *const *values, int *out)
{
	const char *s;

	if (!get_text(obj, k, &s))
		return false;
	*out = lead_enum_index(values, s);
	return !s || *out >= 0;
}

static bool
get_int(const json_t *obj, const char *k, long long lo, long long hi, bool *has, long long *out)
{
	const json_t *v = json_object_get(obj, k);

	*has = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*has = true;
	*out = json_integer_value(v);
	return true;
}

enum status
lead_from_json(const json_t *obj, struct lead *out)
{
	struct lead l = { .authority = -1, .need = -1 };
	const char *when = NULL, *why = NULL;
	const json_t *v;
	long long n = 0;
	bool ok = json_is_object(obj);

	ok = ok && get_text(obj, "segment", &l.segment) && get_text(obj, "company", &l.company) &&
	     get_text(obj, "contact_name", &l.contact_name) && get_text(obj, "email", &l.email) &&
	     get_text(obj, "source", &l.source) && get_text(obj, "industry", &l.industry) &&
	     get_text(obj, "status", &l.status) && get_enum(obj, "authority", lead_authorities, &l.authority) &&
	     get_enum(obj, "need", lead_needs, &l.need);
	if (ok && l.segment && lead_enum_index(lead_segments, l.segment) < 0)
		ok = false;
	if (ok && (v = json_object_get(obj, "budget")) && !json_is_null(v)) {
		ok = money_from_json(v, false, &l.budget, &why) == ST_OK;
		l.has_budget = ok;
	}
	if (ok && get_text(obj, "timeline", &when) && when) {
		ok = cal_date_parse(when, &l.timeline) == ST_OK;
		l.has_timeline = ok;
	}
	ok = ok && get_int(obj, "employees", 0, 2147483647LL, &l.has_employees, &l.employees);
	ok = ok && get_int(obj, "engagement", 0, 100, &l.has_engagement, &n);
	l.engagement = (int)n;
	if (ok && (v = json_object_get(obj, "attributes")) && !json_is_null(v)) {
		ok = json_is_object(v);
		l.attributes = v;
	}
	if (!ok)
		return ST_INVALID;
	*out = l;
	return ST_OK;
}
