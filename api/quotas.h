/*
 * quotas.h — what the quota handlers (quotas.c: the resource and its audit
 * trail; quota_plans.c: roll-up, allocation, split, suggestions, coverage)
 * share: readers of the inputs common to their requests. They check the
 * shape of a request only (types, enums, period ids); what it names and
 * who may do it are the quota service's (quota/service.h).
 */
#ifndef ATTAIN_API_QUOTAS_H
#define ATTAIN_API_QUOTAS_H

#include <stdbool.h>

#include <jansson.h>

#include "api/api.h"
#include "core/issue.h"
#include "quota/service.h"

/* Strings of the enums, NULL-terminated (for parse_enum / query_enum). */
extern const char *const quota_metrics[];
extern const char *const quota_deal_types[];
extern const char *const quota_segments[];

/*
 * The start of every body reader: every key of body must be in `allowed`
 * and every one of `required` (both NULL-terminated; required may be NULL)
 * present and not null; problems go to e.
 */
void quota_body_fields(json_t *body, const char *const *allowed, const char *const *required,
                       struct issues *e);
/* Whether `text` is a period id; else an issue naming `field` in e. */
bool quota_period_read(const char *text, const char *field, struct issues *e);
/*
 * A body's optional `filter` object {type?, segment?} into *type and
 * *segment (NULL = unfiltered; borrowed from body); *set says whether the
 * body has the key (an object or null). Problems name "filter",
 * "filter.type", ...
 */
void quota_filter_read(json_t *body, struct issues *e, const char **type, const char **segment, bool *set);
/*
 * The query of the planning reads: `period` (required), `metric` (default
 * revenue), `type` and `segment` (the filter) into *spec (strings borrowed
 * from the request). Problems go to e, naming the parameter.
 */
void quota_query_spec(struct req *r, struct issues *e, struct quota_spec *spec);

#endif
