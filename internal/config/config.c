#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct setting {
	const char *name;
	const char *def; /* shown by --help; NULL = unset */
	const char *help;
};

static const struct setting settings[] = {
	{ "DATABASE_URL", "postgresql:///attain", "PostgreSQL connection string (libpq URI or key=value)" },
	{ "ATTAIN_DATABASE_READ_URL", NULL, "hot standby for dashboard reads (libpq string, multi-host allowed; pool of ATTAIN_DB_POOL)" },
	{ "ATTAIN_REPLICA_MAX_LAG_MS", "1000", "standby staleness bound (10..3600000 ms); beyond it, or unreachable: the primary" },
	{ "ATTAIN_LISTEN", "0.0.0.0:8080", "address:port to serve HTTP on ([::1]:8080 for IPv6)" },
	{ "ATTAIN_THREADS", "2 x CPUs (min 4)", "HTTP threads (fixed pool), and as many workers for expensive and bulk routes" },
	{ "ATTAIN_DB_POOL", "= ATTAIN_THREADS", "PostgreSQL connections in the pool (1..500)" },
	{ "ATTAIN_DB_POOL_WAIT_MS", "2000", "how long a request waits for a free connection before 503" },
	{ "ATTAIN_STATEMENT_TIMEOUT_MS", "30000", "statement_timeout of every connection (also idle-in-transaction timeout)" },
	{ "ATTAIN_MAX_CONNECTIONS", "1024", "concurrent HTTP connections accepted" },
	{ "ATTAIN_IDLE_TIMEOUT", "60", "seconds before an idle HTTP connection is closed" },
	{ "ATTAIN_JWT_HS256_SECRET", NULL, "shared secret for HS256 tokens without kid (>= 32 bytes)" },
	{ "ATTAIN_JWT_PUBLIC_KEYS", NULL, "kid=/path/key.pem[,kid=...]: RS256 (RSA) / ES256 (P-256) public keys" },
	{ "ATTAIN_JWT_ISSUER", NULL, "required `iss` of tokens (unset: not checked)" },
	{ "ATTAIN_JWT_AUDIENCE", NULL, "required `aud` of tokens (unset: not checked)" },
	{ "ATTAIN_MAX_BODY", "33554432", "largest body of a bulk route in bytes; larger gets 413 (1024..1073741824)" },
	{ "ATTAIN_MAX_SMALL_BODY", "1048576", "largest body of any other route in bytes (capped at ATTAIN_MAX_BODY)" },
	{ "ATTAIN_MAX_INFLIGHT_BODY_BYTES", "268435456", "request bodies being received, all together; beyond: 503 (>= ATTAIN_MAX_BODY)" },
	{ "ATTAIN_MAX_CONNECTIONS_PER_IP", "128", "concurrent HTTP connections from one client address (0 = no cap)" },
	{ "ATTAIN_HEADER_TIMEOUT", "10", "seconds for a whole request head to arrive (1..3600), however it drips" },
	{ "ATTAIN_MAX_CONCURRENT_PER_SUBJECT", "2", "expensive requests running at once for one token subject; beyond: 429" },
	{ "ATTAIN_MAX_CONCURRENT_PER_ORG", "ATTAIN_THREADS / 2 (min 1)", "expensive requests running at once for one org; beyond: 429" },
	{ "ATTAIN_RESULT_CACHE_MB", "64", "MiB of answers of the costly dashboard and forecast reads and deal lists kept (0..65536; 0 = no cache)" },
	{ "ATTAIN_LOG_LEVEL", "info", "debug | info | warn | error" },
	{ "ATTAIN_MIGRATE", "on", "apply pending migrations at start (on | off)" },
};

void
config_print_help(FILE *f)
{
	fprintf(f, "Settings (environment variables):\n");
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		fprintf(f, "  %-34s %s\n  %-34s default: %s\n", settings[i].name, settings[i].help, "",
			settings[i].def ? settings[i].def : "(unset)");
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Parse a decimal integer in [lo, hi]; false when malformed or out of range. */
static bool
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool
parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	size_t hl;
	long long p;
	unsigned char tmp[16];

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return false;
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= hostlen)
			return false;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = close + 1;
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return false;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= hostlen)
			return false;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, tmp) != 1)
			return false;
	}
	if (!parse_int(colon + 1, 1, 65535, &p))
		return false;
	*port = (int)p;
	return true;
}

