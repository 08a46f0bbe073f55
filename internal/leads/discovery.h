/*
 * discovery.h — which features (feature.h) a model has, decided from the
 * training leads alone (DESIGN §7 "Leads"). Pure: no I/O beyond the lead
 * source.
 *
 *   - The candidates are the lead columns source, industry, authority, need
 *     (categorical), budget, employees, engagement and timeline (numeric),
 *     and every attribute seen; an attribute is numeric when all its values
 *     are numbers (numbers as text too, unless they have fewer than 20
 *     distinct values, like codes), boolean when all are booleans, else
 *     categorical.
 *   - numeric: log1p when never negative and skewed (sample skewness > 1),
 *     then standardised; hinge terms at the quartiles of z; a missing
 *     indicator.
 *   - categorical: one-hot of the levels seen at least min_count times (the
 *     50 most frequent at most), the rest bucketed as "other", and a missing
 *     indicator.
 *   - boolean: true, and a missing indicator.
 *   - crosses: for each pair of the 6 most informative categorical features
 *     (those with at least a quarter of the best one's information gain), an
 *     indicator per pair of levels seen together on min_count leads, the 50
 *     most frequent per pair.
 *   Columns are kept only when they vary and are seen min_count times
 *   (discovery_min_count), 400 at the most.
 */
#ifndef ATTAIN_LEADS_DISCOVERY_H
#define ATTAIN_LEADS_DISCOVERY_H

#include <stddef.h>

#include "core/status.h"
#include "leads/lead.h"
#include "leads/model.h"

/*
 * Discover the features on the leads i of src with train[i] set, whose
 * outcome is y[i] (0 or 1); reads them once or twice. ST_OK with *out a new model
 * (free with model_free) that has the features and their columns, every
 * coefficient and mean 0, and *rows the number of train leads; ST_NOMEM; or
 * the status of src->get. On error *out and *rows are untouched.
 */
enum status discovery_run(const struct lead_source *src, const unsigned char *train, const unsigned char *y,
                          struct model **out, size_t *rows);

/* The fewest leads an indicator column must cover (and leave out) among `rows`: max(10, rows / 500). */
size_t discovery_min_count(size_t rows);

#endif
