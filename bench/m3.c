/*
 * m3.c — the accuracy bar of issue 11: the projection engine on the M3
 * competition's yearly (h = 6), quarterly (h = 8) and monthly (h = 18)
 * series, against their holdouts. Prints per frequency the mean sMAPE (M3's
 * definition), MASE, the share of holdout points inside the 80 % and 95 %
 * intervals, and the wall and CPU time of the engine calls (parsing
 * excluded; one thread, so the CPU time is the one-core cost even on a busy
 * machine).
 *
 *   build/bench/m3 [--method NAME|--all] [DATA_DIR]
 *
 * DATA_DIR defaults to ../shared/data/m3 (relative to the repository, where
 * the program is usually run from). --all runs every method in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forecast/engine.h"

#define MAX_SERIES 1500
#define LINE_MAX_LEN 65536

struct series {
	double y[FC_MAX_N > 200 ? 200 : FC_MAX_N];
	size_t n;
	double test[FC_MAX_HORIZON];
	size_t h;
	int freq;
};

static struct series all[MAX_SERIES];

/* Reads "id,frequency,horizon,n,v..." (train) or "id,horizon,v..." (test). */
static int
load(const char *dir, const char *period, size_t *count)
{
	char path[4096], line[LINE_MAX_LEN];
	FILE *f;
	size_t i = 0;

	snprintf(path, sizeof(path), "%s/m3_%s_train.csv", dir, period);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "m3: cannot open %s\n", path);
		return -1;
	}
	while (i < MAX_SERIES && fgets(line, sizeof(line), f)) {
		char *tok = strtok(line, ",\n");
		int field = 0;
		struct series *s = &all[i];

		s->n = 0;
		while (tok != NULL) {
			if (field == 1)
				s->freq = atoi(tok);
			else if (field == 2)
				s->h = (size_t)atol(tok);
			else if (field >= 4 && s->n < sizeof(s->y) / sizeof(s->y[0]))
				s->y[s->n++] = strtod(tok, NULL);
			field++;
			tok = strtok(NULL, ",\n");
		}
		i++;
	}
	fclose(f);
	*count = i;
	snprintf(path, sizeof(path), "%s/m3_%s_test.csv", dir, period);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "m3: cannot open %s\n", path);
		return -1;
	}
	for (i = 0; i < *count && fgets(line, sizeof(line), f); i++) {
		char *tok = strtok(line, ",\n");
		int field = 0;
		size_t k = 0;

		while (tok != NULL) {
			if (field >= 2 && k < FC_MAX_HORIZON)
				all[i].test[k++] = strtod(tok, NULL);
			field++;
			tok = strtok(NULL, ",\n");
		}
		if (k != all[i].h) {
			fprintf(stderr, "m3: %s test row %zu has %zu points, want %zu\n", period, i + 1, k,
			        all[i].h);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run(const char *period, size_t count, enum fc_method method)
{
	double smape = 0, mase = 0, in80 = 0, in95 = 0, pts = 0, t0, t1, c0, c1;
	size_t chosen[FC_METHOD_COUNT] = {0};
	static struct fc_result res[MAX_SERIES];

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < count; i++) {
		if (fc_forecast(all[i].y, all[i].n, all[i].freq, all[i].h, method, &res[i]) != ST_OK) {
			fprintf(stderr, "m3: %s series %zu failed\n", period, i + 1);
			return -1;
		}
	}
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < count; i++) {
		const struct series *s = &all[i];
		const struct fc_result *r = &res[i];

		smape += fc_smape(s->test, r->mean, s->h);
		mase += fc_mase(s->y, s->n, s->freq, s->test, r->mean, s->h);
		for (size_t k = 0; k < s->h; k++) {
			in80 += s->test[k] >= r->lo80[k] && s->test[k] <= r->hi80[k];
			in95 += s->test[k] >= r->lo95[k] && s->test[k] <= r->hi95[k];
			pts++;
		}
		chosen[r->method]++;
	}
	printf("%-10s %-15s %5zu  sMAPE %6.2f  MASE %6.3f  cover80 %5.1f %%  cover95 %5.1f %%  wall %6.3f s  "
	       "cpu %6.3f s",
	       period, fc_method_name(method), count, smape / (double)count, mase / (double)count,
	       100 * in80 / pts, 100 * in95 / pts, t1 - t0, c1 - c0);
	if (method == FC_AUTO) {
		printf("  chose");
		for (int m = 0; m < FC_METHOD_COUNT; m++)
			if (chosen[m])
				printf(" %s:%zu", fc_method_name((enum fc_method)m), chosen[m]);
	}
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = "../shared/data/m3";
	const char *periods[] = {"yearly", "quarterly", "monthly"};
	enum fc_method method = FC_AUTO;
	int every = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0) {
			every = 1;
		} else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc) {
			if (fc_method_parse(argv[++i], &method) != ST_OK) {
				fprintf(stderr, "m3: unknown method %s\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0 || argv[i][0] == '-') {
			fprintf(stderr, "usage: m3 [--method NAME|--all] [DATA_DIR]\n");
			return 2;
		} else {
			dir = argv[i];
		}
	}
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		size_t count = 0;

		if (load(dir, periods[p], &count) != 0)
			return 1;
		if (every) {
			for (int m = 0; m < FC_CROSTON; m++)
				if (run(periods[p], count, (enum fc_method)m) != 0)
					return 1;
		} else if (run(periods[p], count, method) != 0) {
			return 1;
		}
	}
	return 0;
}
