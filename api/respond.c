#include "api/respond.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY)

void
respond_header(struct req *r, const char *name, const char *value)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0) {
			free(r->headers[i].value);
			r->headers[i].value = strdup(value);
			return;
		}
	if (r->nheaders == REQ_MAX_HEADERS)
		return;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = strdup(value);
	r->nheaders++;
}

static void
set_body(struct req *r, int status, const char *ctype, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = len;
}

size_t
json_text_compact(char *text)
{
	size_t o = 0;
	bool in_string = false;

	for (size_t i = 0; text[i]; i++) {
		char c = text[i];
		if (in_string) {
			text[o++] = c;
			if (c == '\\' && text[i + 1])
				text[o++] = text[++i];
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			text[o++] = c;
			in_string = true;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			text[o++] = c;
	}
	text[o] = '\0';
	return o;
}

void
respond_json_text(struct req *r, int status, char *text)
{
	if (!text) {
		respond_problem(r, 500, "out of memory", NULL);
		return;
	}
	/* rows and pages come as PostgreSQL's json text ({"id" : 1, "a" : 2}): one style on the wire */
	size_t len = json_text_compact(text);
	set_body(r, status, "application/json", text, len);
}

void
respond_json(struct req *r, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_FLAGS) : NULL;

	json_decref(v);
	respond_json_text(r, status, text);
}

void
respond_row(struct req *r, int status, struct rowjson *row, const char *location)
{
	char etag[24];

	snprintf(etag, sizeof etag, "\"%d\"", row->version);
	respond_header(r, "ETag", etag);
	if (location)
		respond_header(r, "Location", location);
	respond_json_text(r, status, row->json);
	row->json = NULL;
}

void
respond_no_content(struct req *r)
{
	set_body(r, 204, NULL, NULL, 0);
}

void
respond_raw(struct req *r, int status, const char *content_type, const char *data, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy) {
		respond_problem(r, 500, "out of memory", NULL);
		return;
	}
	memcpy(copy, data, len);
	copy[len] = '\0';
	set_body(r, status, content_type, copy, len);
}

static const struct {
	int status;
	const char *slug;
	const char *title;
} problems[] = {
	{ 400, "validation", "Invalid request" },
	{ 401, "unauthorized", "Unauthorized" },
	{ 403, "forbidden", "Forbidden" },
	{ 404, "not-found", "Not found" },
	{ 405, "method-not-allowed", "Method not allowed" },
	{ 409, "conflict", "Conflict" },
	{ 412, "precondition-failed", "Precondition failed" },
	{ 413, "payload-too-large", "Payload too large" },
	{ 415, "unsupported-media-type", "Unsupported media type" },
	{ 422, "unprocessable", "Unprocessable request" },
	{ 429, "too-many-requests", "Too many requests" },
	{ 500, "internal", "Internal server error" },
	{ 503, "unavailable", "Service unavailable" },
};

/*
 * The one builder of problems: errors (stolen) is cut to ISSUES_MAX entries
 * and what it had beyond them, plus `omitted` more that were only counted,
 * becomes errors_omitted; one more member name = value (stolen) when given.
 */
static void
problem(struct req *r, int status, const char *detail, json_t *errors, size_t omitted, const char *name,
	json_t *value)
{
	const char *slug = "error", *title = "Error";
	char type[96];

	for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
		if (problems[i].status == status) {
			slug = problems[i].slug;
			title = problems[i].title;
		}
	snprintf(type, sizeof type, "https://attain.dev/problems/%s", slug);
	json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "type", type, "title", title, "status", status,
			      "detail", detail ? detail : title, "instance",
			      req_path(r), "request_id", r->request_id);
	while (errors && json_array_size(errors) > ISSUES_MAX) {
		json_array_remove(errors, json_array_size(errors) - 1);
		omitted++;
	}
	if (p && errors)
		json_object_set_new(p, "errors", errors);
	else
		json_decref(errors);
	if (p && omitted)
		json_object_set_new(p, "errors_omitted", json_integer((json_int_t)omitted));
	if (p && name && value)
		json_object_set_new(p, name, value);
	else
		json_decref(value);
	char *text = p ? json_dumps(p, JSON_FLAGS) : NULL;
	json_decref(p);
	if (!text)
		text = strdup("{\"type\":\"about:blank\",\"title\":\"Error\",\"status\":500}");
	set_body(r, status, "application/problem+json", text, text ? strlen(text) : 0);
	if (status == 503)
		respond_header(r, "Retry-After", "1");
}

