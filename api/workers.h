/*
 * workers.h — a fixed set of threads that run requests' handlers, fed by
 * one FIFO queue.
 *
 * The threads that read connections (MHD's pool) hand each request here
 * and go back to reading, so a slow handler holds up only its own
 * connection, never the others a reading thread serves.
 */
#ifndef ATTAIN_API_WORKERS_H
#define ATTAIN_API_WORKERS_H

#include <stdbool.h>
#include <time.h>

/* One piece of work; the caller owns it and embeds it in its own state. */
struct work {
	struct work *next;
	void (*run)(struct work *w); /* called once, on a worker */
	struct timespec queued;      /* CLOCK_MONOTONIC, set by workers_submit */
};

struct workers;

/* Start n threads (n >= 1). NULL when a thread cannot be started. */
struct workers *workers_start(int n);
/* Queue w (FIFO). false once workers_stop has begun: run it yourself. */
bool workers_submit(struct workers *ws, struct work *w);
/* Work queued or running now. */
int workers_pending(struct workers *ws);
/* Milliseconds w has waited since it was queued. */
long work_waited_ms(const struct work *w);
/* Refuse new work, run what is queued, join the threads. NULL is a no-op. */
void workers_stop(struct workers *ws);
/* Free stopped workers (no one may submit any more). NULL is a no-op. */
void workers_free(struct workers *ws);

#endif
