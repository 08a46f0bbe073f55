#include "api/bulk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/parse.h"
#include "api/respond.h"

#define ITEM_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static void
too_many(struct req *r, const struct bulk_reader *br)
{
	char detail[96];

	snprintf(detail, sizeof detail, "at most %d %s per call", br->max, br->noun);
	respond_problem(r, 413, detail, json_pack("[{s:s,s:s}]", "field", "body", "message", detail));
}

static void
body_error(struct req *r, const char *message)
{
	struct issues e = { 0 };

	issues_add(&e, "body", "%s", message);
	respond_errors(r, &e);
}

static bool
read_array(struct req *r, const struct bulk_reader *br, const char *p, const char *end, int *count)
{
	json_error_t jerr;
	char msg[320];

	p = skip_ws(p, end);
	if (p == end || *p != '[') {
		snprintf(msg, sizeof msg,
			 "must be a JSON array of %s (or NDJSON with Content-Type: application/x-ndjson)", br->noun);
		body_error(r, msg);
		return false;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		p++;
	else
		for (;;) {
			if (*count == br->max) {
				too_many(r, br);
				return false;
			}
			json_t *item = json_loadb(p, (size_t)(end - p), ITEM_FLAGS | JSON_DISABLE_EOF_CHECK, &jerr);
			if (!item) {
				snprintf(msg, sizeof msg, "malformed JSON in item %d: %s", *count, jerr.text);
				body_error(r, msg);
				return false;
			}
			p += jerr.position;
			br->item(br->ctx, item, (*count)++);
			json_decref(item);
			p = skip_ws(p, end);
			if (p < end && *p == ',') {
				p = skip_ws(p + 1, end);
				continue;
			}
			if (p < end && *p == ']') {
				p++;
				break;
			}
			snprintf(msg, sizeof msg, "expected ',' or ']' after item %d", *count - 1);
			body_error(r, msg);
			return false;
		}
	if (skip_ws(p, end) != end) {
		body_error(r, "unexpected data after the array");
		return false;
	}
	return true;
}

static bool
read_ndjson(struct req *r, const struct bulk_reader *br, const char *p, const char *end, int *count)
{
	json_error_t jerr;
	char msg[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		if (skip_ws(p, eol) != eol) {
			if (*count == br->max) {
				too_many(r, br);
				return false;
			}
			json_t *item = json_loadb(p, (size_t)(eol - p), ITEM_FLAGS, &jerr);
			if (item)
				br->item(br->ctx, item, *count);
			else {
				snprintf(msg, sizeof msg, "malformed JSON: %s", jerr.text);
				br->bad_line(br->ctx, *count, msg);
			}
			json_decref(item);
			(*count)++;
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

bool
bulk_read(struct req *r, const struct bulk_reader *br, bool ndjson, const char *body, size_t len, int *count)
{
	const char *p = body ? body : "";
	char msg[128];

	*count = 0;
	if (skip_ws(p, p + len) == p + len) {
		snprintf(msg, sizeof msg, "a JSON array of %s (or NDJSON) is required", br->noun);
		body_error(r, msg);
		return false;
	}
	return ndjson ? read_ndjson(r, br, p, p + len, count) : read_array(r, br, p, p + len, count);
}

static bool
media_is(const char *ctype, const char *type)
{
	size_t n = strlen(type);

	return ctype && strncasecmp(ctype, type, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

bool
bulk_begin(struct req *r, struct bulk_call *bc, const char *noun)
{
	const char *ctype = req_header(r, "Content-Type");
	struct issues e = { 0 };

	bc->out.noun = noun;
	query_bool(r, "atomic", &e, &bc->atomic);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	bc->ndjson = media_is(ctype, "application/x-ndjson");
	if (!bc->ndjson && !media_is(ctype, "application/json")) {
		respond_problem(r, 415, "the body must be application/json (an array) or application/x-ndjson", NULL);
		return false;
	}
	return req_caller(r, &bc->who);
}

bool
bulk_call_read(struct req *r, struct bulk_call *bc, int max, void (*item)(void *ctx, json_t *item, int index),
	       void (*bad_line)(void *ctx, int index, const char *message), void *ctx)
{
	struct bulk_reader br = { bc->out.noun, max, item, bad_line, ctx };
	size_t len;
	const char *body = req_body(r, &len);

	return bulk_read(r, &br, bc->ndjson, body, len, &bc->out.count);
}

void
bulk_counts(struct bulk_outcome *o, long created, long updated, long unchanged)
{
	o->created = created;
	o->updated = updated;
	o->unchanged = unchanged;
}

void
bulk_reject(struct bulk_outcome *o, int index, struct issues *e)
{
	if (o->nrejected == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		struct bulk_rejection *v = realloc(o->rejected, cap * sizeof *v);
		if (!v) {
			o->oom = true;
			issues_clear(e);
			return;
		}
		o->rejected = v;
		o->cap = cap;
	}
	struct bulk_rejection *x = &o->rejected[o->nrejected++];
	x->index = index;
	x->issues = (struct issues){ 0 };
	issues_move(&x->issues, e);
	o->oom |= x->issues.oom;
}

void
bulk_reject_one(struct bulk_outcome *o, int index, const char *field, const char *message)
{
	struct issues e = { 0 };

	issues_add(&e, field, "%s", message);
	bulk_reject(o, index, &e);
}

void
bulk_reject_bad_line(void *outcome, int index, const char *message)
{
	bulk_reject_one(outcome, index, "item", message);
}

void
bulk_outcome_clear(struct bulk_outcome *o)
{
	for (size_t i = 0; i < o->nrejected; i++)
		issues_clear(&o->rejected[i].issues);
	free(o->rejected);
	o->rejected = NULL;
	o->nrejected = o->cap = 0;
}

static int
by_index(const void *a, const void *b)
{
	const struct bulk_rejection *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* The result object, rejections in item order (new reference; NULL on OOM). */
static json_t *
result_json(struct bulk_outcome *o, bool written)
{
	json_t *errors = json_array();

	if (o->nrejected > 1)
		qsort(o->rejected, o->nrejected, sizeof *o->rejected, by_index);
	for (size_t i = 0; errors && i < o->nrejected; i++) {
		const struct issues *x = &o->rejected[i].issues;
		json_t *item = json_pack("{s:i,s:o*}", "index", o->rejected[i].index, "errors", issues_json(x));
		if (item && x->omitted)
			json_object_set_new(item, "errors_omitted", json_integer((json_int_t)x->omitted));
		if (json_array_append_new(errors, item) != 0) {
			json_decref(errors);
			errors = NULL;
		}
	}
	if (!errors)
		return NULL;
	return json_pack("{s:I,s:I,s:I,s:I,s:o}", "created", (json_int_t)(written ? o->created : 0), "updated",
			 (json_int_t)(written ? o->updated : 0), "unchanged", (json_int_t)(written ? o->unchanged : 0),
			 "rejected", (json_int_t)o->nrejected, "errors", errors);
}

void
bulk_respond(struct req *r, struct bulk_outcome *o)
{
	json_t *result = o->oom ? NULL : result_json(o, true);

	if (!result)
		respond_status(r, ST_NOMEM, NULL);
	else
		respond_json(r, 200, result);
}

void
bulk_respond_atomic_failure(struct req *r, struct bulk_outcome *o)
{
	json_t *flat = json_array(), *bulk = o->oom ? NULL : result_json(o, false);
	char detail[160], field[200];

	size_t omitted = 0;

	for (size_t i = 0; flat && i < o->nrejected; i++) {
		omitted += o->rejected[i].issues.omitted;
		for (size_t k = 0; k < o->rejected[i].issues.n; k++) {
			if (json_array_size(flat) == ISSUES_MAX) {
				omitted++;
				continue;
			}
			const struct issue *x = &o->rejected[i].issues.items[k];
			snprintf(field, sizeof field, "[%d].%s", o->rejected[i].index, x->field ? x->field : "item");
			if (json_array_append_new(flat, json_pack("{s:s,s:s}", "field", field, "message", x->message))) {
				json_decref(flat);
				flat = NULL;
				break;
			}
		}
	}
	if (!flat || !bulk) {
		json_decref(flat);
		json_decref(bulk);
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	snprintf(detail, sizeof detail, "%zu of %d %s are invalid; nothing was written (atomic=true)", o->nrejected,
		 o->count, o->noun);
	respond_problem_with(r, 400, detail, flat, omitted, "bulk", bulk);
}

void
bulk_respond_status(struct req *r, enum status st, struct bulk_outcome *o)
{
	if (st == ST_OK)
		bulk_respond(r, o);
	else if (st == ST_INVALID)
		bulk_respond_atomic_failure(r, o);
	else
		respond_status(r, st, NULL);
}
