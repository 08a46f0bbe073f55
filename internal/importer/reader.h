/*
 * reader.h — the records of an import file (attainctl import): CSV as RFC
 * 4180 has it (quoted fields, doubled quotes, commas and line breaks inside
 * quotes; CRLF or LF; UTF-8 with or without a byte order mark; a header
 * row naming the columns) or NDJSON (one JSON object a line). Each record
 * comes back as a JSON object keyed by column name (after the column map),
 * with the physical line of the file where it starts. Pure: it reads the
 * FILE it is given and nothing else.
 *
 * A CSV cell is a JSON string; an empty cell is left out of the object
 * (absent, not null). A CSV row with more or fewer cells than the header,
 * an NDJSON line that is not a JSON object, and a quoted field left open at
 * the end of the file are records of their own with a problem (issues)
 * instead of an object: reading goes on after them.
 */
#ifndef ATTAIN_IMPORTER_READER_H
#define ATTAIN_IMPORTER_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/issue.h"
#include "core/status.h"

enum imp_format {
	IMP_CSV,
	IMP_NDJSON,
};

/* Column renames: a column (or NDJSON key) named src is read as dst. */
struct imp_rename {
	char *src; /* owned */
	char *dst; /* owned; "" = drop the column */
};
struct imp_map {
	struct buf renames; /* owned: struct imp_rename items, in the order given */
	size_t n;
};

/*
 * Add the renames of spec "src=dst,src2=dst2" (blanks around names
 * trimmed; a later rename of the same src wins). ST_INVALID with a sentence
 * in err (errlen bytes) when a pair has no '='; ST_NOMEM.
 */
enum status imp_map_add_spec(struct imp_map *m, const char *spec, char *err, size_t errlen);
/*
 * Add the renames of a mapping file: one "src=dst" a line (the source
 * column name may hold blanks and commas; its last '=' ends it), blank
 * lines and lines starting with '#' skipped. ST_INVALID with the line
 * number in err; ST_NOMEM.
 */
enum status imp_map_add_file(struct imp_map *m, FILE *f, char *err, size_t errlen);
/* The name column `name` is read as (borrowed from m or name): matched without regard to case. */
const char *imp_map_name(const struct imp_map *m, const char *name);
/* Free the renames; the map is left empty. */
void imp_map_clear(struct imp_map *m);

/* The format a file name's extension says: .ndjson/.jsonl -> NDJSON, else CSV. */
enum imp_format imp_format_of(const char *path);

struct imp_reader; /* opaque */

/*
 * Start reading f (borrowed; the caller closes it) in format fmt with the
 * renames of m (borrowed; it must outlive the reader). For CSV the header
 * row is read here: ST_INVALID with a sentence in err when the file is
 * empty or two columns have the same name after the renames; ST_NOMEM.
 */
enum status imp_reader_open(FILE *f, enum imp_format fmt, const struct imp_map *m, struct imp_reader **out,
                            char *err, size_t errlen);
/* The CSV columns after the renames (dropped ones as ""), *n of them; NULL for NDJSON. */
const char *const *imp_reader_columns(const struct imp_reader *r, size_t *n);
/* Leave CSV column i out of the records from now on. */
void imp_reader_drop_column(struct imp_reader *r, size_t i);

/*
 * The next record: ST_OK with *line the physical line (1-based) where it
 * starts, and either *obj a new object (the caller decrefs) or *obj NULL
 * and the record's problems added to e. ST_NOT_FOUND at the end of the
 * file; ST_UNAVAILABLE when the file cannot be read (errno says why);
 * ST_NOMEM. Blank lines are skipped.
 */
enum status imp_reader_next(struct imp_reader *r, json_t **obj, long *line, struct issues *e);

/* Bytes read so far (for progress). */
long long imp_reader_offset(const struct imp_reader *r);

/* Free the reader; accepts NULL. */
void imp_reader_free(struct imp_reader *r);

#endif
