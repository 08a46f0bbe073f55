#include "api/bulk.h"

#include <stdio.h>
#include <string.h>

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
	struct errs e = { 0 };

	errs_add(&e, "body", "%s", message);
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
