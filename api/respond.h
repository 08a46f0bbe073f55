/*
 * respond.h — every answer goes through here: JSON, CSV, problem+json.
 * Each call replaces any answer set before (the last one wins).
 */
#ifndef ATTAIN_API_RESPOND_H
#define ATTAIN_API_RESPOND_H

#include <jansson.h>

#include "api/api.h"
#include "core/issue.h"
#include "db/row.h"

/* Add a response header (value copied). */
void respond_header(struct req *r, const char *name, const char *value);
/*
 * Drop the whitespace outside strings of valid JSON text, in place (PostgreSQL's
 * json_build_object writes {"id" : 1, "a" : 2}); returns the new length.
 */
size_t json_text_compact(char *text);
/* Answer status with JSON text (taken: freed by the request), compacted (json_text_compact). */
void respond_json_text(struct req *r, int status, char *text);
/* Answer status with a JSON value (reference stolen). */
void respond_json(struct req *r, int status, json_t *v);
/* Answer a resource row with its ETag: 200, or 201 with Location when location != NULL. */
void respond_row(struct req *r, int status, struct rowjson *row, const char *location);
void respond_no_content(struct req *r);
/* Answer raw bytes (copied) with a content type. */
void respond_raw(struct req *r, int status, const char *content_type, const char *data, size_t len);
/*
 * problem+json: status, a detail sentence, optional field errors (stolen,
 * may be NULL). The type URI and title come from the status.
 */
void respond_problem(struct req *r, int status, const char *detail, json_t *errors);
/*
 * As respond_problem, with `omitted` more errors counted beyond those given
 * (errors_omitted), and one more member `name` (value stolen; both may be
 * NULL). Every problem lists at most ISSUES_MAX errors; the rest are counted
 * in errors_omitted.
 */
void respond_problem_with(struct req *r, int status, const char *detail, json_t *errors, size_t omitted,
			  const char *name, json_t *value);
/* The issues as [{field, message}] (new reference; NULL on OOM); a NULL field is "body". */
json_t *issues_json(const struct issues *e);
/* 400 with the collected field errors (and clears them; 500 when the list ran out of memory). */
void respond_errors(struct req *r, struct issues *e);
/* Map a domain status to its one HTTP answer (400/403/404/409/412/422/503/500). */
void respond_status(struct req *r, enum status st, const char *detail);
/*
 * A failed write: 400 (ST_INVALID) or 409 (ST_CONFLICT) listing e's issues
 * when the first names a field, else respond_status with the first issue's
 * message as the detail. Clears e.
 */
void respond_store_error(struct req *r, enum status st, struct issues *e);
/*
 * The answer to a service call that writes or reads one resource: on ST_OK
 * the row with its ETag (ok_status 200, or 201 with Location
 * "<location_prefix>/<id>"); with ok_status 204 (a delete) no content,
 * and row may be NULL; otherwise respond_store_error. Clears e.
 */
void respond_outcome(struct req *r, enum status st, struct issues *e, struct rowjson *row, int ok_status,
		     const char *location_prefix);
/*
 * The answer to a service call that lists: on ST_OK the page (JSON or CSV
 * under columns, respond_page), otherwise respond_store_error. Clears e and p.
 */
void respond_listing(struct req *r, enum status st, struct issues *e, struct page *p, const char *const *columns);
/*
 * A list page, as {"items": [...], "next_cursor": ...} or, when the client
 * asks for text/csv, as CSV with `columns` as the header row.
 */
void respond_page(struct req *r, struct page *p, const char *const *columns);
/* Render a JSON array of objects as RFC 4180 CSV (malloc'd text; NULL on failure). */
char *csv_render(json_t *items, const char *const *columns);
/* Whether the client asks for text/csv (Accept). */
bool respond_wants_csv(const struct req *r);
/* 200 with items as CSV under `columns` (500 when out of memory). */
void respond_csv(struct req *r, json_t *items, const char *const *columns);
/*
 * 200 with the objects of `items` (borrowed) as CSV for BI tools: nested
 * objects flattened to dotted columns ("by_type.renewal.achieved"), arrays
 * left out; the columns are the first item's, in its order.
 */
void respond_csv_flat(struct req *r, json_t *items);
/*
 * The start of a read: 400 with the request's issues e if it has any, else
 * the caller into *who. False when r is answered.
 */
bool respond_read_ready(struct req *r, struct issues *e, struct caller *who);
/*
 * The answer of a read whose service returned st and, on ST_OK, the JSON
 * *out (taken): its failure with e; or 200 with it as JSON; or, for a
 * client asking for text/csv, respond_csv_flat of the array at `rows` in
 * it (NULL: the object itself as one row).
 */
void respond_read(struct req *r, enum status st, struct issues *e, json_t *out, const char *rows);

/* Opaque list cursor for "after id". */
void cursor_encode(int64_t last_id, char *buf, size_t len);
bool cursor_decode(const char *s, int64_t *last_id);

#endif
