#include "cache/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"

/* A place in the LRU ring: the cache's own is the sentinel (next: most recent, prev: least). */
struct ring {
	struct ring *prev, *next;
};

/* One kept answer: in the LRU ring (first member) and in a hash chain. */
struct entry {
	struct ring lru;
	struct entry *next_hash;
	uint64_t hash;
	json_t *value; /* never changed once kept; deep-copied out */
	char *text;    /* value rendered (RESULT_CACHE_JSON_FLAGS) */
	size_t len;
	int64_t aux;
	size_t cost;
	int readers;  /* gets copying it outside the lock */
	bool dropped; /* out of the table and ring: the last reader frees it */
	char key[];
};

/*
 * A value being computed by the caller that claimed its key: other gets of
 * the key wait for it (one computation instead of one per concurrent miss).
 */
struct pending {
	struct pending *next;
	uint64_t hash;
	bool done;   /* out of the list: its value was kept, or its claimer gave up */
	int waiters; /* the last one out of a done pending frees it */
	char key[];
};

struct result_cache {
	pthread_mutex_t mu;
	pthread_cond_t finished; /* a pending is done */
	struct pending *pending;
	size_t max_bytes, bytes, entries;
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	struct ring lru;
	atomic_ulong hits, misses, waits;
};

static struct result_cache *global;

/* What an entry costs besides its key and value. */
#define ENTRY_OVERHEAD (sizeof(struct entry) + 2 * sizeof(void *))
/* A JSON node (jansson's struct and its allocation). */
#define NODE_COST 48
#define FIRST_BUCKETS 1024

bool
result_cache_on(const struct result_cache *rc)
{
	return rc && rc->max_bytes > 0; /* set once, before any request: read without the lock */
}

struct result_cache *
result_cache_new(size_t max_bytes)
{
	struct entry **buckets = calloc(FIRST_BUCKETS, sizeof *buckets);
	struct result_cache *rc = buckets ? calloc(1, sizeof *rc) : NULL;

	if (!rc) {
		free(buckets);
		return NULL;
	}
	rc->buckets = buckets;
	rc->nbuckets = FIRST_BUCKETS;
	rc->max_bytes = max_bytes;
	rc->lru.prev = rc->lru.next = &rc->lru;
	pthread_mutex_init(&rc->mu, NULL);
	pthread_cond_init(&rc->finished, NULL);
	return rc;
}

static void
entry_free(struct entry *x)
{
	json_decref(x->value);
	free(x->text);
	free(x);
}

