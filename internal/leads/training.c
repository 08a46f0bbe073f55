#include "leads/training.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leads/discovery.h"
#include "leads/fit.h"
#include "leads/gbt.h"
#include "leads/metrics.h"
#include "leads/model_internal.h"

bool
training_in_holdout(int64_t id, int holdout_pct)
{
	return model_splitmix64((uint64_t)id) % 100 < (uint64_t)holdout_pct;
}

static json_t *
pct(double fraction)
{
	return isfinite(fraction) ? json_real(round(fraction * 10000) / 100) : json_null();
}

static json_t *
metric(double x)
{
	return isfinite(x) ? json_real(round(x * 1e6) / 1e6) : json_null();
}

struct holdout {
	double *p;        /* owned */
	unsigned char *y; /* owned */
	size_t n;
	size_t grade_count[4];
	size_t grade_converted[4];
};

/* Predict every holdout lead with the evaluation model, and grade it. */
static enum status
predict_holdout(const struct score_model *rules, struct model *m, const struct lead_source *src,
                const unsigned char *use, const unsigned char *y, cal_date today, struct holdout *h)
{
	struct score_model blended = *rules;
	struct score_result *res = malloc(sizeof *res);
	enum status st = ST_OK;

	if (!res)
		return ST_NOMEM;
	blended.predictive = m;
	for (size_t i = 0; i < src->n && st == ST_OK; i++) {
		struct lead l;
		if (use[i])
			continue;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		score_lead(&blended, &l, today, res);
		h->p[h->n] = res->probability;
		h->y[h->n++] = y[i];
		h->grade_count[res->grade - 'A']++;
		h->grade_converted[res->grade - 'A'] += y[i];
		src->release(src->ctx, i);
	}
	free(res);
	return st;
}

static int
by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * The grade cut-offs of model m (rules blended with it): kept fixed when the
 * fixed 80, 60, 40 give each grade at least GRADE_MIN_SHARE of the train
 * leads' scores; else the scores' quantiles (GRADE_QUANTILES: A the top
 * 10 %, B the next 20 %, C the next 30 %), made strictly decreasing within
 * 1..100. Written to m->grade_cut (zero = fixed); *derived says which.
 */
#define GRADE_MIN_SHARE 0.05
static const double GRADE_QUANTILES[3] = {0.90, 0.70, 0.40};

static enum status
grade_cutoffs(const struct score_model *rules, struct model *m, const struct lead_source *src,
              const unsigned char *train, cal_date today)
{
	struct score_model blended = *rules;
	struct score_result *res = malloc(sizeof *res);
	int *scores = malloc((src->n + 1) * sizeof *scores);
	size_t n = 0, fixed[4] = {0};
	enum status st = ST_OK;

	if (!res || !scores) {
		free(res);
		free(scores);
		return ST_NOMEM;
	}
	blended.predictive = m;
	m->grade_cut[0] = m->grade_cut[1] = m->grade_cut[2] = 0;
	for (size_t i = 0; i < src->n; i++) {
		struct lead l;
		if (!train[i])
			continue;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		score_lead(&blended, &l, today, res);
		src->release(src->ctx, i);
		scores[n++] = res->score;
		fixed[res->grade - 'A']++;
	}
	bool spread = true;
	for (int g = 0; g < 4; g++)
		spread &= (double)fixed[g] >= GRADE_MIN_SHARE * (double)n;
	if (st == ST_OK && n > 0 && !spread) {
		qsort(scores, n, sizeof *scores, by_int);
		int cut[3];
		for (int g = 0; g < 3; g++)
			cut[g] = scores[(size_t)(GRADE_QUANTILES[g] * (double)n)];
		/* strictly decreasing, each grade reachable: C >= 1, B > C, A > B, A <= 100 */
		cut[2] = cut[2] < 1 ? 1 : cut[2] > 98 ? 98 : cut[2];
		cut[1] = cut[1] <= cut[2] ? cut[2] + 1 : cut[1] > 99 ? 99 : cut[1];
		cut[0] = cut[0] <= cut[1] ? cut[1] + 1 : cut[0] > 100 ? 100 : cut[0];
		memcpy(m->grade_cut, cut, sizeof cut);
	}
	free(res);
	free(scores);
	return st;
}

