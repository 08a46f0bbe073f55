/*
 * request.c — reading the request: path, headers, query, body, the
 * caller's person id and If-Match. Nothing here answers the request, so
 * respond.c may use it without depending on the dispatcher (middleware.c).
 */
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/api.h"
#include "api/parse.h"

const char *
req_path(const struct req *r)
{
	return r->u && r->u->url_path ? r->u->url_path : "";
}

const char *
req_header(const struct req *r, const char *name)
{
	return u_map_get_case(r->u->map_header, name);
}

const char *
req_query(const struct req *r, const char *name)
{
	return u_map_get(r->u->map_url, name);
}

const char *
req_body(const struct req *r, size_t *len)
{
	*len = r->u->binary_body_length;
	return r->u->binary_body;
}

void
query_only(struct req *r, const char *const *allowed, struct issues *e)
{
	const char **keys = u_map_enum_keys(r->u->map_url);

	for (int i = 0; keys && keys[i]; i++) {
		bool ok = false;
		for (int j = 0; allowed[j] && !ok; j++)
			ok = strcmp(allowed[j], keys[i]) == 0;
		if (!ok)
			issues_add(e, keys[i], "unknown query parameter");
	}
}

int64_t
req_person_id(const struct req *r)
{
	const char *s = r->who.person_id;
	char *end;

	if (!*s)
		return 0;
	long long v = strtoll(s, &end, 10);
	return *end || v <= 0 ? 0 : v;
}

int
req_if_match(const struct req *r)
{
	const char *v = req_header(r, "If-Match");
	char *end;

	if (!v)
		return -1;
	while (*v == ' ')
		v++;
	if (strcmp(v, "*") == 0)
		return -1;
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	if (*v != '"')
		return 0;
	long n = strtol(v + 1, &end, 10);
	if (end == v + 1 || *end != '"' || n <= 0 || n > 2000000000)
		return 0;
	return (int)n;
}
