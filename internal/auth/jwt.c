/*
 * jwt.c — bearer token verification (DESIGN §4, CONVENTIONS "sharp edges").
 *
 * libjwt 1.10.2 trusts the token's own `alg` and checks no claim, so every
 * decision is taken here before and after it:
 *
 *   1. the token is exactly three base64url segments (no padding, canonical
 *      trailing bits), at most TOKEN_MAX bytes;
 *   2. header and payload are decoded and parsed by us with
 *      JSON_REJECT_DUPLICATES (a duplicate key anywhere is a rejection), and
 *      every claim is read from our parse, never from libjwt's getters;
 *   3. the key is chosen by `kid` alone (no kid: the HS256 secret), each key
 *      has exactly one algorithm, and the header's `alg` must equal it
 *      byte for byte — so "none", "hs256" or an HS256 token "signed" with an
 *      RSA public key's PEM never reach a verifier that would accept them;
 *   4. jwt_decode runs with that non-NULL key and jwt_get_alg is re-checked;
 *   5. exp (required), nbf, iat, iss, aud, sub, org, roles and person_id are
 *      checked with the configured leeway.
 *
 * Verified principals are cached in a direct-mapped table keyed by the
 * SHA-256 of the whole token (the full token is compared too). An entry
 * records the time window in which the uncached path would accept the token,
 * so a hit outside it is evicted and re-verified: the cache changes speed,
 * never outcomes.
 */
#include "auth/jwt.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

enum {
	TOKEN_MAX = 16384,     /* longer bearer tokens are refused unread */
	HS256_SECRET_MIN = 32, /* RFC 7518 §3.2: key >= hash output size */
	RSA_BITS_MIN = 2048,
	LEEWAY_MAX = 3600,
	DIGEST_LEN = 32, /* SHA-256 */
};

#define SETTING_SECRET  "ATTAIN_JWT_HS256_SECRET"
#define SETTING_PUBKEYS "ATTAIN_JWT_PUBLIC_KEYS"

struct pubkey {
	char *kid; /* owned */
	char *pem; /* owned: canonical SubjectPublicKeyInfo PEM for libjwt */
	size_t pem_len;
	jwt_alg_t alg;        /* JWT_ALG_RS256 or JWT_ALG_ES256 */
	const char *alg_name; /* "RS256" or "ES256" (static) */
};

struct cache_slot {
	char *token; /* owned copy of the whole token; NULL = empty slot */
	size_t token_len;
	unsigned char digest[DIGEST_LEN];
	long long not_before; /* max(nbf, iat); LLONG_MIN when neither was present */
	struct principal principal;
};

struct auth_verifier {
	unsigned char *hs_secret; /* owned; NULL = no HS256 key */
	size_t hs_len;
	struct pubkey *keys; /* owned array of nkeys */
	size_t nkeys;
	char *issuer;   /* owned; NULL = `iss` not checked */
	char *audience; /* owned; NULL = `aud` not checked */
	int leeway_s;
	pthread_mutex_t lock;     /* guards slots[] */
	struct cache_slot *slots; /* owned array of nslots; NULL = no cache */
	size_t nslots;
};

/* The key a token is checked against: borrowed from the verifier. */
struct key_choice {
	const unsigned char *key;
	int key_len;
	jwt_alg_t alg;
	const char *alg_name;
};

/* ---------------------------------------------------------------- helpers */

static char *
strdup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Write one line into err: control characters (from kids, paths) become '?'. */
__attribute__((format(printf, 3, 4))) static enum status
config_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return ST_INVALID;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return ST_INVALID;
}

static void
set_reason(char *reason, size_t reasonlen, const char *why)
{
	if (reason && reasonlen > 0)
		snprintf(reason, reasonlen, "%s", why);
}

