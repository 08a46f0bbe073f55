/*
 * score.h — lead scoring: weighted rules (fit), the BANT judgement and gate,
 * and the blend with the learned probability (DESIGN §7 "Leads"). Pure: no I/O.
 *
 * The score (an integer 0..100) is built so that every part of it can be
 * shown in points:
 *
 *   1. Each rule that matches the lead gives its points (negative allowed)
 *      to its group. A group with a cap contributes at most the cap: when
 *      its total exceeds the cap, each of its rules is scaled by
 *      cap / total.
 *   2. fit = the sum over groups, clamped to 0..100 (a total above 100 scales
 *      every rule by 100 / total; a total at or below 0 makes fit 0 and every
 *      rule's contribution 0).
 *   3. fit_coverage c (0..1) says how much the rules could judge: the sum of
 *      |points| of the rules the lead's fields let be judged (its field is
 *      not null, or the rule is `exists`) over the sum of |points| of all
 *      rules (0 without rules). A rule on a missing field neither adds nor
 *      subtracts. Without a trained model, score = fit. With one
 *      (probability p, in 0..1) and the model's predicted_weight w0, the
 *      rules weigh (1 - w0) * c and are judged on what is known (fit / c),
 *      the model takes the rest, W = 1 - (1 - w0) * c:
 *          score = (1 - w0) * fit + W * 100 * p
 *      so c = 1 is the plain blend (1 - w0) * fit + w0 * 100 * p, and c = 0
 *      (nothing the rules ask is known) gives 100 * p. Each rule contributes
 *      (1 - w0) times its part of fit, the prediction W * 100 * p points.
 *   4. score = the exact sum rounded to the nearest integer. The reported
 *      contributions are the exact parts scaled by score / exact sum (which
 *      spreads the rounding, less than half a point, in proportion), then
 *      rounded to hundredths by largest remainder, so that they add up
 *      exactly to the score.
 *
 * Grade: A when score >= 80, B >= 60, C >= 40, D otherwise; a trained model
 * may carry cut-offs derived at its training instead (training.h), which
 * then grade every score made with it.
 * BANT: each of budget, authority, need and timeline is unknown (the field
 * is null), no, partial or yes by the model's criteria; the lead passes the
 * gate when every criterion the model requires is partial or yes.
 * Suggested status: qualified when score >= thresholds.qualified and the
 * gate passes; else nurture when score >= thresholds.nurture; else
 * disqualified when score < thresholds.disqualified (by default the same as
 * nurture); else new (between the two: keep working it). A lead whose
 * probability is at least twice the model's base rate (the share of its
 * training leads that converted) is never disqualified: nurture instead.
 */
#ifndef ATTAIN_LEADS_SCORE_H
#define ATTAIN_LEADS_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "leads/lead.h"
#include "leads/model.h"

#define SCORE_MAX_RULES 200
#define SCORE_MAX_IN 100      /* values of one `in` rule */
#define SCORE_ID_MAX 64       /* rule ids and group names */
#define SCORE_MAX_DAYS 3650   /* within_days and the BANT timeline */
#define SCORE_TOP_FACTORS 5

enum rule_op {
	OP_EQ,
	OP_NE,
	OP_IN,
	OP_GT,
	OP_GTE,
	OP_LT,
	OP_LTE,
	OP_BETWEEN,
	OP_CONTAINS,
	OP_EXISTS,
	OP_WITHIN_DAYS,
};
/* The operator names, NULL-terminated, in enum order. */
extern const char *const score_ops[];

/* One operand of a rule, typed for the rule's field. */
struct rule_value {
	enum lead_value_type type; /* LV_TEXT, LV_NUMBER, LV_BOOL, LV_DATE, LV_ORDINAL */
	const char *text;          /* borrowed from the rule's value JSON */
	double number;
	int64_t cents;             /* money fields: the exact amount */
	bool flag;
	cal_date date;
	int ordinal;
	long long days;            /* within_days */
};

struct score_rule {
	char id[SCORE_ID_MAX + 1];
	struct lead_field_ref field;
	enum rule_op op;
	json_t *value;             /* owned reference: the value as given */
	struct rule_value *values; /* owned: 1, 2 (between) or n (in) operands */
	size_t nvalues;
	int points;                /* -100..100 */
	int group;                 /* index in groups, -1 = none (never capped) */
};

struct score_group {
	char name[SCORE_ID_MAX + 1];
	bool has_cap;
	int cap; /* 0..100 */
};