void
result_cache_free(struct result_cache *rc)
{
	if (!rc)
		return;
	while (rc->lru.next != &rc->lru) {
		struct ring *r = rc->lru.next;
		rc->lru.next = r->next;
		entry_free((struct entry *)r);
	}
	while (rc->pending) {
		struct pending *p = rc->pending;
		rc->pending = p->next;
		free(p);
	}
	pthread_cond_destroy(&rc->finished);
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

/* Put x first in the ring (most recently used), out of where it was if anywhere. */
static void
ring_front(struct result_cache *rc, struct entry *x)
{
	struct ring *r = &x->lru;

	if (r->next) {
		r->prev->next = r->next;
		r->next->prev = r->prev;
	}
	r->prev = &rc->lru;
	r->next = rc->lru.next;
	rc->lru.next->prev = r;
	rc->lru.next = r;
}

/* Take x out of the table and the ring; freed now unless a get is copying it. */
static void
drop(struct result_cache *rc, struct entry *x)
{
	struct entry **p = &rc->buckets[x->hash & (rc->nbuckets - 1)];

	while (*p != x)
		p = &(*p)->next_hash;
	*p = x->next_hash;
	x->lru.prev->next = x->lru.next;
	x->lru.next->prev = x->lru.prev;
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

static struct pending *
pending_find(struct result_cache *rc, const char *key, uint64_t h)
{
	for (struct pending *p = rc->pending; p; p = p->next)
		if (p->hash == h && strcmp(p->key, key) == 0)
			return p;
	return NULL;
}

/* Wait (the lock held) until p is done or RESULT_CACHE_WAIT_MS have passed. */
static void
pending_wait(struct result_cache *rc, struct pending *p)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RESULT_CACHE_WAIT_MS / 1000;
	until.tv_nsec += (long)(RESULT_CACHE_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	atomic_fetch_add_explicit(&rc->waits, 1, memory_order_relaxed);
	p->waiters++;
	while (!p->done && pthread_cond_timedwait(&rc->finished, &rc->mu, &until) == 0)
		;
	if (--p->waiters == 0 && p->done)
		free(p);
}

/* The pending computation of key is over (kept or given up): wake its waiters. */
static void
pending_finish(struct result_cache *rc, const char *key, uint64_t h)
{
	for (struct pending **pp = &rc->pending; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0) {
			struct pending *p = *pp;
			*pp = p->next;
			p->done = true;
			if (p->waiters == 0)
				free(p);
			pthread_cond_broadcast(&rc->finished);
			return;
		}
}

bool
result_cache_get(struct result_cache *rc, const char *key, json_t **out, char **text, size_t *len,
                 int64_t *aux)
{
	return result_cache_get_or_claim(rc, key, out, text, len, aux, NULL);
}

bool
result_cache_get_or_claim(struct result_cache *rc, const char *key, json_t **out, char **text, size_t *len,
                          int64_t *aux, bool *claimed)
{
	uint64_t h = hash_string(key);
	struct entry *x;
	struct pending *p;

	if (claimed)
		*claimed = false;
	if (!rc)
		return false;
	pthread_mutex_lock(&rc->mu);
	if (!(x = find(rc, key, h)) && claimed && rc->max_bytes > 0) {
		if ((p = pending_find(rc, key, h))) {
			pending_wait(rc, p); /* then the entry, or compute without a claim */
			x = find(rc, key, h);
		} else if ((p = calloc(1, sizeof *p + strlen(key) + 1))) {
			strcpy(p->key, key);
			p->hash = h;
			p->next = rc->pending;
			rc->pending = p;
			*claimed = true;
		}
	}
	if (x) {
		ring_front(rc, x);
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
result_cache_release(struct result_cache *rc, const char *key)
{
	if (!rc)
		return;
	pthread_mutex_lock(&rc->mu);
	pending_finish(rc, key, hash_string(key));
	pthread_mutex_unlock(&rc->mu);
}

/* A new entry of v under key (its cost set); NULL when it cannot be made or is too large to keep. */
static struct entry *
entry_new(const struct result_cache *rc, const char *key, const json_t *v, int64_t aux)
{
	size_t klen = strlen(key);
	struct entry *x = calloc(1, sizeof *x + klen + 1);

	if (!x)
		return NULL;
	memcpy(x->key, key, klen + 1);
	if (!(x->text = json_dumps(v, RESULT_CACHE_JSON_FLAGS))) {
		free(x);
		return NULL;
	}
	x->len = strlen(x->text);
	x->cost = ENTRY_OVERHEAD + klen + 1 + result_cache_cost(v) + x->len + 1;
	if (x->cost > rc->max_bytes / 4 || !(x->value = json_deep_copy(v))) {
		entry_free(x);
		return NULL;
	}
	x->hash = hash_string(key);
	x->aux = aux;
	return x;
}

void
result_cache_put(struct result_cache *rc, const char *key, const json_t *v, int64_t aux)
{
	struct entry *x, *old;

	if (!rc)
		return;
	if (rc->max_bytes == 0 || !(x = entry_new(rc, key, v, aux))) {
		result_cache_release(rc, key);
		return;
	}
	pthread_mutex_lock(&rc->mu);
	if ((old = find(rc, key, x->hash)))
		drop(rc, old);
	while (rc->lru.prev != &rc->lru && rc->bytes + x->cost > rc->max_bytes)
		drop(rc, (struct entry *)rc->lru.prev);
	if (rc->entries >= rc->nbuckets)
		grow(rc);
	x->next_hash = rc->buckets[x->hash & (rc->nbuckets - 1)];
	rc->buckets[x->hash & (rc->nbuckets - 1)] = x;
	ring_front(rc, x);
	rc->bytes += x->cost;
	rc->entries++;
	pending_finish(rc, key, x->hash);
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
	out->waits = atomic_load(&rc->waits);
	pthread_mutex_lock(&rc->mu);
	out->entries = rc->entries;
	out->bytes = rc->bytes;
	out->max_bytes = rc->max_bytes;
	pthread_mutex_unlock(&rc->mu);
}
