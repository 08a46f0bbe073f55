/*
 * middleware.c — the one path every request takes: request id, routing
 * (404/405), body guard (413), auth (401/403), database connection (503),
 * the write transaction and Idempotency-Key, then the handler; finally the
 * answer, one log line and the metrics.
 */
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <ulfius.h>

#include "api/api.h"
#include "api/metrics.h"
#include "api/middleware.h"
#include "api/parse.h"
#include "api/respond.h"
#include "core/log.h"
#include "db/idempotency.h"
#include "db/lag.h"
#include "org/service.h"

/* ---- orgs known to exist (saves an INSERT per request) ------------------ */

#define ORG_CACHE_SLOTS 4096

struct org_cache {
	pthread_mutex_t lock;
	unsigned long connects; /* db_pool_connects when the slots were filled */
	char *slots[ORG_CACHE_SLOTS]; /* owned strings */
};

struct org_cache *
org_cache_new(void)
{
	struct org_cache *c = calloc(1, sizeof *c);

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void
org_cache_free(struct org_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < ORG_CACHE_SLOTS; i++)
		free(c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static unsigned
org_slot(const char *org)
{
	unsigned h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)org; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % ORG_CACHE_SLOTS;
}

/* Known unless the pool reconnected since (PostgreSQL may have lost the row). */
static bool
org_known(struct org_cache *c, unsigned long connects, const char *org)
{
	unsigned s = org_slot(org);

	pthread_mutex_lock(&c->lock);
	if (c->connects != connects) {
		for (int i = 0; i < ORG_CACHE_SLOTS; i++) {
			free(c->slots[i]);
			c->slots[i] = NULL;
		}
		c->connects = connects;
	}
	bool hit = c->slots[s] && strcmp(c->slots[s], org) == 0;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static void
org_remember(struct org_cache *c, const char *org)
{
	unsigned s = org_slot(org);
	char *copy = strdup(org);

	if (!copy)
		return;
	pthread_mutex_lock(&c->lock);
	free(c->slots[s]);
	c->slots[s] = copy;
	pthread_mutex_unlock(&c->lock);
}

/* ---- request accessors that answer ------------------------------------ */

bool
req_path_id(struct req *r, int i, int64_t *out)
{
	const char *s = r->params[i];
	char *end;

	if (!s || !*s || strlen(s) > 18 || *s < '1' || *s > '9')
		goto bad;
	long long v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		goto bad;
	*out = v;
	return true;
bad:
	respond_problem(r, 404, "no such resource", NULL);
	return false;
}

const struct scope *
req_scope(struct req *r)
{
	if (r->scope_loaded)
		return &r->scope;
	enum status st = org_service_scope_load(r->conn, r->who.org, r->who.roles, req_person_id(r), &r->scope);
	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return NULL;
	}
	r->scope_loaded = true;
	return &r->scope;
}

bool
req_caller(struct req *r, struct caller *out)
{
	const struct scope *s = req_scope(r);

	if (!s)
		return false;
	*out = (struct caller){ .org = r->who.org, .sub = r->who.sub, .scope = s };
	return true;
}

void
req_caller_unscoped(const struct req *r, struct caller *out)
{
	*out = (struct caller){ .org = r->who.org, .sub = r->who.sub, .scope = NULL };
}

/* ---- routing ------------------------------------------------------------- */

/* Match path against pattern; on success fill params (pointing into copy). */
static bool
match(const char *pattern, char *copy, const char **params)
{
	const char *p = pattern;
	char *s = copy;
	int n = 0;

	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		const char *pe = strchrnul(p, '/');
		char *se = strchrnul(s, '/');
		if (*p == '{') {
			if (se == s || n == REQ_MAX_PARAMS)
				return false;
			params[n++] = s;
		} else if ((size_t)(pe - p) != (size_t)(se - s) || strncmp(p, s, (size_t)(pe - p)) != 0)
			return false;
		p = pe;
		s = se;
		if (*p == '/' && *s == '/' && p[1] && s[1] == '\0')
			return false;
	}
	if (*p || *s)
		return false;
	return true;
}

