#include "deals/stage.h"

#include <stdio.h>
#include <string.h>

const char *const stage_forecast_categories[] = { "pipeline", "best_case", "commit", "closed", "omitted",
						  NULL };

bool
stage_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n < 1 || n > STAGE_KEY_MAX || key[0] < 'a' || key[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool
category_known(const char *c)
{
	for (int i = 0; stage_forecast_categories[i]; i++)
		if (strcmp(c, stage_forecast_categories[i]) == 0)
			return true;
	return false;
}

/* A problem of stage `index` (-1: of the list as a whole, field "items"). */
static void
issue(struct issues *e, int index, const char *field, const char *message)
{
	if (index < 0)
		issues_add(e, field, "%s", message);
	else {
		char name[48];
		snprintf(name, sizeof name, "items[%d].%s", index, field);
		issues_add(e, name, "%s", message);
	}
}

enum status
stage_list_check(const struct stage_list *l, struct issues *e)
{
	size_t before = e->n;
	bool won = false, lost = false;

	if (l->n < 1 || l->n > STAGE_MAX) {
		issue(e, -1, "items", "must hold 1 to 50 stages");
		return ST_INVALID;
	}
	for (int i = 0; i < l->n; i++) {
		const struct stage *s = &l->items[i];
		if (!stage_key_valid(s->key))
			issue(e, i, "key", "must match ^[a-z][a-z0-9_]{0,39}$");
		for (int j = 0; j < i; j++)
			if (strcmp(l->items[j].key, s->key) == 0) {
				issue(e, i, "key", "another stage has this key");
				break;
			}
		if (s->probability < 0 || s->probability > 100)
			issue(e, i, "probability", "must be between 0 and 100");
		if (!category_known(s->forecast_category))
			issue(e, i, "forecast_category", "must be one of: pipeline, best_case, commit, closed, omitted");
		if (s->is_won && s->is_lost)
			issue(e, i, "is_lost", "a stage cannot be both won and lost");
		else if (s->is_won && s->probability != 100)
			issue(e, i, "probability", "must be 100 for a won stage");
		else if (s->is_lost && s->probability != 0)
			issue(e, i, "probability", "must be 0 for a lost stage");
		won = won || s->is_won;
		lost = lost || s->is_lost;
	}
	if (!won)
		issue(e, -1, "items", "at least one stage must be won (is_won)");
	if (!lost)
		issue(e, -1, "items", "at least one stage must be lost (is_lost)");
	return e->n > before || e->oom ? ST_INVALID : ST_OK;
}

const struct stage *
stage_find(const struct stage_list *l, const char *key)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

const char *
stage_status(const struct stage *s)
{
	return s->is_won ? "won" : s->is_lost ? "lost" : "open";
}

const char *
stage_probability_conflict(const struct stage *s, int probability)
{
	if (s->is_won && probability != 100)
		return "must be 100 in a won stage";
	if (s->is_lost && probability != 0)
		return "must be 0 in a lost stage";
	return NULL;
}
