#include "leads/score.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/money.h"
#include "leads/model.h"

const char *const score_ops[] = { "eq",  "ne",      "in",       "gt",     "gte",         "lt",
				  "lte", "between", "contains", "exists", "within_days", NULL };
const char *const bant_criteria[] = { "budget", "authority", "need", "timeline", NULL };
const char *const bant_levels[] = { "unknown", "no", "partial", "yes", NULL };

#define DEFAULT_PREDICTED_WEIGHT 0.5

/* ---- checking a definition ------------------------------------------------ */

struct checker {
	struct issues *e;
	int n; /* problems found, listed or not */
	bool oom;
};

static void __attribute__((format(printf, 3, 4)))
add_issue(struct checker *ck, const char *field, const char *fmt, ...)
{
	char path[96], message[160];
	va_list ap;

	if (ck->n++ >= SCORE_MAX_ISSUES)
		return;
	snprintf(path, sizeof path, "%s", field);
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	issues_add(ck->e, path, "%s", message);
}

/* "prefix.key" (or "key" without a prefix) into buf. */
static const char *
path(char *buf, size_t len, const char *prefix, const char *key)
{
	snprintf(buf, len, "%s%s%s", prefix, *prefix ? "." : "", key);
	return buf;
}

/* Every key of obj must be in allowed; the required ones must be present. */
static void
check_keys(const json_t *obj, const char *prefix, const char *const *allowed, const char *const *required,
	   struct checker *ck)
{
	const char *key;
	json_t *v;
	char p[96];

	json_object_foreach((json_t *)obj, key, v) {
		if (lead_enum_index(allowed, key) < 0)
			add_issue(ck, path(p, sizeof p, prefix, key), "unknown field");
	}
	for (int i = 0; required && required[i]; i++)
		if (!json_object_get(obj, required[i]))
			add_issue(ck, path(p, sizeof p, prefix, required[i]), "is required");
}

