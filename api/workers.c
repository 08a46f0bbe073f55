#include "api/workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct work *head, *tail; /* the queue (not owned) */
	bool stopping;
	atomic_int pending; /* queued + running */
	int n;
	pthread_t threads[];
};

static void *
worker_main(void *arg)
{
	struct workers *ws = arg;

	for (;;) {
		pthread_mutex_lock(&ws->lock);
		while (!ws->head && !ws->stopping)
			pthread_cond_wait(&ws->more, &ws->lock);
		struct work *w = ws->head;
		if (w) {
			ws->head = w->next;
			if (!ws->head)
				ws->tail = NULL;
		}
		pthread_mutex_unlock(&ws->lock);
		if (!w)
			return NULL; /* stopping and nothing left */
		w->next = NULL;
		w->run(w);
		atomic_fetch_sub(&ws->pending, 1);
	}
}

struct workers *
workers_start(int n)
{
	struct workers *ws = calloc(1, sizeof *ws + (size_t)n * sizeof(pthread_t));

	if (!ws || n < 1) {
		free(ws);
		return NULL;
	}
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->more, NULL);
	for (; ws->n < n; ws->n++)
		if (pthread_create(&ws->threads[ws->n], NULL, worker_main, ws) != 0) {
			workers_stop(ws);
			workers_free(ws);
			return NULL;
		}
	return ws;
}

bool
workers_submit(struct workers *ws, struct work *w)
{
	bool taken;

	clock_gettime(CLOCK_MONOTONIC, &w->queued);
	w->next = NULL;
	pthread_mutex_lock(&ws->lock);
	taken = !ws->stopping;
	if (taken) {
		atomic_fetch_add(&ws->pending, 1);
		if (ws->tail)
			ws->tail->next = w;
		else
			ws->head = w;
		ws->tail = w;
		pthread_cond_signal(&ws->more);
	}
	pthread_mutex_unlock(&ws->lock);
	return taken;
}

int
workers_pending(struct workers *ws)
{
	return ws ? atomic_load(&ws->pending) : 0;
}

long
work_waited_ms(const struct work *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - w->queued.tv_sec) * 1000L + (now.tv_nsec - w->queued.tv_nsec) / 1000000L;
}

void
workers_stop(struct workers *ws)
{
	if (!ws)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->stopping = true;
	pthread_cond_broadcast(&ws->more);
	pthread_mutex_unlock(&ws->lock);
	for (int i = 0; i < ws->n; i++)
		pthread_join(ws->threads[i], NULL);
	ws->n = 0;
}

void
workers_free(struct workers *ws)
{
	if (!ws)
		return;
	pthread_mutex_destroy(&ws->lock);
	pthread_cond_destroy(&ws->more);
	free(ws);
}
