/* routes.c — the one route table: method, path, who may call, handler. */
#include "api/api.h"
#include "api/handlers.h"

static const char *const q_teams[] = { "parent_id", "manager_id", "q", "limit", "cursor", NULL };
static const char *const q_people[] = { "team_id", "subtree", "active", "segment", "q", "external_id",
					"limit", "cursor", NULL };
static const char *const q_periods[] = { "from", "to", "grain", NULL };
static const char *const q_deals[] = { "owner_id", "team_id", "status", "stage", "type", "segment",
				       "close_from", "close_to", "updated_since", "external_id", "limit",
				       "cursor", NULL };
static const char *const q_page[] = { "limit", "cursor", NULL };
static const char *const q_bulk[] = { "atomic", NULL };
static const char *const q_leads[] = { "status", "grade", "segment", "source", "owner_id", "score_min",
				       "score_max", "updated_since", "external_id", "limit", "cursor", NULL };
static const char *const q_leads_bulk[] = { "atomic", NULL };
static const char *const q_funnel[] = { "from", "to", "by", NULL };
static const char *const q_quotas[] = { "assignee", "period", "metric", "team_id", "limit", "cursor", NULL };
static const char *const q_team_quota[] = { "period", "metric", "type", "segment", NULL };
static const char *const q_performance[] = { "scope", "period", "metric", "as_of", "explain", NULL };
static const char *const q_leaderboard[] = { "team",  "period", "metric", "as_of", "level",
					     "sort",  "order",  "limit",  "cursor", NULL };
static const char *const q_distribution[] = { "team", "period", "metric", "as_of", NULL };
static const char *const q_forecasts[] = { "scope", "period", "as_of", "bias_adjusted", NULL };
static const char *const q_accuracy[] = { "scope", "from", "to", "at", NULL };
static const char *const q_projection[] = { "scope", "metric", "grain", "horizon", "method", NULL };
static const char *const q_submissions[] = { "scope", "period", "limit", "cursor", NULL };
static const char *const q_trend[] = { "scope", "from", "to", "grain", "metric", NULL };
static const char *const q_scorecard[] = { "person", "from", "to", "grain", "metric", NULL };
static const char *const q_suggest[] = { "assignee", "period", "metric", "growth", "type", "segment", NULL };

#define READ ROLE_ANY
/*
 * The reads BI dashboards pull: run on the hot standby (ATTAIN_DATABASE_READ_URL)
 * while it is fresh enough, else on the primary (middleware.c). Every other
 * route, and every read inside a write, runs on the primary.
 */
#define DASHBOARD R_REPLICA
#define ADMIN ROLE_ADMIN
#define ORG_WRITERS (ROLE_ADMIN | ROLE_MANAGER)
#define QUOTA_WRITERS (ROLE_ADMIN | ROLE_MANAGER)
#define DEAL_WRITERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_REP | ROLE_SERVICE)
#define BULK_WRITERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SERVICE)
#define LEAD_WRITERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_REP | ROLE_SERVICE)
#define LEAD_SYNC (ROLE_ADMIN | ROLE_MANAGER | ROLE_SERVICE)

