#include "cache/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* One kept answer: in a hash chain and in the LRU list (head: most recent). */
struct entry {
	struct entry *next_hash;
	struct entry *prev, *next; /* LRU */
	uint64_t hash;
	char *key;
	json_t *value; /* never changed once kept; deep-copied out */
	char *text;    /* value rendered (RESULT_CACHE_JSON_FLAGS) */
	size_t len;
	int64_t aux;
	size_t cost;
	int readers;  /* gets copying it outside the lock */
	bool dropped; /* out of the table and list: the last reader frees it */
};

struct result_cache {
	pthread_mutex_t mu;
	size_t max_bytes, bytes, entries;
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	struct entry *head, *tail;
	atomic_ulong hits, misses;
};

static struct result_cache *global;

/* What an entry costs besides its key and value. */
#define ENTRY_OVERHEAD (sizeof(struct entry) + 2 * sizeof(void *))
/* A JSON node (jansson's struct and its allocation). */
#define NODE_COST 48

struct result_cache *
result_cache_new(size_t max_bytes)
{
	struct result_cache *rc = calloc(1, sizeof *rc);

	if (!rc)
		return NULL;
	rc->max_bytes = max_bytes;
	rc->nbuckets = 1024;
	if (!(rc->buckets = calloc(rc->nbuckets, sizeof *rc->buckets))) {
		free(rc);
		return NULL;
	}
	pthread_mutex_init(&rc->mu, NULL);
	return rc;
}

static void
entry_free(struct entry *x)
{
	json_decref(x->value);
	free(x->text);
	free(x->key);
	free(x);
}

void
result_cache_free(struct result_cache *rc)
{
	if (!rc)
		return;
	for (struct entry *x = rc->head, *nx; x; x = nx) {
		nx = x->next;
		entry_free(x);
	}
	pthread_mutex_destroy(&rc->mu);
	free(rc->buckets);
	free(rc);
}

void
result_cache_set_global(struct result_cache *rc)
{
	global = rc;
}

struct result_cache *
result_cache_global(void)
{
	return global;
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

size_t
result_cache_cost(const json_t *v)
{
	size_t n = NODE_COST;
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach ((json_t *)v, k, x)
			n += strlen(k) + 1 + 2 * sizeof(void *) + result_cache_cost(x);
		break;
	case JSON_ARRAY:
		json_array_foreach (v, i, x)
			n += sizeof(void *) + result_cache_cost(x);
		break;
	case JSON_STRING: n += json_string_length(v) + 1; break;
	default: break;
	}
	return n;
}

/* Take x out of the LRU list. */
static void
lru_unlink(struct result_cache *rc, struct entry *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		rc->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		rc->tail = x->prev;
	x->prev = x->next = NULL;
}

static void
lru_front(struct result_cache *rc, struct entry *x)
{
	x->prev = NULL;
	x->next = rc->head;
	if (rc->head)
		rc->head->prev = x;
	rc->head = x;
	if (!rc->tail)
		rc->tail = x;
}

/* Take x out of the table and the list; freed now unless a get is copying it. */
static void
drop(struct result_cache *rc, struct entry *x)
{
	struct entry **p = &rc->buckets[x->hash & (rc->nbuckets - 1)];

	while (*p != x)
		p = &(*p)->next_hash;
	*p = x->next_hash;
	lru_unlink(rc, x);
	rc->bytes -= x->cost;
	rc->entries--;
	x->dropped = true;
	if (x->readers == 0)
		entry_free(x);
}

static struct entry *
find(struct result_cache *rc, const char *key, uint64_t h)
{
	for (struct entry *x = rc->buckets[h & (rc->nbuckets - 1)]; x; x = x->next_hash)
		if (x->hash == h && strcmp(x->key, key) == 0)
			return x;
	return NULL;
}

