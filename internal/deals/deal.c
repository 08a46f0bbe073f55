#include "deals/deal.h"

#include <string.h>

static void
issue(struct deal_issue *issues, int max, int *n, const char *field, const char *message)
{
	if (*n < max)
		issues[*n] = (struct deal_issue){ .field = field, .message = message };
	(*n)++;
}

int
deal_resolve(const struct deal_input *in, const struct deal_current *cur, const struct stage_list *stages,
	     struct deal_resolved *out, struct deal_issue *issues, int max)
{
	int n = 0;
	const char *key = in->stage ? in->stage : cur ? cur->stage : NULL;
	const struct stage *s = key ? stage_find(stages, key) : NULL;

	if (!s) {
		issue(issues, max, &n, "stage", "no such stage (see GET /v1/stages)");
		return n;
	}
	out->stage = s;
	out->status = stage_status(s);
	out->stage_changed = !cur || strcmp(cur->stage, s->key) != 0;

	switch (in->probability_mode) {
	case DEAL_SET: out->probability = in->probability; break;
	case DEAL_DEFAULT: out->probability = s->probability; break;
	case DEAL_KEEP: out->probability = out->stage_changed ? s->probability : cur->probability; break;
	}
	if (in->probability_mode == DEAL_SET) {
		const char *why = stage_probability_conflict(s, in->probability);
		if (why)
			issue(issues, max, &n, "probability", why);
	}
	switch (in->forecast_mode) {
	case DEAL_SET: out->forecast_category = in->forecast_category; break;
	case DEAL_DEFAULT: out->forecast_category = s->forecast_category; break;
	case DEAL_KEEP:
		out->forecast_category = out->stage_changed ? s->forecast_category : cur->forecast_category;
		break;
	}

	bool close_known = in->set_close_date || cur, created_known = in->set_created_on || cur;
	cal_date close = in->set_close_date ? in->close_date : cur ? cur->close_date : 0;
	cal_date created = in->set_created_on ? in->created_on : cur ? cur->created_on : 0;
	if (close_known && created_known && close < created) {
		if (in->set_close_date)
			issue(issues, max, &n, "close_date", "must not be before created_on");
		else
			issue(issues, max, &n, "created_on", "must not be after close_date");
	}
	return n;
}
