#include "deals/credit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

static int
by_person(const void *a, const void *b)
{
	int64_t x = ((const struct deal_split *)a)->person_id, y = ((const struct deal_split *)b)->person_id;

	return (x > y) - (x < y);
}

void
deal_splits_sort(struct deal_split *splits, size_t n)
{
	if (n > 1)
		qsort(splits, n, sizeof *splits, by_person);
}

enum status
deal_splits_check(const struct deal_split *splits, size_t n, const char **why, int *bad)
{
	int64_t sum = 0;
	int ignored;

	if (!bad)
		bad = &ignored;
	*bad = -1;
	if (n == 0)
		return ST_OK;
	if (n > DEAL_MAX_SPLITS) {
		*why = "at most 50 splits";
		return ST_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		if (splits[i].person_id <= 0) {
			*why = "must be a person id";
			*bad = (int)i;
			return ST_INVALID;
		}
		if (splits[i].percent <= 0 || splits[i].percent > DEAL_PERCENT_WHOLE) {
			*why = "must be greater than 0 and at most 100";
			*bad = (int)i;
			return ST_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (splits[j].person_id == splits[i].person_id) {
				*why = "a person may hold only one split";
				*bad = (int)i;
				return ST_INVALID;
			}
		sum += splits[i].percent;
	}
	if (sum != DEAL_PERCENT_WHOLE) {
		*why = "the percents must sum to exactly 100";
		return ST_INVALID;
	}
	return ST_OK;
}

/* Largest remainder first; ties to the lower person id (the rule's order). */
struct share {
	int64_t person_id;
	int32_t percent;
	int64_t floor_cents;
	int32_t remainder; /* of amount_cents × percent / 10000, in 1/10000 cent */
	bool extra;
};

static int
by_remainder(const void *a, const void *b)
{
	const struct share *x = a, *y = b;

	if (x->remainder != y->remainder)
		return x->remainder > y->remainder ? -1 : 1;
	return (x->person_id > y->person_id) - (x->person_id < y->person_id);
}

static int
share_by_person(const void *a, const void *b)
{
	int64_t x = ((const struct share *)a)->person_id, y = ((const struct share *)b)->person_id;

	return (x > y) - (x < y);
}

enum status
deal_credit_split(int64_t amount_cents, int64_t owner_id, const struct deal_split *splits, size_t n,
		  struct deal_credit *out, size_t *nout)
{
	struct share shares[DEAL_MAX_SPLITS];
	const char *why;
	int64_t given = 0;

	if (amount_cents < 0 || amount_cents > MONEY_MAX_CENTS ||
	    deal_splits_check(splits, n, &why, NULL) != ST_OK)
		return ST_INVALID;
	if (n == 0) {
		out[0] = (struct deal_credit){ .person_id = owner_id, .percent = DEAL_PERCENT_WHOLE,
					       .cents = amount_cents };
		*nout = 1;
		return ST_OK;
	}
	for (size_t i = 0; i < n; i++) {
		/* amount_cents <= 1e14 and percent <= 1e4: the product fits in int64 */
		int64_t exact = amount_cents * splits[i].percent;
		shares[i] = (struct share){ .person_id = splits[i].person_id,
					    .percent = splits[i].percent,
					    .floor_cents = exact / DEAL_PERCENT_WHOLE,
					    .remainder = (int32_t)(exact % DEAL_PERCENT_WHOLE) };
		given += shares[i].floor_cents;
	}
	qsort(shares, n, sizeof *shares, by_remainder);
	/* the percents sum to 100 %, so fewer than n cents are left over */
	for (int64_t left = amount_cents - given, i = 0; i < left; i++)
		shares[i].extra = true;
	qsort(shares, n, sizeof *shares, share_by_person);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct deal_credit){ .person_id = shares[i].person_id, .percent = shares[i].percent,
					       .cents = shares[i].floor_cents + (shares[i].extra ? 1 : 0) };
	*nout = n;
	return ST_OK;
}