static json_t *
evaluation_json(const struct holdout *h, size_t n_train, size_t n1, size_t n0, double alpha, int columns)
{
	struct metrics_calibration_bin bins[10];
	int nb;
	json_t *cal = json_array(), *grades = json_array();

	/* out of memory, the calibration is left empty, as it always has been */
	if (metrics_calibration(h->p, h->y, h->n, 10, bins, &nb) != ST_OK)
		nb = 0;

	for (int b = 0; cal && b < nb; b++)
		json_array_append_new(cal, json_pack("{s:i,s:I,s:o,s:o}", "decile", b + 1, "count",
		                                     (json_int_t)bins[b].count, "predicted_pct",
		                                     pct(bins[b].predicted), "observed_pct",
		                                     pct(bins[b].observed)));
	for (int g = 0; grades && g < 4; g++) {
		char grade[2] = {(char)('A' + g), '\0'};
		json_array_append_new(
		    grades,
		    json_pack("{s:s,s:I,s:I,s:o}", "grade", grade, "count", (json_int_t)h->grade_count[g],
		              "converted", (json_int_t)h->grade_converted[g], "conversion_rate_pct",
		              h->grade_count[g]
		                  ? pct((double)h->grade_converted[g] / (double)h->grade_count[g])
		                  : json_null()));
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:f,s:i,s:o,s:o}", "auc",
	                 metric(metrics_auc(h->p, h->y, h->n)), "brier",
	                 metric(metrics_brier(h->p, h->y, h->n)), "log_loss",
	                 metric(metrics_log_loss(h->p, h->y, h->n)), "base_rate_pct",
	                 pct((double)n1 / (double)(n1 + n0)), "n_train", (json_int_t)n_train, "n_holdout",
	                 (json_int_t)h->n, "n_converted", (json_int_t)n1, "n_unconverted", (json_int_t)n0,
	                 "alpha", alpha, "columns", columns, "calibration", cal, "by_grade", grades);
}

/* {A, B, C, derived}: the lowest score of each grade, and whether the training derived them. */
static json_t *
cutoffs_json(const struct model *m)
{
	int cut[3] = {80, 60, 40};
	bool derived = model_grade_cutoffs(m, cut);

	return json_pack("{s:i,s:i,s:i,s:b}", "A", cut[0], "B", cut[1], "C", cut[2], "derived", derived);
}

/* Seconds on the monotonic clock: how long a fit took, for the evaluation only. */
static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One learner's figures on the holdout. */
struct learner_result {
	struct model *eval, *final; /* owned */
	double auc, brier, log_loss, fit_seconds;
	int rounds; /* trees: the rounds early stopping kept */
};

static void
holdout_reset(struct holdout *h)
{
	h->n = 0;
	memset(h->grade_count, 0, sizeof h->grade_count);
	memset(h->grade_converted, 0, sizeof h->grade_converted);
}

/* The holdout figures of r->eval; h is scratch (its predictions, left in it). */
static enum status
measure(struct learner_result *r, const struct score_model *rules, const struct lead_source *src,
        const unsigned char *train, const unsigned char *y, cal_date today, struct holdout *h)
{
	holdout_reset(h);
	enum status st = predict_holdout(rules, r->eval, src, train, y, today, h);

	r->auc = metrics_auc(h->p, h->y, h->n);
	r->brier = metrics_brier(h->p, h->y, h->n);
	r->log_loss = metrics_log_loss(h->p, h->y, h->n);
	return st;
}

