/*
 * test_cache.c — the result cache (internal/cache): hits and misses, deep
 * copies in and out, least recently used out first within the byte bound,
 * a bound of 0 keeping nothing, entries replaced under one key, and many
 * threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache/cache.h"

static json_t *
value(int n)
{
	return json_pack("{s:i,s:s,s:[i,i]}", "n", n, "name", "some figures", "items", n, n + 1);
}

static void
a_kept_value_is_a_hit_and_a_copy(void **state)
{
	struct result_cache *rc = result_cache_new(1 << 20);
	struct result_cache_stats s;
	json_t *v = value(1), *out = NULL;
	int64_t aux = 0;

	assert_false(result_cache_get(rc, "k1", &out, NULL, NULL, &aux));
	result_cache_put(rc, "k1", v, 42);
	json_object_set_new(v, "n", json_integer(99)); /* the kept value is a copy */
	assert_true(result_cache_get(rc, "k1", &out, NULL, NULL, &aux));
	assert_int_equal(aux, 42);
	assert_int_equal(json_integer_value(json_object_get(out, "n")), 1);
	json_object_set_new(out, "next_cursor", json_null()); /* so is the answer */
	json_decref(out);
	assert_true(result_cache_get(rc, "k1", &out, NULL, NULL, NULL));
	assert_null(json_object_get(out, "next_cursor"));
	json_decref(out);
	assert_false(result_cache_get(rc, "k2", &out, NULL, NULL, NULL));
	/* as text: what the JSON renders to, and no JSON */
	json_t *orig = value(1);
	char *text = NULL, *want = json_dumps(orig, RESULT_CACHE_JSON_FLAGS);
	size_t len = 0;
	json_decref(orig);
	assert_true(result_cache_get(rc, "k1", &out, &text, &len, &aux));
	assert_null(out);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(aux, 42);
	free(text);
	free(want);
	result_cache_stats(rc, &s);
	assert_int_equal(s.hits, 3);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.entries, 1);
	assert_true(s.bytes >= result_cache_cost(v) && s.bytes <= s.max_bytes);
	json_decref(v);
	result_cache_free(rc);
}

/* What one entry of v under a key of 2 or 3 characters is charged. */
static size_t
charged(const json_t *v, const char *key)
{
	struct result_cache *rc = result_cache_new(1 << 20);
	struct result_cache_stats s;

	result_cache_put(rc, key, v, 0);
	result_cache_stats(rc, &s);
	result_cache_free(rc);
	return s.bytes;
}

static void
the_least_recently_used_goes_first(void **state)
{
	json_t *v = value(1), *out;
	size_t one = charged(v, "k0");
	struct result_cache *rc = result_cache_new(one * 4 + one / 2);
	struct result_cache_stats s;
	char key[16];

	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof key, "k%d", i);
		result_cache_put(rc, key, v, i);
	}
	assert_true(result_cache_get(rc, "k0", &out, NULL, NULL, NULL)); /* k0 used: k1 is now the oldest */
	json_decref(out);
	result_cache_put(rc, "k4", v, 4);
	result_cache_stats(rc, &s);
	assert_true(s.bytes <= s.max_bytes);
	assert_false(result_cache_get(rc, "k1", &out, NULL, NULL, NULL));
	for (int i = 0; i < 5; i++) {
		if (i == 1)
			continue;
		snprintf(key, sizeof key, "k%d", i);
		assert_true(result_cache_get(rc, key, &out, NULL, NULL, NULL));
		json_decref(out);
	}
	/* one key, one entry: a put replaces */
	result_cache_put(rc, "k4", v, 44);
	int64_t aux = 0;
	assert_true(result_cache_get(rc, "k4", &out, NULL, NULL, &aux) && aux == 44);
	json_decref(out);
	result_cache_stats(rc, &s);
	assert_int_equal(s.entries, 4);
	json_decref(v);
	result_cache_free(rc);
}

static void
a_bound_of_zero_keeps_nothing(void **state)
{
	struct result_cache *rc = result_cache_new(0);
	struct result_cache_stats s;
	json_t *v = value(1), *out;

	result_cache_put(rc, "k", v, 0);
	assert_false(result_cache_get(rc, "k", &out, NULL, NULL, NULL));
	result_cache_stats(rc, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.bytes, 0);
	/* no cache at all: misses, not counted */
	assert_false(result_cache_get(NULL, "k", &out, NULL, NULL, NULL));
	result_cache_put(NULL, "k", v, 0);
	json_decref(v);
	result_cache_free(rc);
}

