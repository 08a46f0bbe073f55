/*
 * stage.h — the pipeline's stages and the rules that tie a deal to them
 * (DESIGN §7 "Pipeline"). Pure: no I/O.
 *
 * An org has one ordered list of stages. Each carries the default
 * probability and forecast category a deal takes when it enters the stage,
 * and whether the stage closes a deal as won or lost. A deal stores its
 * effective probability and forecast category: fixed when it is created or
 * changes stage (the stage's defaults unless the write gives them), kept
 * otherwise, so changing a stage's defaults never rewrites existing deals.
 */
#ifndef ATTAIN_DEALS_STAGE_H
#define ATTAIN_DEALS_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/issue.h"
#include "core/status.h"

#define STAGE_MAX 50
#define STAGE_KEY_MAX 40

struct stage {
	char key[STAGE_KEY_MAX + 1];
	const char *name; /* borrowed; NULL when loaded only to check deals */
	int probability;  /* 0..100 */
	char forecast_category[12];
	bool is_won;
	bool is_lost;
};

struct stage_list {
	struct stage items[STAGE_MAX];
	int n;
	int version;
};

/* The forecast categories, NULL-terminated, in roll-up order (static). */
extern const char *const stage_forecast_categories[];

/* True when key is ^[a-z][a-z0-9_]{0,39}$. */
bool stage_key_valid(const char *key);

/*
 * Check a whole list: 1..STAGE_MAX stages, valid distinct keys, probability
 * 0..100, a known forecast category, not both won and lost, won ⇒
 * probability 100, lost ⇒ 0, at least one won and one lost stage. ST_OK,
 * or ST_INVALID with every problem added to e, each naming its field as
 * the body of PUT /v1/stages has it: "items[2].key", or "items" for the
 * list as a whole.
 */
enum status stage_list_check(const struct stage_list *l, struct issues *e);

/* Why a stage key is refused that the org's list does not have. */
#define STAGE_UNKNOWN "no such stage (see GET /v1/stages)"

/* The stage with `key`, NULL when the list has none. */
const struct stage *stage_find(const struct stage_list *l, const char *key);

/* "won", "lost" or "open": the status of a deal in stage s. */
const char *stage_status(const struct stage *s);

/*
 * The probability a deal must have in stage s when it is given explicitly:
 * NULL when `probability` is fine, else why not (won stages need 100, lost
 * stages 0).
 */
const char *stage_probability_conflict(const struct stage *s, int probability);

#endif