/* Returns the route index, or -1 with r answered 404/405. */
static int
route_find(struct req *r)
{
	const char *path = req_path(r);
	size_t len = strlen(path);
	char allow[128] = "";
	const char *params[REQ_MAX_PARAMS];

	for (int i = 0; i < api_routes_count; i++) {
		char *copy = strdup(path);
		if (!copy)
			return -1;
		memset(params, 0, sizeof params);
		if (!match(api_routes[i].path, copy, params)) {
			free(copy);
			continue;
		}
		if (strcmp(api_routes[i].method, r->u->http_verb) == 0) {
			/* cut the copy into segments so params are NUL-terminated */
			for (char *c = copy; c < copy + len; c++)
				if (*c == '/')
					*c = '\0';
			free(r->path_copy);
			r->path_copy = copy;
			memcpy(r->params, params, sizeof params);
			return i;
		}
		free(copy);
		if (!strstr(allow, api_routes[i].method)) {
			size_t used = strlen(allow);
			snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", api_routes[i].method);
		}
	}
	if (*allow) {
		respond_header(r, "Allow", allow);
		respond_problem(r, 405, "method not allowed on this path", NULL);
	} else
		respond_problem(r, 404, "no such route", NULL);
	return -1;
}

/* ---- request id ---------------------------------------------------------- */

static atomic_ullong request_counter;
static char request_prefix[9];
static pthread_once_t prefix_once = PTHREAD_ONCE_INIT;

static void
prefix_init(void)
{
	unsigned int v = 0;

	if (getrandom(&v, sizeof v, 0) != sizeof v)
		v = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	snprintf(request_prefix, sizeof request_prefix, "%08x", v);
}

static void
request_id(struct req *r)
{
	const char *given = req_header(r, "X-Request-Id");
	size_t n = given ? strlen(given) : 0;
	bool ok = n >= 1 && n <= 128;

	for (size_t i = 0; ok && i < n; i++) {
		char c = given[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		     c == '_' || c == '.' || c == ':';
	}
	if (ok) {
		memcpy(r->request_id, given, n + 1);
		return;
	}
	pthread_once(&prefix_once, prefix_init);
	snprintf(r->request_id, sizeof r->request_id, "%s-%012llx", request_prefix,
		 (unsigned long long)atomic_fetch_add(&request_counter, 1) + 1);
}

/* ---- guards -------------------------------------------------------------- */

size_t
api_body_limit(const struct app *app, int route_index)
{
	if (route_index >= 0 && (api_routes[route_index].flags & R_BULK))
		return app->cfg.max_body;
	return app->cfg.max_small_body;
}

static bool
body_too_large(struct req *r, size_t max)
{
	const char *cl = req_header(r, "Content-Length");

	if (cl && strtoull(cl, NULL, 10) > max)
		return true;
	return r->u->binary_body_length > max;
}

static void
answer_too_large(struct req *r, size_t max)
{
	char detail[96];

	snprintf(detail, sizeof detail, "the body exceeds %zu bytes", max);
	respond_problem(r, 413, detail, NULL);
}

static bool
authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	char reason[64] = "";

	if (!h || !*h) {
		respond_header(r, "WWW-Authenticate", "Bearer realm=\"attain\"");
		respond_problem(r, 401, "an Authorization: Bearer token is required", NULL);
		return false;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		respond_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		respond_problem(r, 401, "the Authorization scheme must be Bearer", NULL);
		return false;
	}
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	if (auth_verify_token(r->app->auth, token, time(NULL), &r->who, reason, sizeof reason) != ST_OK) {
		char detail[128];
		snprintf(detail, sizeof detail, "invalid token: %s", reason[0] ? reason : "rejected");
		respond_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		respond_problem(r, 401, detail, NULL);
		return false;
	}
	r->authed = true;
	return true;
}