static bool
int_in(const json_t *v, long long lo, long long hi, long long *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool
text_ok(const json_t *v, size_t minlen, size_t maxlen)
{
	if (!json_is_string(v))
		return false;
	size_t n = json_string_length(v);
	return n >= minlen && n <= maxlen && strlen(json_string_value(v)) == n;
}

static bool
id_ok(const json_t *v)
{
	if (!text_ok(v, 1, SCORE_ID_MAX))
		return false;
	for (const char *s = json_string_value(v); *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.' || *s == ':'))
			return false;
	return true;
}

/* Does operator op apply to a field of type t? */
static bool
op_applies(enum rule_op op, enum lead_field_type t)
{
	switch (op) {
	case OP_EQ:
	case OP_NE:
	case OP_IN:
	case OP_EXISTS: return true;
	case OP_GT:
	case OP_GTE:
	case OP_LT:
	case OP_LTE:
	case OP_BETWEEN: return t != LF_TEXT && t != LF_SEGMENT;
	case OP_CONTAINS: return t == LF_TEXT || t == LF_ATTRIBUTE;
	case OP_WITHIN_DAYS: return t == LF_DATE || t == LF_ATTRIBUTE;
	}
	return false;
}

static const char *
type_name(enum lead_field_type t)
{
	switch (t) {
	case LF_TEXT: return "text";
	case LF_SEGMENT: return "segment";
	case LF_ORDINAL: return "enum";
	case LF_MONEY: return "money";
	case LF_INT: return "integer";
	case LF_DATE: return "date";
	case LF_ATTRIBUTE: return "attribute";
	}
	return "?";
}

/*
 * One operand for field f: a scalar of the field's type (ordered: one that
 * can be compared with <, which for an attribute means a number). NULL when
 * fine, else why not.
 */
static const char *
operand(const json_t *v, const struct lead_field_ref *f, bool ordered, struct rule_value *out)
{
	const char *why = NULL;

	memset(out, 0, sizeof *out);
	switch (f->type) {
	case LF_TEXT:
		if (!text_ok(v, 1, LEAD_ATTR_TEXT_MAX))
			return "must be a non-empty string";
		out->type = LV_TEXT;
		out->text = json_string_value(v);
		return NULL;
	case LF_SEGMENT:
	case LF_ORDINAL:
		out->ordinal = json_is_string(v) ? lead_enum_index(f->values, json_string_value(v)) : -1;
		if (out->ordinal < 0)
			return "must be one of the field's values";
		out->type = LV_ORDINAL;
		out->text = f->values[out->ordinal];
		return NULL;
	case LF_MONEY:
		if (money_from_json(v, false, &out->cents, &why) != ST_OK)
			return "must be an amount >= 0 with at most 2 decimals";
		out->type = LV_NUMBER;
		out->number = (double)out->cents / 100.0;
		return NULL;
	case LF_INT:
		if (!json_is_integer(v))
			return "must be an integer";
		out->type = LV_NUMBER;
		out->number = (double)json_integer_value(v);
		return NULL;
	case LF_DATE:
		if (!json_is_string(v) || cal_date_parse(json_string_value(v), &out->date) != ST_OK)
			return "must be a date YYYY-MM-DD";
		out->type = LV_DATE;
		return NULL;
	case LF_ATTRIBUTE:
		if (json_is_number(v) && isfinite(json_number_value(v))) {
			out->type = LV_NUMBER;
			out->number = json_number_value(v);
			return NULL;
		}
		if (ordered)
			return "must be a number";
		if (text_ok(v, 0, LEAD_ATTR_TEXT_MAX)) {
			out->type = LV_TEXT;
			out->text = json_string_value(v);
			return NULL;
		}
		if (json_is_boolean(v)) {
			out->type = LV_BOOL;
			out->flag = json_is_true(v);
			return NULL;
		}
		return "must be a string, a number or a boolean";
	}
	return "invalid";
}

/* -1, 0, 1 like strcmp; false in *ok when the two cannot be compared. */
static int
compare(const struct lead_value *a, const struct rule_value *b, bool money, bool *ok)
{
	*ok = true;
	if (a->type == LV_NUMBER && b->type == LV_NUMBER) {
		if (money)
			return a->cents < b->cents ? -1 : a->cents > b->cents;
		return a->number < b->number ? -1 : a->number > b->number;
	}
	if (a->type == LV_ORDINAL && b->type == LV_ORDINAL)
		return a->ordinal < b->ordinal ? -1 : a->ordinal > b->ordinal;
	if (a->type == LV_DATE && b->type == LV_DATE)
		return a->date < b->date ? -1 : a->date > b->date;
	if (a->type == LV_TEXT && b->type == LV_TEXT)
		return strcasecmp(a->text, b->text);
	if (a->type == LV_BOOL && b->type == LV_BOOL)
		return (int)a->flag - (int)b->flag;
	*ok = false;
	return 0;
}

static int
operand_order(const struct rule_value *a, const struct rule_value *b, bool money)
{
	struct lead_value av = { .type = a->type, .text = a->text, .number = a->number, .cents = a->cents,
				 .flag = a->flag, .date = a->date, .ordinal = a->ordinal };
	bool ok;

	return compare(&av, b, money, &ok);
}

/* The value of rule `r` (path p) for its operator; false with an issue added. */
static bool
rule_operands(const json_t *v, struct score_rule *r, const char *p, struct checker *ck)
{
	const char *why = NULL;
	size_t n = 1;
	bool ordered = r->op >= OP_GT && r->op <= OP_BETWEEN;

	switch (r->op) {
	case OP_IN:
		if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > SCORE_MAX_IN) {
			add_issue(ck, p, "must be an array of 1..%d values", SCORE_MAX_IN);
			return false;
		}
		n = json_array_size(v);
		break;
	case OP_BETWEEN:
		if (!json_is_array(v) || json_array_size(v) != 2) {
			add_issue(ck, p, "must be [low, high]");
			return false;
		}
		n = 2;
		break;
	case OP_EXISTS:
		if (!json_is_boolean(v)) {
			add_issue(ck, p, "must be true (the field has a value) or false (it has none)");
			return false;
		}
		break;
	case OP_WITHIN_DAYS:
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SCORE_MAX_DAYS) {
			add_issue(ck, p, "must be a number of days 0..%d", SCORE_MAX_DAYS);
			return false;
		}
		break;
	case OP_CONTAINS:
		if (!text_ok(v, 1, LEAD_ATTR_TEXT_MAX)) {
			add_issue(ck, p, "must be a non-empty string");
			return false;
		}
		break;
	default: break;
	}
	r->values = calloc(n, sizeof *r->values);
	if (!r->values) {
		ck->oom = true;
		return false;
	}
	r->nvalues = n;
	if (r->op == OP_EXISTS) {
		r->values[0] = (struct rule_value){ .type = LV_BOOL, .flag = json_is_true(v) };
		return true;
	}
	if (r->op == OP_WITHIN_DAYS) {
		r->values[0] = (struct rule_value){ .type = LV_NUMBER, .days = json_integer_value(v) };
		return true;
	}
	if (r->op == OP_CONTAINS) {
		r->values[0] = (struct rule_value){ .type = LV_TEXT, .text = json_string_value(v) };
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
		if ((why = operand(item, &r->field, ordered, &r->values[i])) != NULL) {
			char ip[128];
			if (json_is_array(v))
				snprintf(ip, sizeof ip, "%s[%zu]", p, i);
			else
				snprintf(ip, sizeof ip, "%s", p);
			add_issue(ck, ip, "%s (field %s is %s)", why, r->field.name, type_name(r->field.type));
			return false;
		}
	}
	if (r->op == OP_BETWEEN && operand_order(&r->values[0], &r->values[1], r->field.type == LF_MONEY) > 0) {
		add_issue(ck, p, "must be [low, high] with low <= high");
		return false;
	}
	return true;
}

