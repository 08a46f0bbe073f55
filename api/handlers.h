/* handlers.h — every route handler (one file per resource). */
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

#endif
