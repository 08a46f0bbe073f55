/*
 * issue.h — the one "field + message" type of attain: what is wrong with a
 * request, a write or a definition, field by field, for problem+json
 * (`errors: [{field, message}]`). Pure rules, stores and services collect
 * issues; api/respond.c renders them.
 *
 * A zeroed struct issues is a valid empty list. On allocation failure the
 * list records it (oom) and keeps what it has, so callers check once. A
 * list keeps at most ISSUES_MAX issues and counts the rest (omitted), so no
 * request can make an answer (or the memory behind it) grow without bound.
 */
#ifndef ATTAIN_CORE_ISSUE_H
#define ATTAIN_CORE_ISSUE_H

#include <stdbool.h>
#include <stddef.h>

struct issue {
	char *field;   /* owned; NULL when the issue is about the request as a whole */
	char *message; /* owned */
};

#define ISSUES_MAX 100

struct issues {
	struct issue *items; /* owned */
	size_t n;            /* at most ISSUES_MAX */
	size_t cap;
	size_t omitted;      /* issues added beyond ISSUES_MAX: counted, not kept */
	bool oom;
};

/* Add an issue about `field` (NULL: about the whole request); message printf-style. */
void issues_add(struct issues *l, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Issues in all: those kept and those omitted. */
size_t issues_count(const struct issues *l);
/* True when the list holds at least one issue. */
bool issues_any(const struct issues *l);
/* Copy every issue of `from` into `into`, each field prefixed by `prefix` ("splits[1]."). */
void issues_nest(struct issues *into, const char *prefix, const struct issues *from);
/* Move every issue of `from` to the end of `into`; `from` is left empty. */
void issues_move(struct issues *into, struct issues *from);
/* Free the issues; the list is left empty and reusable. Accepts NULL. */
void issues_clear(struct issues *l);

#endif