static int
group_index(struct score_model *m, const char *name, bool add)
{
	for (size_t i = 0; i < m->ngroups; i++)
		if (strcmp(m->groups[i].name, name) == 0)
			return (int)i;
	if (!add)
		return -1;
	/* at most one group per rule: groups was sized for nrules */
	snprintf(m->groups[m->ngroups].name, sizeof m->groups[m->ngroups].name, "%s", name);
	return (int)m->ngroups++;
}

static void
parse_rule(const json_t *j, size_t i, struct score_model *m, struct checker *ck)
{
	static const char *const keys[] = { "id", "field", "op", "value", "points", "group", NULL };
	static const char *const required[] = { "field", "op", "points", NULL };
	struct score_rule *r = &m->rules[m->nrules];
	char prefix[32], p[96];
	const json_t *v;
	long long points = 0;
	bool ok = true;
	int before = ck->n;

	snprintf(prefix, sizeof prefix, "rules[%zu]", i);
	if (!json_is_object(j)) {
		add_issue(ck, prefix, "must be an object");
		return;
	}
	check_keys(j, prefix, keys, required, ck);
	r->group = -1;
	if ((v = json_object_get(j, "id")) != NULL) {
		if (!id_ok(v))
			add_issue(ck, path(p, sizeof p, prefix, "id"), "must be 1..%d letters, digits or _-.:",
				  SCORE_ID_MAX);
		else {
			snprintf(r->id, sizeof r->id, "%s", json_string_value(v));
			for (size_t k = 0; k < m->nrules; k++)
				if (strcmp(m->rules[k].id, r->id) == 0)
					add_issue(ck, path(p, sizeof p, prefix, "id"), "another rule has id %s", r->id);
		}
	}
	if ((v = json_object_get(j, "field")) != NULL &&
	    (!text_ok(v, 1, LEAD_FIELD_NAME_MAX) || !lead_field_resolve(json_string_value(v), &r->field))) {
		add_issue(ck, path(p, sizeof p, prefix, "field"),
			  "unknown field: use company, contact_name, email, segment, source, budget, authority, "
			  "need, timeline, employees, industry, engagement or attributes.<key>");
		ok = false;
	}
	if ((v = json_object_get(j, "op")) != NULL) {
		int op = json_is_string(v) ? lead_enum_index(score_ops, json_string_value(v)) : -1;
		if (op < 0) {
			add_issue(ck, path(p, sizeof p, prefix, "op"),
				  "must be one of: eq, ne, in, gt, gte, lt, lte, between, contains, exists, within_days");
			ok = false;
		} else {
			r->op = (enum rule_op)op;
			if (ok && json_object_get(j, "field") && !op_applies(r->op, r->field.type)) {
				add_issue(ck, path(p, sizeof p, prefix, "op"), "%s does not apply to %s (a %s field)",
					  score_ops[op], r->field.name, type_name(r->field.type));
				ok = false;
			}
		}
	} else
		ok = false;
	if (!json_object_get(j, "field"))
		ok = false;
	json_t *value = json_object_get(j, "value");
	const json_t *opv = json_object_get(j, "op");
	bool exists = json_is_string(opv) && strcmp(json_string_value(opv), "exists") == 0;
	if (!value && opv && !exists)
		add_issue(ck, path(p, sizeof p, prefix, "value"), "is required");
	else if (!value && exists) /* exists: true by default */
		value = json_true();
	else
		json_incref(value);
	if (value && ok)
		rule_operands(value, r, path(p, sizeof p, prefix, "value"), ck);
	if ((v = json_object_get(j, "points")) != NULL && !int_in(v, -100, 100, &points))
		add_issue(ck, path(p, sizeof p, prefix, "points"), "must be an integer -100..100");
	r->points = (int)points;
	if ((v = json_object_get(j, "group")) != NULL && !json_is_null(v)) {
		if (!id_ok(v))
			add_issue(ck, path(p, sizeof p, prefix, "group"), "must be 1..%d letters, digits or _-.:",
				  SCORE_ID_MAX);
		else
			r->group = group_index(m, json_string_value(v), true);
	}
	if (ck->n == before && !ck->oom) {
		r->value = value;
		m->nrules++;
	} else {
		json_decref(value);
		free(r->values);
		memset(r, 0, sizeof *r);
	}
}

