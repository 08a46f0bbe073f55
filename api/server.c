/*
 * server.c — the ulfius instance on a fixed MHD thread pool (not a thread
 * per connection), with a connection limit, a per-address cap, a deadline
 * for the request head and an idle timeout; graceful stop on SIGTERM.
 *
 * Slow requests run apart. ulfius runs each handler on the MHD thread that
 * read its request, and a thread serves many connections, so one slow
 * request (a training, a large bulk) held up every other connection on that
 * thread, even a probe on a kept-alive connection. The routes that may run
 * long (R_EXPENSIVE, R_BULK) are therefore handed over once their request
 * is in: the connection is suspended, the request goes to the workers'
 * queue (api/workers.c, ATTAIN_THREADS threads) and the reading thread goes
 * on at once. One that waits for a worker longer than ATTAIN_DB_POOL_WAIT_MS
 * gets 503 + Retry-After. Every other route (short by design) runs where it
 * was read: handing all of them over cost GET /v1/people/{id} at 32
 * connections 40 % of its throughput (32 workers busy at once opened 32
 * PostgreSQL connections under full load, and some connects timed out).
 *
 * The edge. ulfius hands MHD its own access handler (a static function,
 * ulfius_webservice_dispatcher) and calls ours only once the whole body is
 * in memory. To see each request at its head, before any body byte is
 * read, this file defines MHD_start_daemon: the dynamic linker binds
 * libulfius's call to it (the executable's definition comes first), and it
 * starts the daemon through MHD_start_daemon_va with edge_access in front
 * of ulfius's dispatcher. edge_access lets the dispatcher read the head,
 * then asks api_admit (413 / 401 / 503 at once), counts every body byte
 * against the route's limit and the in-flight budget, and passes the rest
 * on unchanged. server_start fails when the hook did not take (another
 * ulfius that starts MHD otherwise).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <ulfius.h>
#include <unistd.h>

#include "api/api.h"
#include "api/middleware.h"
#include "api/workers.h"
#include "core/log.h"

/*
 * The deadline for a request head. MHD's connection timeout is a limit on
 * silence, so a client sending a header byte every few seconds could hold a
 * connection forever. Each connection is watched from its start (and, once
 * kept alive, from the end of its last answer, with ATTAIN_IDLE_TIMEOUT more
 * to send the next request) until its head is in; a reaper thread shuts down
 * the socket of one past its deadline, and MHD then closes it. MHD tells us
 * a connection is closed before it closes the socket, so under the lock a
 * watched fd is still that connection's.
 */
struct watch {
	struct watch *prev, *next;
	int fd;
	bool head_in;     /* the head of the current request is in */
	bool reaped;      /* its socket was shut down */
	long deadline_ms; /* CLOCK_MONOTONIC */
};

struct watchlist {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct watch *head;
	bool stop;
	pthread_t reaper;
	bool started;
};

struct server {
	struct _u_instance inst;
	struct watchlist watch;
	struct app *app;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
	MHD_AccessHandlerCallback inner; /* ulfius's dispatcher */
	void *inner_cls;
	struct workers *workers; /* run the handlers (owned) */
};

/* ---- the head deadline ------------------------------------------------------ */

static long
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* MHD_OPTION_NOTIFY_CONNECTION: watch a new connection, forget a closed one. */
static void
watch_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	struct watchlist *wl = &s->watch;
	struct watch *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (fd && atomic_load(&s->app->draining)) {
			/*
			 * Draining (SIGTERM): a new connection is closed as soon as
			 * it is accepted; MHD sees it end and forgets it. (Closing
			 * the listening socket with MHD_quiesce_daemon races MHD's
			 * own epoll loop in a thread pool and can abort the
			 * process: an open libmicrohttpd defect.)
			 */
			shutdown(fd->connect_fd, SHUT_RDWR);
			return;
		}
		if (!fd || !(w = calloc(1, sizeof *w)))
			return; /* not watched: the silence limit still holds */
		w->fd = fd->connect_fd;
		w->deadline_ms = now_ms() + s->app->cfg.header_timeout_s * 1000L;
		pthread_mutex_lock(&wl->lock);
		w->next = wl->head;
		if (wl->head)
			wl->head->prev = w;
		wl->head = w;
		pthread_mutex_unlock(&wl->lock);
		*socket_context = w;
		return;
	}
	if (!w)
		return;
	pthread_mutex_lock(&wl->lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		wl->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&wl->lock);
	free(w);
	*socket_context = NULL;
}

