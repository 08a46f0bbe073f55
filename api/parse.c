#include "api/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

/*
 * The key of the member whose value begins last before byte `pos` of a JSON
 * text (raw, as written), into key; false when there is none. Enough to
 * name the field of a value that jansson refuses while parsing.
 */
static bool
key_before(const char *s, size_t len, size_t pos, char *key, size_t keylen)
{
	bool found = false;

	for (size_t i = 0; i < len && i < pos; i++) {
		if (s[i] != '"')
			continue;
		size_t start = ++i;
		while (i < len && s[i] != '"')
			i += s[i] == '\\' ? 2 : 1;
		size_t end = i < len ? i : len, j = i + 1;
		while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
			j++;
		if (j < len && s[j] == ':' && j < pos) {
			snprintf(key, keylen, "%.*s", (int)(end - start < keylen ? end - start : keylen - 1), s + start);
			found = true;
		}
	}
	return found;
}

/* A value jansson refuses while parsing, said our way and naming its field. */
static bool
bad_value(const char *body, size_t len, const json_error_t *jerr, struct issues *e)
{
	static const struct {
		const char *jansson; /* a part of jansson's message */
		const char *message;
	} known[] = {
		{ "JSON_ALLOW_NUL", "must not contain NUL characters" },
		{ "invalid Unicode", "is not valid Unicode (a lone surrogate)" },
		{ "real number overflow", "is out of range" },
		{ "too big integer", "is out of range" },
		{ "too big negative integer", "is out of range" },
	};
	char key[128];

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strstr(jerr->text, known[i].jansson)) {
			bool named = jerr->position > 0 && key_before(body, len, (size_t)jerr->position, key, sizeof key);
			issues_add(e, named ? key : "body", "%s", known[i].message);
			return true;
		}
	return false;
}

json_t *
parse_body_object(struct req *r)
{
	const char *ctype = req_header(r, "Content-Type");
	size_t len;
	const char *body = req_body(r, &len);
	json_error_t jerr;
	struct issues e = { 0 };

	if (!ctype || strncasecmp(ctype, "application/json", 16) != 0 ||
	    (ctype[16] && ctype[16] != ';' && ctype[16] != ' ')) {
		respond_problem(r, 415, "the body must be application/json", NULL);
		return NULL;
	}
	if (!body || len == 0) {
		issues_add(&e, "body", "a JSON object is required");
		respond_errors(r, &e);
		return NULL;
	}
	json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		/* jansson: "duplicate object key near '"name"'": name the key itself. */
		const char *dup = strstr(jerr.text, "duplicate object key near '\"");
		if (dup) {
			char key[128];
			const char *start = dup + strlen("duplicate object key near '\"");
			size_t n = strcspn(start, "\"");
			snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key ? n : sizeof key - 1), start);
			issues_add(&e, key, "duplicate key");
		} else if (!bad_value(body, len, &jerr, &e))
			issues_add(&e, "body", "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
				 jerr.text);
		respond_errors(r, &e);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		issues_add(&e, "body", "must be a JSON object");
		respond_errors(r, &e);
		return NULL;
	}
	return v;
}

void
parse_only(json_t *obj, const char *const *allowed, struct issues *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok)
			issues_add(e, key, "unknown field");
	}
}

void
parse_require(json_t *obj, const char *field, struct issues *e)
{
	json_t *v = json_object_get(obj, field);

	if (!v || json_is_null(v))
		issues_add(e, field, "is required");
}

static enum field_state
lookup(json_t *o, const char *k, json_t **v)
{
	*v = json_object_get(o, k);
	if (!*v)
		return FIELD_ABSENT;
	return json_is_null(*v) ? FIELD_NULL : FIELD_SET;
}

/*
 * Characters (code points) in UTF-8 text: the bytes that do not continue a
 * sequence. Limits count characters, as openapi.yaml's maxLength does.
 */
