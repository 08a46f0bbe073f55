/* reader.c — CSV (RFC 4180) and NDJSON records as JSON objects, with column renames. */
#include "importer/reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

/* ---- column renames ------------------------------------------------------------- */

/* s[0..n) without the blanks around it, as a new string (NULL when out of memory). */
static char *
trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static struct imp_rename *
rename_at(const struct imp_map *m, size_t i)
{
	return (struct imp_rename *)(void *)m->renames.data + i;
}

static enum status
map_put(struct imp_map *m, const char *src, size_t srclen, const char *dst, size_t dstlen)
{
	char *s = trimmed(src, srclen), *d = trimmed(dst, dstlen);

	if (!s || !d)
		goto nomem;
	buf_append(&m->renames, (const char *)&(struct imp_rename){.src = s, .dst = d},
	           sizeof(struct imp_rename));
	if (m->renames.oom)
		goto nomem;
	m->n++;
	return ST_OK;
nomem:
	free(s);
	free(d);
	return ST_NOMEM;
}

enum status
imp_map_add_spec(struct imp_map *m, const char *spec, char *err, size_t errlen)
{
	const char *p = spec;

	while (*p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		enum status st;

		if (n == 0) {
			p++;
			continue;
		}
		if (!eq || eq == p) {
			snprintf(err, errlen, "--map: \"%.*s\" is not src=dst", (int)n, p);
			return ST_INVALID;
		}
		if ((st = map_put(m, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1)) != ST_OK)
			return st;
		p += n;
		if (*p)
			p++;
	}
	return ST_OK;
}

enum status
imp_map_add_file(struct imp_map *m, FILE *f, char *err, size_t errlen)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	long line = 0;
	enum status st = ST_OK;

	while (st == ST_OK && (len = getline(&text, &cap, f)) >= 0) {
		char *s = text, *eq;

		line++;
		if (line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		eq = strrchr(s, '=');
		if (!eq || eq == s) {
			snprintf(err, errlen, "line %ld: not src=dst", line);
			st = ST_INVALID;
		} else
			st = map_put(m, s, (size_t)(eq - s), eq + 1, strlen(eq + 1));
	}
	free(text);
	return st;
}

const char *
imp_map_name(const struct imp_map *m, const char *name)
{
	/* A later rename of the same column wins. */
	for (size_t i = m ? m->n : 0; i-- > 0;)
		if (strcasecmp(rename_at(m, i)->src, name) == 0)
			return rename_at(m, i)->dst;
	return name;
}

void
imp_map_clear(struct imp_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(rename_at(m, i)->src);
		free(rename_at(m, i)->dst);
	}
	buf_clear(&m->renames);
	*m = (struct imp_map){0};
}

enum imp_format
imp_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (strcasecmp(dot, ".ndjson") == 0 || strcasecmp(dot, ".jsonl") == 0) ? IMP_NDJSON
	                                                                                  : IMP_CSV;
}

/* ---- the reader ------------------------------------------------------------------- */

struct imp_reader {
	FILE *f; /* borrowed */
	enum imp_format fmt;
	const struct imp_map *map; /* borrowed */
	long line;                 /* the physical line the next byte is on */
	long long offset;          /* bytes read */
	int back[4];               /* bytes put back, last first */
	int nback;
	char **columns; /* owned (CSV): names after the renames, "" = dropped */
	size_t ncolumns;
	struct buf text;  /* the record's cells, each NUL-terminated (CSV) */
	struct buf cells; /* the offsets (size_t) of the cells in text */
	size_t ncells;
	char *linebuf; /* NDJSON line */
	size_t linecap;
};

static int
next_byte(struct imp_reader *r)
{
	int c = r->nback ? r->back[--r->nback] : getc_unlocked(r->f);

	if (c != EOF)
		r->offset++;
	return c;
}

/* Put c back (EOF is not put back). */
static void
put_back(struct imp_reader *r, int c)
{
	if (c == EOF)
		return;
	r->back[r->nback++] = c;
	r->offset--;
}

/* Skip a UTF-8 byte order mark at the start of a CSV file. */
static void
skip_bom(struct imp_reader *r)
{
	int c1 = next_byte(r), c2, c3;

	if (c1 != 0xEF) {
		put_back(r, c1);
		return;
	}
	c2 = next_byte(r);
	c3 = next_byte(r);
	if (c2 != 0xBB || c3 != 0xBF) {
		put_back(r, c3);
		put_back(r, c2);
		put_back(r, c1);
	}
}