static void
parse_rules(const json_t *def, struct score_model *m, struct checker *ck)
{
	const json_t *rules = json_object_get(def, "rules");
	size_t n = json_array_size(rules);

	if (!rules)
		return;
	if (!json_is_array(rules) || n > SCORE_MAX_RULES) {
		add_issue(ck, "rules", "must be an array of at most %d rules", SCORE_MAX_RULES);
		return;
	}
	if (n == 0)
		return;
	m->rules = calloc(n, sizeof *m->rules);
	m->groups = calloc(n, sizeof *m->groups);
	if (!m->rules || !m->groups) {
		ck->oom = true;
		return;
	}
	for (size_t i = 0; i < n && !ck->oom; i++)
		parse_rule(json_array_get(rules, i), i, m, ck);
	/* a rule without an id gets rule_<its position>, or the first rule_<position>_<k> free */
	for (size_t i = 0; i < m->nrules; i++) {
		if (m->rules[i].id[0])
			continue;
		for (int k = 1; !m->rules[i].id[0]; k++) {
			char id[SCORE_ID_MAX + 1];
			bool taken = false;
			if (k == 1)
				snprintf(id, sizeof id, "rule_%zu", i + 1);
			else
				snprintf(id, sizeof id, "rule_%zu_%d", i + 1, k);
			for (size_t o = 0; o < m->nrules; o++)
				taken |= strcmp(m->rules[o].id, id) == 0;
			if (!taken)
				memcpy(m->rules[i].id, id, sizeof id);
		}
	}
}

static void
parse_caps(const json_t *def, struct score_model *m, struct checker *ck)
{
	const json_t *caps = json_object_get(def, "group_caps");
	const char *key;
	json_t *v;
	char p[96];
	long long cap;

	if (!caps || json_is_null(caps))
		return;
	if (!json_is_object(caps)) {
		add_issue(ck, "group_caps", "must be an object {group: cap}");
		return;
	}
	json_object_foreach((json_t *)caps, key, v) {
		int g = group_index(m, key, false);
		path(p, sizeof p, "group_caps", key);
		if (g < 0)
			add_issue(ck, p, "no rule is in this group");
		else if (!int_in(v, 0, 100, &cap))
			add_issue(ck, p, "must be an integer 0..100");
		else {
			m->groups[g].has_cap = true;
			m->groups[g].cap = (int)cap;
		}
	}
}

static void
parse_thresholds(const json_t *def, struct score_model *m, struct checker *ck)
{
	static const char *const keys[] = { "qualified", "nurture", "disqualified", NULL };
	static const char *const required[] = { "qualified", "nurture", NULL };
	const json_t *t = json_object_get(def, "thresholds");
	long long q = -1, n = -1, d = -1;

	if (!t)
		return;
	if (!json_is_object(t)) {
		add_issue(ck, "thresholds", "must be an object {qualified, nurture, disqualified?}");
		return;
	}
	check_keys(t, "thresholds", keys, required, ck);
	if (json_object_get(t, "disqualified") && !int_in(json_object_get(t, "disqualified"), 0, 100, &d))
		add_issue(ck, "thresholds.disqualified", "must be an integer 0..100");
	if (json_object_get(t, "qualified") && !int_in(json_object_get(t, "qualified"), 0, 100, &q))
		add_issue(ck, "thresholds.qualified", "must be an integer 0..100");
	if (json_object_get(t, "nurture") && !int_in(json_object_get(t, "nurture"), 0, 100, &n))
		add_issue(ck, "thresholds.nurture", "must be an integer 0..100");
	if (q >= 0 && n >= 0 && n >= q)
		add_issue(ck, "thresholds.nurture", "must be below thresholds.qualified (%lld)", q);
	if (d >= 0 && n >= 0 && d > n)
		add_issue(ck, "thresholds.disqualified", "must not exceed thresholds.nurture (%lld)", n);
	m->qualified = (int)q;
	m->nurture = (int)n;
	m->disqualified = d >= 0 ? (int)d : (int)n;
}

/* A set of enum values as a bit mask; false with an issue added. */
static bool
enum_set(const json_t *v, const char *const *values, const char *p, struct checker *ck, unsigned *out)
{
	size_t i;
	json_t *item;
	unsigned mask = 0;

	if (!json_is_array(v)) {
		add_issue(ck, p, "must be an array of values");
		return false;
	}
	json_array_foreach((json_t *)v, i, item) {
		int k = json_is_string(item) ? lead_enum_index(values, json_string_value(item)) : -1;
		char ip[112];
		snprintf(ip, sizeof ip, "%s[%zu]", p, i);
		if (k < 0) {
			add_issue(ck, ip, "must be one of the field's values");
			return false;
		}
		if (mask & (1u << k)) {
			add_issue(ck, ip, "is given twice");
			return false;
		}
		mask |= 1u << k;
	}
	*out = mask;
	return true;
}

static void
parse_bant_enum(const json_t *b, const char *name, const char *const *values, unsigned *yes, unsigned *partial,
		struct checker *ck)
{
	static const char *const keys[] = { "yes", "partial", NULL };
	const json_t *o = json_object_get(b, name);
	char prefix[32], p[96];