/* {learner, serving, auc, brier, log_loss, fit_seconds, alpha | rounds}. */
static json_t *
learner_json(const struct learner_result *r, bool serving, double alpha)
{
	json_t *o = json_pack("{s:s,s:b,s:o,s:o,s:o,s:f}", "learner", model_learner(r->eval), "serving", serving,
	                      "auc", metric(r->auc), "brier", metric(r->brier), "log_loss", metric(r->log_loss),
	                      "fit_seconds", round(r->fit_seconds * 1000) / 1000);

	if (o && json_object_set_new(o, r->eval->trees ? "rounds" : "alpha",
	                             r->eval->trees ? json_integer(r->rounds) : json_real(alpha)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Trees beside the logistic model lr (on its columns), fitted into *t (the
 * fit time with them). ST_OK, with t->eval NULL when the trees cannot be fitted on these
 * columns (the logistic model then serves alone); ST_NOMEM; or src->get's.
 */
static enum status
fit_trees(const struct learner_result *lr, const struct lead_source *src, const unsigned char *train,
          const unsigned char *y, struct learner_result *t)
{
	struct gbt_options go = gbt_default_options();
	struct gbt *te = NULL, *tf = NULL;
	double t0 = seconds_now();
	enum status st = gbt_train(lr->eval, src, train, y, &go, &te, &tf, &t->rounds);

	if (st == ST_INVALID)
		return ST_OK;
	if (st != ST_OK)
		return st;
	t->fit_seconds = seconds_now() - t0;
	if (!(t->eval = model_clone(lr->eval)) || !(t->final = model_clone(lr->final))) {
		gbt_free(te);
		gbt_free(tf);
		return ST_NOMEM;
	}
	t->eval->trees = te;
	t->final->trees = tf;
	return ST_OK;
}

enum status
training_run(const struct score_model *rules, const struct lead_source *src, const struct training_options *o,
             cal_date today, struct model **model, json_t **evaluation, char *why, size_t whylen)
{
	unsigned char *y = calloc(src->n + 1, 1), *train = calloc(src->n + 1, 1);
	struct holdout h = {0};
	struct learner_result lr = {0}, tr = {0};
	struct model *eval = NULL, *final = NULL; /* the serving learner's, borrowed */
	size_t n1 = 0, n1_train = 0, n_train = 0;
	double alpha = o->alpha > 0 ? o->alpha : 0;
	enum status st = ST_NOMEM;
	int holdout_pct = o->holdout_pct < 5 ? 5 : o->holdout_pct > 50 ? 50 : o->holdout_pct;

	if (!y || !train)
		goto out;
	for (size_t i = 0; i < src->n; i++) {
		struct lead l;
		if (src->ids && src->converted) {
			y[i] = src->converted[i] != 0;
			train[i] = !training_in_holdout(src->ids[i], holdout_pct);
		} else {
			if ((st = src->get(src->ctx, i, &l)) != ST_OK)
				goto out;
			y[i] = l.status && strcmp(l.status, "converted") == 0;
			train[i] = !training_in_holdout(l.id, holdout_pct);
			src->release(src->ctx, i);
		}
		n1 += y[i];
		n_train += train[i];
		n1_train += y[i] && train[i];
	}
	size_t n0 = src->n - n1, min = o->min_per_class > 0 ? (size_t)o->min_per_class : 1;
	if (n1 < min || n0 < min || n1_train < 2 || n_train - n1_train < 2 || n_train == src->n) {
		snprintf(
		    why, whylen,
		    "training needs at least %zu converted and %zu disqualified closed leads of the segment; "
		    "there are %zu and %zu",
		    min, min, n1, n0);
		st = ST_UNPROCESSABLE;
		goto out;
	}
	h.p = calloc(src->n - n_train + 1, sizeof *h.p);
	h.y = calloc(src->n - n_train + 1, 1);
	if (!h.p || !h.y) {
		st = ST_NOMEM;
		goto out;
	}
	double t0 = seconds_now();
	if ((st = fit_models(src, train, y, &alpha, &lr.eval, &lr.final)) != ST_OK)
		goto out;
	lr.fit_seconds = seconds_now() - t0;
	eval = lr.eval;
	final = lr.final;
	if (final->ncols == 0) {
		snprintf(why, whylen,
		         "nothing to learn from: no field or attribute of the segment's closed leads varies "
		         "on at least "
		         "%zu of them",
		         discovery_min_count(n_train));
		st = ST_UNPROCESSABLE;
		goto out;
	}
	/* the trees beside, on the same split; the learner of the lower holdout log-loss serves */
	if (o->trees) {
		if ((st = fit_trees(&lr, src, train, y, &tr)) != ST_OK ||
		    (st = measure(&lr, rules, src, train, y, today, &h)) != ST_OK ||
		    (tr.eval && (st = measure(&tr, rules, src, train, y, today, &h)) != ST_OK))
			goto out;
		holdout_reset(&h);
		if (tr.eval && tr.log_loss < lr.log_loss) {
			eval = tr.eval;
			final = tr.final;
		}
	}
	/* the base rate and the grade cut-offs of the train leads, for both models */
	eval->base_rate = final->base_rate = (double)n1 / (double)src->n;
	if ((st = grade_cutoffs(rules, eval, src, train, today)) != ST_OK)
		goto out;
	memcpy(final->grade_cut, eval->grade_cut, sizeof eval->grade_cut);
	if ((st = predict_holdout(rules, eval, src, train, y, today, &h)) != ST_OK)
		goto out;
	size_t h1 = 0;
	for (size_t i = 0; i < h.n; i++)
		h1 += h.y[i];
	if (h1 == 0 || h1 == h.n) {
		snprintf(
		    why, whylen,
		    "the model cannot be evaluated: its holdout (%zu leads) has leads of one outcome only",
		    h.n);
		st = ST_UNPROCESSABLE;
		goto out;
	}
	json_t *ev = evaluation_json(&h, n_train, n1, n0, alpha, final->ncols);
	if (ev && (json_object_set_new(ev, "grade_cutoffs", cutoffs_json(final)) != 0 ||
	           json_object_set_new(ev, "learner", json_string(model_learner(final))) != 0)) {
		json_decref(ev);
		ev = NULL;
	}
	if (ev && o->trees) {
		json_t *learners = json_array();
		bool trees_serve = final->trees != NULL;
		char reason[200];
		if (tr.eval)
			snprintf(reason, sizeof reason, "the lower log-loss on the holdout: %.6f against %.6f",
			         trees_serve ? tr.log_loss : lr.log_loss, trees_serve ? lr.log_loss : tr.log_loss);
		else
			snprintf(reason, sizeof reason, "%s", "the only learner: trees cannot be fitted on these columns");
		if (learners && (json_array_append_new(learners, learner_json(&lr, !trees_serve, alpha)) != 0 ||
		                 (tr.eval && json_array_append_new(learners, learner_json(&tr, trees_serve, alpha)) != 0))) {
			json_decref(learners);
			learners = NULL;
		}
		if (!learners || json_object_set_new(ev, "learners", learners) != 0 ||
		    json_object_set_new(ev, "serving_reason", json_string(reason)) != 0) {
			json_decref(ev);
			ev = NULL;
		}
	}
	if (!ev) {
		st = ST_NOMEM;
		goto out;
	}
	*evaluation = ev;
	*model = model_ref(final);
out:
	model_free(lr.eval);
	model_free(lr.final);
	model_free(tr.eval);
	model_free(tr.final);
	free(y);
	free(train);
	free(h.p);
	free(h.y);
	return st;
}
