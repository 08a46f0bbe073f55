/*
 * cache.h — the process-wide result cache of attaind (issue 10 "Speed and
 * scale"): the rendered answers (JSON values) of costly reads, kept by a
 * key the caller builds, least recently used first out, bounded in bytes
 * (ATTAIN_RESULT_CACHE_MB).
 *
 * The cache never decides whether an answer is still right: the key does.
 * The performance reads key on the org's data version (0017_data_versions:
 * raised by every committed write the read depends on, read before the
 * data), the org's today, the operation, its normalised query and the
 * caller's visibility, so a changed world is a new key and an old entry is
 * never served for it; old entries age out.
 *
 * Each value is kept twice: as JSON (deep-copied out, for a caller that
 * still changes it or renders CSV) and as its JSON text rendered with
 * RESULT_CACHE_JSON_FLAGS (copied out: a JSON answer of a hit is a memcpy).
 *
 * Thread-safe (one mutex; values are copied in and out outside it).
 */
#ifndef ATTAIN_CACHE_H
#define ATTAIN_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a kept value's text is rendered: as api/respond.c renders a JSON answer. */
#define RESULT_CACHE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY)

struct result_cache;

/* A cache bounded by max_bytes (0: disabled: every get misses, puts keep nothing). NULL when out of memory.
 */
struct result_cache *result_cache_new(size_t max_bytes);
void result_cache_free(struct result_cache *rc);

/* rc keeps answers (not NULL, a bound above 0): worth a read of the org's version before a read. */
bool result_cache_on(const struct result_cache *rc);

/*
 * The process's cache (result_cache_set_global at start; NULL: none, every
 * call below is then a miss / no-op). Not owned by the callers.
 */
void result_cache_set_global(struct result_cache *rc);
struct result_cache *result_cache_global(void);

/*
 * The value kept under key (a NUL-terminated string) and its aux number
 * into *aux (may be NULL): with text NULL, as a deep copy into *out
 * (json_decref); else as its rendered text into *text (free; its length
 * into *len, may be NULL) and *out NULL. True on a hit; false (counted as
 * a miss) otherwise. rc NULL: false, not counted.
 */
bool result_cache_get(struct result_cache *rc, const char *key, json_t **out, char **text, size_t *len,
                      int64_t *aux);

/*
 * As result_cache_get, and on a miss with claimed not NULL: when nobody is
 * computing key's value, the caller is (*claimed true: it must then call
 * result_cache_put or result_cache_release with key, whatever happens); when
 * another caller is, wait until it has kept it (or given up, or
 * RESULT_CACHE_WAIT_MS have passed) and look again: a hit, or a miss the
 * caller computes without a claim. So concurrent misses of one key (the
 * reads right after a write) make one computation, not one each. A cache
 * of 0 bytes claims nothing.
 */
#define RESULT_CACHE_WAIT_MS 10000
bool result_cache_get_or_claim(struct result_cache *rc, const char *key, json_t **out, char **text,
                               size_t *len, int64_t *aux, bool *claimed);

/* The claim of key is given up (its computation failed): its waiters compute for themselves. */
void result_cache_release(struct result_cache *rc, const char *key);

/*
 * Keep a deep copy of v and its text with aux under key (replacing one kept there),
 * evicting the least recently used entries until it fits. A value larger
 * than a quarter of the bound is not kept. Ends a claim of key (kept or not).
 * rc NULL: nothing.
 */
void result_cache_put(struct result_cache *rc, const char *key, const json_t *v, int64_t aux);

struct result_cache_stats {
	unsigned long hits, misses;
	unsigned long waits; /* misses that waited for another caller's computation of their key */
	size_t entries, bytes, max_bytes;
};
void result_cache_stats(struct result_cache *rc, struct result_cache_stats *out);

/* The bytes a JSON value is charged (an estimate of its memory: nodes, keys and strings). */
size_t result_cache_cost(const json_t *v);

#endif
