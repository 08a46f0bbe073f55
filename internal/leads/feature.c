#include "leads/feature.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
feature_numeric_text(const char *s, double *x)
{
	char *end;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return false;
	/* "01234" is a code (a postal code, an account number), not a number */
	const char *d = s + (*s == '+' || *s == '-');
	if (d[0] == '0' && d[1] >= '0' && d[1] <= '9')
		return false;
	*x = strtod(s, &end);
	return *end == '\0' && end != s && isfinite(*x);
}

bool
feature_raw_number(const struct lead_field_ref *f, enum feature_transform tr, const struct lead *l, double *x)
{
	struct lead_value v;

	lead_value_get(l, f, &v);
	if (tr == FEATURE_TR_DAYS && v.type == LV_DATE) {
		*x = (double)v.date - (double)l->created_on;
		return true;
	}
	if (v.type == LV_TEXT)
		return feature_numeric_text(v.text, x);
	if (v.type != LV_NUMBER || !isfinite(v.number))
		return false;
	*x = v.number;
	return true;
}

double
feature_transformed(enum feature_transform tr, double x)
{
	return tr == FEATURE_TR_LOG1P ? log1p(x > 0 ? x : 0) : x;
}

bool
feature_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

const char *
feature_raw_text(const struct lead_field_ref *f, const struct lead *l, char *buf, size_t len)
{
	struct lead_value v;

	lead_value_get(l, f, &v);
	switch (v.type) {
	case LV_TEXT: return feature_blank(v.text) ? NULL : v.text;
	case LV_ORDINAL: return v.text;
	case LV_NUMBER: snprintf(buf, len, "%.15g", v.number); return buf;
	case LV_BOOL: return v.flag ? "true" : "false";
	case LV_DATE: cal_date_format(v.date, buf, len); return buf;
	case LV_NULL: break;
	}
	return NULL;
}

static int
find_term(const struct feature *f, enum feature_term t)
{
	for (int c = 0; c < f->ncols; c++)
		if (f->cols[c].term == t)
			return c;
	return -1;
}

int
feature_encode(const struct feature *f, const struct lead *l, int *idx, double *val)
{
	char buf[40];
	const char *s;
	int n = 0, c;
	double x;
	struct lead_value v;

	switch (f->kind) {
	case FEATURE_K_NUMERIC:
		if (!feature_raw_number(&f->field, f->transform, l, &x))
			break;
		x = (feature_transformed(f->transform, x) - f->center) / f->scale;
		for (c = 0; c < f->ncols; c++)
			if (f->cols[c].term == FEATURE_T_VALUE) {
				idx[n] = c;
				val[n++] = x;
			} else if (f->cols[c].term == FEATURE_T_HINGE && x > f->cols[c].knot) {
				idx[n] = c;
				val[n++] = x - f->cols[c].knot;
			}
		return n;
	case FEATURE_K_CATEGORICAL:
		if (!(s = feature_raw_text(&f->field, l, buf, sizeof buf)))
			break;
		for (c = 0; c < f->ncols; c++)
			if (f->cols[c].term == FEATURE_T_LEVEL && strcmp(f->cols[c].level, s) == 0)
				break;
		if (c == f->ncols)
			c = find_term(f, FEATURE_T_OTHER);
		if (c >= 0) {
			idx[n] = c;
			val[n++] = 1;
		}
		return n;
	case FEATURE_K_BOOLEAN:
		lead_value_get(l, &f->field, &v);
		if (v.type != LV_BOOL)
			break;
		if (v.flag && (c = find_term(f, FEATURE_T_TRUE)) >= 0) {
			idx[n] = c;
			val[n++] = 1;
		}
		return n;
	case FEATURE_K_CROSS: {
		char buf2[40];
		const char *s2;
		if (!(s = feature_raw_text(&f->field, l, buf, sizeof buf)) ||
		    !(s2 = feature_raw_text(&f->field2, l, buf2, sizeof buf2)))
			return 0;
		for (c = 0; c < f->ncols; c++)
			if (strcmp(f->cols[c].level, s) == 0 && strcmp(f->cols[c].level2, s2) == 0) {
				idx[n] = c;
				val[n++] = 1;
				break;
			}
		return n;
	}
	}
	if ((c = find_term(f, FEATURE_T_MISSING)) >= 0) {
		idx[n] = c;
		val[n++] = 1;
	}
	return n;
}

/* src into dst (cap bytes), cut if need be before a whole UTF-8 character, never inside one. */
static void
utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
feature_value_text(const struct feature *f, const struct lead *l, char *buf, size_t len)
{
	char num[40];
	const char *s;
	double x;

	buf[0] = '\0';
	if (f->kind == FEATURE_K_NUMERIC) {
		if (feature_raw_number(&f->field, f->transform, l, &x))
			snprintf(buf, len, "%.15g", x);
	} else if (f->kind == FEATURE_K_CROSS) {
		char num2[40];
		const char *s2 = feature_raw_text(&f->field2, l, num2, sizeof num2);
		size_t half = (len - (sizeof FEATURE_CROSS_JOIN - 1)) / 2; /* with its terminator */
		if ((s = feature_raw_text(&f->field, l, num, sizeof num)) != NULL && s2 && half > 1) {
			utf8_copy(buf, half, s);
			size_t at = strlen(buf);
			memcpy(buf + at, FEATURE_CROSS_JOIN, sizeof FEATURE_CROSS_JOIN - 1);
			utf8_copy(buf + at + sizeof FEATURE_CROSS_JOIN - 1, half, s2);
		}
	} else if ((s = feature_raw_text(&f->field, l, num, sizeof num)) != NULL)
		utf8_copy(buf, len, s);
}
