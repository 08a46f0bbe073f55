/* middleware.h — the request pipeline (the ulfius default endpoint). */
#ifndef ATTAIN_API_MIDDLEWARE_H
#define ATTAIN_API_MIDDLEWARE_H

#include "api/api.h"

struct _u_request;
struct _u_response;

/* Every request enters here (user_data = struct app). */
int api_dispatch(const struct _u_request *u, struct _u_response *resp, void *user_data);

/*
 * The orgs known to exist (so a request skips org_service_ensure), for
 * struct app (NULL on OOM; org_cache_free, which accepts NULL).
 */
struct org_cache *org_cache_new(void);
void org_cache_free(struct org_cache *c);

#endif
