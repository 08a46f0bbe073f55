/*
 * credit_tool.c — deal_credit_split (internal/deals/credit) on stdin, for the
 * integration test that checks it against the SQL view deal_credits.
 *
 * Each input line: DEAL AMOUNT_CENTS OWNER N [PERSON PERCENT_HUNDREDTHS]×N.
 * Each output line: DEAL PERSON PERCENT_HUNDREDTHS CREDIT_CENTS, one per
 * holder. Exit 1 on malformed input or a refused deal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "deals/credit.h"

int
main(void)
{
	long long deal, amount, owner;
	size_t n;

	while (scanf("%lld %lld %lld %zu", &deal, &amount, &owner, &n) == 4) {
		struct deal_split s[DEAL_MAX_SPLITS];
		struct deal_credit out[DEAL_MAX_SPLITS];
		size_t nout = 0;

		if (n > DEAL_MAX_SPLITS)
			return 1;
		for (size_t i = 0; i < n; i++) {
			long long person;
			int percent;
			if (scanf("%lld %d", &person, &percent) != 2)
				return 1;
			s[i] = (struct deal_split){ .person_id = person, .percent = percent };
		}
		if (deal_credit_split(amount, owner, s, n, out, &nout) != ST_OK)
			return 1;
		for (size_t i = 0; i < nout; i++)
			printf("%lld %" PRId64 " %d %" PRId64 "\n", deal, out[i].person_id, (int)out[i].percent,
			       out[i].cents);
	}
	return 0;
}