static bool
is_write(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0 ||
	       strcmp(method, "DELETE") == 0;
}

/*
 * The fingerprint of a request under an Idempotency-Key: method, path with
 * its query string as sent, and body. A retry must match it (else 422).
 */
static void
request_hash(struct req *r, char out[65])
{
	const char *target = r->u->http_url ? r->u->http_url : req_path(r);
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t len;
	const char *body = req_body(r, &len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (!ctx)
		return;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, r->u->http_verb, strlen(r->u->http_verb));
	EVP_DigestUpdate(ctx, " ", 1);
	EVP_DigestUpdate(ctx, target, strlen(target));
	EVP_DigestUpdate(ctx, "\n", 1);
	if (body && len)
		EVP_DigestUpdate(ctx, body, len);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * Who owns an Idempotency-Key (DESIGN §5): the subject with its roles and
 * person, so a stored answer is replayed only to the caller it was written
 * for, with the authority it was written under. Another caller using the
 * same key simply has another key.
 */
static void
idempotency_caller(const struct req *r, char *out, size_t size)
{
	/* the person's length keeps the text unambiguous whatever the claims hold */
	snprintf(out, size, "%u/%zu:%s/%s", r->who.roles, strlen(r->who.person_id), r->who.person_id, r->who.sub);
}

/*
 * Claim the caller's Idempotency-Key of a POST. Returns true when the
 * handler should run (no key, or the key is ours now); false when r is
 * already answered (a replay, 422, or an error).
 */
static bool
idempotency_claim(struct req *r, const char **key_out)
{
	char caller[IDEM_CALLER_MAX];
	const char *key = req_header(r, "Idempotency-Key");
	char hash[65];
	bool claimed = false;
	struct idem_record prev = { 0 };

	*key_out = NULL;
	if (!key || strcmp(r->u->http_verb, "POST") != 0)
		return true;
	size_t n = strlen(key);
	if (n == 0 || n > 255) {
		struct issues e = { 0 };
		issues_add(&e, "Idempotency-Key", "must be 1..255 characters");
		respond_errors(r, &e);
		return false;
	}
	request_hash(r, hash);
	idempotency_caller(r, caller, sizeof caller);
	enum status st = idem_claim(r->conn, r->who.org, caller, key, hash, &claimed, &prev);
	if (st != ST_OK) {
		respond_status(r, st == ST_CONFLICT ? ST_UNAVAILABLE : st, NULL);
		return false;
	}
	if (claimed) {
		*key_out = key;
		return true;
	}
	if (strcmp(prev.request_hash, hash) != 0)
		respond_problem(r, 422, "this Idempotency-Key was used with a different request", NULL);
	else {
		respond_raw(r, prev.status, NULL, prev.body, strlen(prev.body));
		/* keep the stored content type alive for the answer */
		respond_header(r, "Content-Type", prev.content_type);
		r->content_type = NULL;
		if (prev.location)
			respond_header(r, "Location", prev.location);
		if (prev.etag)
			respond_header(r, "ETag", prev.etag);
		respond_header(r, "Idempotent-Replayed", "true");
	}
	idem_record_clear(&prev);
	return false;
}

static void
idempotency_store(struct req *r, const char *key)
{
	const char *location = NULL, *etag = NULL;
	char caller[IDEM_CALLER_MAX];

	idempotency_caller(r, caller, sizeof caller);
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, "Location") == 0)
			location = r->headers[i].value;
		else if (strcasecmp(r->headers[i].name, "ETag") == 0)
			etag = r->headers[i].value;
	enum status st = idem_store(r->conn, r->who.org, caller, key, r->status, r->content_type ? r->content_type : "",
				    location, etag, r->body ? r->body : "");
	if (st != ST_OK)
		respond_status(r, st, NULL);
}

/* ---- per-caller caps on expensive routes --------------------------------- */

struct limit_entry {
	struct limit_entry *next;
	int n;
	char key[]; /* "*" (all), "o\x1f<org>" or "s\x1f<org>\x1f<sub>" */
};