/* True when a > b + leeway, without overflowing. */
static bool
later_than(long long a, long long b, int leeway)
{
	return b <= LLONG_MAX - leeway && a > b + leeway;
}

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode n bytes of unpadded base64url. Returns a malloc'd, NUL-terminated
 * buffer (length in *outlen) or NULL when the text is not canonical
 * base64url or memory runs out.
 */
static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *buf;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (n % 4 == 1 || !(buf = malloc(n / 4 * 3 + 3)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);

		if (v < 0)
			goto bad;
		acc = (acc << 6 | (unsigned)v) & 0xffffu;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, or two spellings would decode alike. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	buf[o] = '\0';
	*outlen = o;
	return buf;
bad:
	free(buf);
	return NULL;
}

/* Decode a base64url segment and parse it as a JSON object, rejecting duplicate keys. */
static json_t *
segment_object(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = b64url_decode(s, n, &len);
	json_t *j;

	if (!raw)
		return NULL;
	j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/*
 * The text of string j when it is 1..max bytes with no NUL and no control
 * character; with ascii, only printable ASCII without space. Else NULL.
 */
static const char *
claim_text(const json_t *j, size_t max, bool ascii)
{
	const char *s = json_string_value(j);
	size_t n;

	if (!s)
		return NULL;
	n = json_string_length(j);
	if (n == 0 || n > max || strlen(s) != n)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (ascii && (c == ' ' || c > 0x7e)))
			return NULL;
	}
	return s;
}

/* ------------------------------------------------------------ key loading */

/* Copy pkey out as SubjectPublicKeyInfo PEM (what libjwt reads back). */
static enum status
pubkey_pem(EVP_PKEY *pkey, struct pubkey *k)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long n;
	enum status st = ST_NOMEM;

	if (!mem || PEM_write_bio_PUBKEY(mem, pkey) != 1)
		goto out;
	n = BIO_get_mem_data(mem, &data);
	if (n <= 0 || n > INT_MAX || !(k->pem = malloc((size_t)n + 1)))
		goto out;
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	k->pem_len = (size_t)n;
	st = ST_OK;
out:
	BIO_free(mem);
	return st;
}

/* Pick the one algorithm of pkey, or write why it has none into err. */
static enum status
pubkey_alg(EVP_PKEY *pkey, struct pubkey *k, char *err, size_t errlen)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pkey) < RSA_BITS_MIN)
			return config_error(err, errlen,
					    SETTING_PUBKEYS
					    ": kid \"%s\": RSA key shorter than %d bits",
					    k->kid, RSA_BITS_MIN);
		k->alg = JWT_ALG_RS256;
		k->alg_name = "RS256";
		return ST_OK;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) == 1 &&
		    strcmp(group, SN_X9_62_prime256v1) == 0) {
			k->alg = JWT_ALG_ES256;
			k->alg_name = "ES256";
			return ST_OK;
		}
		break;
	default:
		break;
	}
	return config_error(
	    err, errlen,
	    SETTING_PUBKEYS ": kid \"%s\": unsupported key type (want RSA or EC P-256)", k->kid);
}

/* Read the PEM public key at path into k (k->kid already set). */
static enum status
pubkey_load(struct pubkey *k, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	EVP_PKEY *pkey = NULL;
	enum status st;

	if (!f)
		return config_error(err, errlen, SETTING_PUBKEYS ": kid \"%s\": cannot open %s: %s",
				    k->kid, path, strerror(errno));
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey) {
		ERR_clear_error();
		return config_error(err, errlen,
				    SETTING_PUBKEYS ": kid \"%s\": %s is not a PEM public key",
				    k->kid, path);
	}
	if ((st = pubkey_alg(pkey, k, err, errlen)) != ST_OK)
		goto out;
	if ((st = pubkey_pem(pkey, k)) != ST_OK)
		config_error(err, errlen, SETTING_PUBKEYS ": kid \"%s\": out of memory", k->kid);
out:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return st;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static const struct pubkey *
pubkey_find(const struct auth_verifier *v, const char *kid)
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].kid, kid) == 0)
			return &v->keys[i];
	return NULL;
}