	snprintf(prefix, sizeof prefix, "bant.%s", name);
	if (!o)
		return;
	if (!json_is_object(o)) {
		add_issue(ck, prefix, "must be an object {yes, partial}");
		return;
	}
	check_keys(o, prefix, keys, keys, ck);
	bool ok = json_object_get(o, "yes") &&
		  enum_set(json_object_get(o, "yes"), values, path(p, sizeof p, prefix, "yes"), ck, yes);
	ok = json_object_get(o, "partial") &&
	     enum_set(json_object_get(o, "partial"), values, path(p, sizeof p, prefix, "partial"), ck, partial) &&
	     ok;
	if (ok && (*yes & *partial))
		add_issue(ck, path(p, sizeof p, prefix, "partial"), "must not repeat a value of %s.yes", prefix);
}

static void
parse_bant(const json_t *def, struct score_model *m, struct checker *ck)
{
	static const char *const keys[] = { "required", "budget", "authority", "need", "timeline", NULL };
	static const char *const yp[] = { "yes", "partial", NULL };
	static const char *const tl[] = { "yes_within_days", "partial_within_days", NULL };
	const json_t *b = json_object_get(def, "bant"), *o, *v;
	struct bant_config *c = &m->bant;
	const char *why = NULL;
	size_t i;
	json_t *item;
	long long d = 0;

	if (!b)
		return;
	if (!json_is_object(b)) {
		add_issue(ck, "bant", "must be an object {required, budget, authority, need, timeline}");
		return;
	}
	check_keys(b, "bant", keys, keys, ck);
	if ((v = json_object_get(b, "required")) != NULL) {
		if (!json_is_array(v))
			add_issue(ck, "bant.required", "must be an array of budget, authority, need, timeline");
		else
			json_array_foreach((json_t *)v, i, item) {
				int k = json_is_string(item) ? lead_enum_index(bant_criteria, json_string_value(item)) : -1;
				char ip[64];
				snprintf(ip, sizeof ip, "bant.required[%zu]", i);
				if (k < 0)
					add_issue(ck, ip, "must be one of: budget, authority, need, timeline");
				else if (c->required[k])
					add_issue(ck, ip, "is given twice");
				else
					c->required[k] = true;
			}
	}
	if ((o = json_object_get(b, "budget")) != NULL) {
		if (!json_is_object(o))
			add_issue(ck, "bant.budget", "must be an object {yes, partial}");
		else {
			check_keys(o, "bant.budget", yp, yp, ck);
			bool ok = true;
			if ((v = json_object_get(o, "yes")) && money_from_json(v, false, &c->budget_yes, &why) != ST_OK) {
				add_issue(ck, "bant.budget.yes", "must be an amount >= 0 with at most 2 decimals");
				ok = false;
			}
			if ((v = json_object_get(o, "partial")) &&
			    money_from_json(v, false, &c->budget_partial, &why) != ST_OK) {
				add_issue(ck, "bant.budget.partial", "must be an amount >= 0 with at most 2 decimals");
				ok = false;
			}
			if (ok && c->budget_partial > c->budget_yes)
				add_issue(ck, "bant.budget.partial", "must not exceed bant.budget.yes");
		}
	}
	parse_bant_enum(b, "authority", lead_authorities, &c->authority_yes, &c->authority_partial, ck);
	parse_bant_enum(b, "need", lead_needs, &c->need_yes, &c->need_partial, ck);
	if ((o = json_object_get(b, "timeline")) != NULL) {
		if (!json_is_object(o))
			add_issue(ck, "bant.timeline", "must be an object {yes_within_days, partial_within_days}");
		else {
			check_keys(o, "bant.timeline", tl, tl, ck);
			bool ok = true;
			if ((v = json_object_get(o, "yes_within_days")) && !int_in(v, 0, SCORE_MAX_DAYS, &d)) {
				add_issue(ck, "bant.timeline.yes_within_days", "must be a number of days 0..%d",
					  SCORE_MAX_DAYS);
				ok = false;
			} else if (v)
				c->timeline_yes_days = (int)d;
			if ((v = json_object_get(o, "partial_within_days")) && !int_in(v, 0, SCORE_MAX_DAYS, &d)) {
				add_issue(ck, "bant.timeline.partial_within_days", "must be a number of days 0..%d",
					  SCORE_MAX_DAYS);
				ok = false;
			} else if (v)
				c->timeline_partial_days = (int)d;
			if (ok && c->timeline_partial_days < c->timeline_yes_days)
				add_issue(ck, "bant.timeline.partial_within_days",
					  "must be at least bant.timeline.yes_within_days");
		}
	}
}