static void
a_value_over_a_quarter_of_the_bound_is_not_kept(void **state)
{
	json_t *v = json_array(), *out;

	for (int i = 0; i < 100; i++)
		json_array_append_new(v, value(i));
	struct result_cache *rc = result_cache_new(result_cache_cost(v) * 3);
	result_cache_put(rc, "big", v, 0);
	assert_false(result_cache_get(rc, "big", &out, NULL, NULL, NULL));
	json_decref(v);
	result_cache_free(rc);
}

static struct result_cache *shared;

static void *
hammer(void *arg)
{
	json_t *v = value((int)(intptr_t)arg), *out;
	char key[16];

	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "k%d", i % 37);
		if (result_cache_get(shared, key, &out, NULL, NULL, NULL)) {
			assert_non_null(json_object_get(out, "n"));
			json_decref(out);
		} else
			result_cache_put(shared, key, v, i);
	}
	json_decref(v);
	return NULL;
}

static void
threads_at_once(void **state)
{
	json_t *v = value(1);
	pthread_t t[4];
	struct result_cache_stats s;

	shared = result_cache_new(charged(v, "k10") * 10 + 5); /* fewer than the keys: evictions */
	json_decref(v);
	for (intptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	result_cache_stats(shared, &s);
	assert_int_equal(s.hits + s.misses, 4 * 2000);
	assert_true(s.bytes <= s.max_bytes && s.entries <= 10);
	result_cache_free(shared);
}

/* A get of a key another caller has claimed. */
struct waiter {
	pthread_t t;
	bool hit, claimed;
	int64_t aux;
};

static void *
wait_for(void *arg)
{
	struct waiter *w = arg;
	json_t *out = NULL;

	w->hit = result_cache_get_or_claim(shared, "k", &out, NULL, NULL, &w->aux, &w->claimed);
	json_decref(out);
	if (w->claimed) /* it would compute and fail: its claim given up */
		result_cache_release(shared, "k");
	return NULL;
}

static void
concurrent_misses_make_one_computation(void **state)
{
	struct waiter w[4] = {0};
	struct result_cache_stats s;
	json_t *v = value(1), *out = NULL;
	bool claimed = false;

	shared = result_cache_new(1 << 20);
	assert_false(result_cache_get_or_claim(shared, "k", &out, NULL, NULL, NULL, &claimed));
	assert_true(claimed); /* nobody computes k: this caller does */
	for (int i = 0; i < 4; i++)
		pthread_create(&w[i].t, NULL, wait_for, &w[i]);
	result_cache_put(shared, "k", v, 7); /* kept: whoever waited sees it, whoever comes later too */
	for (int i = 0; i < 4; i++) {
		pthread_join(w[i].t, NULL);
		assert_true(w[i].hit);
		assert_false(w[i].claimed);
		assert_int_equal(w[i].aux, 7);
	}
	result_cache_stats(shared, &s);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits, 4);
	json_decref(v);
	result_cache_free(shared);
}

static void
a_released_claim_lets_the_waiters_compute(void **state)
{
	struct waiter w[3] = {0};
	json_t *out = NULL;
	bool claimed = false;

	shared = result_cache_new(1 << 20);
	assert_false(result_cache_get_or_claim(shared, "k", &out, NULL, NULL, NULL, &claimed));
	assert_true(claimed);
	for (int i = 0; i < 3; i++)
		pthread_create(&w[i].t, NULL, wait_for, &w[i]);
	result_cache_release(shared, "k"); /* the computation failed */
	for (int i = 0; i < 3; i++) {
		pthread_join(w[i].t, NULL);
		assert_false(w[i].hit);
	}
	/* each waiter computed without a claim, or (came after the release) claimed anew and gave up:
	 * none is left waiting, and nothing is kept */
	assert_false(result_cache_get(shared, "k", &out, NULL, NULL, NULL));
	/* a cache of 0 bytes claims nothing */
	struct result_cache *none = result_cache_new(0);
	assert_false(result_cache_get_or_claim(none, "k", &out, NULL, NULL, NULL, &claimed));
	assert_false(claimed);
	result_cache_free(none);
	result_cache_free(shared);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_kept_value_is_a_hit_and_a_copy),
	    cmocka_unit_test(the_least_recently_used_goes_first),
	    cmocka_unit_test(a_bound_of_zero_keeps_nothing),
	    cmocka_unit_test(a_value_over_a_quarter_of_the_bound_is_not_kept),
	    cmocka_unit_test(threads_at_once),
	    cmocka_unit_test(concurrent_misses_make_one_computation),
	    cmocka_unit_test(a_released_claim_lets_the_waiters_compute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