static bool
cell_start(struct imp_reader *r)
{
	size_t off = r->text.len;

	if (r->ncells == 0)
		r->cells.len = 0; /* reused from record to record */
	buf_append(&r->cells, (const char *)&off, sizeof off);
	r->ncells++;
	return !r->cells.oom;
}

/*
 * Read one CSV record's cells into r->text / r->cells. ST_NOT_FOUND at the
 * end of the file; ST_INVALID when it ends inside a quoted field (the cells
 * read so far are kept).
 */
static enum status
csv_record(struct imp_reader *r)
{
	enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } state = FIELD_START;
	bool any = false;
	int c;

	buf_clear(&r->text);
	r->ncells = 0;
	if (!cell_start(r))
		return ST_NOMEM;
	for (;;) {
		c = next_byte(r);
		if (c == EOF) {
			if (ferror(r->f))
				return ST_UNAVAILABLE;
			if (state == QUOTED)
				return ST_INVALID;
			break;
		}
		if (state == QUOTED) {
			if (c == '"')
				state = QUOTE_IN_QUOTED;
			else {
				if (c == '\n')
					r->line++;
				buf_putc(&r->text, (char)c);
			}
			continue;
		}
		if (state == QUOTE_IN_QUOTED && c == '"') {
			buf_putc(&r->text, '"');
			state = QUOTED;
			continue;
		}
		if (c == ',') {
			buf_putc(&r->text, '\0');
			if (!cell_start(r))
				return ST_NOMEM;
			state = FIELD_START;
			any = true;
			continue;
		}
		if (c == '\r') {
			int d = next_byte(r);
			if (d != '\n')
				put_back(r, d);
			c = '\n';
		}
		if (c == '\n') {
			r->line++;
			if (!any && state == FIELD_START)
				continue; /* a blank line */
			break;
		}
		any = true;
		if (state == FIELD_START && c == '"') {
			state = QUOTED;
			continue;
		}
		/* A character after a closing quote is kept, as most readers do. */
		state = UNQUOTED;
		buf_putc(&r->text, (char)c);
	}
	buf_putc(&r->text, '\0');
	if (r->text.oom)
		return ST_NOMEM;
	return any || state != FIELD_START ? ST_OK : ST_NOT_FOUND;
}

static const char *
cell(const struct imp_reader *r, size_t i)
{
	size_t off;

	memcpy(&off, r->cells.data + i * sizeof off, sizeof off);
	return r->text.data + off;
}

static enum status
csv_header(struct imp_reader *r, char *err, size_t errlen)
{
	enum status st = csv_record(r);

	if (st == ST_NOT_FOUND || st == ST_INVALID) {
		snprintf(err, errlen,
		         st == ST_NOT_FOUND ? "the file is empty: a CSV file starts with a header row"
		                            : "the header row has an unterminated quoted field");
		return ST_INVALID;
	}
	if (st != ST_OK)
		return st;
	if (!(r->columns = calloc(r->ncells, sizeof *r->columns)))
		return ST_NOMEM;
	r->ncolumns = r->ncells;
	for (size_t i = 0; i < r->ncells; i++) {
		char *name = trimmed(cell(r, i), strlen(cell(r, i)));
		if (!name)
			return ST_NOMEM;
		r->columns[i] = strdup(imp_map_name(r->map, name));
		free(name);
		if (!r->columns[i])
			return ST_NOMEM;
		for (size_t j = 0; j < i; j++)
			if (r->columns[i][0] && strcmp(r->columns[i], r->columns[j]) == 0) {
				snprintf(err, errlen, "columns %zu and %zu are both read as \"%s\"", j + 1,
				         i + 1, r->columns[i]);
				return ST_INVALID;
			}
	}
	return ST_OK;
}

enum status
imp_reader_open(FILE *f, enum imp_format fmt, const struct imp_map *m, struct imp_reader **out, char *err,
                size_t errlen)
{
	struct imp_reader *r = calloc(1, sizeof *r);
	enum status st = ST_OK;

	if (!r)
		return ST_NOMEM;
	*r = (struct imp_reader){.f = f, .fmt = fmt, .map = m, .line = 1};
	if (fmt == IMP_CSV) {
		skip_bom(r);
		st = csv_header(r, err, errlen);
	}
	if (st != ST_OK) {
		imp_reader_free(r);
		return st;
	}
	*out = r;
	return ST_OK;
}

