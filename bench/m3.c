/*
 * m3.c — the accuracy bar of issue 11: the projection engine on the M3
 * competition's yearly (h = 6), quarterly (h = 8) and monthly (h = 18)
 * series, against their holdouts. Prints per frequency the mean sMAPE (M3's
 * definition), MASE, the share of holdout points inside the 80 % and 95 %
 * intervals, and the wall and CPU time of the engine calls (parsing
 * excluded; one thread, so the CPU time is the one-core cost even on a busy
 * machine).
 *
 *   build/bench/m3 [--method NAME|--all] [--limit N] [--http URL --token T] [DATA_DIR]
 *
 * DATA_DIR defaults to ../shared/data/m3 (relative to the repository, where
 * the program is usually run from). --all runs every method in turn.
 * --limit N scores only the first N series of each frequency.
 *
 * --http URL drives a running attaind instead of the engine in process: each
 * series goes as one POST URL/v1/forecasts/projection ({values, frequency,
 * horizon, method}) with `Authorization: Bearer T`, one request at a time, and
 * the answer's points are scored exactly as the in-process run scores its
 * results (the API rounds figures to cents: on M3's magnitudes the printed
 * figures are the same). The times are then those of the HTTP round trips.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
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

/* --http: the endpoint, the Authorization header and the connection (kept
 * alive across requests). */
struct http {
	char url[4096];
	struct curl_slist *headers;
	CURL *curl;
};

struct buf {
	char *p;
	size_t len;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t add = size * nmemb;
	char *p = realloc(b->p, b->len + add + 1);

	if (p == NULL)
		return 0;
	memcpy(p + b->len, data, add);
	b->p = p;
	b->len += add;
	b->p[b->len] = 0;
	return add;
}

/* The value of number `key` of object o into *v; -1 when absent or not one. */
static int
number_at(const json_t *o, const char *key, double *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_number(j))
		return -1;
	*v = json_number_value(j);
	return 0;
}

/* The answer of POST /v1/forecasts/projection into *r (mean and bounds of
 * each point, the method that ran). */