/* Parse "kid=/path[,kid2=/path2]" into v->keys, reading every file now. */
static enum status
pubkeys_parse(struct auth_verifier *v, const char *spec, char *err, size_t errlen)
{
	char *copy = strdup(spec);
	char *entry, *next;
	size_t n = 1;
	enum status st = ST_OK;

	if (!copy)
		return ST_NOMEM;
	for (const char *c = spec; *c; c++)
		n += *c == ',';
	if (!(v->keys = calloc(n, sizeof *v->keys))) {
		st = ST_NOMEM;
		goto out;
	}
	for (entry = copy; entry; entry = next) {
		char *eq, *kid, *path;
		struct pubkey *k;

		if ((next = strchr(entry, ',')))
			*next++ = '\0';
		eq = strchr(entry, '=');
		if (!eq) {
			st = config_error(err, errlen,
					  SETTING_PUBKEYS ": entry %zu is not kid=/path.pem",
					  v->nkeys + 1);
			goto out;
		}
		*eq = '\0';
		kid = trim(entry);
		path = trim(eq + 1);
		if (!*kid || !*path) {
			st = config_error(err, errlen,
					  SETTING_PUBKEYS ": entry %zu is not kid=/path.pem",
					  v->nkeys + 1);
			goto out;
		}
		if (pubkey_find(v, kid)) {
			st = config_error(err, errlen, SETTING_PUBKEYS ": duplicate kid \"%s\"",
					  kid);
			goto out;
		}
		k = &v->keys[v->nkeys];
		if (!(k->kid = strdup(kid))) {
			st = ST_NOMEM;
			goto out;
		}
		/* Counted before loading so auth_verifier_free releases a half-built key. */
		v->nkeys++;
		if ((st = pubkey_load(k, path, err, errlen)) != ST_OK)
			goto out;
	}
out:
	free(copy);
	return st;
}

/* ---------------------------------------------------------------- verifier */

/*
 * Build a verifier from cfg: copies every string, reads every key file now.
 * ST_INVALID with one line in err naming the setting at fault; ST_NOMEM when
 * memory runs out. On success *out is the caller's, to release with
 * auth_verifier_free.
 */
enum status
auth_verifier_new(const struct auth_config *cfg, struct auth_verifier **out, char *err,
		  size_t errlen)
{
	struct auth_verifier *v;
	enum status st = ST_NOMEM;
	size_t secret_len = cfg && cfg->hs256_secret ? strlen(cfg->hs256_secret) : 0;
	bool has_pubkeys = cfg && cfg->public_keys && *cfg->public_keys;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!cfg || !out)
		return config_error(err, errlen, "auth: no configuration");
	if (secret_len > 0 && secret_len < HS256_SECRET_MIN)
		return config_error(err, errlen, SETTING_SECRET ": must be at least %d bytes",
				    HS256_SECRET_MIN);
	if (secret_len == 0 && !has_pubkeys)
		return config_error(err, errlen,
				    SETTING_SECRET ": no key configured (set it or " SETTING_PUBKEYS
						   ")");
	if (cfg->leeway_s < 0 || cfg->leeway_s > LEEWAY_MAX)
		return config_error(err, errlen, "auth leeway: must be between 0 and %d seconds",
				    LEEWAY_MAX);
	if (!(v = calloc(1, sizeof *v)))
		goto nomem;
	if (pthread_mutex_init(&v->lock, NULL) != 0) {
		free(v);
		goto nomem;
	}
	v->leeway_s = cfg->leeway_s;
	if (secret_len > 0) {
		if (!(v->hs_secret = malloc(secret_len)))
			goto fail;
		memcpy(v->hs_secret, cfg->hs256_secret, secret_len);
		v->hs_len = secret_len;
	}
	if ((cfg->issuer && *cfg->issuer && !(v->issuer = strdup_or_null(cfg->issuer))) ||
	    (cfg->audience && *cfg->audience && !(v->audience = strdup_or_null(cfg->audience))))
		goto fail;
	if (has_pubkeys && (st = pubkeys_parse(v, cfg->public_keys, err, errlen)) != ST_OK)
		goto fail;
	if (cfg->cache_entries > 0) {
		if (!(v->slots = calloc(cfg->cache_entries, sizeof *v->slots))) {
			st = ST_NOMEM;
			goto fail;
		}
		v->nslots = cfg->cache_entries;
	}
	*out = v;
	return ST_OK;
