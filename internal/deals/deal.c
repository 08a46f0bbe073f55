#include "deals/deal.h"

#include <string.h>

enum status
deal_resolve(const struct deal_input *in, const struct deal_current *cur, const struct stage_list *stages,
	     struct deal_resolved *out, struct issues *e)
{
	bool broken = false;
	const char *key = in->stage ? in->stage : cur ? cur->stage : NULL;
	const struct stage *s = key ? stage_find(stages, key) : NULL;

	if (!s) {
		issues_add(e, "stage", STAGE_UNKNOWN);
		return ST_INVALID;
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
		if (why) {
			issues_add(e, "probability", "%s", why);
			broken = true;
		}
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
		broken = true;
		if (in->set_close_date)
			issues_add(e, "close_date", "must not be before created_on");
		else
			issues_add(e, "created_on", "must not be after close_date");
	}
	return broken ? ST_INVALID : ST_OK;
}

enum status
deal_defaults(struct deal_input *in, const char *owner_segment, struct issues *e)
{
	if (!in->type)
		in->type = DEAL_DEFAULT_TYPE;
	if (!in->segment && owner_segment && owner_segment[0])
		in->segment = owner_segment;
	if (!in->segment) {
		issues_add(e, "segment", DEAL_SEGMENT_REQUIRED);
		return ST_INVALID;
	}
	return ST_OK;
}
