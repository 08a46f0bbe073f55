/*
 * money.h — amounts as int64 cents, exact in and out (DESIGN §5).
 *
 * JSON money is a number with at most 2 decimals, 0..999,999,999,999.99 in
 * absolute value. Storage is PostgreSQL numeric; text from the database is
 * parsed with money_parse_text. Never do arithmetic on doubles.
 */
#ifndef ATTAIN_CORE_MONEY_H
#define ATTAIN_CORE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/status.h"

#define MONEY_MAX_CENTS 99999999999999LL /* 999,999,999,999.99 */

/*
 * Read a JSON number (integer or real) into cents. ST_INVALID (with a short
 * message in *why, a static string) when not a number, more than 2
 * decimals, non-finite, or beyond MONEY_MAX_CENTS; negative values are
 * refused unless allow_negative.
 */
enum status money_from_json(const json_t *v, bool allow_negative, int64_t *cents,
			    const char **why);
/* Parse decimal text ("123", "-4.5", "0.07") into cents; ST_INVALID when
 * malformed or with more than 2 decimals. Used for numeric columns. */
enum status money_parse_text(const char *s, int64_t *cents);
/* Write "-123.45" / "0.07" / "100.00" into buf (>= 24 bytes). */
void money_format(int64_t cents, char *buf, size_t len);
/* A new JSON number for cents (exact when dumped with JSON_REAL_PRECISION(15)). */
json_t *money_to_json(int64_t cents);

#endif
