/* lag.c — a standby's staleness from the primary's WAL positions (lag.h). */
#include "db/lag.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool
hex_part(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v * 16 + d;
	}
	*out = (uint32_t)v;
	return true;
}

bool
lag_lsn_parse(const char *text, uint64_t *out)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	uint32_t hi, lo;

	if (!slash || !hex_part(text, (size_t)(slash - text), &hi) ||
	    !hex_part(slash + 1, strlen(slash + 1), &lo))
		return false;
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

void
lag_lsn_format(uint64_t lsn, char out[20])
{
	snprintf(out, 20, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

#define SHORT_PAGE_HEADER 24 /* SizeOfXLogShortPHD */
#define LONG_PAGE_HEADER 40  /* SizeOfXLogLongPHD: the first page of a segment */

uint64_t
lag_lsn_settled(uint64_t insert, uint64_t wal_block_size, uint64_t wal_segment_size)
{
	if (wal_segment_size && insert % wal_segment_size == LONG_PAGE_HEADER)
		return insert - LONG_PAGE_HEADER;
	if (wal_block_size && insert % wal_block_size == SHORT_PAGE_HEADER)
		return insert - SHORT_PAGE_HEADER;
	return insert;
}

void
lag_window_add(struct lag_window *w, int64_t t_ms, uint64_t lsn)
{
	int at;

	if (w->n == LAG_WINDOW) {
		at = w->first;
		w->first = (w->first + 1) % LAG_WINDOW;
	} else
		at = (w->first + w->n++) % LAG_WINDOW;
	w->t_ms[at] = t_ms;
	w->lsn[at] = lsn;
}

bool
lag_window_fresh_since(const struct lag_window *w, uint64_t replay, int64_t *t_ms)
{
	/* newest first: positions never go back, so the first covered one is the answer */
	for (int k = w->n - 1; k >= 0; k--) {
		int i = (w->first + k) % LAG_WINDOW;
		if (w->lsn[i] <= replay) {
			*t_ms = w->t_ms[i];
			return true;
		}
	}
	return false;
}
