#include "leads/metrics.h"

#include <math.h>
#include <stdlib.h>

struct scored {
	double p;
	unsigned char y;
};

static int
by_p(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static struct scored *
sorted_pairs(const double *p, const unsigned char *y, size_t n)
{
	struct scored *s = malloc((n ? n : 1) * sizeof *s);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct scored){p[i], y[i] ? 1 : 0};
	qsort(s, n, sizeof *s, by_p);
	return s;
}

double
metrics_auc(const double *p, const unsigned char *y, size_t n)
{
	struct scored *s = sorted_pairs(p, y, n);
	double rank_sum = 0, n1 = 0;

	if (!s)
		return NAN;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j].p == s[i].p)
			j++;
		double avg_rank = ((double)i + 1 + (double)j) / 2; /* ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (s[k].y) {
				rank_sum += avg_rank;
				n1++;
			}
		i = j;
	}
	free(s);
	double n0 = (double)n - n1;
	if (n1 == 0 || n0 == 0)
		return NAN;
	return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

double
metrics_brier(const double *p, const unsigned char *y, size_t n)
{
	double s = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		s += (p[i] - (y[i] ? 1 : 0)) * (p[i] - (y[i] ? 1 : 0));
	return s / (double)n;
}

double
metrics_log_loss(const double *p, const unsigned char *y, size_t n)
{
	double s = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
		s -= y[i] ? log(q) : log(1 - q);
	}
	return s / (double)n;
}

enum status
metrics_calibration(const double *p, const unsigned char *y, size_t n, int nbins,
                    struct metrics_calibration_bin *out, int *nout)
{
	struct scored *s;
	size_t at = 0;
	int bins = (size_t)nbins < n ? nbins : (int)n;

	*nout = 0;
	if (bins <= 0)
		return ST_OK;
	if (!(s = sorted_pairs(p, y, n)))
		return ST_NOMEM;
	for (int b = 0; b < bins; b++) {
		size_t size = n / (size_t)bins + ((size_t)b < n % (size_t)bins ? 1 : 0);
		double sp = 0, sy = 0;
		for (size_t k = at; k < at + size; k++) {
			sp += s[k].p;
			sy += s[k].y;
		}
		out[b] = (struct metrics_calibration_bin){
		    .count = size, .predicted = sp / (double)size, .observed = sy / (double)size};
		at += size;
	}
	free(s);
	*nout = bins;
	return ST_OK;
}