void
respond_problem(struct req *r, int status, const char *detail, json_t *errors)
{
	problem(r, status, detail, errors, 0, NULL, NULL);
}

void
respond_problem_with(struct req *r, int status, const char *detail, json_t *errors, size_t omitted, const char *name,
		     json_t *value)
{
	problem(r, status, detail, errors, omitted, name, value);
}

json_t *
issues_json(const struct issues *e)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < e->n; i++) {
		const struct issue *x = &e->items[i];
		if (json_array_append_new(list, json_pack("{s:s,s:s}", "field", x->field ? x->field : "body",
							  "message", x->message)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

void
respond_errors(struct req *r, struct issues *e)
{
	char detail[320] = "invalid request";
	size_t omitted;
	json_t *list;

	if (e->oom) {
		issues_clear(e);
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	if (e->n > 0)
		snprintf(detail, sizeof detail, "%s: %s", e->items[0].field ? e->items[0].field : "body",
			 e->items[0].message);
	list = issues_json(e);
	omitted = e->omitted;
	issues_clear(e);
	if (!list) {
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	problem(r, 400, detail, list, omitted, NULL, NULL);
}

void
respond_status(struct req *r, enum status st, const char *detail)
{
	switch (st) {
	case ST_OK: break;
	case ST_INVALID: respond_problem(r, 400, detail ? detail : "invalid request", NULL); break;
	case ST_UNAUTHORIZED: respond_problem(r, 401, detail, NULL); break;
	case ST_FORBIDDEN: respond_problem(r, 403, detail ? detail : "outside the caller's role or scope", NULL); break;
	case ST_NOT_FOUND: respond_problem(r, 404, detail ? detail : "no such resource", NULL); break;
	case ST_CONFLICT: respond_problem(r, 409, detail ? detail : "conflicts with the current state", NULL); break;
	case ST_STALE:
		respond_problem(r, 412, detail ? detail : "If-Match does not match the current version", NULL);
		break;
	case ST_UNPROCESSABLE: respond_problem(r, 422, detail, NULL); break;
	case ST_TOO_LARGE: respond_problem(r, 413, detail, NULL); break;
	case ST_UNAVAILABLE:
		respond_problem(r, 503, detail ? detail : "the database is unavailable; retry shortly", NULL);
		break;
	case ST_NOMEM:
	case ST_INTERNAL: respond_problem(r, 500, "internal error; see the log with this request id", NULL); break;
	}
}

void
respond_store_error(struct req *r, enum status st, struct issues *e)
{
	if (e->n > 0 && e->items[0].field && (st == ST_INVALID || st == ST_CONFLICT)) {
		char detail[320];
		json_t *errors = issues_json(e);
		size_t omitted = e->omitted;
		snprintf(detail, sizeof detail, "%s: %s", e->items[0].field, e->items[0].message);
		issues_clear(e);
		if (!errors)
			respond_status(r, ST_NOMEM, NULL);
		else
			problem(r, st == ST_INVALID ? 400 : 409, detail, errors, omitted, NULL, NULL);
		return;
	}
	respond_status(r, st, e->n > 0 ? e->items[0].message : NULL);
	issues_clear(e);
}

void
respond_outcome(struct req *r, enum status st, struct issues *e, struct rowjson *row, int ok_status,
		const char *location_prefix)
{
	char location[160];

	if (st != ST_OK) {
		respond_store_error(r, st, e);
		return;
	}
	issues_clear(e);
	if (ok_status == 204) {
		respond_no_content(r);
		return;
	}
	if (ok_status == 201 && location_prefix)
		snprintf(location, sizeof location, "%s/%lld", location_prefix, (long long)row->id);
	respond_row(r, ok_status, row, ok_status == 201 && location_prefix ? location : NULL);
}

void
respond_listing(struct req *r, enum status st, struct issues *e, struct page *p, const char *const *columns)
{
	if (st == ST_OK)
		respond_page(r, p, columns);
	else
		respond_store_error(r, st, e);
	issues_clear(e);
	page_clear(p);
}

/* ---- cursors ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
cursor_encode(int64_t last_id, char *buf, size_t len)
{
	char raw[32];
	int n = snprintf(raw, sizeof raw, "id:%" PRId64, last_id);
	size_t o = 0;

	for (int i = 0; i < n && o + 4 < len; i += 3) {
		unsigned v = (unsigned char)raw[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)raw[i + 2];
		buf[o++] = b64[(v >> 18) & 63];
		buf[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			buf[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			buf[o++] = b64[v & 63];
	}
	buf[o] = '\0';
}

bool
cursor_decode(const char *s, int64_t *last_id)
{
	char raw[32];
	size_t n = strlen(s), o = 0;
	unsigned v = 0;
	int bits = 0;

	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(b64, s[i]);
		if (!p || !s[i])
			return false;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= sizeof raw)
				return false;
			raw[o++] = (char)((v >> bits) & 0xff);
		}
	}
	raw[o] = '\0';
	/* exactly "id:" and 1..18 digits: no NUL inside, no sign, no space, no overflow */
	if (o < 4 || strlen(raw) != o || strncmp(raw, "id:", 3) != 0 || o - 3 > 18)
		return false;
	for (size_t i = 3; i < o; i++)
		if (raw[i] < '0' || raw[i] > '9')
			return false;
	long long id = strtoll(raw + 3, NULL, 10);
	*last_id = id;
	return true;
}

/* ---- lists and CSV ------------------------------------------------------ */

bool
respond_wants_csv(const struct req *r)
{
	const char *accept = req_header(r, "Accept");

	return accept && strstr(accept, "text/csv") != NULL;
}

static void
csv_field(struct buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/*
 * A text cell: one that a spreadsheet would run as a formula (starting with
 * =, +, -, @, tab or carriage return) is prefixed with ' (OWASP's CSV
 * injection advice), so it opens as the text it is. Numbers are not text.
 */
static void
csv_text(struct buf *b, const char *s)
{
	if (*s && strchr("=+-@\t\r", *s)) {
		struct buf t = { 0 };
		buf_putc(&t, '\'');
		buf_puts(&t, s);
		if (t.oom)
			b->oom = true;
		else
			csv_field(b, t.data);
		buf_clear(&t);
		return;
	}
	csv_field(b, s);
}

static void
csv_value(struct buf *b, json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING: csv_text(b, json_string_value(v)); break;
	case JSON_INTEGER: snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); buf_puts(b, num); break;
	case JSON_REAL: {
		char *t = json_dumps(v, JSON_FLAGS);
		if (t)
			buf_puts(b, t);
		free(t);
		break;
	}
	case JSON_TRUE: buf_puts(b, "true"); break;
	case JSON_FALSE: buf_puts(b, "false"); break;
	case JSON_NULL: break;
	default: {
		char *t = json_dumps(v, JSON_FLAGS);
		if (t)
			csv_field(b, t);
		free(t);
	}
	}
}

char *
csv_render(json_t *items, const char *const *columns)
{
	struct buf b = { 0 };
	size_t i;
	json_t *item;

	for (int c = 0; columns[c]; c++) {
		if (c)
			buf_putc(&b, ',');
		csv_field(&b, columns[c]);
	}
	buf_puts(&b, "\r\n");
	json_array_foreach(items, i, item) {
		for (int c = 0; columns[c]; c++) {
			if (c)
				buf_putc(&b, ',');
			json_t *v = json_object_get(item, columns[c]);
			if (v)
				csv_value(&b, v);
		}
		buf_puts(&b, "\r\n");
	}
	return buf_take(&b);
}

void
respond_csv(struct req *r, json_t *items, const char *const *columns)
{
	char *csv = csv_render(items, columns);

	if (csv)
		set_body(r, 200, "text/csv; charset=utf-8", csv, strlen(csv)); /* the body takes csv */
	else
		respond_status(r, ST_NOMEM, NULL);
}

/* o's scalars into flat under prefix + key (dotted for nested objects); false on OOM. */
static bool
flatten(json_t *o, const char *prefix, json_t *flat)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		char *name = NULL;
		if (asprintf(&name, "%s%s", prefix, k) < 0)
			return false;
		bool ok = true;
		if (json_is_object(v)) {
			char *sub = NULL;
			ok = asprintf(&sub, "%s.", name) >= 0 && flatten(v, sub, flat);
			free(sub);
		} else if (!json_is_array(v))
			ok = json_object_set(flat, name, v) == 0;
		free(name);
		if (!ok)
			return false;
	}
	return true;
}

void
respond_csv_flat(struct req *r, json_t *items)
{
	json_t *flat = json_array(), *item;
	const char **columns = NULL;
	size_t i, n = 0;
	bool ok = flat != NULL;

	json_array_foreach(items, i, item) {
		json_t *f = json_object();
		ok = ok && f && flatten(item, "", f) && json_array_append(flat, f) == 0;
		json_decref(f);
	}
	json_t *first = ok ? json_array_get(flat, 0) : NULL;
	if (ok && (columns = calloc((first ? json_object_size(first) : 0) + 1, sizeof *columns))) {
		const char *k;
		json_t *v;
		if (first)
			json_object_foreach(first, k, v)
				columns[n++] = k;
		respond_csv(r, flat, columns);
	} else
		respond_status(r, ST_NOMEM, NULL);
	free(columns);
	json_decref(flat);
}

bool
respond_read_ready(struct req *r, struct issues *e, struct caller *who)
{
	if (issues_any(e)) {
		respond_errors(r, e);
		return false;
	}
	return req_caller(r, who);
}

void
respond_read(struct req *r, enum status st, struct issues *e, json_t *out, const char *rows)
{
	if (st != ST_OK) {
		respond_store_error(r, st, e);
		return;
	}
	if (!respond_wants_csv(r)) {
		respond_json(r, 200, out);
		return;
	}
	json_t *list = rows ? json_incref(json_object_get(out, rows)) : json_pack("[O]", out);
	if (list)
		respond_csv_flat(r, list);
	else
		respond_status(r, ST_NOMEM, NULL);
	json_decref(list);
	json_decref(out);
}

void
respond_page(struct req *r, struct page *p, const char *const *columns)
{
	char cursor[64];

	if (p->items.oom) {
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	if (p->more) {
		cursor_encode(p->last_id, cursor, sizeof cursor);
		char link[160];
		snprintf(link, sizeof link, "%s", cursor);
		respond_header(r, "X-Next-Cursor", link);
	}
	if (respond_wants_csv(r)) {
		json_t *items = json_loadb(p->items.data ? p->items.data : "[]", p->items.data ? p->items.len : 2, 0, NULL);
		if (items)
			respond_csv(r, items, columns);
		else
			respond_status(r, ST_NOMEM, NULL);
		json_decref(items);
		return;
	}
	struct buf b = { 0 };
	buf_puts(&b, "{\"items\":");
	buf_append(&b, p->items.data ? p->items.data : "[]", p->items.data ? p->items.len : 2);
	buf_puts(&b, ",\"next_cursor\":");
	if (p->more)
		buf_put_json_string(&b, cursor);
	else
		buf_puts(&b, "null");
	buf_putc(&b, '}');
	respond_json_text(r, 200, buf_take(&b));
}