fail:
	auth_verifier_free(v);
	if (st != ST_NOMEM)
		return st;
nomem:
	config_error(err, errlen, "auth: out of memory");
	return ST_NOMEM;
}

/* Release v and everything it owns (keys, secret, cache). Accepts NULL. */
void
auth_verifier_free(struct auth_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nkeys; i++) {
		free(v->keys[i].kid);
		free(v->keys[i].pem);
	}
	free(v->keys);
	for (size_t i = 0; i < v->nslots; i++)
		free(v->slots[i].token);
	free(v->slots);
	if (v->hs_secret)
		OPENSSL_cleanse(v->hs_secret, v->hs_len);
	free(v->hs_secret);
	free(v->issuer);
	free(v->audience);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* ------------------------------------------------------------------- cache */

/* True when the uncached path would still accept a token cached with these bounds. */
static bool
cache_fresh(const struct cache_slot *s, long long now, int leeway)
{
	return !later_than(now, s->principal.exp, leeway) &&
	       !later_than(s->not_before, now, leeway);
}

static struct cache_slot *
cache_slot_for(struct auth_verifier *v, const unsigned char digest[DIGEST_LEN])
{
	uint64_t h;

	memcpy(&h, digest, sizeof h);
	return &v->slots[h % v->nslots];
}

