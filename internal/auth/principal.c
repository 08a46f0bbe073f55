#include "auth/principal.h"

#include <string.h>

static const struct {
	const char *name;
	unsigned bit;
} roles[] = {
	{ "admin", ROLE_ADMIN },
	{ "exec", ROLE_EXEC },
	{ "manager", ROLE_MANAGER },
	{ "rep", ROLE_REP },
	{ "service", ROLE_SERVICE },
};

unsigned
role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].bit;
	return 0;
}

const char *
role_name(unsigned role)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].bit == role)
			return roles[i].name;
	return NULL;
}

bool
principal_has(const struct principal *p, unsigned mask)
{
	return (p->roles & mask) != 0;
}
