/*
 * deal.h — a deal write as the API hands it over, and the rules that turn it
 * into the stored state (DESIGN §7 "Pipeline"). Pure: no I/O.
 *
 * A create gives every required field; a patch (and a bulk item for an
 * existing deal) only what changes. The stage decides the status; the
 * probability and forecast category are the stage's defaults when a deal is
 * created or changes stage, the given values when the write gives them, and
 * otherwise stay as stored.
 */
#ifndef ATTAIN_DEALS_DEAL_H
#define ATTAIN_DEALS_DEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "deals/credit.h"
#include "deals/stage.h"

/* How a write treats the probability or the forecast category. */
enum deal_mode {
	DEAL_KEEP = 0, /* absent: keep (the stage's default on create or stage change) */
	DEAL_SET,      /* given */
	DEAL_DEFAULT,  /* null: back to the stage's default */
};

/* One write; strings are borrowed (from the request body). */
struct deal_input {
	bool set_external_id;
	const char *external_id;  /* NULL = none */
	const char *name;         /* NULL = unchanged */
	bool set_account;
	const char *account;      /* NULL = none */
	int64_t owner_id;         /* 0 = unchanged */
	const char *segment;      /* NULL = unchanged (create: the owner's) */
	const char *type;         /* NULL = unchanged (create: new_business) */
	bool set_amount;
	int64_t amount;           /* cents */
	const char *stage;        /* NULL = unchanged */
	enum deal_mode probability_mode;
	int probability;          /* with DEAL_SET */
	enum deal_mode forecast_mode;
	const char *forecast_category; /* with DEAL_SET */
	bool set_close_date;
	cal_date close_date;
	bool set_created_on;      /* create without it: today, or close_date if earlier */
	cal_date created_on;
	bool set_splits;
	size_t nsplits;
	struct deal_split splits[DEAL_MAX_SPLITS]; /* as given; stored sorted by person id */
};

/* What a change needs to know of the stored deal. */
struct deal_current {
	int64_t id;
	int version;
	int64_t owner_id;
	char stage[STAGE_KEY_MAX + 1];
	int probability;
	char forecast_category[12];
	cal_date close_date;
	cal_date created_on;
	/*
	 * The caller writes the deal's owner's deals (not only through a split
	 * it or its subtree holds): needed to change owner, splits or amount,
	 * or to delete (DESIGN §4).
	 */
	bool owner_writable;
};

/* The derived part of the stored state after a write. */
struct deal_resolved {
	const struct stage *stage; /* points into the stage list */
	int probability;
	const char *forecast_category;
	const char *status;        /* "open", "won", "lost" */
	bool stage_changed;
};

/* What a list of deals asks for; strings are borrowed (from the query). */
struct deal_filter {
	int64_t owner_id;          /* 0 = any */
	int64_t team_id;           /* 0 = any; else the deals of the team's subtree */
	const char *status;        /* NULL = any */
	const char *stage;         /* NULL = any; else a stage of the org's list */
	const char *type;
	const char *segment;
	const char *close_from;    /* "YYYY-MM-DD", inclusive; NULL = open */
	const char *close_to;      /* inclusive */
	const char *updated_since; /* RFC 3339 instant or date; NULL = any */
	const char *external_id;
	int64_t after;             /* cursor: ids greater than this */
	int limit;
};

/* The most deals one bulk sync takes. */
#define DEAL_BULK_MAX 100000

/* What a bulk sync wrote. */
struct deal_bulk_counts {
	long created;
	long updated;
	long unchanged; /* existing deals the item did not change: no new version, no history */
};

/*
 * Resolve `in` against the stored deal `cur` (NULL for a create, or for a
 * bulk item whose stored state the database merges) and the org's stages:
 * the stage exists, an explicit probability suits a won (100) or lost (0)
 * stage, close_date is not before created_on (when both are known here).
 * THE stage defaults: the probability and forecast category are the given
 * ones (DEAL_SET), the stage's when the write resets them (DEAL_DEFAULT)
 * or creates the deal or changes its stage, else the stored ones. The bulk
 * upsert (store.c) applies the same rule in SQL to the stored deal;
 * tests/integration/test_deals_rules.py checks the two against each other.
 * ST_OK with *out filled (out->stage points into stages), or ST_INVALID
 * with an issue per broken rule added to e (*out is then undefined).
 */
enum status deal_resolve(const struct deal_input *in, const struct deal_current *cur, const struct stage_list *stages,
			 struct deal_resolved *out, struct issues *e);

/* A new deal's type when the write gives none. */
#define DEAL_DEFAULT_TYPE "new_business"
/* Why a new deal without a segment is refused when its owner has none. */
#define DEAL_SEGMENT_REQUIRED "is required: the owner has no segment"

/*
 * The defaults of a new deal, after deal_resolve (which has the stage's):
 * no type is DEAL_DEFAULT_TYPE; no segment is the owner's, owner_segment
 * (borrowed: in->segment then points to it; NULL or "" = the owner has
 * none). ST_INVALID with a "segment" issue in e when neither the write nor
 * the owner has a segment. The bulk upsert applies the same two rules to
 * the deals it creates: it takes DEAL_DEFAULT_TYPE as a parameter and
 * merges the owner's segment in SQL (cross-tested as deal_resolve).
 */
enum status deal_defaults(struct deal_input *in, const char *owner_segment, struct issues *e);

#endif