enum status
score_model_parse(json_t *def, struct score_model *out, struct issues *e)
{
	static const char *const keys[] = { "rules", "group_caps", "thresholds", "bant", "predicted_weight", NULL };
	static const char *const required[] = { "rules", "thresholds", "bant", NULL };
	struct checker ck = { .e = e };
	struct score_model m = { .predicted_weight = DEFAULT_PREDICTED_WEIGHT };
	const json_t *w;

	if (!json_is_object(def)) {
		add_issue(&ck, "body", "must be a JSON object");
		return ST_INVALID;
	}
	check_keys(def, "", keys, required, &ck);
	parse_rules(def, &m, &ck);
	parse_caps(def, &m, &ck);
	parse_thresholds(def, &m, &ck);
	parse_bant(def, &m, &ck);
	if ((w = json_object_get(def, "predicted_weight")) != NULL) {
		if (!json_is_number(w) || json_number_value(w) < 0 || json_number_value(w) > 1)
			add_issue(&ck, "predicted_weight", "must be a number 0..1");
		else
			m.predicted_weight = json_number_value(w);
	}
	if (ck.oom || ck.n) {
		score_model_clear(&m);
		return ck.oom || e->oom ? ST_NOMEM : ST_INVALID;
	}
	*out = m;
	return ST_OK;
}

void
score_model_clear(struct score_model *m)
{
	for (size_t i = 0; i < m->nrules; i++) {
		json_decref(m->rules[i].value);
		free(m->rules[i].values);
	}
	free(m->rules);
	free(m->groups);
	model_free(m->predictive);
	memset(m, 0, sizeof *m);
}

/* ---- the canonical definition --------------------------------------------- */

static json_t *
enum_list(unsigned mask, const char *const *values)
{
	json_t *a = json_array();

	for (int i = 0; a && values[i]; i++)
		if (mask & (1u << i))
			json_array_append_new(a, json_string(values[i]));
	return a;
}

json_t *
score_model_to_json(const struct score_model *m)
{
	const struct bant_config *b = &m->bant;
	json_t *rules = json_array(), *caps = json_object(), *required = json_array();

	for (size_t i = 0; rules && i < m->nrules; i++) {
		const struct score_rule *r = &m->rules[i];
		json_array_append_new(rules, json_pack("{s:s,s:s,s:s,s:O,s:i,s:s?}", "id", r->id, "field", r->field.name,
						       "op", score_ops[r->op], "value", r->value, "points", r->points,
						       "group", r->group >= 0 ? m->groups[r->group].name : NULL));
	}
	for (size_t g = 0; caps && g < m->ngroups; g++)
		if (m->groups[g].has_cap)
			json_object_set_new(caps, m->groups[g].name, json_integer(m->groups[g].cap));
	for (int c = 0; required && c < BANT_N; c++)
		if (b->required[c])
			json_array_append_new(required, json_string(bant_criteria[c]));
	return json_pack("{s:o,s:o,s:{s:i,s:i,s:i},s:{s:o,s:{s:o,s:o},s:{s:o,s:o},s:{s:o,s:o},s:{s:i,s:i}},s:f}",
			 "rules", rules, "group_caps", caps, "thresholds", "qualified", m->qualified, "nurture",
			 m->nurture, "disqualified", m->disqualified, "bant", "required", required, "budget", "yes", money_to_json(b->budget_yes),
			 "partial", money_to_json(b->budget_partial), "authority", "yes",
			 enum_list(b->authority_yes, lead_authorities), "partial",
			 enum_list(b->authority_partial, lead_authorities), "need", "yes",
			 enum_list(b->need_yes, lead_needs), "partial", enum_list(b->need_partial, lead_needs),
			 "timeline", "yes_within_days", b->timeline_yes_days, "partial_within_days",
			 b->timeline_partial_days, "predicted_weight", m->predicted_weight);
}

/* ---- matching ---------------------------------------------------------------- */

bool
score_rule_matches(const struct score_rule *r, const struct lead *l, cal_date today)
{
	struct lead_value v;
	bool money = r->field.type == LF_MONEY, ok = false;
	int c;

	lead_value_get(l, &r->field, &v);
	if (r->op == OP_EXISTS)
		return (v.type != LV_NULL) == r->values[0].flag;
	if (v.type == LV_NULL)
		return false;
	switch (r->op) {
	case OP_EQ: c = compare(&v, &r->values[0], money, &ok); return ok && c == 0;
	case OP_NE: c = compare(&v, &r->values[0], money, &ok); return !ok || c != 0;
	case OP_IN:
		for (size_t i = 0; i < r->nvalues; i++)
			if (compare(&v, &r->values[i], money, &ok) == 0 && ok)
				return true;
		return false;
	case OP_GT: c = compare(&v, &r->values[0], money, &ok); return ok && c > 0;
	case OP_GTE: c = compare(&v, &r->values[0], money, &ok); return ok && c >= 0;
	case OP_LT: c = compare(&v, &r->values[0], money, &ok); return ok && c < 0;
	case OP_LTE: c = compare(&v, &r->values[0], money, &ok); return ok && c <= 0;
	case OP_BETWEEN:
		c = compare(&v, &r->values[0], money, &ok);
		if (!ok || c < 0)
			return false;
		c = compare(&v, &r->values[1], money, &ok);
		return ok && c <= 0;
	case OP_CONTAINS: return v.type == LV_TEXT && strcasestr(v.text, r->values[0].text) != NULL;
	case OP_WITHIN_DAYS: {
		cal_date d = v.date;
		if (v.type == LV_TEXT && cal_date_parse(v.text, &d) == ST_OK)
			v.type = LV_DATE;
		if (v.type != LV_DATE)
			return false;
		long long days = (long long)d - (long long)today;
		/* the expected purchase counts ahead only (a past one is stale, as in BANT); a date
		 * attribute (last activity, renewal) counts on either side of today */
		if (r->field.type != LF_ATTRIBUTE)
			return days >= 0 && days <= r->values[0].days;
		return llabs(days) <= r->values[0].days;
	}
	case OP_EXISTS: break;
	}
	return false;
}

