/*
 * credit.h — split credit: who is credited how much of a deal (DESIGN §7).
 *
 * THE rule, the same everywhere: a deal credits each split holder
 * amount × percent / 100; a deal without splits credits its owner 100 %.
 * In cents, each credit is rounded down and the cents left over (fewer than
 * the number of holders) go one each to the holders with the largest
 * remainders, ties to the lower person id, so the credits always sum exactly
 * to the amount. The SQL view deal_credits (migration 0002_pipeline)
 * implements the same rule for every figure computed in the database; the
 * integration tests check the two against each other.
 *
 * Percentages are hundredths of a percent (50.5 % = 5050), so they are exact.
 * Pure: no I/O.
 */
#ifndef ATTAIN_DEALS_CREDIT_H
#define ATTAIN_DEALS_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define DEAL_MAX_SPLITS 50
#define DEAL_PERCENT_WHOLE 10000 /* 100.00 % in hundredths */

struct deal_split {
	int64_t person_id;
	int32_t percent; /* hundredths of a percent, 1..10000 */
};

struct deal_credit {
	int64_t person_id;
	int32_t percent; /* hundredths of a percent */
	int64_t cents;   /* the credited amount */
};

/*
 * Check a split list: 0 or 1..DEAL_MAX_SPLITS entries, each percent in
 * 1..10000, persons positive and distinct, percents summing to exactly
 * 10000. On ST_INVALID, *why (a static sentence) says what is wrong and
 * *bad (may be NULL) the entry it is about (-1 for the list as a whole).
 */
enum status deal_splits_check(const struct deal_split *splits, size_t n, const char **why, int *bad);

/* Sort splits by person id (the stored, canonical order). */
void deal_splits_sort(struct deal_split *splits, size_t n);

/*
 * The credit of a deal of `amount_cents` (>= 0) owned by owner_id with the
 * given splits (n == 0: the owner holds 100 %). Writes one entry per holder
 * into out (room for max(n, 1) entries), in person id order, and their
 * number into *nout. ST_INVALID when the amount is negative or the splits
 * fail deal_splits_check; out and *nout are then untouched.
 */
enum status deal_credit_split(int64_t amount_cents, int64_t owner_id, const struct deal_split *splits,
			      size_t n, struct deal_credit *out, size_t *nout);

#endif