/* The watch of connection c (NULL when it is not watched). */
static struct watch *
watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

/* The head of c's request is in (head_in), or its answer is done and the next one may come (!head_in). */
static void
watch_mark(struct server *s, struct MHD_Connection *c, bool head_in)
{
	struct watch *w = watch_of(c);

	if (!w)
		return;
	pthread_mutex_lock(&s->watch.lock);
	w->head_in = head_in;
	if (!head_in)
		w->deadline_ms = now_ms() + (s->app->cfg.idle_timeout_s + s->app->cfg.header_timeout_s) * 1000L;
	pthread_mutex_unlock(&s->watch.lock);
}

static void *
reaper_main(void *arg)
{
	struct server *s = arg;
	struct watchlist *wl = &s->watch;

	pthread_mutex_lock(&wl->lock);
	while (!wl->stop) {
		long now = now_ms();
		for (struct watch *w = wl->head; w; w = w->next)
			if (!w->head_in && !w->reaped && now > w->deadline_ms) {
				shutdown(w->fd, SHUT_RDWR);
				w->reaped = true;
			}
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 250 * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wl->wake, &wl->lock, &t);
	}
	pthread_mutex_unlock(&wl->lock);
	return NULL;
}

/* Stop the reaper (MHD has stopped: every watch is gone). */
static void
watch_stop(struct server *s)
{
	struct watchlist *wl = &s->watch;

	if (!wl->started)
		return;
	pthread_mutex_lock(&wl->lock);
	wl->stop = true;
	pthread_cond_signal(&wl->wake);
	pthread_mutex_unlock(&wl->lock);
	pthread_join(wl->reaper, NULL);
	wl->started = false;
}

/* ---- the edge ------------------------------------------------------------ */

/* What the edge keeps per request; *con_cls of MHD (ulfius's state inside). */
struct edge_req {
	void *ulfius;    /* ulfius's connection_info_struct */
	bool head_seen;  /* api_admit ran */
	bool apart;      /* run by a worker (api_admit) */
	size_t limit;    /* largest body the route takes */
	size_t received; /* body bytes handed to ulfius */
	size_t reserved; /* bytes of the in-flight budget this request holds */
	/* handed to a worker: the connection is suspended until it is answered */
	struct work work;
	struct server *server;
	struct MHD_Connection *conn;
	const char *url, *method, *version; /* MHD's, valid while the connection is */
	bool handed;
	bool failed; /* the dispatcher could not answer: close the connection */
};

/* The server whose daemon MHD_start_daemon is starting (server_start only). */
static struct server *starting;

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
		 MHD_AccessHandlerCallback dh, void *dh_cls, ...);

static enum MHD_Result edge_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				   const char *version, const char *upload, size_t *upload_size, void **con_cls);

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
		 MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (starting) {
		starting->inner = dh;
		starting->inner_cls = dh_cls;
		dh = edge_access;
		dh_cls = starting;
	}
	va_start(ap, dh_cls);
	d = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/*
 * MHD_OPTION_URI_LOG_CALLBACK: the request line is in; ulfius's state inside
 * ours. The rest of the head must come within ATTAIN_HEADER_TIMEOUT (a new
 * connection has it from accept, the daemon's default; a kept-alive one
 * waited for this request under ATTAIN_IDLE_TIMEOUT).
 */
static void *
edge_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct server *s = cls;
	struct edge_req *er = calloc(1, sizeof *er);

	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)s->app->cfg.header_timeout_s);
	if (er)
		er->ulfius = ulfius_uri_logger(NULL, uri);
	return er;
}

/* MHD_OPTION_NOTIFY_COMPLETED: ulfius frees its state, we give back the budget. */
static void
edge_end(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct edge_req *er = *con_cls;

	if (!er)
		return;
	watch_mark(s, c, false);
	mhd_request_completed(NULL, c, &er->ulfius, toe);
	body_release(s->app, er->reserved);
	free(er);
	*con_cls = NULL;
}

