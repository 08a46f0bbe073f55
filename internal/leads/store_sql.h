/*
 * store_sql.h — the SQL the leads stores share (store.c and bulk_store.c):
 * a lead's input fields as JSON, its arrival day, its stored columns and the
 * scope predicate. Private to those files.
 */
#ifndef ATTAIN_LEADS_STORE_SQL_H
#define ATTAIN_LEADS_STORE_SQL_H

#include <stddef.h>

#include "db/row.h"
#include "leads/store.h"

/* The day a lead arrived, in the org's time zone. */
#define LEAD_CREATED_ON DB_DAY("(l.created_at AT TIME ZONE " DB_ORG_TZ ")::date")

/* The fields a write may give, as the API names them: the base a change is merged into. */
#define LEAD_INPUT_JSON                                                                                   \
	"json_build_object('external_id', l.external_id, 'company', l.company,                               \
	 'contact_name', l.contact_name, 'email', l.email, 'segment', l.segment, 'source', l.source,         \
	 'budget', l.budget, 'authority', l.authority, 'need', l.need, 'timeline', " DB_DAY("l.timeline") ",    \
	 'employees', l.employees, 'industry', l.industry, 'engagement', l.engagement,                       \
	 'attributes', l.attributes, 'owner_id', l.owner_id::text, 'status', l.status,                       \
	 'converted_deal_id', l.converted_deal_id::text)::text"

/* The stored columns of a lead, in the order of enum lead_record_column (record.h). */
#define LEAD_COLUMNS                                                                                      \
	"external_id, company, contact_name, email, segment, source, budget, authority, need, timeline,       \
	 employees, industry, engagement, attributes, owner_id, status, converted_deal_id, score, grade,     \
	 probability, suggested_status, bant, score_breakdown"

/*
 * The scope predicate on `l` (store.h): $all, $self and $teams are the
 * parameter numbers of scope_rows' fields.
 */
#define LEAD_IN_SCOPE(all, self, teams)                                                                   \
	"(" all "::bool OR l.owner_id = " self "::bigint OR l.owner_id IN (SELECT p.id FROM people p"       \
	" WHERE p.org_id = $1 AND p.team_id = ANY(" teams "::bigint[])))"


#endif
