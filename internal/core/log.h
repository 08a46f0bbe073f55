/*
 * log.h — one JSON object per line on stderr.
 */
#ifndef ATTAIN_CORE_LOG_H
#define ATTAIN_CORE_LOG_H

/* How much is logged: each level includes those above it. */
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* The process-wide level (set once at start): lines below it are not written. */
void log_set_level(enum log_level lvl);
/* The level log_set_level set (LOG_INFO until then). */
enum log_level log_get_level(void);
/*
 * Write {"ts":..., "level":..., "msg":..., <fields>} where `fields` is
 * either NULL or already-encoded JSON members without braces
 * ("\"route\":\"/x\",\"status\":200"). One write(2) per line.
 */
void log_json(enum log_level lvl, const char *msg, const char *fields);
/* printf-style convenience: the formatted text becomes "msg". */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