enum bant_criterion { BANT_BUDGET, BANT_AUTHORITY, BANT_NEED, BANT_TIMELINE, BANT_N };
enum bant_level { BANT_UNKNOWN = 0, BANT_NO, BANT_PARTIAL, BANT_YES };
extern const char *const bant_criteria[]; /* budget, authority, need, timeline */
extern const char *const bant_levels[];   /* unknown, no, partial, yes */

/*
 * How each BANT criterion is judged. budget: yes >= budget_yes, partial >=
 * budget_partial. authority and need: yes / partial when the value is in the
 * set (bit i = the enum's value i). timeline: days from today to the
 * expected purchase: yes within 0..timeline_yes_days, partial within
 * 0..timeline_partial_days; a past date is no.
 */
struct bant_config {
	bool required[BANT_N];
	int64_t budget_yes;
	int64_t budget_partial;
	unsigned authority_yes;
	unsigned authority_partial;
	unsigned need_yes;
	unsigned need_partial;
	int timeline_yes_days;
	int timeline_partial_days;
};

/* A segment's scoring model. */
struct score_model {
	struct score_rule *rules; /* owned */
	size_t nrules;
	struct score_group *groups; /* owned */
	size_t ngroups;
	int qualified; /* thresholds, 0..100, disqualified <= nurture < qualified */
	int nurture;
	int disqualified;
	struct bant_config bant;
	double predicted_weight;     /* 0..1 */
	struct model *predictive;    /* owned; NULL until a model is trained */
	int trained_version;         /* the training that made `predictive` (1, 2, ...); 0 without */
};

/* A definition's problems reported at most: the rest are counted, not listed. */
#define SCORE_MAX_ISSUES 50

/*
 * Read and check a whole model definition: {rules, group_caps?, thresholds,
 * bant, predicted_weight?}. Every problem is added to e, named by its path:
 * "rules[3].field" (unknown field), "rules[3].op" (operator not valid for
 * the field's type), "rules[3].value" (wrong type or value), "thresholds.
 * nurture", "bant.budget.partial", ... (the first SCORE_MAX_ISSUES of them;
 * a path is cut at 95 bytes, a message at 159). ST_OK with *out filled
 * (release with score_model_clear; it holds its own references to parts of
 * def); ST_INVALID when it added issues; ST_NOMEM. Except on ST_OK, *out is
 * untouched.
 */
enum status score_model_parse(json_t *def, struct score_model *out, struct issues *e);
/* The definition as canonical JSON (new reference; NULL on OOM). */
json_t *score_model_to_json(const struct score_model *m);
/* Release what the model owns (predictive included); accepts a zeroed model. */
void score_model_clear(struct score_model *m);

/* Whether rule r matches lead l on `today`. */
bool score_rule_matches(const struct score_rule *r, const struct lead *l, cal_date today);
/* Judge one BANT criterion. */
enum bant_level score_bant_judge(const struct bant_config *b, enum bant_criterion c, const struct lead *l,
				 cal_date today);
/* The grade letter of a score: 'A' >= 80, 'B' >= 60, 'C' >= 40, else 'D'. */
char score_grade(int score);
/* The same with cut-offs cut[0] > cut[1] > cut[2] (the lowest score of A, B and C). */
char score_grade_cut(int score, const int cut[3]);

struct score_part {
	int rule;       /* index in the model's rules */
	long points_c;  /* contribution in hundredths of a point */
};

struct score_result {
	int score;
	char grade;
	enum bant_level bant[BANT_N];
	bool bant_passes;
	const char *suggested_status; /* static */
	double fit;                   /* 0..100, before blending */
	double fit_coverage;          /* 0..1: the share of the rules' points that could be judged */
	double weight;                /* the model's weight W in the score (0 without a model) */
	bool has_probability;
	double probability;           /* 0..1 */
	long predicted_c;             /* hundredths of a point */
	size_t nparts;
	struct score_part parts[SCORE_MAX_RULES]; /* the rules that matched, in model order */
	int nfactors;
	struct model_factor factors[SCORE_TOP_FACTORS];
};

/* Score lead l with model m as of `today` (never fails). */
void score_lead(const struct score_model *m, const struct lead *l, cal_date today, struct score_result *out);
/* {"budget": "yes", ..., "passes": true} (new reference; NULL on OOM). */
json_t *score_bant_json(const struct score_result *r);
/*
 * {"fit", "fit_coverage", "rules": [{rule_id, field, group, points, raw_points}],
 *  "predicted": null | {points, probability, weight, top_factors:
 *  [{feature, value, contribution}], trained_version, learner}} (new reference; NULL
 *  on OOM).
 */
json_t *score_breakdown_json(const struct score_model *m, const struct score_result *r);

#endif
