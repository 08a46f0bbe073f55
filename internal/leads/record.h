/*
 * record.h — a lead as it is stored: the fields a write gives, merged into
 * what is stored, and the score computed from the whole lead after the
 * change (DESIGN §7 "Leads"). Pure: no I/O.
 *
 * Every write goes through here: the body (the API's field names, already
 * checked) is merged into the stored input fields (lead_record_merge), a lead
 * without a segment takes its owner's (lead_record_default_segment), and the
 * merged lead is scored by its segment's model into the text of each stored
 * column (lead_record_fill), which the stores write as they are.
 */
#ifndef ATTAIN_LEADS_RECORD_H
#define ATTAIN_LEADS_RECORD_H

#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "core/status.h"
#include "leads/score.h"

/* The stored columns of a lead, in the order the stores name them (LEAD_COLUMNS). */
enum lead_record_column {
	LEAD_RECORD_EXTERNAL_ID,
	LEAD_RECORD_COMPANY,
	LEAD_RECORD_CONTACT_NAME,
	LEAD_RECORD_EMAIL,
	LEAD_RECORD_SEGMENT,
	LEAD_RECORD_SOURCE,
	LEAD_RECORD_BUDGET,
	LEAD_RECORD_AUTHORITY,
	LEAD_RECORD_NEED,
	LEAD_RECORD_TIMELINE,
	LEAD_RECORD_EMPLOYEES,
	LEAD_RECORD_INDUSTRY,
	LEAD_RECORD_ENGAGEMENT,
	LEAD_RECORD_ATTRIBUTES,
	LEAD_RECORD_OWNER_ID,
	LEAD_RECORD_STATUS,
	LEAD_RECORD_CONVERTED_DEAL_ID,
	LEAD_RECORD_SCORE, /* the first of the columns a score gives */
	LEAD_RECORD_GRADE,
	LEAD_RECORD_PROBABILITY,
	LEAD_RECORD_SUGGESTED_STATUS,
	LEAD_RECORD_BANT,
	LEAD_RECORD_SCORE_BREAKDOWN,
	LEAD_RECORD_NCOLS
};

/* One lead as its stored columns' text. */
struct lead_record {
	/* Each column's text, NULL = SQL null; borrowed from the merged lead or from this record. */
	const char *v[LEAD_RECORD_NCOLS];
	char budget[32], timeline[16], employees[24], engagement[24], score[24], grade[2], probability[32];
	char *attributes; /* owned */
	char *bant;       /* owned */
	char *breakdown;  /* owned */
};

/*
 * A change applied to `base` (the stored input fields; NULL for a new lead):
 * each field the body gives replaces the stored one, null clears it. New
 * reference (the caller decrefs); NULL when out of memory.
 */
json_t *lead_record_merge(const json_t *base, const json_t *body);

/* The text of field `key` of a lead as JSON (borrowed from it); NULL when absent or null. */
const char *lead_record_text(const json_t *lead, const char *key);

/*
 * A lead without a segment takes its owner's (owner_segment, "" for an owner
 * without one or no owner), else b2b. ST_NOMEM.
 */
enum status lead_record_default_segment(json_t *merged, const char *owner_segment);

/*
 * Score the merged lead (its segment set) with model m as of `today` into
 * *out: lead `id` (0 for a lead not stored yet) arrived on *created_on (NULL:
 * today). `scratch` is working space (NULL: one is allocated for the call).
 * ST_OK with *out filled (release with lead_record_clear); ST_INVALID when
 * the merged lead does not read as a lead (lead_from_json); ST_NOMEM. Except
 * on ST_OK, *out is left empty.
 */
enum status lead_record_fill(struct lead_record *out, const json_t *merged, int64_t id,
                             const cal_date *created_on, const struct score_model *m, cal_date today,
                             struct score_result *scratch);

/* Free what the record owns; it is left empty. Accepts an empty record. */
void lead_record_clear(struct lead_record *r);

/*
 * The score of a record as POST /v1/leads/score shows it: {segment, score,
 * grade, probability, suggested_status, bant, score_breakdown,
 * rules_version, trained_version} (new reference; NULL when out of memory):
 * the rules' version of the model and the training behind the probability
 * (0: none, shown as null).
 */
json_t *lead_record_preview(const struct lead_record *r, int rules_version, int trained_version);

#endif
