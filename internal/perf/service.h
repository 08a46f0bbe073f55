/*
 * service.h — the performance operations (DESIGN §7 "Performance"): a
 * scope's figures for a period as of a day.
 *
 * Access (the rule of quota reads, auth/scope.h scope_quota_*): a rep sees
 * their own figures, a manager those of the people and teams of their
 * subtree, execs, admins and services everything; the org's figures need
 * read access to everything. A person or team that is not in the org is
 * ST_NOT_FOUND ("no such person" / "no such team"); one outside what the
 * caller may see ST_FORBIDDEN.
 */
#ifndef ATTAIN_PERF_SERVICE_H
#define ATTAIN_PERF_SERVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "db/db.h"
#include "perf/store.h"
#include "quota/quota.h"

struct perf_query {
	struct perf_scope scope;
	const char *period; /* a period id; checked here (issue on "period") */
	enum quota_metric metric;
	bool has_as_of;
	cal_date as_of; /* with has_as_of; else today in the org's time zone */
	bool explain;   /* list the deals behind achieved and open_pipeline */
};

/* At most this many deals in an explanation (explain_truncated beyond). */
#define PERF_EXPLAIN_MAX 5000

/*
 * The figures of q as JSON into *out (json_decref): the shape of
 * openapi.yaml's Performance. Errors as above; ST_INVALID naming "period".
 */
enum status perf_service_get(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                             struct issues *e);

#endif
