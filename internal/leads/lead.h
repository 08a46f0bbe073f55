/*
 * lead.h — a lead as the scoring rules and the learned model see it, and the
 * catalogue of fields they may name (DESIGN §7 "Leads"). Pure: no I/O.
 *
 * A field is a lead column ("budget", "authority", ...) or an attribute
 * ("attributes.<key>", whose values are strings, numbers or booleans).
 * lead_value_get reads one field of a lead as a typed value, the one place
 * that knows how each field is represented.
 */
#ifndef ATTAIN_LEADS_LEAD_H
#define ATTAIN_LEADS_LEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "core/status.h"

#define LEAD_ATTR_MAX_KEYS 100
#define LEAD_ATTR_KEY_MAX 100
#define LEAD_ATTR_TEXT_MAX 1000
#define LEAD_FIELD_NAME_MAX (11 + LEAD_ATTR_KEY_MAX) /* "attributes." + key */

/* NULL-terminated enums, in their natural order (authority and need are ordinal). */
extern const char *const lead_segments[];    /* b2b, b2c */
extern const char *const lead_authorities[]; /* none, influencer, decision_maker, economic_buyer */
extern const char *const lead_needs[];       /* none, low, medium, high */
extern const char *const lead_statuses[];    /* new, qualified, nurture, disqualified, converted */
/*
 * Whether a PATCH may move a lead's status from `from` to `to`. A
 * disqualified lead becomes converted through POST /v1/leads/{id}/convert
 * with "force": true (audited), not by a PATCH. (The bulk sync mirrors the
 * CRM, the record of truth for outcomes, and is not held to it.)
 */
bool lead_status_write_allowed(const char *from, const char *to);
#define LEAD_FORCED_ONLY "the lead is disqualified: convert it with POST /v1/leads/{id}/convert and \"force\": true"

/* The index of s in a NULL-terminated list, -1 when absent (s may be NULL). */
int lead_enum_index(const char *const *values, const char *s);

/* One lead; every pointer is borrowed. NULL / -1 / has_* false = null. */
struct lead {
	int64_t id;               /* 0 for a lead that is not stored */
	const char *segment;      /* "b2b" or "b2c" */
	const char *company;
	const char *contact_name;
	const char *email;
	const char *source;
	const char *industry;
	bool has_budget;
	int64_t budget;           /* cents */
	int authority;            /* index in lead_authorities, -1 = null */
	int need;                 /* index in lead_needs, -1 = null */
	bool has_timeline;
	cal_date timeline;        /* expected purchase */
	bool has_employees;
	long long employees;
	bool has_engagement;
	int engagement;           /* 0..100 */
	const json_t *attributes; /* an object of scalars, or NULL */
	const char *status;       /* NULL = new */
	cal_date created_on;      /* the day the lead arrived (today for an unsaved one) */
};

/* What kind of value a field holds. */
enum lead_field_type {
	LF_TEXT,      /* free text: company, contact_name, email, source, industry */
	LF_SEGMENT,   /* b2b | b2c */
	LF_ORDINAL,   /* authority, need: ordered enums */
	LF_MONEY,     /* budget */
	LF_INT,       /* employees, engagement */
	LF_DATE,      /* timeline */
	LF_ATTRIBUTE, /* attributes.<key>: a string, number or boolean */
};

/* A resolved field name. */
struct lead_field_ref {
	enum lead_field_type type;
	int field;                         /* index in the catalogue (internal) */
	const char *const *values;         /* LF_ORDINAL / LF_SEGMENT: the enum */
	char name[LEAD_FIELD_NAME_MAX + 1]; /* as written: "budget", "attributes.Lead Source" */
};

/* The attribute key of an LF_ATTRIBUTE field (points into f->name). */
const char *lead_field_key(const struct lead_field_ref *f);

/*
 * Resolve a field name a rule or a feature may use: one of the catalogue's
 * (company, contact_name, email, segment, source, budget, authority, need,
 * timeline, employees, industry, engagement) or "attributes.<key>" with a
 * key of 1..LEAD_ATTR_KEY_MAX bytes. False when it names nothing.
 */
bool lead_field_resolve(const char *name, struct lead_field_ref *out);

/* A typed value read from a lead. */
enum lead_value_type { LV_NULL = 0, LV_TEXT, LV_NUMBER, LV_BOOL, LV_DATE, LV_ORDINAL };
struct lead_value {
	enum lead_value_type type;
	const char *text; /* LV_TEXT (borrowed from the lead); also the enum name of LV_ORDINAL */
	double number;    /* LV_NUMBER (budget in currency units) */
	int64_t cents;    /* LV_NUMBER of a money field */
	bool flag;        /* LV_BOOL */
	cal_date date;    /* LV_DATE */
	int ordinal;      /* LV_ORDINAL: index in the enum */
};

/*
 * Read field f of l. Segment, authority and need come back as LV_ORDINAL
 * (with their names in text); an attribute as LV_TEXT, LV_NUMBER or LV_BOOL
 * after its JSON type; anything absent or null as LV_NULL.
 */
void lead_value_get(const struct lead *l, const struct lead_field_ref *f, struct lead_value *out);

/*
 * Read a lead from a JSON object of the API's shape (the lead fields by
 * name; unknown keys ignored). Strings and attributes are borrowed from obj.
 * ST_INVALID when a field has the wrong type or an impossible value; used on
 * bodies the API has already checked and on stored rows.
 */
enum status lead_from_json(const json_t *obj, struct lead *out);

/*
 * Where the leads a model is trained on come from: get fills *out with lead
 * i (0..n-1), whose status is "converted" (1) or anything else (0); what it
 * points to stays valid until release(ctx, i). Leads are read about twice
 * (the train part three times), so that a source may parse them on demand.
 * When ids and converted are given (each lead's id and outcome), the first
 * pass is made from them.
 */
struct lead_source {
	size_t n;
	void *ctx;
	enum status (*get)(void *ctx, size_t i, struct lead *out);
	void (*release)(void *ctx, size_t i);
	const int64_t *ids;             /* optional */
	const unsigned char *converted; /* optional */
};

#endif