const struct route api_routes[] = {
	{ "GET", "/healthz", ROLE_ANY, R_PUBLIC | R_NODB, handle_healthz, NULL },
	{ "GET", "/readyz", ROLE_ANY, R_PUBLIC, handle_readyz, NULL },
	{ "GET", "/metrics", ROLE_ANY, R_PUBLIC | R_NODB, handle_metrics, NULL },
	{ "GET", "/openapi.yaml", ROLE_ANY, R_PUBLIC | R_NODB, handle_openapi, NULL },
	{ "GET", "/docs", ROLE_ANY, R_PUBLIC | R_NODB, handle_docs, NULL },

	{ "GET", "/v1/org", READ, 0, handle_org_get, NULL },
	{ "PATCH", "/v1/org", ADMIN, 0, handle_org_patch, NULL },

	{ "GET", "/v1/teams", READ, DASHBOARD, handle_teams_list, q_teams },
	{ "POST", "/v1/teams", ORG_WRITERS, 0, handle_teams_create, NULL },
	{ "GET", "/v1/teams/{team_id}", READ, 0, handle_teams_get, NULL },
	{ "PATCH", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_patch, NULL },
	{ "DELETE", "/v1/teams/{team_id}", ORG_WRITERS, 0, handle_teams_delete, NULL },

	{ "GET", "/v1/people", READ, DASHBOARD, handle_people_list, q_people },
	{ "POST", "/v1/people", ORG_WRITERS, 0, handle_people_create, NULL },
	{ "GET", "/v1/people/{person_id}", READ, 0, handle_people_get, NULL },
	{ "PATCH", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_patch, NULL },
	{ "DELETE", "/v1/people/{person_id}", ORG_WRITERS, 0, handle_people_delete, NULL },

	{ "GET", "/v1/periods", READ, 0, handle_periods_list, q_periods },
	{ "GET", "/v1/periods/{period_id}", READ, 0, handle_periods_get, NULL },

	{ "GET", "/v1/stages", READ, 0, handle_stages_get, NULL },
	{ "PUT", "/v1/stages", ADMIN, 0, handle_stages_put, NULL },

	{ "GET", "/v1/deals", READ, DASHBOARD, handle_deals_list, q_deals },
	{ "POST", "/v1/deals", DEAL_WRITERS, 0, handle_deals_create, NULL },
	{ "POST", "/v1/deals/bulk", BULK_WRITERS, R_BULK | R_EXPENSIVE, handle_deals_bulk, q_bulk },
	{ "GET", "/v1/deals/{deal_id}", READ, 0, handle_deals_get, NULL },
	{ "PATCH", "/v1/deals/{deal_id}", DEAL_WRITERS, 0, handle_deals_patch, NULL },
	{ "DELETE", "/v1/deals/{deal_id}", DEAL_WRITERS, 0, handle_deals_delete, NULL },
	{ "GET", "/v1/deals/{deal_id}/history", READ, 0, handle_deals_history, q_page },

	/* the literal paths before /v1/leads/{lead_id} */
	{ "GET", "/v1/leads", READ, DASHBOARD, handle_leads_list, q_leads },
	{ "POST", "/v1/leads", LEAD_WRITERS, 0, handle_leads_create, NULL },
	{ "POST", "/v1/leads/bulk", LEAD_SYNC, R_BULK | R_EXPENSIVE, handle_leads_bulk, q_leads_bulk },
	{ "POST", "/v1/leads/score", READ, R_EXPENSIVE | R_NOTX, handle_leads_score, NULL },
	{ "GET", "/v1/leads/funnel", READ, R_EXPENSIVE, handle_leads_funnel, q_funnel },
	{ "GET", "/v1/leads/{lead_id}", READ, 0, handle_leads_get, NULL },
	{ "PATCH", "/v1/leads/{lead_id}", LEAD_WRITERS, 0, handle_leads_patch, NULL },
	{ "DELETE", "/v1/leads/{lead_id}", LEAD_WRITERS, 0, handle_leads_delete, NULL },
	{ "POST", "/v1/leads/{lead_id}/convert", LEAD_WRITERS, 0, handle_leads_convert, NULL },

	{ "GET", "/v1/lead-scoring/models/{segment}", READ, 0, handle_lead_models_get, NULL },
	{ "PUT", "/v1/lead-scoring/models/{segment}", ADMIN, 0, handle_lead_models_put, NULL },
	{ "POST", "/v1/lead-scoring/models/{segment}/train", ADMIN, 0, handle_lead_models_train, NULL },
	{ "GET", "/v1/lead-scoring/jobs/{id}", ADMIN, 0, handle_lead_jobs_get, NULL },
	{ "GET", "/v1/lead-scoring/models/{segment}/evaluation", READ, R_EXPENSIVE, handle_lead_models_evaluation, NULL },

	{ "GET", "/v1/quotas", READ, DASHBOARD, handle_quotas_list, q_quotas },
	{ "POST", "/v1/quotas", QUOTA_WRITERS, 0, handle_quotas_create, NULL },
	{ "GET", "/v1/quotas/{quota_id}", READ, 0, handle_quotas_get, NULL },
	{ "PATCH", "/v1/quotas/{quota_id}", QUOTA_WRITERS, 0, handle_quotas_patch, NULL },
	{ "PUT", "/v1/quotas/{quota_id}", QUOTA_WRITERS, 0, handle_quotas_put, NULL },
	{ "DELETE", "/v1/quotas/{quota_id}", QUOTA_WRITERS, 0, handle_quotas_delete, NULL },
	{ "GET", "/v1/quotas/{quota_id}/history", READ, 0, handle_quotas_history, q_page },
	{ "POST", "/v1/quotas/{quota_id}/split", QUOTA_WRITERS, 0, handle_quotas_split, NULL },
	{ "GET", "/v1/quota-suggestions", READ, R_EXPENSIVE, handle_quota_suggestions, q_suggest },
	{ "GET", "/v1/teams/{team_id}/quota", READ, R_EXPENSIVE, handle_team_quota, q_team_quota },
	{ "POST", "/v1/teams/{team_id}/quota-allocations", QUOTA_WRITERS, R_EXPENSIVE, handle_quota_allocations, NULL },
	{ "GET", "/v1/teams/{team_id}/quota-coverage", READ, R_EXPENSIVE, handle_quota_coverage, q_team_quota },
	{ "GET", "/v1/performance", READ, DASHBOARD, handle_performance, q_performance },
	{ "GET", "/v1/performance/leaderboard", READ, DASHBOARD, handle_performance_leaderboard, q_leaderboard },
	{ "GET", "/v1/performance/distribution", READ, DASHBOARD, handle_performance_distribution, q_distribution },
	{ "GET", "/v1/performance/trend", READ, DASHBOARD, handle_performance_trend, q_trend },
	{ "GET", "/v1/performance/scorecard", READ, R_EXPENSIVE | DASHBOARD, handle_performance_scorecard, q_scorecard },
	{ "GET", "/v1/forecasts", READ, DASHBOARD, handle_forecasts, q_forecasts },
	{ "POST", "/v1/forecasts/submissions", READ, 0, handle_forecast_submit, NULL },
	{ "GET", "/v1/forecasts/submissions", READ, 0, handle_forecast_submissions, q_submissions },
	{ "PUT", "/v1/forecasts/adjustments", READ, 0, handle_forecast_adjust, NULL },
	{ "GET", "/v1/forecasts/adjustments", READ, 0, handle_forecast_adjustments, q_submissions },
	{ "POST", "/v1/forecasts/snapshots", READ, 0, handle_forecast_snapshot, NULL },
	{ "GET", "/v1/forecasts/snapshots", READ, 0, handle_forecast_snapshots, q_submissions },
	{ "GET", "/v1/forecasts/accuracy", READ, R_EXPENSIVE | DASHBOARD, handle_forecast_accuracy, q_accuracy },
	{ "GET", "/v1/forecasts/projection", READ, R_EXPENSIVE | DASHBOARD, handle_forecast_projection, q_projection },
	{ "POST", "/v1/forecasts/projection", READ, R_EXPENSIVE | R_NOTX, handle_forecast_project, NULL },
};
const int api_routes_count = sizeof api_routes / sizeof api_routes[0];