enum bant_level
score_bant_judge(const struct bant_config *b, enum bant_criterion c, const struct lead *l, cal_date today)
{
	switch (c) {
	case BANT_BUDGET:
		if (!l->has_budget)
			return BANT_UNKNOWN;
		return l->budget >= b->budget_yes ? BANT_YES : l->budget >= b->budget_partial ? BANT_PARTIAL : BANT_NO;
	case BANT_AUTHORITY:
		if (l->authority < 0)
			return BANT_UNKNOWN;
		return (b->authority_yes >> l->authority) & 1u		? BANT_YES
		       : (b->authority_partial >> l->authority) & 1u ? BANT_PARTIAL
								     : BANT_NO;
	case BANT_NEED:
		if (l->need < 0)
			return BANT_UNKNOWN;
		return (b->need_yes >> l->need) & 1u ? BANT_YES : (b->need_partial >> l->need) & 1u ? BANT_PARTIAL : BANT_NO;
	case BANT_TIMELINE: {
		if (!l->has_timeline)
			return BANT_UNKNOWN;
		long long days = (long long)l->timeline - (long long)today;
		if (days < 0)
			return BANT_NO;
		return days <= b->timeline_yes_days ? BANT_YES : days <= b->timeline_partial_days ? BANT_PARTIAL : BANT_NO;
	}
	case BANT_N: break;
	}
	return BANT_UNKNOWN;
}

char
score_grade(int score)
{
	static const int fixed[3] = { 80, 60, 40 };

	return score_grade_cut(score, fixed);
}

/* ---- the score ------------------------------------------------------------------ */

struct remainder {
	double rem;
	int idx;
};

static int
by_rem_desc(const void *a, const void *b)
{
	const struct remainder *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->idx - y->idx;
}

/*
 * Round the exact parts (hundredths) to integers summing to target: scale
 * them to sum to target exactly, floor each, and give the units left over
 * (fewer than n) one each to the largest remainders, ties to the earlier part.
 */
static void
apportion(const double *exact, long *out, int n, long target)
{
	struct remainder rem[SCORE_MAX_RULES + 1];
	double sum = 0;
	long floors = 0;

	for (int i = 0; i < n; i++)
		sum += exact[i];
	double scale = sum > 0 ? (double)target / sum : 0;
	for (int i = 0; i < n; i++) {
		double x = round(exact[i] * scale * 1e6) / 1e6;
		out[i] = (long)floor(x);
		rem[i] = (struct remainder){ .rem = x - (double)out[i], .idx = i };
		floors += out[i];
	}
	qsort(rem, (size_t)n, sizeof rem[0], by_rem_desc);
	for (long k = 0, left = target - floors; left > 0 && n > 0; k = (k + 1) % n, left--)
		out[rem[k].idx]++;
}

/* Whether rule r can be judged on lead l: it tests presence, or the lead carries its field. */
static bool
rule_known(const struct score_rule *r, const struct lead *l)
{
	struct lead_value v;

	if (r->op == OP_EXISTS)
		return true;
	lead_value_get(l, &r->field, &v);
	return v.type != LV_NULL;
}

char
score_grade_cut(int score, const int cut[3])
{
	return score >= cut[0] ? 'A' : score >= cut[1] ? 'B' : score >= cut[2] ? 'C' : 'D';
}