static int
parse_answer(const char *body, size_t h, struct fc_result *r)
{
	json_error_t err;
	json_t *o = json_loads(body, 0, &err), *points;
	const char *ran;
	int rc = -1;

	if (o == NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	r->horizon = h;
	points = json_object_get(o, "points");
	ran = json_string_value(json_object_get(o, "method"));
	if (!json_is_array(points) || json_array_size(points) != h || ran == NULL)
		goto out;
	r->method = FC_METHOD_COUNT;
	for (int m = 0; m < FC_METHOD_COUNT; m++)
		if (strcmp(ran, fc_method_name((enum fc_method)m)) == 0)
			r->method = (enum fc_method)m;
	if (r->method == FC_METHOD_COUNT)
		goto out;
	r->method_name = fc_method_name(r->method);
	for (size_t k = 0; k < h; k++) {
		const json_t *pt = json_array_get(points, k);

		if (number_at(pt, "mean", &r->mean[k]) || number_at(pt, "lo80", &r->lo80[k]) ||
		    number_at(pt, "hi80", &r->hi80[k]) || number_at(pt, "lo95", &r->lo95[k]) ||
		    number_at(pt, "hi95", &r->hi95[k]))
			goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* One series through attaind; 0 and *r on a 200. A 429 or 503 (the
 * expensive-route limits) is retried after a short pause. */
static int
http_forecast(struct http *hp, const struct series *s, enum fc_method method, struct fc_result *r)
{
	json_t *values = json_array(), *req;
	char *body;
	int rc = -1;

	for (size_t t = 0; t < s->n; t++)
		json_array_append_new(values, json_real(s->y[t]));
	req = json_pack("{s:o,s:i,s:I,s:s}", "values", values, "frequency", s->freq, "horizon", (json_int_t)s->h,
	                "method", fc_method_name(method));
	body = req ? json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(req);
	if (body == NULL)
		return -1;
	for (int attempt = 0; attempt < 100; attempt++) {
		struct buf b = {0};
		long code = 0;

		curl_easy_setopt(hp->curl, CURLOPT_URL, hp->url);
		curl_easy_setopt(hp->curl, CURLOPT_HTTPHEADER, hp->headers);
		curl_easy_setopt(hp->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(hp->curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(hp->curl, CURLOPT_WRITEDATA, &b);
		if (curl_easy_perform(hp->curl) != CURLE_OK) {
			free(b.p);
			break;
		}
		curl_easy_getinfo(hp->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code == 429 || code == 503) {
			free(b.p);
			nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
			continue;
		}
		if (code == 200 && b.p != NULL)
			rc = parse_answer(b.p, s->h, r);
		if (rc != 0)
			fprintf(stderr, "m3: HTTP %ld: %.300s\n", code, b.p ? b.p : "");
		free(b.p);
		break;
	}
	free(body);
	return rc;
}

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
run(const char *period, size_t count, enum fc_method method, struct http *hp)
{
	double smape = 0, smape2 = 0, mase = 0, in80 = 0, in95 = 0, pts = 0, t0, t1, c0, c1;
	size_t chosen[FC_METHOD_COUNT] = {0};
	static struct fc_result res[MAX_SERIES];

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < count; i++) {
		if (hp ? http_forecast(hp, &all[i], method, &res[i]) != 0
		       : fc_forecast(all[i].y, all[i].n, all[i].freq, all[i].h, method, &res[i]) != ST_OK) {
			fprintf(stderr, "m3: %s series %zu failed\n", period, i + 1);
			return -1;
		}
	}
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < count; i++) {
		const struct series *s = &all[i];
		const struct fc_result *r = &res[i];

		double e = fc_smape(s->test, r->mean, s->h);
		smape += e;
		smape2 += e * e;
		mase += fc_mase(s->y, s->n, s->freq, s->test, r->mean, s->h);
		for (size_t k = 0; k < s->h; k++) {
			in80 += s->test[k] >= r->lo80[k] && s->test[k] <= r->hi80[k];
			in95 += s->test[k] >= r->lo95[k] && s->test[k] <= r->hi95[k];
			pts++;
		}
		chosen[r->method]++;
	}
	/* the standard error of the mean sMAPE over the series: how far another draw of as many series could move it */
	double n = (double)count, mean = smape / n, var = n > 1 ? (smape2 - n * mean * mean) / (n - 1) : 0;
	printf("%-10s %-15s %5zu%s  sMAPE %6.2f (se %4.2f)  MASE %6.3f  cover80 %5.1f %%  cover95 %5.1f %%  wall %6.3f s  "
	       "cpu %6.3f s",
	       period, fc_method_name(method), count, hp ? " http" : "", mean, sqrt(var > 0 ? var : 0) / sqrt(n),
	       mase / n, 100 * in80 / pts, 100 * in95 / pts, t1 - t0, c1 - c0);
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
	const char *url = NULL, *token = NULL;
	enum fc_method method = FC_AUTO;
	struct http http = {0}, *hp = NULL;
	size_t limit = MAX_SERIES;
	int every = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0) {
			every = 1;
		} else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc) {
			if (fc_method_parse(argv[++i], &method) != ST_OK) {
				fprintf(stderr, "m3: unknown method %s\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc) {
			url = argv[++i];
		} else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
			token = argv[++i];
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc && atol(argv[i + 1]) > 0) {
			limit = (size_t)atol(argv[++i]);
		} else if (strcmp(argv[i], "--help") == 0 || argv[i][0] == '-') {
			fprintf(stderr, "usage: m3 [--method NAME|--all] [--limit N] [--http URL --token T] [DATA_DIR]\n");
			return 2;
		} else {
			dir = argv[i];
		}
	}
	if (url != NULL) {
		char auth[8192];
		size_t len = strlen(url);

		if (token == NULL) {
			fprintf(stderr, "m3: --http needs --token\n");
			return 2;
		}
		while (len > 0 && url[len - 1] == '/')
			len--;
		snprintf(http.url, sizeof(http.url), "%.*s/v1/forecasts/projection", (int)len, url);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		http.curl = curl_easy_init();
		http.headers = curl_slist_append(http.headers, "Content-Type: application/json");
		http.headers = curl_slist_append(http.headers, auth);
		if (http.curl == NULL || http.headers == NULL) {
			fprintf(stderr, "m3: cannot set up libcurl\n");
			return 1;
		}
		hp = &http;
	}
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]) && rc == 0; p++) {
		size_t count = 0;

		if (load(dir, periods[p], &count) != 0) {
			rc = 1;
			break;
		}
		if (count > limit)
			count = limit;
		if (every) {
			for (int m = 0; m < FC_CROSTON && rc == 0; m++)
				if (run(periods[p], count, (enum fc_method)m, hp) != 0)
					rc = 1;
		} else if (run(periods[p], count, method, hp) != 0) {
			rc = 1;
		}
	}
	if (hp != NULL) {
		curl_slist_free_all(http.headers);
		curl_easy_cleanup(http.curl);
		curl_global_cleanup();
	}
	return rc;
}
