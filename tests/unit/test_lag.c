/*
 * test_lag.c — a standby's staleness from WAL positions (internal/db/lag).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/lag.h"

static void
lsn_text_round_trips(void **state)
{
	uint64_t v = 7;
	char out[20];

	assert_true(lag_lsn_parse("16/B374D848", &v));
	assert_true(v == ((uint64_t)0x16 << 32 | 0xB374D848u));
	lag_lsn_format(v, out);
	assert_string_equal(out, "16/B374D848");
	assert_true(lag_lsn_parse("0/0", &v) && v == 0);
	assert_true(lag_lsn_parse("ffffffff/ffffffff", &v) && v == UINT64_MAX);
	lag_lsn_format(0x3000148, out);
	assert_string_equal(out, "0/3000148");
}

static void
malformed_lsn_is_refused_untouched(void **state)
{
	const char *bad[] = {"",    "/",           "16",          "16/",  "/1",   "1/2/3", "g/1",
	                     "1/x", "123456789/1", "1/123456789", " 1/2", "1/2 ", "-1/2"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 42;
		assert_false(lag_lsn_parse(bad[i], &v));
		assert_true(v == 42);
	}
	uint64_t v = 42;
	assert_false(lag_lsn_parse(NULL, &v));
}

static void
settled_steps_back_over_a_page_header_only(void **state)
{
	const uint64_t blk = 8192, seg = 16u << 20;

	/* mid-page: as is */
	assert_true(lag_lsn_settled(0x3000148, blk, seg) == 0x3000148);
	/* just past a page's short header: the page's start */
	assert_true(lag_lsn_settled(5 * blk + 24, blk, seg) == 5 * blk);
	/* just past a segment's long header (a switch, a backup's end): the segment's start */
	assert_true(lag_lsn_settled(3 * seg + 40, blk, seg) == 3 * seg);
	/* 40 bytes into a page that opens no segment is a record position */
	assert_true(lag_lsn_settled(5 * blk + 40, blk, seg) == 5 * blk + 40);
	/* 24 bytes into a segment's first page lies inside its long header: never a record start */
	assert_true(lag_lsn_settled(3 * seg + 24, blk, seg) == 3 * seg);
	/* unknown sizes: as is */
	assert_true(lag_lsn_settled(5 * blk + 24, 0, 0) == 5 * blk + 24);
}

static void
fresh_since_is_the_newest_covered_sample(void **state)
{
	struct lag_window w = {0};
	int64_t t = -1;

	assert_false(lag_window_fresh_since(&w, 1000, &t));
	assert_true(t == -1);
	lag_window_add(&w, 100, 500);
	lag_window_add(&w, 200, 700);
	lag_window_add(&w, 300, 700); /* an idle primary: same position */
	lag_window_add(&w, 400, 900);
	/* caught up with everything */
	assert_true(lag_window_fresh_since(&w, 900, &t) && t == 400);
	/* replayed 700: it holds everything the primary had at 300, not at 400 */
	assert_true(lag_window_fresh_since(&w, 899, &t) && t == 300);
	assert_true(lag_window_fresh_since(&w, 700, &t) && t == 300);
	assert_true(lag_window_fresh_since(&w, 699, &t) && t == 100);
	/* behind the whole window */
	t = -1;
	assert_false(lag_window_fresh_since(&w, 499, &t));
	assert_true(t == -1);
}

static void
window_keeps_the_newest_samples(void **state)
{
	struct lag_window w = {0};
	int64_t t = -1;

	for (int i = 1; i <= 3 * LAG_WINDOW; i++)
		lag_window_add(&w, i * 10, (uint64_t)i * 100);
	assert_int_equal(w.n, LAG_WINDOW);
	assert_true(lag_window_fresh_since(&w, (uint64_t)3 * LAG_WINDOW * 100, &t) &&
	            t == 3 * LAG_WINDOW * 10);
	assert_true(lag_window_fresh_since(&w, (uint64_t)(2 * LAG_WINDOW + 1) * 100 + 50, &t) &&
	            t == (2 * LAG_WINDOW + 1) * 10);
	/* older than the oldest kept sample */
	assert_false(lag_window_fresh_since(&w, (uint64_t)2 * LAG_WINDOW * 100, &t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lsn_text_round_trips),
	    cmocka_unit_test(malformed_lsn_is_refused_untouched),
	    cmocka_unit_test(settled_steps_back_over_a_page_header_only),
	    cmocka_unit_test(fresh_since_is_the_newest_covered_sample),
	    cmocka_unit_test(window_keeps_the_newest_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
