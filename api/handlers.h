/*
 * handlers.h — every route handler (one file per resource). Each answers the
 * route of its name in routes.c as openapi.yaml states it: it reads the
 * request (path, query, body), calls one service function with the caller
 * (internal/<domain>/service.h) and renders the answer through respond.h;
 * it never returns an error code of its own, and frees all it took.
 */
#ifndef ATTAIN_API_HANDLERS_H
#define ATTAIN_API_HANDLERS_H

#include "api/api.h"

void handle_healthz(struct req *r);
void handle_readyz(struct req *r);
void handle_metrics(struct req *r);
void handle_openapi(struct req *r);
void handle_docs(struct req *r);

void handle_org_get(struct req *r);
void handle_org_patch(struct req *r);

void handle_teams_list(struct req *r);
void handle_teams_create(struct req *r);
void handle_teams_get(struct req *r);
void handle_teams_patch(struct req *r);
void handle_teams_delete(struct req *r);

void handle_people_list(struct req *r);
void handle_people_create(struct req *r);
void handle_people_get(struct req *r);
void handle_people_patch(struct req *r);
void handle_people_delete(struct req *r);

void handle_periods_list(struct req *r);
void handle_periods_get(struct req *r);

void handle_stages_get(struct req *r);
void handle_stages_put(struct req *r);

void handle_deals_list(struct req *r);
void handle_deals_create(struct req *r);
void handle_deals_bulk(struct req *r);
void handle_deals_get(struct req *r);
void handle_deals_patch(struct req *r);
void handle_deals_delete(struct req *r);
void handle_deals_history(struct req *r);

void handle_leads_list(struct req *r);
void handle_leads_create(struct req *r);
void handle_leads_bulk(struct req *r);
void handle_leads_score(struct req *r);
void handle_leads_funnel(struct req *r);
void handle_leads_get(struct req *r);
void handle_leads_patch(struct req *r);
void handle_leads_delete(struct req *r);
void handle_leads_convert(struct req *r);

void handle_lead_models_get(struct req *r);
void handle_lead_models_put(struct req *r);
void handle_lead_models_train(struct req *r);
void handle_lead_jobs_get(struct req *r);
void handle_lead_models_evaluation(struct req *r);

void handle_quotas_list(struct req *r);
void handle_quotas_create(struct req *r);
void handle_quotas_get(struct req *r);
void handle_quotas_patch(struct req *r);
void handle_quotas_put(struct req *r);
void handle_quotas_delete(struct req *r);
void handle_quotas_history(struct req *r);
void handle_quotas_split(struct req *r);
void handle_quota_suggestions(struct req *r);
void handle_team_quota(struct req *r);

void handle_performance(struct req *r);
void handle_performance_leaderboard(struct req *r);
void handle_performance_distribution(struct req *r);
void handle_performance_trend(struct req *r);
void handle_performance_scorecard(struct req *r);

void handle_forecasts(struct req *r);
void handle_forecast_submit(struct req *r);
void handle_forecast_submissions(struct req *r);
void handle_forecast_adjust(struct req *r);
void handle_forecast_adjustments(struct req *r);
void handle_forecast_snapshot(struct req *r);
void handle_forecast_snapshots(struct req *r);
void handle_forecast_accuracy(struct req *r);
void handle_forecast_projection(struct req *r);
void handle_forecast_project(struct req *r);

struct perf_scope;
struct issues;
/* "person:ID", "team:ID" or "org" into *s; an issue on "scope" otherwise (api/performance.c). */
void scope_read(const char *text, struct issues *e, struct perf_scope *s);
struct perf_query;
/* scope, period (required), metric, as_of and explain of a performance read into *q (api/performance.c). */
void perf_query_read(struct req *r, struct issues *e, struct perf_query *q);
void handle_quota_allocations(struct req *r);
void handle_quota_coverage(struct req *r);

#endif
