/*
 * row.h — what every store.c shares: the row types a read hands up (a
 * resource as JSON text built by PostgreSQL, a page of a list), text
 * parameters, one-row and no-row statement runs, the naming of a failed
 * constraint, and the SQL fragments for instants, dates and the org's day.
 * The one home of these helpers: no store.c redefines them.
 */
#ifndef ATTAIN_DB_ROW_H
#define ATTAIN_DB_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "core/buf.h"
#include "core/issue.h"
#include "db/db.h"

/* An instant column as RFC 3339 UTC with milliseconds. */
#define DB_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* A date column as YYYY-MM-DD. */
#define DB_DAY(col) "to_char(" col ", 'YYYY-MM-DD')"
/* The time zone of org $1 (connections run in UTC). */
#define DB_ORG_TZ "(SELECT o.timezone FROM orgs o WHERE o.org_id = $1)"
/* Today in the time zone of org $1. */
#define DB_ORG_TODAY "(now() AT TIME ZONE " DB_ORG_TZ ")::date"
/*
 * The version and updated_at assignments of an UPDATE that sets the columns
 * `cols` to the list `values`: a write that changes nothing keeps both
 * (DESIGN §5), so the new version is counted only when the new list IS
 * DISTINCT FROM the stored one. Expands to ", version = ..., updated_at = ...".
 */
#define DB_BUMP_IF_CHANGED(cols, values)                                                       \
	", version = version + (ROW(" values ") IS DISTINCT FROM ROW(" cols "))::int,"            \
	" updated_at = CASE WHEN ROW(" values ") IS DISTINCT FROM ROW(" cols ") THEN now() ELSE updated_at END "

/* One resource as JSON text plus what the HTTP layer needs around it. */
struct rowjson {
	char *json;  /* owned */
	int version; /* for the ETag */
	int64_t id;
};
/* Free the JSON text; the row is left zeroed. */
void rowjson_clear(struct rowjson *r);

/* A page of a list: items as a JSON array text, and where to resume. */
struct page {
	struct buf items; /* owned: "[{...},{...}]" */
	int count;
	int64_t last_id; /* id of the last item, the next cursor */
	bool more;       /* another page follows */
};
/* Free the items; the page is left zeroed. */
void page_clear(struct page *p);
/*
 * Fill a page from a result whose first column is the item's JSON text and
 * second its id, fetched with LIMIT limit+1 (the extra row only says "more").
 * Allocation failure is recorded in p->items.oom.
 */
void page_fill(struct page *p, const PGresult *r, int limit);

/* ---- text parameters (each returns buf, or NULL for SQL NULL) ---------------- */

/* An id; NULL (SQL NULL) when id <= 0. */
const char *row_id_param(int64_t id, char *buf, size_t len);
/* Any integer. */
const char *row_int_param(long long v, char *buf, size_t len);
/* A date "YYYY-MM-DD"; NULL when !set. */
const char *row_date_param(bool set, cal_date d, char *buf, size_t len);
/* Cents as an exact decimal "123.45"; NULL when !set. */
const char *row_money_param(bool set, int64_t cents, char *buf, size_t len);

/*
 * The three text parameters of a store's scope predicate (all, self,
 * teams) for s into out[0..2]; self (len bytes) holds the person id.
 */
void row_scope_params(const struct scope_rows *s, char *self, size_t len, const char **out);

/* ---- running statements ---------------------------------------------------- */

/*
 * The only row of a result whose columns are `<json>, [id,] version` into
 * *out (json malloc'd: rowjson_clear). With two columns the id is 0.
 * ST_NOT_FOUND when the result has no row; ST_NOMEM.
 */
enum status row_take(const PGresult *r, struct rowjson *out);
/* Run s and take its only row into *out (row_take); the statement's failure as db_check maps it. */
enum status row_exec(struct db_conn *c, struct db_stmt *s, int n, const char *const *params,
                     struct rowjson *out);
/*
 * Run s, which returns at most one row, and hand its result to *out (the
 * caller PQclears it; written only on ST_OK). ST_NOT_FOUND when it returned
 * no row; the statement's failure as db_check maps it.
 */
enum status row_exec_one(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, PGresult **out);
/*
 * Run s, a list fetched with LIMIT limit+1 (page_fill's columns), into *out
 * (page_clear); the statement's failure as db_check maps it.
 */
enum status row_exec_page(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, int limit,
                          struct page *out);
/* Map row i of r into `item` (zeroed on entry); ST_OK or the failure. */
typedef enum status (*row_map_fn)(const PGresult *r, int i, void *item);
/*
 * Run s and map its rows into a new array of `size`-byte items (room for one
 * more, zeroed) into *items and *count. On failure (the statement's as
 * db_check maps it, or a row's) `clear` frees the array with the rows mapped
 * so far, the failed one included (NULL: plain free), and nothing is written
 * out.
 */
enum status row_exec_array(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, size_t size,
                           row_map_fn map, void (*clear)(void *items, size_t count), void **items,
                           size_t *count);
/* As row_exec_array for a result already at hand (db_exec_batch's): r stays the caller's. */
enum status row_result_array(struct db_conn *c, const PGresult *r, size_t size, row_map_fn map,
                             void (*clear)(void *items, size_t count), void **items, size_t *count);
/* Run s, which returns no rows; its failure as db_check maps it. */
enum status row_exec_command(struct db_conn *c, struct db_stmt *s, int n, const char *const *params);
/* Run ad-hoc SQL without parameters and without rows (SET LOCAL ...). */
enum status row_exec_raw(struct db_conn *c, const char *sql);

/* ---- COPY ... FROM STDIN ------------------------------------------------------ */

/*
 * Append s to b as one value of COPY's text format (backslash escapes for
 * backslash, tab, newline and carriage return); NULL is \N. Allocation
 * failure is recorded in b->oom.
 */
void row_copy_text(struct buf *b, const char *s);
/*
 * Send what b holds through the COPY open on c once it is about 1 MB, or
 * whatever it holds when `last`; b is emptied when sent. ST_NOMEM when b ran
 * out of memory; else the status of db_copy_put.
 */
enum status row_copy_flush(struct db_conn *c, struct buf *b, bool last);

/* A constraint and the field (and reason) a failure of it is about. */
struct row_constraint {
	const char *constraint;
	const char *field;
	const char *message;
};
/*
 * After a failed write with status st: when the constraint the failure
 * names is in map (n entries), add its field and message to e. Returns st.
 */
enum status row_explain(struct db_conn *c, enum status st, const struct row_constraint *map, size_t n,
                        struct issues *e);

#endif