/* Double the buckets when the chains grow long (no-op when out of memory). */
static void
grow(struct result_cache *rc)
{
	size_t n = rc->nbuckets * 2;
	struct entry **b = calloc(n, sizeof *b);

	if (!b)
		return;
	for (size_t i = 0; i < rc->nbuckets; i++)
		for (struct entry *x = rc->buckets[i], *nx; x; x = nx) {
			nx = x->next_hash;
			x->next_hash = b[x->hash & (n - 1)];
			b[x->hash & (n - 1)] = x;
		}
	free(rc->buckets);
	rc->buckets = b;
	rc->nbuckets = n;
}

bool
result_cache_get(struct result_cache *rc, const char *key, json_t **out, char **text, size_t *len,
                 int64_t *aux)
{
	uint64_t h = hash_of(key);
	struct entry *x;

	if (!rc)
		return false;
	pthread_mutex_lock(&rc->mu);
	if ((x = find(rc, key, h))) {
		lru_unlink(rc, x);
		lru_front(rc, x);
		x->readers++;
	}
	pthread_mutex_unlock(&rc->mu);
	if (!x) {
		atomic_fetch_add_explicit(&rc->misses, 1, memory_order_relaxed);
		return false;
	}
	/* the value is never changed once kept: copy it without the lock */
	json_t *copy = NULL;
	char *t = NULL;
	size_t n = x->len;
	if (text) {
		if ((t = malloc(n + 1)))
			memcpy(t, x->text, n + 1);
	} else
		copy = json_deep_copy(x->value);
	if (aux)
		*aux = x->aux;
	pthread_mutex_lock(&rc->mu);
	if (--x->readers == 0 && x->dropped)
		entry_free(x);
	pthread_mutex_unlock(&rc->mu);
	if (!copy && !t) {
		atomic_fetch_add_explicit(&rc->misses, 1, memory_order_relaxed);
		return false;
	}
	atomic_fetch_add_explicit(&rc->hits, 1, memory_order_relaxed);
	*out = copy;
	if (text) {
		*text = t;
		if (len)
			*len = n;
	}
	return true;
}

void
result_cache_put(struct result_cache *rc, const char *key, const json_t *v, int64_t aux)
{
	struct entry *x, *old;

	if (!rc || rc->max_bytes == 0)
		return;
	if (!(x = calloc(1, sizeof *x)))
		return;
	if (!(x->text = json_dumps(v, RESULT_CACHE_JSON_FLAGS))) {
		free(x);
		return;
	}
	x->len = strlen(x->text);
	size_t cost = ENTRY_OVERHEAD + strlen(key) + 1 + result_cache_cost(v) + x->len + 1;
	if (cost > rc->max_bytes / 4 || !(x->key = strdup(key)) || !(x->value = json_deep_copy(v))) {
		entry_free(x);
		return;
	}
	x->hash = hash_of(key);
	x->aux = aux;
	x->cost = cost;
	pthread_mutex_lock(&rc->mu);
	if ((old = find(rc, key, x->hash)))
		drop(rc, old);
	while (rc->tail && rc->bytes + cost > rc->max_bytes)
		drop(rc, rc->tail);
	if (rc->entries >= rc->nbuckets)
		grow(rc);
	x->next_hash = rc->buckets[x->hash & (rc->nbuckets - 1)];
	rc->buckets[x->hash & (rc->nbuckets - 1)] = x;
	lru_front(rc, x);
	rc->bytes += cost;
	rc->entries++;
	pthread_mutex_unlock(&rc->mu);
}

void
result_cache_stats(struct result_cache *rc, struct result_cache_stats *out)
{
	*out = (struct result_cache_stats){0};
	if (!rc)
		return;
	out->hits = atomic_load(&rc->hits);
	out->misses = atomic_load(&rc->misses);
	pthread_mutex_lock(&rc->mu);
	out->entries = rc->entries;
	out->bytes = rc->bytes;
	out->max_bytes = rc->max_bytes;
	pthread_mutex_unlock(&rc->mu);
}