/* Copy a fresh cached principal for token into *out; evict a stale one. */
static bool
cache_get(struct auth_verifier *v, const char *token, size_t len,
	  const unsigned char digest[DIGEST_LEN], long long now, struct principal *out)
{
	struct cache_slot *s;
	bool hit = false;

	pthread_mutex_lock(&v->lock);
	s = cache_slot_for(v, digest);
	if (s->token && s->token_len == len && CRYPTO_memcmp(s->digest, digest, DIGEST_LEN) == 0 &&
	    CRYPTO_memcmp(s->token, token, len) == 0) {
		if (cache_fresh(s, now, v->leeway_s)) {
			*out = s->principal;
			hit = true;
		} else {
			free(s->token);
			s->token = NULL;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return hit;
}

/* Remember a verified token; a failed copy just leaves it uncached. */
static void
cache_put(struct auth_verifier *v, const char *token, size_t len,
	  const unsigned char digest[DIGEST_LEN], long long not_before, const struct principal *p)
{
	char *copy = malloc(len);
	struct cache_slot *s;

	if (!copy)
		return;
	memcpy(copy, token, len);
	pthread_mutex_lock(&v->lock);
	s = cache_slot_for(v, digest);
	free(s->token);
	s->token = copy;
	s->token_len = len;
	memcpy(s->digest, digest, DIGEST_LEN);
	s->not_before = not_before;
	s->principal = *p;
	pthread_mutex_unlock(&v->lock);
}

/* ------------------------------------------------------------ verification */

/* The key for a token with header hdr, or why there is none. */
static const char *
choose_key(const struct auth_verifier *v, const json_t *hdr, struct key_choice *kc)
{
	const json_t *kid = json_object_get(hdr, "kid");
	const json_t *alg = json_object_get(hdr, "alg");
	const json_t *typ = json_object_get(hdr, "typ");
	const struct pubkey *k;

	if (!json_is_string(alg))
		return "missing alg";
	if (json_object_get(hdr, "crit"))
		return "unsupported crit header";
	/* libjwt refuses any other typ; say so rather than "bad signature". */
	if (typ && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
		return "unsupported typ";
	if (!kid) {
		if (!v->hs_secret)
			return "no key for token without kid";
		kc->key = v->hs_secret;
		kc->key_len = (int)v->hs_len;
		kc->alg = JWT_ALG_HS256;
		kc->alg_name = "HS256";
	} else {
		if (!json_is_string(kid) ||
		    strlen(json_string_value(kid)) != json_string_length(kid))
			return "bad kid";
		if (!(k = pubkey_find(v, json_string_value(kid))))
			return "unknown kid";
		kc->key = (const unsigned char *)k->pem;
		kc->key_len = (int)k->pem_len;
		kc->alg = k->alg;
		kc->alg_name = k->alg_name;
	}
	/* Exact, case-sensitive: "none", "hs256" or another key's alg all stop here. */
	if (json_string_length(alg) != strlen(kc->alg_name) ||
	    strcmp(json_string_value(alg), kc->alg_name) != 0)
		return "alg not allowed";
	return NULL;
}

/* Have libjwt check the signature with exactly the chosen key and algorithm. */
static const char *
check_signature(const char *token, const struct key_choice *kc)
{
	jwt_t *jwt = NULL;
	const char *why = NULL;

	if (jwt_decode(&jwt, token, kc->key, kc->key_len) != 0 || !jwt)
		why = "bad signature";
	else if (jwt_get_alg(jwt) != kc->alg)
		why = "alg not allowed";
	jwt_free(jwt);
	/* libjwt leaves OpenSSL errors queued on a failed verify. */
	ERR_clear_error();
	return why;
}

/* Read an optional NumericDate claim; false when present but not an integer. */
static bool
time_claim(const json_t *claims, const char *name, bool *present, long long *value)
{
	const json_t *j = json_object_get(claims, name);

	*present = j != NULL;
	if (!j)
		return true;
	if (!json_is_integer(j))
		return false;
	*value = json_integer_value(j);
	return true;
}

static const char *
check_times(const json_t *claims, long long now, int leeway, long long *exp, long long *not_before)
{
	bool present;
	long long t = 0;

	*not_before = LLONG_MIN;
	if (!time_claim(claims, "exp", &present, exp))
		return "bad exp";
	if (!present)
		return "missing exp";
	if (later_than(now, *exp, leeway))
		return "expired";
	if (!time_claim(claims, "nbf", &present, &t))
		return "bad nbf";
	if (present) {
		if (later_than(t, now, leeway))
			return "not yet valid";
		*not_before = t;
	}
	if (!time_claim(claims, "iat", &present, &t))
		return "bad iat";
	if (present) {
		if (later_than(t, now, leeway))
			return "issued in the future";
		if (t > *not_before)
			*not_before = t;
	}
	return NULL;
}

static bool
audience_holds(const json_t *aud, const char *want)
{
	size_t i;
	const json_t *item;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0 &&
		       json_string_length(aud) == strlen(want);
	if (!json_is_array(aud))
		return false;
	json_array_foreach (aud, i, item)
		if (json_is_string(item) && json_string_length(item) == strlen(want) &&
		    strcmp(json_string_value(item), want) == 0)
			return true;
	return false;
}

static const char *
check_roles(const json_t *roles, unsigned *mask)
{
	size_t i;
	const json_t *item;

	if (!json_is_array(roles))
		return "missing roles";
	*mask = 0;
	json_array_foreach (roles, i, item) {
		if (!json_is_string(item))
			return "bad roles";
		/* Unknown names are ignored: issuers may carry roles of other services. */
		if (strlen(json_string_value(item)) == json_string_length(item))
			*mask |= role_parse(json_string_value(item));
	}
	/* A valid token without a role of ours is authenticated but may do
	 * nothing: the route check answers 403, not 401. */
	return NULL;
}

static const char *
check_person_id(const json_t *j, struct principal *p)
{
	const char *s;

	p->person_id[0] = '\0';
	if (!j || json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0))
		return NULL;
	if (json_is_integer(j)) {
		snprintf(p->person_id, sizeof p->person_id, "%lld",
			 (long long)json_integer_value(j));
		return NULL;
	}
	if (!(s = claim_text(j, sizeof p->person_id - 1, true)))
		return "bad person_id";
	memcpy(p->person_id, s, strlen(s) + 1);
	return NULL;
}

/* Check every claim of a signature-verified payload and fill *p. */
static const char *
check_claims(const struct auth_verifier *v, const json_t *claims, long long now,
	     struct principal *p, long long *not_before)
{
	const char *why, *s;

	if ((why = check_times(claims, now, v->leeway_s, &p->exp, not_before)))
		return why;
	if (v->issuer) {
		const json_t *iss = json_object_get(claims, "iss");

		if (!json_is_string(iss) || json_string_length(iss) != strlen(v->issuer) ||
		    strcmp(json_string_value(iss), v->issuer) != 0)
			return "wrong issuer";
	}
	if (v->audience && !audience_holds(json_object_get(claims, "aud"), v->audience))
		return "wrong audience";
	if (!(s = claim_text(json_object_get(claims, "sub"), sizeof p->sub - 1, false)))
		return "bad sub";
	memcpy(p->sub, s, strlen(s) + 1);
	if (!(s = claim_text(json_object_get(claims, "org"), sizeof p->org - 1, true)))
		return "bad org";
	memcpy(p->org, s, strlen(s) + 1);
	if ((why = check_roles(json_object_get(claims, "roles"), &p->roles)))
		return why;
	return check_person_id(json_object_get(claims, "person_id"), p);
}

/* The whole check without the cache: ST_OK fills *p and *not_before, else *why says why. */
static enum status
verify_uncached(const struct auth_verifier *v, const char *token, size_t len, long long now,
		struct principal *p, long long *not_before, const char **why)
{
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	json_t *hdr = NULL, *claims = NULL;
	struct key_choice kc;
	size_t siglen;
	unsigned char *sig = NULL;

	*why = "malformed token";
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		goto out;
	if (!(hdr = segment_object(token, (size_t)(dot1 - token)))) {
		*why = "bad header";
		goto out;
	}
	if ((*why = choose_key(v, hdr, &kc)))
		goto out;
	if (!(claims = segment_object(dot1 + 1, (size_t)(dot2 - dot1 - 1)))) {
		*why = "bad payload";
		goto out;
	}
	siglen = len - (size_t)(dot2 + 1 - token);
	if (siglen == 0 || !(sig = b64url_decode(dot2 + 1, siglen, &siglen))) {
		*why = "bad signature";
		goto out;
	}
	if ((*why = check_signature(token, &kc)))
		goto out;
	memset(p, 0, sizeof *p);
	*why = check_claims(v, claims, now, p, not_before);
out:
	free(sig);
	json_decref(hdr);
	json_decref(claims);
	return *why ? ST_UNAUTHORIZED : ST_OK;
}

/*
 * Verify token at time now; see jwt.h. ST_OK fills *out; every failure is
 * ST_UNAUTHORIZED with a short reason (never the token) in reason[].
 * Safe to call from many threads on one verifier.
 */
enum status
auth_verify_token(struct auth_verifier *v, const char *token, time_t now, struct principal *out,
		  char *reason, size_t reasonlen)
{
	unsigned char digest[DIGEST_LEN] = { 0 };
	struct principal p;
	long long not_before = LLONG_MIN;
	const char *why;
	size_t len;
	bool cached;

	if (reason && reasonlen > 0)
		reason[0] = '\0';
	if (!v || !token || !out) {
		set_reason(reason, reasonlen, "no token");
		return ST_UNAUTHORIZED;
	}
	len = strnlen(token, TOKEN_MAX + 1);
	if (len == 0 || len > TOKEN_MAX) {
		set_reason(reason, reasonlen, len ? "token too long" : "empty token");
		return ST_UNAUTHORIZED;
	}
	/* Without a digest the token is simply verified uncached. */
	cached = v->slots && EVP_Digest(token, len, digest, NULL, EVP_sha256(), NULL) == 1;
	if (cached && cache_get(v, token, len, digest, (long long)now, out))
		return ST_OK;
	if (verify_uncached(v, token, len, (long long)now, &p, &not_before, &why) != ST_OK) {
		set_reason(reason, reasonlen, why);
		return ST_UNAUTHORIZED;
	}
	if (cached)
		cache_put(v, token, len, digest, not_before, &p);
	*out = p;
	return ST_OK;
}

/* ------------------------------------------------------------------ minting */

static json_t *
mint_claims(const struct principal *p, const char *issuer, const char *audience, time_t now,
	    long ttl_s)
{
	json_t *claims = json_object();
	json_t *roles = json_array();
	long long exp;
	int bad = !claims || !roles;

	if (__builtin_add_overflow((long long)now, (long long)ttl_s, &exp))
		bad = 1;
	for (unsigned bit = 1; !bad && bit <= ROLE_ANY; bit <<= 1)
		if (p->roles & bit)
			bad |= json_array_append_new(roles, json_string(role_name(bit)));
	if (bad)
		goto fail;
	bad |= json_object_set_new(claims, "sub",
				   json_stringn(p->sub, strnlen(p->sub, sizeof p->sub)));
	bad |= json_object_set_new(claims, "org",
				   json_stringn(p->org, strnlen(p->org, sizeof p->org)));
	bad |= json_object_set(claims, "roles", roles);
	if (p->person_id[0])
		bad |= json_object_set_new(
		    claims, "person_id",
		    json_stringn(p->person_id, strnlen(p->person_id, sizeof p->person_id)));
	bad |= json_object_set_new(claims, "iat", json_integer((json_int_t)now));
	bad |= json_object_set_new(claims, "exp", json_integer(exp));
	if (issuer && *issuer)
		bad |= json_object_set_new(claims, "iss", json_string(issuer));
	if (audience && *audience)
		bad |= json_object_set_new(claims, "aud", json_string(audience));
	if (bad)
		goto fail;
	json_decref(roles);
	return claims;
fail:
	json_decref(roles);
	json_decref(claims);
	return NULL;
}

/*
 * Mint an HS256 token (see jwt.h). ST_INVALID when the secret is shorter
 * than 32 bytes or p lacks sub, org or a known role (the token would not
 * verify); ST_NOMEM otherwise on failure. *out is malloc'd; caller frees.
 */
enum status
auth_mint_hs256(const char *secret, const struct principal *p, const char *issuer,
		const char *audience, time_t now, long ttl_s, char **out)
{
	json_t *claims = NULL;
	char *grants = NULL, *token = NULL;
	jwt_t *jwt = NULL;
	enum status st = ST_INVALID;

	if (!secret || strlen(secret) < HS256_SECRET_MIN || !p || !out || !p->sub[0] ||
	    !p->org[0] || !(p->roles & ROLE_ANY))
		return ST_INVALID;
	if (!(claims = mint_claims(p, issuer, audience, now, ttl_s)))
		goto out;
	st = ST_NOMEM;
	if (!(grants = json_dumps(claims, JSON_COMPACT)) || jwt_new(&jwt) != 0)
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)) ||
	    jwt_add_grants_json(jwt, grants) || !(token = jwt_encode_str(jwt)))
		goto out;
	/* libjwt allocates with malloc unless jwt_set_alloc was called; attain never calls it. */
	*out = token;
	st = ST_OK;
out:
	jwt_free(jwt);
	free(grants);
	json_decref(claims);
	return st;
}
