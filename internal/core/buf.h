/*
 * buf.h — a growable byte buffer for building text (CSV, SQL arrays, logs).
 *
 * A zeroed struct buf is a valid empty buffer. On allocation failure the
 * buffer records it (oom) and ignores further appends, so callers check once
 * at the end. The text is always NUL-terminated once anything was appended.
 */
#ifndef ATTAIN_CORE_BUF_H
#define ATTAIN_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	bool oom;
};

/* Append n bytes of s (which may hold NULs); the text stays NUL-terminated. */
void buf_append(struct buf *b, const char *s, size_t n);
/* Append the string s. */
void buf_puts(struct buf *b, const char *s);
/* Append one byte. */
void buf_putc(struct buf *b, char c);
/* Append printf-style formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Give the text to the caller (who frees it); the buffer is left empty. */
char *buf_take(struct buf *b);
/* Free the text; the buffer is left empty and reusable (oom cleared). */
void buf_clear(struct buf *b);
/* Append s as a JSON string literal, quotes included. */
void buf_put_json_string(struct buf *b, const char *s);

#endif
