/*
 * shape.h — what each kind of `attainctl import` takes, and one record of
 * an import file turned into the JSON object the API takes for that kind
 * (the body of POST /v1/teams, /v1/people, /v1/quotas, an item of
 * /v1/deals/bulk or /v1/leads/bulk). Pure: references to people and teams
 * are resolved through the caller's lookups.
 *
 * Text cells are converted by the field's type: numbers ("1,250.50" as
 * well as "1250.5"), booleans (true/false, yes/no, 1/0), dates
 * (YYYY-MM-DD, a date-time's date part, or M/D/YYYY as US CRM exports
 * write them), enum values without regard to case with blanks and hyphens
 * read as '_' ("Closed Won" -> closed_won). A reference column (owner,
 * team, parent, manager, person) holds the referenced row's external_id or,
 * for a person, an e-mail address; the *_id columns take attain's ids.
 * Values already typed (NDJSON) are checked as they are.
 */
#ifndef ATTAIN_IMPORTER_SHAPE_H
#define ATTAIN_IMPORTER_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/issue.h"
#include "core/status.h"

enum imp_kind {
	IMP_TEAMS,
	IMP_PEOPLE,
	IMP_DEALS,
	IMP_QUOTAS,
	IMP_LEADS,
};

/* "teams" ... into *out; false for another word. */
bool imp_kind_parse(const char *word, enum imp_kind *out);
/* The kind's word ("deals"). */
const char *imp_kind_name(enum imp_kind k);
/* Whether column `name` is one the kind takes. */
bool imp_kind_takes(enum imp_kind k, const char *name);
/* The columns the kind takes, comma-separated (for --help and messages). */
const char *imp_kind_columns(enum imp_kind k);

/* Lookups of referenced rows: the id, or 0 when there is none. */
struct imp_refs {
	int64_t (*person)(void *ctx, const char *email_or_external_id);
	int64_t (*team)(void *ctx, const char *external_id);
	void *ctx;
};

/*
 * Turn record `in` (borrowed) into the API's object for kind k: ST_OK with
 * *out a new object (the caller decrefs), or ST_INVALID with an issue per
 * bad field in e (*out untouched). Columns the kind does not take are
 * refused ("unknown field") as the API does. ST_NOMEM.
 */
enum status imp_shape(enum imp_kind k, json_t *in, const struct imp_refs *refs, json_t **out,
                      struct issues *e);

#endif