/*
 * Setting `name` as an integer in [lo, hi] into *out (def when unset);
 * false, with err naming the setting, when malformed or out of range.
 */
static bool
int_setting(char *(*get)(const char *), const char *name, long long lo, long long hi, long long def, long long *out,
	    char *err, size_t errlen)
{
	const char *v = get(name);

	*out = def;
	if (!v || !*v || parse_int(v, lo, hi, out))
		return true;
	snprintf(err, errlen, "%s: expected an integer %lld..%lld, got \"%s\"", name, lo, hi, v);
	return false;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		goto fail;                          \
	} while (0)

enum status
config_load(char *(*get)(const char *), struct config *out, char *err, size_t errlen)
{
	struct config c = { 0 };
	const char *v;
	long long n;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	v = get("DATABASE_URL");
	c.database_url = strdup(v && *v ? v : "postgresql:///attain");
	c.database_read_url = dup_or_null(get("ATTAIN_DATABASE_READ_URL"));
	if (!int_setting(get, "ATTAIN_REPLICA_MAX_LAG_MS", 10, 3600000, 1000, &n, err, errlen))
		goto fail;
	c.replica_max_lag_ms = (int)n;

	v = get("ATTAIN_LISTEN");
	if (!parse_listen(v && *v ? v : "0.0.0.0:8080", c.listen_host, sizeof c.listen_host,
			  &c.listen_port))
		FAIL("ATTAIN_LISTEN: expected address:port with a numeric address, got \"%s\"", v);

	c.threads = ncpu > 0 ? (int)ncpu * 2 : 4;
	if (c.threads < 4)
		c.threads = 4;
	if ((v = get("ATTAIN_THREADS")) && *v) {
		if (!parse_int(v, 1, 1024, &n))
			FAIL("ATTAIN_THREADS: expected an integer 1..1024, got \"%s\"", v);
		c.threads = (int)n;
	}
	c.db_pool = c.threads;
	if ((v = get("ATTAIN_DB_POOL")) && *v) {
		if (!parse_int(v, 1, 500, &n))
			FAIL("ATTAIN_DB_POOL: expected an integer 1..500, got \"%s\"", v);
		c.db_pool = (int)n;
	}
	c.db_pool_wait_ms = 2000;
	if ((v = get("ATTAIN_DB_POOL_WAIT_MS")) && *v) {
		if (!parse_int(v, 0, 600000, &n))
			FAIL("ATTAIN_DB_POOL_WAIT_MS: expected an integer 0..600000, got \"%s\"", v);
		c.db_pool_wait_ms = (int)n;
	}
	c.statement_timeout_ms = 30000;
	if ((v = get("ATTAIN_STATEMENT_TIMEOUT_MS")) && *v) {
		if (!parse_int(v, 100, 86400000, &n))
			FAIL("ATTAIN_STATEMENT_TIMEOUT_MS: expected an integer 100..86400000, got \"%s\"", v);
		c.statement_timeout_ms = (int)n;
	}
	c.max_connections = 1024;
	if ((v = get("ATTAIN_MAX_CONNECTIONS")) && *v) {
		if (!parse_int(v, 1, 65536, &n))
			FAIL("ATTAIN_MAX_CONNECTIONS: expected an integer 1..65536, got \"%s\"", v);
		c.max_connections = (int)n;
	}
	c.idle_timeout_s = 60;
	if ((v = get("ATTAIN_IDLE_TIMEOUT")) && *v) {
		if (!parse_int(v, 1, 86400, &n))
			FAIL("ATTAIN_IDLE_TIMEOUT: expected seconds 1..86400, got \"%s\"", v);
		c.idle_timeout_s = (int)n;
	}
	c.max_body = 32u << 20;
	if ((v = get("ATTAIN_MAX_BODY")) && *v) {
		if (!parse_int(v, 1024, 1LL << 30, &n))
			FAIL("ATTAIN_MAX_BODY: expected bytes 1024..1073741824, got \"%s\"", v);
		c.max_body = (size_t)n;
	}
	if (!int_setting(get, "ATTAIN_MAX_SMALL_BODY", 1024, 1LL << 30, 1 << 20, &n, err, errlen))
		goto fail;
	c.max_small_body = (size_t)n < c.max_body ? (size_t)n : c.max_body;
	if (!int_setting(get, "ATTAIN_MAX_INFLIGHT_BODY_BYTES", 1024, 1LL << 40, 256 << 20, &n, err, errlen))
		goto fail;
	c.max_inflight_body = (size_t)n;
	if (c.max_inflight_body < c.max_body)
		FAIL("ATTAIN_MAX_INFLIGHT_BODY_BYTES: must be at least ATTAIN_MAX_BODY (%zu), got %zu", c.max_body,
		     c.max_inflight_body);
	if (!int_setting(get, "ATTAIN_MAX_CONNECTIONS_PER_IP", 0, 65536, 128, &n, err, errlen))
		goto fail;
	c.max_connections_per_ip = (int)n;
	if (!int_setting(get, "ATTAIN_HEADER_TIMEOUT", 1, 3600, 10, &n, err, errlen))
		goto fail;
	c.header_timeout_s = (int)n;
	if (!int_setting(get, "ATTAIN_MAX_CONCURRENT_PER_SUBJECT", 1, 1024, 2, &n, err, errlen))
		goto fail;
	c.max_per_subject = (int)n;
	if (!int_setting(get, "ATTAIN_MAX_CONCURRENT_PER_ORG", 1, 1024, c.threads / 2 > 1 ? c.threads / 2 : 1, &n, err,
			 errlen))
		goto fail;
	c.max_per_org = (int)n;
	if (!int_setting(get, "ATTAIN_RESULT_CACHE_MB", 0, 65536, 64, &n, err, errlen))
		goto fail;
	c.result_cache_mb = (int)n;
	c.log_level = LOG_INFO;
	if ((v = get("ATTAIN_LOG_LEVEL")) && *v) {
		static const char *names[] = { "debug", "info", "warn", "error" };
		size_t i;
		for (i = 0; i < 4 && strcmp(v, names[i]) != 0; i++)
			;
		if (i == 4)
			FAIL("ATTAIN_LOG_LEVEL: expected debug, info, warn or error, got \"%s\"", v);
		c.log_level = (enum log_level)i;
	}
	c.migrate = true;
	if ((v = get("ATTAIN_MIGRATE")) && *v) {
		if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			c.migrate = true;
		else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			c.migrate = false;
		else
			FAIL("ATTAIN_MIGRATE: expected on or off, got \"%s\"", v);
	}
	v = get("ATTAIN_JWT_HS256_SECRET");
	if (v && *v && strlen(v) < 32)
		FAIL("ATTAIN_JWT_HS256_SECRET: must be at least 32 bytes (got %zu)", strlen(v));
	c.jwt_hs256_secret = dup_or_null(v);
	c.jwt_public_keys = dup_or_null(get("ATTAIN_JWT_PUBLIC_KEYS"));
	if (!c.jwt_hs256_secret && !c.jwt_public_keys)
		FAIL("ATTAIN_JWT_HS256_SECRET: no token key configured (set it or ATTAIN_JWT_PUBLIC_KEYS)");
	c.jwt_issuer = dup_or_null(get("ATTAIN_JWT_ISSUER"));
	c.jwt_audience = dup_or_null(get("ATTAIN_JWT_AUDIENCE"));
	if (!c.database_url)
		FAIL("DATABASE_URL: out of memory");
	*out = c;
	return ST_OK;
fail:
	config_clear(&c);
	return ST_INVALID;
}

void
config_clear(struct config *c)
{
	free(c->database_url);
	free(c->database_read_url);
	free(c->jwt_hs256_secret);
	free(c->jwt_public_keys);
	free(c->jwt_issuer);
	free(c->jwt_audience);
	memset(c, 0, sizeof *c);
}
