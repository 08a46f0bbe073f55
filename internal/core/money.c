/*
 * money.c — amounts as int64 cents, exact in and out (DESIGN §5).
 *
 * A JSON real is a double; its intended decimal is the shortest one that
 * reads back as the same double. "%.15g" gives that decimal whenever it has
 * at most 15 significant digits (DBL_DIG), which covers every amount up to
 * 999,999,999,999.99; the decimal text is then read exactly, never through
 * floating-point arithmetic.
 */
#include "core/money.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MONEY_MAX_UNITS (MONEY_MAX_CENTS / 100) /* largest integral amount */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read the output of "%.15g" ("-12.5", "1e+15", "1.5e-05") into a decimal
 * mantissa and power of ten, stripped of trailing zeros. At most 15 digits
 * come from "%.15g", so the mantissa cannot overflow.
 */
static bool
read_shortest(const char *s, int64_t *mant, int *exp10)
{
	int64_t m = 0;
	int e = 0, ndigits = 0;

	if (*s == '-')
		s++;
	for (; is_digit(*s); s++, ndigits++)
		m = m * 10 + (*s - '0');
	if (*s == '.')
		for (s++; is_digit(*s); s++, ndigits++, e--)
			m = m * 10 + (*s - '0');
	if (ndigits == 0 || ndigits > 17)
		return false;
	if (*s == 'e' || *s == 'E') {
		int sign = 1, x = 0;

		s++;
		if (*s == '+' || *s == '-')
			sign = *s++ == '-' ? -1 : 1;
		if (!is_digit(*s))
			return false;
		for (; is_digit(*s) && x < 10000; s++)
			x = x * 10 + (*s - '0');
		e += sign * x;
	}
	if (*s != '\0')
		return false;
	while (m != 0 && m % 10 == 0) {
		m /= 10;
		e++;
	}
	*mant = m;
	*exp10 = m == 0 ? 0 : e;
	return true;
}

static enum status
real_to_cents(double x, int64_t *cents, const char **why)
{
	char buf[40];
	int64_t mant;
	int e;

	snprintf(buf, sizeof buf, "%.15g", x);
	if (strtod(buf, NULL) != x) {
		*why = "too many digits";
		return ST_INVALID;
	}
	if (!read_shortest(buf, &mant, &e)) {
		*why = "must be a number";
		return ST_INVALID;
	}
	if (e < -2) {
		*why = "at most 2 decimals";
		return ST_INVALID;
	}
	/* |x| <= MONEY_MAX_UNITS was checked, so e + 2 is small and this cannot overflow. */
	for (e += 2; e > 0; e--)
		mant *= 10;
	if (mant > MONEY_MAX_CENTS) {
		*why = "out of range";
		return ST_INVALID;
	}
	*cents = x < 0 ? -mant : mant;
	return ST_OK;
}

/*
 * Read JSON number v into *cents. ST_INVALID, with a static message in *why
 * (why may be NULL), when v is not a number ("must be a number"), not
 * finite ("must be a finite number"), beyond MONEY_MAX_CENTS ("out of
 * range"), negative without allow_negative ("must not be negative"), has
 * more than 15 significant digits ("too many digits") or more than 2
 * decimals ("at most 2 decimals"). *cents is written only on ST_OK; *why
 * only on error.
 */
enum status
money_from_json(const json_t *v, bool allow_negative, int64_t *cents, const char **why)
{
	const char *ignored;
	enum status st;
	int64_t c;
	double x;

	if (!why)
		why = &ignored;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 && !allow_negative) {
			*why = "must not be negative";
			return ST_INVALID;
		}
		if (i > MONEY_MAX_UNITS || i < -MONEY_MAX_UNITS) {
			*why = "out of range";
			return ST_INVALID;
		}
		*cents = (int64_t)i * 100;
		return ST_OK;
	}
	if (!json_is_real(v)) {
		*why = "must be a number";
		return ST_INVALID;
	}
	x = json_real_value(v);
	if (!isfinite(x)) {
		*why = "must be a finite number";
		return ST_INVALID;
	}
	if (x < 0 && !allow_negative) {
		*why = "must not be negative";
		return ST_INVALID;
	}
	if (fabs(x) > 999999999999.99) {
		*why = "out of range";
		return ST_INVALID;
	}
	if ((st = real_to_cents(x, &c, why)) != ST_OK)
		return st;
	*cents = c;
	return ST_OK;
}

/* mag * 10 + digit, false when above limit. */
static bool
push_digit(uint64_t *mag, int digit, uint64_t limit)
{
	if (*mag > (limit - (uint64_t)digit) / 10)
		return false;
	*mag = *mag * 10 + (uint64_t)digit;
	return true;
}

/*
 * Parse decimal text as PostgreSQL prints numeric: optional '-', digits,
 * optionally '.' and digits ("123", "-4.5", "0.07", "12.3400"). Digits after
 * the second decimal must be zeros. Any value whose cents fit in int64 is
 * accepted (sums may exceed MONEY_MAX_CENTS). ST_INVALID when malformed
 * (NULL, empty, spaces, '+', exponent, "NaN", ".5", "5."), with a non-zero
 * third decimal, or on overflow. *cents is written only on ST_OK.
 */
enum status
money_parse_text(const char *s, int64_t *cents)
{
	bool neg = false;
	uint64_t limit, mag = 0;
	int nfrac = 0;

	if (!s)
		return ST_INVALID;
	if (*s == '-') {
		neg = true;
		s++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (!is_digit(*s))
		return ST_INVALID;
	for (; is_digit(*s); s++)
		if (!push_digit(&mag, *s - '0', limit))
			return ST_INVALID;
	if (*s == '.') {
		if (!is_digit(*++s))
			return ST_INVALID;
		for (; is_digit(*s); s++, nfrac++) {
			if (nfrac >= 2 ? *s != '0' : !push_digit(&mag, *s - '0', limit))
				return ST_INVALID;
		}
	}
	if (*s != '\0')
		return ST_INVALID;
	for (; nfrac < 2; nfrac++)
		if (!push_digit(&mag, 0, limit))
			return ST_INVALID;
	if (!neg)
		*cents = (int64_t)mag;
	else if (mag > (uint64_t)INT64_MAX)
		*cents = INT64_MIN;
	else
		*cents = -(int64_t)mag;
	return ST_OK;
}

/*
 * Write cents as "-123.45" / "0.07" / "100.00" (always 2 decimals, '-' only
 * when negative) into buf; len >= 24 fits every int64. Truncates when
 * shorter; nothing is written when len is 0.
 */
void
money_format(int64_t cents, char *buf, size_t len)
{
	uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

	snprintf(buf, len, "%s%" PRIu64 ".%02u", cents < 0 ? "-" : "", mag / 100,
		 (unsigned)(mag % 100));
}

/*
 * A new JSON number for cents (caller owns the reference; NULL on
 * allocation failure): an integer when there are no cents, else a real.
 * The real prints exactly with JSON_REAL_PRECISION(15) as long as
 * |cents| <= MONEY_MAX_CENTS (15 significant digits); beyond that only
 * integral amounts stay exact.
 */
json_t *
money_to_json(int64_t cents)
{
	if (cents % 100 == 0)
		return json_integer(cents / 100);
	return json_real((double)cents / 100.0);
}
