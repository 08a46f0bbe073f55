/* routes.c — the one route table: method, path, who may call, handler. */
#include "api/api.h"
#include "api/handlers.h"

#define READ ROLE_ANY
#define ADMIN ROLE_ADMIN
#define ORG_WRITERS (ROLE_ADMIN | ROLE_MANAGER)

const struct route api_routes[] = {
	{ "GET", "/healthz", ROLE_ANY, R_PUBLIC | R_NODB, handle_healthz },
	{ "GET", "/readyz", ROLE_ANY, R_PUBLIC, handle_readyz },
	{ "GET", "/metrics", ROLE_ANY, R_PUBLIC | R_NODB, handle_metrics },
	{ "GET", "/openapi.yaml", ROLE_ANY, R_PUBLIC | R_NODB, handle_openapi },
	{ "GET", "/docs", ROLE_ANY, R_PUBLIC | R_NODB, handle_docs },

	{ "GET", "/v1/org", READ, 0, handle_org_get },
	{ "PATCH", "/v1/org", ADMIN, 0, handle_org_patch },

	{ "GET", "/v1/teams", READ, 0, handle_teams_list },
	{ "POST", "/v1/teams", ORG_WRITERS, 0, handle_teams_create },
	{ "GET", "/v1/teams/{team_id}", READ, 0, handle_teams_get },
	{ "PATCH", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_patch },
	{ "DELETE", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_delete },

	{ "GET", "/v1/people", READ, 0, handle_people_list },
	{ "POST", "/v1/people", ORG_WRITERS, 0, handle_people_create },
	{ "GET", "/v1/people/{person_id}", READ, 0, handle_people_get },
	{ "PATCH", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_patch },
	{ "DELETE", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_delete },

	{ "GET", "/v1/periods", READ, 0, handle_periods_list },
	{ "GET", "/v1/periods/{period_id}", READ, 0, handle_periods_get },
};
const int api_routes_count = sizeof api_routes / sizeof api_routes[0];