void
score_lead(const struct score_model *m, const struct lead *l, cal_date today, struct score_result *out)
{
	double group_total[SCORE_MAX_RULES] = { 0 }, exact[SCORE_MAX_RULES + 1];
	long rounded[SCORE_MAX_RULES + 1];
	bool hit[SCORE_MAX_RULES];
	double raw = 0, w = 0, total = 0, known = 0, all = 0;
	int cut[3] = { 80, 60, 40 };

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->nrules; i++) {
		hit[i] = score_rule_matches(&m->rules[i], l, today);
		if (hit[i] && m->rules[i].group >= 0)
			group_total[m->rules[i].group] += m->rules[i].points;
		all += abs(m->rules[i].points);
		if (rule_known(&m->rules[i], l))
			known += abs(m->rules[i].points);
	}
	out->fit_coverage = all > 0 ? known / all : 0;
	for (size_t i = 0; i < m->nrules; i++) {
		if (!hit[i])
			continue;
		const struct score_rule *r = &m->rules[i];
		double f = 1;
		if (r->group >= 0 && m->groups[r->group].has_cap && group_total[r->group] > m->groups[r->group].cap)
			f = m->groups[r->group].cap / group_total[r->group];
		exact[out->nparts] = r->points * f;
		raw += exact[out->nparts];
		out->parts[out->nparts++].rule = (int)i;
	}
	out->fit = raw <= 0 ? 0 : raw > 100 ? 100 : raw;
	double clamp = raw <= 0 ? 0 : raw > 100 ? 100 / raw : 1;
	if (m->predictive) {
		out->has_probability = true;
		out->probability =
		    model_predict(m->predictive, l, out->factors, SCORE_TOP_FACTORS, &out->nfactors);
		/* the model takes its own weight and the rules' share that could not be judged */
		w = 1 - (1 - m->predicted_weight) * out->fit_coverage;
		out->weight = w;
		model_grade_cutoffs(m->predictive, cut);
	}
	for (size_t k = 0; k < out->nparts; k++) {
		exact[k] *= clamp * (1 - m->predicted_weight * out->has_probability) * 100;
		total += exact[k];
	}
	exact[out->nparts] = out->has_probability ? w * out->probability * 10000 : 0;
	total += exact[out->nparts];
	long score = lround(total / 100);
	score = score < 0 ? 0 : score > 100 ? 100 : score;
	apportion(exact, rounded, (int)out->nparts + (out->has_probability ? 1 : 0), score * 100);
	for (size_t k = 0; k < out->nparts; k++)
		out->parts[k].points_c = rounded[k];
	out->predicted_c = out->has_probability ? rounded[out->nparts] : 0;
	out->score = (int)score;
	out->grade = score_grade_cut(out->score, cut);
	out->bant_passes = true;
	for (int c = 0; c < BANT_N; c++) {
		out->bant[c] = score_bant_judge(&m->bant, (enum bant_criterion)c, l, today);
		if (m->bant.required[c] && out->bant[c] < BANT_PARTIAL)
			out->bant_passes = false;
	}
	if (out->score >= m->qualified && out->bant_passes)
		out->suggested_status = "qualified";
	else if (out->score >= m->nurture)
		out->suggested_status = "nurture";
	else if (out->score < m->disqualified)
		out->suggested_status = "disqualified";
	else
		out->suggested_status = "new";
	/* the evidence overrules a low score: a lead twice as likely as the segment to convert is worth working */
	if (out->has_probability && strcmp(out->suggested_status, "disqualified") == 0 &&
	    model_base_rate(m->predictive) > 0 && out->probability >= 2 * model_base_rate(m->predictive))
		out->suggested_status = "nurture";
}

json_t *
score_bant_json(const struct score_result *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b}", "budget", bant_levels[r->bant[BANT_BUDGET]], "authority",
			 bant_levels[r->bant[BANT_AUTHORITY]], "need", bant_levels[r->bant[BANT_NEED]], "timeline",
			 bant_levels[r->bant[BANT_TIMELINE]], "passes", r->bant_passes);
}

static json_t *
hundredths(long c)
{
	return json_real((double)c / 100.0);
}

static double
round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

json_t *
score_breakdown_json(const struct score_model *m, const struct score_result *r)
{
	json_t *rules = json_array(), *predicted = json_null(), *factors;

	for (size_t k = 0; rules && k < r->nparts; k++) {
		const struct score_rule *rule = &m->rules[r->parts[k].rule];
		json_array_append_new(rules, json_pack("{s:s,s:s,s:s?,s:o,s:i}", "rule_id", rule->id, "field",
						       rule->field.name, "group",
						       rule->group >= 0 ? m->groups[rule->group].name : NULL, "points",
						       hundredths(r->parts[k].points_c), "raw_points", rule->points));
	}
	if (r->has_probability) {
		factors = json_array();
		for (int k = 0; factors && k < r->nfactors; k++)
			json_array_append_new(factors, json_pack("{s:s,s:s,s:f}", "feature", r->factors[k].feature,
								 "value", r->factors[k].value, "contribution",
								 round_to(r->factors[k].contribution, 1e-4)));
		json_decref(predicted);
		predicted = json_pack("{s:o,s:f,s:f,s:o,s:i,s:s}", "points", hundredths(r->predicted_c), "probability",
				      round(r->probability * 10000) / 100, "weight", round(r->weight * 10000) / 10000,
				      "top_factors", factors, "trained_version", m->trained_version, "learner",
				      model_learner(m->predictive));
	}
	return json_pack("{s:f,s:f,s:o,s:o}", "fit", round_to(r->fit, 0.01), "fit_coverage",
			 round(r->fit_coverage * 10000) / 10000, "rules", rules, "predicted", predicted);
}
