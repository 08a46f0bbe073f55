/*
 * fit.h — fitting the model's coefficients (DESIGN §7 "Leads"). Pure: no I/O
 * beyond the lead source.
 *
 * The features are discovered on the train leads (discovery.h), then every
 * lead is encoded once into a sparse design matrix. Fit: L2-penalised
 * log-likelihood (intercept not penalised; a cross column 4 times as much
 * as a main effect), by Newton's method with a line search. The penalty per
 * lead, alpha, is chosen from a fixed grid (0.1 down to 0.0001) by 5-fold
 * cross-validated log-loss, on at most about 10,000 of the train leads.
 */
#ifndef ATTAIN_LEADS_FIT_H
#define ATTAIN_LEADS_FIT_H

#include "core/status.h"
#include "leads/lead.h"
#include "leads/model.h"

/*
 * Fit twice on the leads of src, whose outcomes are y[i] (0 or 1): on the
 * train leads (train[i] set) into *eval, to be measured on the others, and
 * on all into *final, warm started from the first; both share the features
 * discovered on the train leads. *alpha is the penalty per lead; when it is
 * <= 0, the one chosen by cross-validation on the train leads is written
 * to it. ST_OK with *eval and *final new (free each with model_free);
 * ST_NOMEM; or the status of src->get. On error *eval and *final are
 * untouched (*alpha may have been chosen).
 */
enum status fit_models(const struct lead_source *src, const unsigned char *train, const unsigned char *y,
                       double *alpha, struct model **eval, struct model **final);

#endif
