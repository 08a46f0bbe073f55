#include "leads/batch.h"

#include <stdlib.h>
#include <string.h>

/* The id a field gives as text, 0 when absent or null. */
static int64_t
id_field(const json_t *item, const char *k)
{
	const char *s = json_string_value(json_object_get(item, k));

	return s ? strtoll(s, NULL, 10) : 0;
}

enum status
lead_batch_add(struct lead_batch *b, int index, const json_t *item)
{
	const char *ext = json_string_value(json_object_get(item, "external_id"));
	char *text, *grown;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		struct lead_batch_item *v = realloc(b->items, cap * sizeof *v);
		if (!v)
			return ST_NOMEM;
		b->items = v;
		b->cap = cap;
	}
	if (!ext)
		return ST_INVALID;
	if (!(text = json_dumps(item, JSON_COMPACT | JSON_REAL_PRECISION(15))))
		return ST_NOMEM;
	size_t len = strlen(text), extlen = strlen(ext);
	if (!(grown = realloc(text, len + extlen + 2))) {
		free(text);
		return ST_NOMEM;
	}
	memcpy(grown + len + 1, ext, extlen + 1);
	b->items[b->n++] = (struct lead_batch_item){.index = index,
	                                            .json = grown,
	                                            .external_id = grown + len + 1,
	                                            .owner_id = id_field(item, "owner_id"),
	                                            .converted_deal_id = id_field(item, "converted_deal_id")};
	return ST_OK;
}

void
lead_batch_clear(struct lead_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].json);
	free(b->items);
	memset(b, 0, sizeof *b);
}
