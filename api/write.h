/*
 * write.h — the frame of a handler that writes one resource from a JSON
 * body (a create or a PATCH): the path id, the body, the caller, the issues
 * and the row, so the handler is its reader and its one service call:
 *
 *	struct body_write w;
 *	struct team_input in;
 *
 *	if (body_write_begin(r, true, &w) &&
 *	    body_write_ready(r, &w, team_read(w.body, false, &in, &w.e)))
 *		body_write_answer(r, &w, org_service_team_patch(r->conn, &w.who, w.id, &in,
 *					  req_if_match(r), &w.row, &w.e), 200, NULL);
 *	body_write_clear(&w);
 */
#ifndef ATTAIN_API_WRITE_H
#define ATTAIN_API_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "api/api.h"
#include "core/issue.h"
#include "db/row.h"

struct body_write {
	int64_t id;         /* the path's first id, when begun with_id */
	json_t *body;       /* owned: the body object */
	struct caller who;  /* set by body_write_ready */
	struct issues e;    /* owned: the reader's and the service's issues */
	struct rowjson row; /* owned: the written row */
};

/*
 * Start the frame *w: the path's first id when with_id (404 when
 * malformed), then the body object (415/400). False when r is answered;
 * *w is valid for body_write_clear in every case.
 */
bool body_write_begin(struct req *r, bool with_id, struct body_write *w);
/*
 * After the handler's reader said read_ok (false: it added issues to w->e):
 * 400 with those issues, else the caller into w->who (503/500 when the
 * scope cannot be loaded). False when r is answered.
 */
bool body_write_ready(struct req *r, struct body_write *w, bool read_ok);
/* Answer the service call's status st with respond_outcome (w->e, w->row). */
void body_write_answer(struct req *r, struct body_write *w, enum status st, int ok_status,
                       const char *location_prefix);
/* Free what the frame owns. */
void body_write_clear(struct body_write *w);

#endif
