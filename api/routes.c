/* routes.c — the one route table: method, path, who may call, handler. */
#include "api/api.h"
#include "api/handlers.h"

static const char *const q_teams[] = { "parent_id", "manager_id", "q", "limit", "cursor", NULL };
static const char *const q_people[] = { "team_id", "subtree", "active", "segment", "q", "external_id",
					"limit", "cursor", NULL };
static const char *const q_periods[] = { "from", "to", "grain", NULL };

#define READ ROLE_ANY
#define ADMIN ROLE_ADMIN
#define ORG_WRITERS (ROLE_ADMIN | ROLE_MANAGER)

const struct route api_routes[] = {
	{ "GET", "/healthz", ROLE_ANY, R_PUBLIC | R_NODB, handle_healthz, NULL },
	{ "GET", "/readyz", ROLE_ANY, R_PUBLIC, handle_readyz, NULL },
	{ "GET", "/metrics", ROLE_ANY, R_PUBLIC | R_NODB, handle_metrics, NULL },
	{ "GET", "/openapi.yaml", ROLE_ANY, R_PUBLIC | R_NODB, handle_openapi, NULL },
	{ "GET", "/docs", ROLE_ANY, R_PUBLIC | R_NODB, handle_docs, NULL },

	{ "GET", "/v1/org", READ, 0, handle_org_get, NULL },
	{ "PATCH", "/v1/org", ADMIN, 0, handle_org_patch, NULL },

	{ "GET", "/v1/teams", READ, 0, handle_teams_list, q_teams },
	{ "POST", "/v1/teams", ORG_WRITERS, 0, handle_teams_create, NULL },
	{ "GET", "/v1/teams/{team_id}", READ, 0, handle_teams_get, NULL },
	{ "PATCH", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_patch, NULL },
	{ "DELETE", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_delete, NULL },

	{ "GET", "/v1/people", READ, 0, handle_people_list, q_people },
	{ "POST", "/v1/people", ORG_WRITERS, 0, handle_people_create, NULL },
	{ "GET", "/v1/people/{person_id}", READ, 0, handle_people_get, NULL },
	{ "PATCH", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_patch, NULL },
	{ "DELETE", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_delete, NULL },

	{ "GET", "/v1/periods", READ, 0, handle_periods_list, q_periods },
	{ "GET", "/v1/periods/{period_id}", READ, 0, handle_periods_get, NULL },
};
const int api_routes_count = sizeof api_routes / sizeof api_routes[0];