/* One per process (there is one app): entries live while their count is above zero. */
static struct {
	pthread_mutex_t lock;
	struct limit_entry *head; /* one entry per key with n > 0: at most 1 + 2 x requests running */
} limits = { PTHREAD_MUTEX_INITIALIZER, NULL };

/* The entry of key (created with n = 0; NULL on OOM). Under limits.lock. */
static struct limit_entry *
limit_entry(const char *key)
{
	struct limit_entry *e;
	size_t n = strlen(key);

	for (e = limits.head; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (!(e = calloc(1, sizeof *e + n + 1)))
		return NULL;
	memcpy(e->key, key, n + 1);
	e->next = limits.head;
	limits.head = e;
	return e;
}

/* Drop the entries whose count fell to zero. Under limits.lock. */
static void
limit_prune(void)
{
	for (struct limit_entry **pp = &limits.head; *pp;) {
		struct limit_entry *e = *pp;
		if (e->n == 0) {
			*pp = e->next;
			free(e);
		} else
			pp = &e->next;
	}
}

#define LIMIT_KEY_MAX (sizeof ((struct principal *)0)->org + sizeof ((struct principal *)0)->sub + 4)

static void
limit_keys(const struct principal *who, char org_key[LIMIT_KEY_MAX], char sub_key[LIMIT_KEY_MAX])
{
	snprintf(org_key, LIMIT_KEY_MAX, "o\x1f%s", who->org);
	snprintf(sub_key, LIMIT_KEY_MAX, "s\x1f%s\x1f%s", who->org, who->sub);
}

int
limits_enter(struct app *app, const struct principal *who)
{
	char ok_[LIMIT_KEY_MAX], sk[LIMIT_KEY_MAX];
	int verdict = 503;
	/* one worker thread is always left to probes and cheap requests */
	int all = app->cfg.threads > 1 ? app->cfg.threads - 1 : 1;

	limit_keys(who, ok_, sk);
	pthread_mutex_lock(&limits.lock);
	struct limit_entry *g = limit_entry("*"), *o = limit_entry(ok_), *s = limit_entry(sk);
	if (g && o && s) {
		if (o->n >= app->cfg.max_per_org || s->n >= app->cfg.max_per_subject)
			verdict = 429;
		else if (g->n < all) {
			g->n++;
			o->n++;
			s->n++;
			verdict = 0;
		}
	}
	limit_prune();
	pthread_mutex_unlock(&limits.lock);
	return verdict;
}

void
limits_leave(const struct principal *who)
{
	char ok_[LIMIT_KEY_MAX], sk[LIMIT_KEY_MAX];

	limit_keys(who, ok_, sk);
	pthread_mutex_lock(&limits.lock);
	for (struct limit_entry *e = limits.head; e; e = e->next)
		if ((strcmp(e->key, "*") == 0 || strcmp(e->key, ok_) == 0 || strcmp(e->key, sk) == 0) && e->n > 0)
			e->n--;
	limit_prune();
	pthread_mutex_unlock(&limits.lock);
}

/* ---- the request head: checks before any body byte is read ---------------- */

bool
body_reserve(struct app *app, size_t n)
{
	size_t cur = atomic_load(&app->body_bytes);

	do {
		if (n > app->cfg.max_inflight_body || cur > app->cfg.max_inflight_body - n)
			return false;
	} while (!atomic_compare_exchange_weak(&app->body_bytes, &cur, cur + n));
	return true;
}

void
body_release(struct app *app, size_t n)
{
	atomic_fetch_sub(&app->body_bytes, n);
}

/* The route of method + path, or -1; answers nothing. */
static int
route_lookup(const char *method, const char *path)
{
	const char *params[REQ_MAX_PARAMS];
	char *copy = strdup(path);
	int found = -1;

	for (int i = 0; copy && i < api_routes_count && found < 0; i++)
		if (strcmp(api_routes[i].method, method) == 0 && match(api_routes[i].path, copy, params))
			found = i;
	free(copy);
	return found;
}

static void log_request(struct req *r, double ms);
static void send_answer(struct req *r, struct _u_response *resp);

/* Send an answer made before the request ran (r->status set), count and log it. */
static int
answer_at_edge(struct req *r, int idx, struct _u_response *resp)
{
	r->route = idx >= 0 ? &api_routes[idx] : NULL;
	r->authed = false; /* the log names no caller: nothing of the request was run */
	send_answer(r, resp);
	metrics_observe(r->app->metrics, idx, r->status, 0);
	log_request(r, 0);
	for (int i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	free(r->body);
	return r->status;
}

int
api_admit(struct app *app, const struct _u_request *u, struct _u_response *resp, size_t *limit, size_t *reserved,
          bool *apart)
{
	struct req r = { .app = app, .u = u, .route_index = -1, .status = 0 };
	const char *cl = req_header(&r, "Content-Length");
	unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
	/* Only a request that brings a body is checked here: one without a body
	 * buffers nothing, and run() verifies its token once, not twice. */
	bool body = declared > 0 || req_header(&r, "Transfer-Encoding");
	int idx = route_lookup(u->http_verb, req_path(&r));

	*limit = api_body_limit(app, idx);
	*reserved = 0;
	*apart = idx >= 0 && (api_routes[idx].flags & (R_EXPENSIVE | R_BULK));
	request_id(&r); /* used only when answered here */
	if (declared > *limit) {
		answer_too_large(&r, *limit);
	} else if (body && idx >= 0 && !(api_routes[idx].flags & R_PUBLIC) && !authenticate(&r)) {
		/* answered 401 */
	} else if (r.authed && !principal_has(&r.who, api_routes[idx].roles)) {
		respond_problem(&r, 403, "your roles do not allow this operation", NULL);
	} else if (declared > 0 && !body_reserve(app, (size_t)declared)) {
		respond_problem(&r, 503, "too many request bodies are being received; retry shortly", NULL);
	} else {
		*reserved = (size_t)declared;
		return 0;
	}
	return answer_at_edge(&r, idx, resp);
}

int
api_busy(struct app *app, const struct _u_request *u, struct _u_response *resp)
{
	struct req r = { .app = app, .u = u, .route_index = -1, .status = 0 };

	request_id(&r);
	respond_header(&r, "Retry-After", "1");
	respond_problem(&r, 503, "every worker is busy; retry shortly", NULL);
	return answer_at_edge(&r, route_lookup(u->http_verb, req_path(&r)), resp);
}

/* ---- the pipeline -------------------------------------------------------- */

/*
 * Where a dashboard read (R_REPLICA) runs: on the standby when one is set
 * up, the org is known (its first call writes it, on the primary), and the
 * standby is within ATTAIN_REPLICA_MAX_LAG_MS and has replayed the caller's
 * Attain-Min-LSN; else on the primary, the reason counted.
 */
static bool
replica_wanted(struct req *r)
{
	struct app *app = r->app;
	const char *min = req_header(r, "Attain-Min-LSN");
	uint64_t lsn = 0;
	enum metrics_fallback why;

	if (!app->replica || !(r->route->flags & R_REPLICA) || !r->authed)
		return false;
	if (!org_known(app->orgs, db_pool_connects(app->pool), r->who.org))
		why = FALLBACK_NEW_ORG;
	else if (min && (!lag_lsn_parse(min, &lsn) || lsn == 0))
		why = FALLBACK_CALLER_LSN;
	else {
		switch (db_replica_verdict(app->replica, lsn)) {
		case DB_REPLICA_FRESH:
			return true;
		case DB_REPLICA_LAGGING:
			why = FALLBACK_LAG;
			break;
		case DB_REPLICA_UNREACHABLE:
			why = FALLBACK_UNREACHABLE;
			break;
		default:
			why = FALLBACK_CALLER_LSN;
			break;
		}
	}
	metrics_fallback(app->metrics, why);
	return false;
}

/* The request's connection into r->conn: the standby's or the primary's. False with a 503 answered. */
static bool
conn_acquire(struct req *r, bool replica_ok)
{
	struct app *app = r->app;

	if ((r->on_replica = replica_ok && replica_wanted(r))) {
		if (db_acquire(app->read_pool, &r->conn) == ST_OK)
			return true;
		db_replica_mark_down(app->replica);
		metrics_fallback(app->metrics, FALLBACK_ERROR);
		r->on_replica = false;
	}
	if (db_acquire(app->pool, &r->conn) != ST_OK) {
		respond_status(r, ST_UNAVAILABLE, "no database connection available; retry shortly");
		return false;
	}
	return true;
}

/*
 * The read failed on the standby (a lost connection, a query cancelled by
 * recovery): nothing was sent yet, so forget the answer and run it again on
 * the primary. False, with a 503 answered, when the primary has no
 * connection for it.
 */
static bool
retry_on_primary(struct req *r)
{
	struct app *app = r->app;

	db_release(app->read_pool, r->conn);
	r->conn = NULL;
	r->on_replica = false;
	db_replica_mark_down(app->replica);
	metrics_fallback(app->metrics, FALLBACK_ERROR);
	for (int i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	r->nheaders = 0;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->content_type = NULL;
	r->status = 500;
	scope_clear(&r->scope);
	r->scope_loaded = false;
	return conn_acquire(r, false);
}

static void
run(struct req *r)
{
	const struct route *rt;
	const char *idem_key = NULL;
	bool tx = false;

	if ((r->route_index = route_find(r)) < 0)
		return;
	rt = r->route = &api_routes[r->route_index];
	size_t max = api_body_limit(r->app, r->route_index);
	if (body_too_large(r, max)) {
		answer_too_large(r, max);
		return;
	}
	if (!(rt->flags & R_PUBLIC)) {
		if (!authenticate(r))
			return;
		if (!principal_has(&r->who, rt->roles)) {
			respond_problem(r, 403, "your roles do not allow this operation", NULL);
			return;
		}
		int verdict = (rt->flags & R_EXPENSIVE) ? limits_enter(r->app, &r->who) : 0;
		if (verdict == 429) {
			respond_header(r, "Retry-After", "1");
			respond_problem(r, 429, "too many expensive requests of yours (or your org's) are running; retry shortly",
					NULL);
			return;
		}
		if (verdict == 503) {
			respond_problem(r, 503, "every worker that may run expensive requests is busy; retry shortly", NULL);
			return;
		}
		r->limited = (rt->flags & R_EXPENSIVE) != 0;
	}
	if (!(rt->flags & R_PUBLIC)) {
		static const char *const none[] = { NULL };
		struct issues e = { 0 };
		query_only(r, rt->query ? rt->query : none, &e);
		if (issues_any(&e)) {
			respond_errors(r, &e);
			return;
		}
	}
	if (!(rt->flags & R_NODB)) {
		enum status st;
		if (!conn_acquire(r, true))
			return;
		/* on the standby the org was known when it was chosen (replica_wanted) */
		if (r->authed && !r->on_replica &&
		    !org_known(r->app->orgs, db_pool_connects(r->app->pool), r->who.org)) {
			if ((st = org_service_ensure(r->conn, r->who.org)) != ST_OK) {
				respond_status(r, st, NULL);
				return;
			}
			org_remember(r->app->orgs, r->who.org);
		}
		if (is_write(r->u->http_verb) && !(rt->flags & R_NOTX)) {
			if ((st = db_begin(r->conn)) != ST_OK) {
				respond_status(r, st, NULL);
				return;
			}
			tx = true;
			if (r->authed && !idempotency_claim(r, &idem_key))
				goto finish;
		}
	}
	rt->handler(r);
	if (r->on_replica && r->status >= 500 && retry_on_primary(r))
		rt->handler(r);
	if (rt->flags & R_REPLICA) {
		respond_header(r, "Attain-Served-By", r->on_replica ? "replica" : "primary");
		metrics_read(r->app->metrics, r->on_replica);
	}
	if (tx && idem_key && r->status < 300)
		idempotency_store(r, idem_key);
finish:
	if (tx) {
		if (r->status < 400) {
			enum status st = db_commit(r->conn);
			if (st != ST_OK) {
				for (int i = 0; i < r->nheaders; i++)
					if (strcasecmp(r->headers[i].name, "Location") == 0 ||
					    strcasecmp(r->headers[i].name, "ETag") == 0)
						r->headers[i].value[0] = '\0';
				respond_status(r, st == ST_CONFLICT ? ST_CONFLICT : ST_UNAVAILABLE, NULL);
			} else if (r->app->replica) {
				char lsn[32];
				if (db_wal_insert_position(r->conn, lsn, sizeof lsn) == ST_OK)
					respond_header(r, "Attain-Commit-LSN", lsn);
			}
		} else
			db_rollback(r->conn);
	}
}

static void
log_request(struct req *r, double ms)
{
	struct buf f = { 0 };

	if (log_get_level() > LOG_INFO)
		return;
	buf_puts(&f, "\"method\":");
	buf_put_json_string(&f, r->u->http_verb);
	buf_puts(&f, ",\"route\":");
	buf_put_json_string(&f, r->route ? r->route->path : "unmatched");
	buf_puts(&f, ",\"path\":");
	buf_put_json_string(&f, req_path(r));
	buf_printf(&f, ",\"status\":%d,\"duration_ms\":%.3f,\"request_id\":", r->status, ms);
	buf_put_json_string(&f, r->request_id);
	buf_puts(&f, ",\"org\":");
	if (r->authed)
		buf_put_json_string(&f, r->who.org);
	else
		buf_puts(&f, "null");
	buf_puts(&f, ",\"sub\":");
	if (r->authed)
		buf_put_json_string(&f, r->who.sub);
	else
		buf_puts(&f, "null");
	if (!f.oom)
		log_json(r->status >= 500 ? LOG_ERROR : LOG_INFO, "request", f.data);
	buf_clear(&f);
}

static void
send_answer(struct req *r, struct _u_response *resp)
{
	bool has_ctype = false;

	for (int i = 0; i < r->nheaders; i++)
		if (r->headers[i].value && r->headers[i].value[0]) {
			u_map_put(resp->map_header, r->headers[i].name, r->headers[i].value);
			if (strcasecmp(r->headers[i].name, "Content-Type") == 0)
				has_ctype = true;
		}
	if (r->content_type && !has_ctype)
		u_map_put(resp->map_header, "Content-Type", r->content_type);
	u_map_put(resp->map_header, "X-Request-Id", r->request_id);
	if (atomic_load(&r->app->draining))
		u_map_put(resp->map_header, "Connection", "close");
	if (r->body && r->status != 204)
		ulfius_set_binary_body_response(resp, (unsigned)r->status, r->body, r->body_len);
	else
		resp->status = r->status;
}

int
api_dispatch(const struct _u_request *u, struct _u_response *resp, void *user_data)
{
	struct app *app = user_data;
	struct req r = { .app = app, .u = u, .route_index = -1, .status = 500 };
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	atomic_fetch_add(&app->inflight, 1);
	request_id(&r);
	run(&r);
	if (!r.body && r.status != 204)
		respond_problem(&r, 500, "no answer", NULL);
	if (r.conn)
		db_release(r.on_replica ? app->read_pool : app->pool, r.conn);
	if (r.limited)
		limits_leave(&r.who);
	send_answer(&r, resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	metrics_observe(app->metrics, r.route_index, r.status, secs);
	log_request(&r, secs * 1000.0);
	scope_clear(&r.scope);
	for (int i = 0; i < r.nheaders; i++)
		free(r.headers[i].value);
	free(r.body);
	free(r.path_copy);
	atomic_fetch_sub(&app->inflight, 1);
	return U_CALLBACK_COMPLETE;
}
