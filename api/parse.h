/*
 * parse.h — strict request parsing: bodies and query strings.
 *
 * A body is JSON (application/json), parsed with duplicate keys rejected,
 * and must be an object. Field readers check type, range and enum, and
 * collect every problem into a struct issues naming the field, so one 400 lists
 * them all. Readers return FIELD_ABSENT, FIELD_NULL or FIELD_SET; *out is
 * written only on FIELD_SET.
 */
#ifndef ATTAIN_API_PARSE_H
#define ATTAIN_API_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "api/api.h"
#include "api/respond.h"
#include "calendar/calendar.h"

enum field_state { FIELD_ABSENT = 0, FIELD_NULL, FIELD_SET, FIELD_BAD };

/*
 * The body as a JSON object (caller decrefs). On failure answers 415 (not
 * JSON), 400 (malformed, duplicate key, not an object) and returns NULL.
 */
json_t *parse_body_object(struct req *r);
/* Every key of obj must be in `allowed` (NULL-terminated); others are errors. */
void parse_only(json_t *obj, const char *const *allowed, struct issues *e);
/* A required field that is absent or null is an error. */
void parse_require(json_t *obj, const char *field, struct issues *e);

/*
 * The field readers: each reads body field k of o (absent: FIELD_ABSENT,
 * null: FIELD_NULL, nothing read), checks its type and range, writes *out
 * and returns FIELD_SET, or adds an issue naming k and returns FIELD_BAD.
 * parse_string: a string of minlen..maxlen characters (code points), no
 * NUL; parse_int: an integer in lo..hi; parse_bool: true or false.
 */
enum field_state parse_string(json_t *o, const char *k, size_t minlen, size_t maxlen, struct issues *e,
			      const char **out);
enum field_state parse_int(json_t *o, const char *k, long long lo, long long hi, struct issues *e,
			   long long *out);
enum field_state parse_bool(json_t *o, const char *k, struct issues *e, bool *out);
/* An id is a string of decimal digits ("42"), > 0. */
enum field_state parse_id(json_t *o, const char *k, struct issues *e, int64_t *out);
enum field_state parse_enum(json_t *o, const char *k, const char *const *values, struct issues *e,
			    const char **out);
enum field_state parse_date(json_t *o, const char *k, struct issues *e, cal_date *out);
enum field_state parse_money(json_t *o, const char *k, bool allow_negative, struct issues *e, int64_t *cents);
/* An e-mail address: one @, a dot in the domain, no spaces, <= 254 bytes. */
bool parse_email_valid(const char *s);

/* Query strings: every parameter must be in `allowed` (NULL-terminated). */
void query_only(struct req *r, const char *const *allowed, struct issues *e);
enum field_state query_int(struct req *r, const char *k, long long lo, long long hi, struct issues *e,
			   long long *out);
enum field_state query_id(struct req *r, const char *k, struct issues *e, int64_t *out);
enum field_state query_bool(struct req *r, const char *k, struct issues *e, bool *out);
enum field_state query_enum(struct req *r, const char *k, const char *const *values, struct issues *e,
			    const char **out);
enum field_state query_date(struct req *r, const char *k, struct issues *e, cal_date *out);
enum field_state query_string(struct req *r, const char *k, size_t maxlen, struct issues *e, const char **out);
/*
 * A date "YYYY-MM-DD" or an RFC 3339 instant "YYYY-MM-DDTHH:MM:SS[.frac]"
 * with Z or an offset of at most ±15:59 (PostgreSQL's bound), as given.
 */
enum field_state query_instant(struct req *r, const char *k, struct issues *e, const char **out);
/* `limit` (1..1000, default 100) and `cursor` for lists. */
void query_page(struct req *r, struct issues *e, int *limit, int64_t *after);

#endif
