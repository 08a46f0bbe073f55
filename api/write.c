#include "api/write.h"

#include <string.h>

#include "api/parse.h"
#include "api/respond.h"

bool
body_write_begin(struct req *r, bool with_id, struct body_write *w)
{
	memset(w, 0, sizeof *w);
	if (with_id && !req_path_id(r, 0, &w->id))
		return false;
	return (w->body = parse_body_object(r)) != NULL;
}

bool
body_write_ready(struct req *r, struct body_write *w, bool read_ok)
{
	if (!read_ok) {
		respond_errors(r, &w->e);
		return false;
	}
	return req_caller(r, &w->who);
}

void
body_write_answer(struct req *r, struct body_write *w, enum status st, int ok_status,
                  const char *location_prefix)
{
	respond_outcome(r, st, &w->e, &w->row, ok_status, location_prefix);
}

void
body_write_clear(struct body_write *w)
{
	issues_clear(&w->e);
	rowjson_clear(&w->row);
	json_decref(w->body);
	w->body = NULL;
}
