/*
 * principal.h — who is calling: the verified claims of a bearer token.
 */
#ifndef ATTAIN_AUTH_PRINCIPAL_H
#define ATTAIN_AUTH_PRINCIPAL_H

#include <stdbool.h>

enum role {
	ROLE_ADMIN = 1u << 0,   /* everything in the org */
	ROLE_EXEC = 1u << 1,    /* read everything */
	ROLE_MANAGER = 1u << 2, /* read/write the subtree of teams they manage */
	ROLE_REP = 1u << 3,     /* own records */
	ROLE_SERVICE = 1u << 4, /* bulk ingest; read everything */
};
#define ROLE_ANY (ROLE_ADMIN | ROLE_EXEC | ROLE_MANAGER | ROLE_REP | ROLE_SERVICE)

struct principal {
	char sub[256];
	char org[128];      /* tenant; never empty once verified */
	char person_id[64]; /* the caller's person record, "" when absent */
	unsigned roles;     /* bitmask of enum role */
	long long exp;      /* expiry, seconds since the epoch */
};

/* The role bit for `name` ("admin", ...), 0 when unknown. Case-sensitive. */
unsigned role_parse(const char *name);
/* The name of a single role bit, NULL when not exactly one known bit. */
const char *role_name(unsigned role);
/* True when p holds at least one of the roles in `mask`. */
bool principal_has(const struct principal *p, unsigned mask);

#endif
