#include "db/row.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

void
rowjson_clear(struct rowjson *r)
{
	free(r->json);
	memset(r, 0, sizeof *r);
}

void
page_clear(struct page *p)
{
	buf_clear(&p->items);
	memset(p, 0, sizeof *p);
}

void
page_fill(struct page *p, const PGresult *r, int limit)
{
	int n = PQntuples(r);

	p->more = n > limit;
	if (p->more)
		n = limit;
	buf_putc(&p->items, '[');
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putc(&p->items, ',');
		buf_append(&p->items, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
	}
	buf_putc(&p->items, ']');
	p->count = n;
	p->last_id = n ? strtoll(PQgetvalue(r, n - 1, 1), NULL, 10) : 0;
}

const char *
row_id_param(int64_t id, char *buf, size_t len)
{
	if (id <= 0)
		return NULL;
	snprintf(buf, len, "%" PRId64, id);
	return buf;
}

const char *
row_int_param(long long v, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", v);
	return buf;
}

const char *
row_date_param(bool set, cal_date d, char *buf, size_t len)
{
	if (set)
		cal_date_format(d, buf, len);
	return set ? buf : NULL;
}

const char *
row_money_param(bool set, int64_t cents, char *buf, size_t len)
{
	if (set)
		money_format(cents, buf, len);
	return set ? buf : NULL;
}

void
row_scope_params(const struct scope_rows *s, char *self, size_t len, const char **out)
{
	out[0] = s->all ? "true" : "false";
	out[1] = row_id_param(s->person_id, self, len);
	out[2] = s->teams ? s->teams : "{}";
}

enum status
row_take(const PGresult *r, struct rowjson *out)
{
	if (PQntuples(r) != 1)
		return ST_NOT_FOUND;
	char *json = strdup(PQgetvalue(r, 0, 0));
	if (!json)
		return ST_NOMEM;
	out->json = json;
	out->id = PQnfields(r) > 2 ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
	out->version = atoi(PQgetvalue(r, 0, PQnfields(r) > 2 ? 2 : PQnfields(r) - 1));
	return ST_OK;
}

enum status
row_exec(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, struct rowjson *out)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		st = row_take(r, out);
	PQclear(r);
	return st;
}

enum status
row_result_array(struct db_conn *c, const PGresult *r, size_t size, row_map_fn map,
                 void (*clear)(void *items, size_t count), void **items, size_t *count)
{
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	size_t rows = st == ST_OK ? (size_t)PQntuples(r) : 0, done = 0;
	char *v = NULL;

	if (st == ST_OK && !(v = calloc(rows + 1, size)))
		st = ST_NOMEM;
	for (; st == ST_OK && done < rows; done++)
		st = map(r, (int)done, v + done * size);
	if (st != ST_OK) {
		if (clear && v)
			clear(v, done);
		else
			free(v);
		return st;
	}
	*items = v;
	*count = rows;
	return ST_OK;
}

enum status
row_exec_array(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, size_t size,
               row_map_fn map, void (*clear)(void *items, size_t count), void **items, size_t *count)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = row_result_array(c, r, size, map, clear, items, count);

	PQclear(r);
	return st;
}

enum status
row_exec_one(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, PGresult **out)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && PQntuples(r) != 1)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		*out = r;
	else
		PQclear(r);
	return st;
}

enum status
row_exec_page(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, int limit, struct page *out)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		page_fill(out, r, limit);
	PQclear(r);
	return st;
}

enum status
row_exec_command(struct db_conn *c, struct db_stmt *s, int n, const char *const *params)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_COMMAND_OK);

	PQclear(r);
	return st;
}

enum status
row_exec_raw(struct db_conn *c, const char *sql)
{
	return db_run(c, sql, PGRES_COMMAND_OK);
}

enum status
row_explain(struct db_conn *c, enum status st, const struct row_constraint *map, size_t n, struct issues *e)
{
	const char *cons = db_last_constraint(c);

	for (size_t i = 0; i < n; i++)
		if (strcmp(cons, map[i].constraint) == 0) {
			issues_add(e, map[i].field, "%s", map[i].message);
			break;
		}
	return st;
}

void
row_copy_text(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "\\N");
		return;
	}
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *p);
		}
	}
}

enum status
row_copy_flush(struct db_conn *c, struct buf *b, bool last)
{
	enum status st = ST_OK;

	if (b->oom)
		return ST_NOMEM;
	if (b->len && (last || b->len >= (1u << 20))) {
		st = db_copy_put(c, b->data, b->len);
		b->len = 0;
	}
	return st;
}