/* Queue an answer made at the edge; close when the body was not read. */
static enum MHD_Result
queue_answer(struct MHD_Connection *c, struct _u_response *resp, bool close)
{
	struct MHD_Response *m =
		MHD_create_response_from_buffer(resp->binary_body_length, resp->binary_body, MHD_RESPMEM_MUST_COPY);
	const char **keys = u_map_enum_keys(resp->map_header);
	enum MHD_Result ret;

	if (!m)
		return MHD_NO;
	for (int i = 0; keys && keys[i]; i++)
		MHD_add_response_header(m, keys[i], u_map_get(resp->map_header, keys[i]));
	/* the body (if any) was not read: the connection cannot carry another request */
	if (close)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, (unsigned)resp->status, m);
	MHD_destroy_response(m);
	return ret;
}

/*
 * On a worker: run the request (ulfius's final call queues the answer on the
 * suspended connection, which MHD allows from any thread), or answer 503 if
 * it waited too long; then give the connection back to its reading thread.
 */
static void
edge_run(struct work *w)
{
	struct edge_req *er = (struct edge_req *)((char *)w - offsetof(struct edge_req, work));
	struct server *s = er->server;
	enum MHD_Result ret;

	if (work_waited_ms(w) > s->app->cfg.db_pool_wait_ms) {
		struct _u_response resp;
		ret = MHD_NO;
		if (ulfius_init_response(&resp) == U_OK) {
			api_busy(s->app, ((const struct connection_info_struct *)er->ulfius)->request, &resp);
			ret = queue_answer(er->conn, &resp, false);
			ulfius_clean_response(&resp);
		}
	} else {
		size_t none = 0;
		ret = s->inner(s->inner_cls, er->conn, er->url, er->method, er->version, NULL, &none, &er->ulfius);
	}
	er->failed = ret != MHD_YES;
	MHD_resume_connection(er->conn);
}

static enum MHD_Result
edge_access(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
	    const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct edge_req *er = *con_cls;
	enum MHD_Result ret;

	if (!er || !er->ulfius)
		return MHD_NO;
	if (!er->head_seen) {
		/* ulfius reads the head (method, headers, query) into its request */
		ret = s->inner(s->inner_cls, c, url, method, version, upload, upload_size, &er->ulfius);
		if (ret != MHD_YES)
			return ret;
		er->head_seen = true;
		watch_mark(s, c, true);
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)s->app->cfg.idle_timeout_s);
		struct _u_response resp;
		if (ulfius_init_response(&resp) != U_OK)
			return MHD_NO;
		const struct connection_info_struct *ci = er->ulfius;
		int status = api_admit(s->app, ci->request, &resp, &er->limit, &er->reserved, &er->apart);
		ret = status ? queue_answer(c, &resp, true) : MHD_YES;
		ulfius_clean_response(&resp);
		return ret;
	}
	if (*upload_size == 0) {
		/* The request is in. Called again after a worker ran it only if no
		 * answer was queued: then close. */
		if (er->handed)
			return MHD_NO;
		if (!s->workers || !er->apart)
			return s->inner(s->inner_cls, c, url, method, version, upload, upload_size, &er->ulfius);
		er->server = s;
		er->conn = c;
		er->url = url;
		er->method = method;
		er->version = version;
		er->work.run = edge_run;
		er->handed = true;
		MHD_suspend_connection(c);
		if (workers_submit(s->workers, &er->work))
			return MHD_YES;
		/* stopping: run it here */
		er->handed = false;
		MHD_resume_connection(c);
		return s->inner(s->inner_cls, c, url, method, version, upload, upload_size, &er->ulfius);
	}
	/* Body bytes: at most limit + 1 reach ulfius (so the guard sees the
	 * excess and answers 413), the rest is dropped; bytes beyond the
	 * declared length (chunked bodies) are reserved as they come. */
	size_t n = *upload_size;
	size_t room = er->received <= er->limit ? er->limit + 1 - er->received : 0;
	size_t take = n < room ? n : room;
	*upload_size = 0;
	if (take == 0)
		return MHD_YES;
	if (er->received + take > er->reserved) {
		size_t more = er->received + take - er->reserved;
		if (!body_reserve(s->app, more))
			return MHD_NO; /* the budget is spent mid-body: drop the connection */
		er->reserved += more;
	}
	size_t t = take;
	ret = s->inner(s->inner_cls, c, url, method, version, upload, &t, &er->ulfius);
	er->received += take;
	return ret;
}

/* ---- start and stop ------------------------------------------------------- */