const char *const *
imp_reader_columns(const struct imp_reader *r, size_t *n)
{
	*n = r->ncolumns;
	return (const char *const *)r->columns;
}

void
imp_reader_drop_column(struct imp_reader *r, size_t i)
{
	if (i < r->ncolumns)
		r->columns[i][0] = '\0';
}

static enum status
csv_next(struct imp_reader *r, json_t **obj, long *line, struct issues *e)
{
	long start;
	enum status st;
	json_t *o;

	/* Blank lines are skipped inside csv_record: the record starts after them. */
	for (;;) {
		int c = next_byte(r);
		if (c == '\n' || c == '\r') {
			if (c == '\r') {
				int d = next_byte(r);
				if (d != '\n')
					put_back(r, d);
			}
			r->line++;
			continue;
		}
		put_back(r, c);
		break;
	}
	start = r->line;
	st = csv_record(r);
	if (st == ST_INVALID) {
		*line = start;
		*obj = NULL;
		issues_add(e, "row", "a quoted field is not closed before the end of the file");
		return ST_OK;
	}
	if (st != ST_OK)
		return st;
	*line = start;
	*obj = NULL;
	if (r->ncells != r->ncolumns) {
		issues_add(e, "row", "has %zu fields, the header has %zu", r->ncells, r->ncolumns);
		return ST_OK;
	}
	if (!(o = json_object()))
		return ST_NOMEM;
	for (size_t i = 0; i < r->ncells; i++) {
		const char *v = cell(r, i);
		if (!*v || !r->columns[i][0])
			continue;
		if (json_object_set_new(o, r->columns[i], json_string(v)) != 0) {
			/* Not UTF-8: say so about the column. */
			issues_add(e, r->columns[i], "is not valid UTF-8");
			json_decref(o);
			return ST_OK;
		}
	}
	*obj = o;
	return ST_OK;
}

static enum status
ndjson_next(struct imp_reader *r, json_t **obj, long *line, struct issues *e)
{
	ssize_t len;
	json_t *o, *renamed, *v;
	json_error_t jerr;
	const char *key;

	for (;;) {
		errno = 0;
		if ((len = getline(&r->linebuf, &r->linecap, r->f)) < 0)
			return ferror(r->f) ? ST_UNAVAILABLE : ST_NOT_FOUND;
		r->offset += len;
		*line = r->line++;
		if (*line == 1 && len >= 3 && memcmp(r->linebuf, "\xEF\xBB\xBF", 3) == 0) {
			memmove(r->linebuf, r->linebuf + 3, (size_t)len - 2);
			len -= 3;
		}
		while (len && (r->linebuf[len - 1] == '\n' || r->linebuf[len - 1] == '\r' ||
		               r->linebuf[len - 1] == ' ' || r->linebuf[len - 1] == '\t'))
			r->linebuf[--len] = '\0';
		if (len)
			break;
	}
	*obj = NULL;
	if (!(o = json_loadb(r->linebuf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr))) {
		issues_add(e, "item", "is not JSON: %s", jerr.text);
		return ST_OK;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		issues_add(e, "item", "must be a JSON object");
		return ST_OK;
	}
	if (!r->map || !r->map->n) {
		*obj = o;
		return ST_OK;
	}
	if (!(renamed = json_object())) {
		json_decref(o);
		return ST_NOMEM;
	}
	json_object_foreach (o, key, v) {
		const char *to = imp_map_name(r->map, key);
		if (!*to)
			continue;
		if (json_object_get(renamed, to)) {
			issues_add(e, to, "is given twice (after the column renames)");
			json_decref(renamed);
			json_decref(o);
			return ST_OK;
		}
		json_object_set(renamed, to, v);
	}
	json_decref(o);
	*obj = renamed;
	return ST_OK;
}

enum status
imp_reader_next(struct imp_reader *r, json_t **obj, long *line, struct issues *e)
{
	return r->fmt == IMP_CSV ? csv_next(r, obj, line, e) : ndjson_next(r, obj, line, e);
}

long long
imp_reader_offset(const struct imp_reader *r)
{
	return r->offset;
}

void
imp_reader_free(struct imp_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncolumns; i++)
		free(r->columns[i]);
	free(r->columns);
	buf_clear(&r->text);
	buf_clear(&r->cells);
	free(r->linebuf);
	free(r);
}