static size_t
characters(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

enum field_state
parse_string(json_t *o, const char *k, size_t minlen, size_t maxlen, struct issues *e, const char **out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (!json_is_string(v)) {
		issues_add(e, k, "must be a string");
		return FIELD_BAD;
	}
	size_t n = json_string_length(v);
	if (memchr(json_string_value(v), '\0', n)) {
		issues_add(e, k, "must not contain NUL characters");
		return FIELD_BAD;
	}
	size_t chars = characters(json_string_value(v), n);
	if (chars < minlen || chars > maxlen) {
		issues_add(e, k, "length must be %zu..%zu", minlen, maxlen);
		return FIELD_BAD;
	}
	*out = json_string_value(v);
	return FIELD_SET;
}

enum field_state
parse_int(json_t *o, const char *k, long long lo, long long hi, struct issues *e, long long *out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (!json_is_integer(v)) {
		issues_add(e, k, "must be an integer");
		return FIELD_BAD;
	}
	long long n = json_integer_value(v);
	if (n < lo || n > hi) {
		issues_add(e, k, "must be between %lld and %lld", lo, hi);
		return FIELD_BAD;
	}
	*out = n;
	return FIELD_SET;
}

enum field_state
parse_bool(json_t *o, const char *k, struct issues *e, bool *out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (!json_is_boolean(v)) {
		issues_add(e, k, "must be true or false");
		return FIELD_BAD;
	}
	*out = json_is_true(v);
	return FIELD_SET;
}

static bool
id_from_text(const char *s, int64_t *out)
{
	char *end;

	if (!s || !*s || strlen(s) > 18 || s[0] < '1' || s[0] > '9')
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

enum field_state
parse_id(json_t *o, const char *k, struct issues *e, int64_t *out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (!json_is_string(v) || !id_from_text(json_string_value(v), out)) {
		issues_add(e, k, "must be an id (a string of digits)");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

static void
enum_error(struct issues *e, const char *k, const char *const *values)
{
	char list[256] = "";
	size_t used = 0;

	for (int i = 0; values[i] && used < sizeof list - 1; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, i ? ", %s" : "%s", values[i]);
	issues_add(e, k, "must be one of: %s", list);
}

enum field_state
parse_enum(json_t *o, const char *k, const char *const *values, struct issues *e, const char **out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (json_is_string(v))
		for (int i = 0; values[i]; i++)
			if (strcmp(values[i], json_string_value(v)) == 0) {
				*out = values[i];
				return FIELD_SET;
			}
	enum_error(e, k, values);
	return FIELD_BAD;
}

enum field_state
parse_date(json_t *o, const char *k, struct issues *e, cal_date *out)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);

	if (fs != FIELD_SET)
		return fs;
	if (!json_is_string(v) || cal_date_parse(json_string_value(v), out) != ST_OK) {
		issues_add(e, k, "must be a date YYYY-MM-DD");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

enum field_state
parse_money(json_t *o, const char *k, bool allow_negative, struct issues *e, int64_t *cents)
{
	json_t *v;
	enum field_state fs = lookup(o, k, &v);
	const char *why = NULL;

	if (fs != FIELD_SET)
		return fs;
	if (money_from_json(v, allow_negative, cents, &why) != ST_OK) {
		issues_add(e, k, "%s", why ? why : "invalid amount");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

bool
parse_email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (!at || at == s || strchr(at + 1, '@') || n > 254)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
			return false;
	const char *dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0';
}

/* ---- query strings -------------------------------------------------------- */

enum field_state
query_string(struct req *r, const char *k, size_t maxlen, struct issues *e, const char **out)
{
	const char *v = req_query(r, k);

	if (!v)
		return FIELD_ABSENT;
	if (!*v) {
		issues_add(e, k, "must not be empty");
		return FIELD_BAD;
	}
	if (characters(v, strlen(v)) > maxlen) {
		issues_add(e, k, "longer than %zu characters", maxlen);
		return FIELD_BAD;
	}
	*out = v;
	return FIELD_SET;
}

/* Two digits at p, as a number in lo..hi. */
static bool
two_digits(const char *p, int lo, int hi)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	int v = (p[0] - '0') * 10 + (p[1] - '0');
	return v >= lo && v <= hi;
}

static bool
instant_valid(const char *s)
{
	char day[11];
	cal_date d;
	const char *p = s + 10;

	if (strlen(s) < 10)
		return false;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (cal_date_parse(day, &d) != ST_OK)
		return false;
	if (*p == '\0')
		return true;
	if (*p != 'T' && *p != 't')
		return false;
	p++;
	if (!two_digits(p, 0, 23) || p[2] != ':' || !two_digits(p + 3, 0, 59) || p[5] != ':' ||
	    !two_digits(p + 6, 0, 59))
		return false;
	p += 8;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0';
	return (*p == '+' || *p == '-') && two_digits(p + 1, 0, 15) && p[3] == ':' && two_digits(p + 4, 0, 59) &&
	       p[6] == '\0';
}

enum field_state
query_instant(struct req *r, const char *k, struct issues *e, const char **out)
{
	enum field_state fs = query_string(r, k, 64, e, out);

	if (fs == FIELD_SET && !instant_valid(*out)) {
		issues_add(e, k, "must be an RFC 3339 instant (2026-01-31T12:00:00Z, offsets up to +/-15:59) or a date");
		return FIELD_BAD;
	}
	return fs;
}

enum field_state
query_int(struct req *r, const char *k, long long lo, long long hi, struct issues *e, long long *out)
{
	const char *v = req_query(r, k);
	char *end;

	if (!v)
		return FIELD_ABSENT;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno || (v[0] != '-' && (v[0] < '0' || v[0] > '9'))) {
		issues_add(e, k, "must be an integer");
		return FIELD_BAD;
	}
	if (n < lo || n > hi) {
		issues_add(e, k, "must be between %lld and %lld", lo, hi);
		return FIELD_BAD;
	}
	*out = n;
	return FIELD_SET;
}

enum field_state
query_id(struct req *r, const char *k, struct issues *e, int64_t *out)
{
	const char *v = req_query(r, k);

	if (!v)
		return FIELD_ABSENT;
	if (!id_from_text(v, out)) {
		issues_add(e, k, "must be an id (digits)");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

enum field_state
query_bool(struct req *r, const char *k, struct issues *e, bool *out)
{
	const char *v = req_query(r, k);

	if (!v)
		return FIELD_ABSENT;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else {
		issues_add(e, k, "must be true or false");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

enum field_state
query_enum(struct req *r, const char *k, const char *const *values, struct issues *e, const char **out)
{
	const char *v = req_query(r, k);

	if (!v)
		return FIELD_ABSENT;
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0) {
			*out = values[i];
			return FIELD_SET;
		}
	enum_error(e, k, values);
	return FIELD_BAD;
}

enum field_state
query_date(struct req *r, const char *k, struct issues *e, cal_date *out)
{
	const char *v = req_query(r, k);

	if (!v)
		return FIELD_ABSENT;
	if (cal_date_parse(v, out) != ST_OK) {
		issues_add(e, k, "must be a date YYYY-MM-DD");
		return FIELD_BAD;
	}
	return FIELD_SET;
}

void
query_page(struct req *r, struct issues *e, int *limit, int64_t *after)
{
	long long n = 100;
	const char *c = req_query(r, "cursor");

	query_int(r, "limit", 1, 1000, e, &n);
	*limit = (int)n;
	*after = 0;
	if (c && !cursor_decode(c, after))
		issues_add(e, "cursor", "malformed cursor; pass next_cursor from the previous page");
}