struct server *
server_start(struct app *app, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof *s);
	const struct config *cfg = &app->cfg;
	bool v6 = strchr(cfg->listen_host, ':') != NULL;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = app;
	if (v6) {
		s->addr.v6.sin6_family = AF_INET6;
		s->addr.v6.sin6_port = htons((uint16_t)cfg->listen_port);
		inet_pton(AF_INET6, cfg->listen_host, &s->addr.v6.sin6_addr);
		rc = ulfius_init_instance_ipv6(&s->inst, (unsigned)cfg->listen_port, &s->addr.v6, U_USE_IPV6, NULL);
	} else {
		s->addr.v4.sin_family = AF_INET;
		s->addr.v4.sin_port = htons((uint16_t)cfg->listen_port);
		inet_pton(AF_INET, cfg->listen_host, &s->addr.v4.sin_addr);
		rc = ulfius_init_instance(&s->inst, (unsigned)cfg->listen_port, &s->addr.v4, NULL);
	}
	if (rc != U_OK) {
		snprintf(err, errlen, "ATTAIN_LISTEN: cannot initialise the HTTP server");
		free(s);
		return NULL;
	}
	/* One byte more than allowed, so the guard sees an oversized body and
	 * answers 413 instead of handling a silently truncated one. */
	s->inst.max_post_body_size = cfg->max_body + 1;
	/* Bodies are JSON (or NDJSON) only: never run MHD's form parsers, which
	 * drop the connection on a malformed multipart body instead of letting
	 * us answer 415. */
	s->inst.allowed_post_processor = U_POST_PROCESS_NONE;
	ulfius_set_default_endpoint(&s->inst, api_dispatch, app);

	struct MHD_OptionItem ops[] = {
		{ MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL },
		/* until the head is in; then ATTAIN_IDLE_TIMEOUT (edge_access) */
		{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->header_timeout_s, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip, NULL },
		{ MHD_OPTION_SOCK_ADDR, 0, v6 ? (void *)&s->addr.v6 : (void *)&s->addr.v4 },
		{ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)edge_end, s },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)edge_begin, s },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)watch_notify, s },
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 (v6 ? MHD_USE_IPv6 : 0);
	pthread_mutex_init(&s->watch.lock, NULL);
	pthread_cond_init(&s->watch.wake, NULL);
	if (pthread_create(&s->watch.reaper, NULL, reaper_main, s) != 0) {
		snprintf(err, errlen, "cannot start the thread that enforces ATTAIN_HEADER_TIMEOUT");
		ulfius_clean_instance(&s->inst);
		free(s);
		return NULL;
	}
	s->watch.started = true;
	if (!(s->workers = workers_start(cfg->threads))) {
		snprintf(err, errlen, "ATTAIN_THREADS: cannot start %d worker threads", cfg->threads);
		watch_stop(s);
		ulfius_clean_instance(&s->inst);
		free(s);
		return NULL;
	}
	starting = s;
	rc = ulfius_start_framework_with_mhd_options(&s->inst, flags, ops);
	starting = NULL;
	if (rc != U_OK || !s->inner) {
		if (rc != U_OK)
			snprintf(err, errlen, "ATTAIN_LISTEN: cannot listen on %s:%d (address in use?)",
				 cfg->listen_host, cfg->listen_port);
		else {
			snprintf(err, errlen, "ATTAIN_LISTEN: this ulfius does not start MHD through MHD_start_daemon");
			ulfius_stop_framework(&s->inst);
		}
		workers_stop(s->workers);
		workers_free(s->workers);
		watch_stop(s);
		ulfius_clean_instance(&s->inst);
		free(s);
		return NULL;
	}
	return s;
}

void
server_stop(struct server *s, int grace_ms)
{
	struct timespec nap = { 0, 10 * 1000000L };

	if (!s)
		return;
	/* new connections are closed at accept from now on (watch_notify) */
	atomic_store(&s->app->draining, true);
	for (int waited = 0;
	     waited < grace_ms && (atomic_load(&s->app->inflight) > 0 || workers_pending(s->workers) > 0);
	     waited += 10)
		nanosleep(&nap, NULL);
	/* Whatever is still queued or running is answered before MHD stops:
	 * MHD must not stop with a connection suspended. */
	workers_stop(s->workers);
	/* Let the last answers leave the socket buffers. */
	nap.tv_nsec = 100 * 1000000L;
	nanosleep(&nap, NULL);
	ulfius_stop_framework(&s->inst);
	watch_stop(s);
	ulfius_clean_instance(&s->inst);
	workers_free(s->workers);
	free(s);
}
