#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

static enum log_level level = LOG_INFO;
static const char *names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level lvl)
{
	level = lvl;
}

enum log_level
log_get_level(void)
{
	return level;
}

void
log_json(enum log_level lvl, const char *msg, const char *fields)
{
	struct buf b = { 0 };
	struct timespec ts;
	struct tm tm;
	char when[40];

	if (lvl < level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", when, ts.tv_nsec / 1000000,
		   names[lvl]);
	buf_put_json_string(&b, msg);
	if (fields && *fields) {
		buf_putc(&b, ',');
		buf_puts(&b, fields);
	}
	buf_puts(&b, "}\n");
	if (!b.oom) {
		ssize_t w = write(STDERR_FILENO, b.data, b.len);
		(void)w;
	}
	buf_clear(&b);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (lvl < level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	log_json(lvl, text, NULL);
}
