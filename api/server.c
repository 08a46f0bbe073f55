/*
 * server.c — the ulfius instance on a fixed MHD thread pool (not a thread
 * per connection), with a connection limit and an idle timeout; graceful
 * stop on SIGTERM.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <ulfius.h>
#include <unistd.h>

#include "api/api.h"
#include "api/middleware.h"
#include "core/log.h"

struct server {
	struct _u_instance inst;
	struct app *app;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
};

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
		{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s, NULL },
		{ MHD_OPTION_SOCK_ADDR, 0, v6 ? (void *)&s->addr.v6 : (void *)&s->addr.v4 },
		{ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)ulfius_uri_logger, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 (v6 ? MHD_USE_IPv6 : 0);
	if (ulfius_start_framework_with_mhd_options(&s->inst, flags, ops) != U_OK) {
		snprintf(err, errlen, "ATTAIN_LISTEN: cannot listen on %s:%d (address in use?)", cfg->listen_host,
			 cfg->listen_port);
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
	atomic_store(&s->app->draining, true);
	if (s->inst.mhd_daemon) {
		MHD_socket fd = MHD_quiesce_daemon(s->inst.mhd_daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	for (int waited = 0; waited < grace_ms && atomic_load(&s->app->inflight) > 0; waited += 10)
		nanosleep(&nap, NULL);
	/* Let the last answers leave the socket buffers. */
	nap.tv_nsec = 100 * 1000000L;
	nanosleep(&nap, NULL);
	ulfius_stop_framework(&s->inst);
	ulfius_clean_instance(&s->inst);
	free(s);
}
