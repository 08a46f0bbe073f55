/*
 * test_jwt.c — auth_verify_token against valid tokens and every known JWT
 * attack. Tokens are built by hand here (base64url, HMAC, EVP_DigestSign) so
 * that malformed ones can be crafted. Runs with workdir tests/unit (keys/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth/jwt.h"

#define NOW          ((time_t)1700000000)
#define SECRET       "an-hs256-test-secret-of-48-bytes-0123456789abcd"
#define OTHER_SECRET "another-hs256-secret-also-long-enough-0123456789"
#define ISSUER       "https://issuer.test"
#define AUDIENCE     "attain"
#define LEEWAY       30
#define PUBKEYS      "rsa1=keys/rsa_public.pem, ec1=keys/ec_public.pem"

#define HDR_HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define HDR_RS "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}"
#define HDR_ES "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}"

static struct auth_verifier *verifier; /* the configuration most tests run against */
static EVP_PKEY *rsa_key, *rsa2_key, *ec_key;
static char *rsa_public_pem;
static char **kept; /* strings freed by the group teardown */
static size_t nkept, capkept;

/* ------------------------------------------------------------------ helpers */

static char *
keep(char *s)
{
	if (nkept == capkept) {
		capkept = capkept ? capkept * 2 : 64;
		kept = realloc(kept, capkept * sizeof *kept);
		assert_non_null(kept);
	}
	assert_non_null(s);
	kept[nkept++] = s;
	return s;
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	assert_true(n > 0);
	return buf;
}

static EVP_PKEY *
read_private(const char *path)
{
	FILE *f = fopen(path, "rb");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static char *
b64url(const void *data, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	char *out = malloc(n / 3 * 4 + 5);
	size_t o = 0, i;

	assert_non_null(out);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		out[o++] = alphabet[p[i] >> 2];
		out[o++] = alphabet[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 8 | p[i + 1];

		out[o++] = alphabet[v >> 10 & 63];
		out[o++] = alphabet[v >> 4 & 63];
		out[o++] = alphabet[(v & 15) << 2];
	}
	out[o] = '\0';
	return out;
}

enum sig_kind { SIG_EMPTY, SIG_HS, SIG_RS, SIG_ES, SIG_ES_DER };

struct signer {
	enum sig_kind kind;
	const char *secret; /* SIG_HS: HMAC key bytes (strlen) */
	EVP_PKEY *key;      /* SIG_RS, SIG_ES, SIG_ES_DER: private key */
};

/* An ECDSA DER signature as JOSE's raw r||s (32 bytes each). */
static size_t
der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;

	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, 32), 32);
	assert_int_equal(BN_bn2binpad(s, raw + 32, 32), 32);
	ECDSA_SIG_free(sig);
	return 64;
}

static char *
sign(const char *input, const struct signer *s)
{
	unsigned char sig[1024], raw[64];
	size_t siglen = sizeof sig;
	unsigned hlen = 0;
	EVP_MD_CTX *ctx;

	switch (s->kind) {
	case SIG_EMPTY:
		return strdup("");
	case SIG_HS:
		assert_non_null(HMAC(EVP_sha256(), s->secret, (int)strlen(s->secret),
				     (const unsigned char *)input, strlen(input), sig, &hlen));
		return b64url(sig, hlen);
	case SIG_RS:
	case SIG_ES:
	case SIG_ES_DER:
		ctx = EVP_MD_CTX_new();
		assert_non_null(ctx);
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key), 1);
		assert_int_equal(
		    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)),
		    1);
		EVP_MD_CTX_free(ctx);
		if (s->kind == SIG_ES)
			return b64url(raw, der_to_raw(sig, siglen, raw));
		return b64url(sig, siglen);
	}
	return NULL;
}

/* header.payload.signature from JSON texts; kept until teardown. */
static const char *
make_token(const char *header, const char *payload, const struct signer *s)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	size_t ilen = strlen(h) + strlen(p) + 2, tlen;
	char *input = malloc(ilen);
	char *sig, *token;

	assert_non_null(input);
	snprintf(input, ilen, "%s.%s", h, p);
	sig = sign(input, s);
	tlen = strlen(input) + strlen(sig) + 2;
	token = malloc(tlen);
	assert_non_null(token);
	snprintf(token, tlen, "%s.%s", input, sig);
	free(h);
	free(p);
	free(input);
	free(sig);
	return keep(token);
}

/* Valid claims for NOW; tests edit them before dumping. */
static json_t *
std_claims(void)
{
	json_t *c =
	    json_pack("{s:s, s:s, s:[s,s,s], s:s, s:s, s:s, s:I, s:I, s:I}", "sub", "user-1", "org",
		      "acme", "roles", "manager", "rep", "astronaut", "person_id", "p-42", "iss",
		      ISSUER, "aud", AUDIENCE, "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW,
		      "exp", (json_int_t)NOW + 3600);

	assert_non_null(c);
	return c;
}

/* Dump and release c. */
static const char *
take(json_t *c)
{
	char *s = json_dumps(c, JSON_COMPACT);

	json_decref(c);
	return keep(s);
}

static const char *
hs_token(const char *header, const char *payload)
{
	return make_token(header, payload, &(struct signer){ .kind = SIG_HS, .secret = SECRET });
}

static const char *
pk_token(const char *header, const char *payload, enum sig_kind kind, EVP_PKEY *key)
{
	return make_token(header, payload, &(struct signer){ .kind = kind, .key = key });
}

static void
expect_accept(struct auth_verifier *v, const char *token, time_t now, struct principal *p)
{
	char reason[64] = "";
	enum status st = auth_verify_token(v, token, now, p, reason, sizeof reason);

	if (st != ST_OK)
		print_error("rejected: %s\n", reason);
	assert_int_equal(st, ST_OK);
}

static void
expect_reject_at(struct auth_verifier *v, const char *token, time_t now, const char *why)
{
	struct principal p = { .sub = "untouched" };
	char reason[64] = "";

	assert_int_equal(auth_verify_token(v, token, now, &p, reason, sizeof reason),
			 ST_UNAUTHORIZED);
	assert_string_equal(reason, why);
	assert_string_equal(p.sub, "untouched"); /* out written only on ST_OK */
}

static void
expect_reject(const char *token, const char *why)
{
	expect_reject_at(verifier, token, NOW, why);
}

static struct auth_verifier *
new_verifier(const char *secret, const char *pubkeys, size_t cache)
{
	struct auth_config cfg = {
		.hs256_secret = secret,
		.public_keys = pubkeys,
		.issuer = ISSUER,
		.audience = AUDIENCE,
		.leeway_s = LEEWAY,
		.cache_entries = cache,
	};
	struct auth_verifier *v = NULL;
	char err[256] = "";

	if (auth_verifier_new(&cfg, &v, err, sizeof err) != ST_OK)
		print_error("auth_verifier_new: %s\n", err);
	assert_non_null(v);
	return v;
}

static int
group_setup(void **state)
{
	rsa_key = read_private("keys/rsa_private.pem");
	rsa2_key = read_private("keys/rsa2_private.pem");
	ec_key = read_private("keys/ec_private.pem");
	rsa_public_pem = read_text("keys/rsa_public.pem");
	verifier = new_verifier(SECRET, PUBKEYS, 64);
	return 0;
}

static int
group_teardown(void **state)
{
	auth_verifier_free(verifier);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(rsa2_key);
	EVP_PKEY_free(ec_key);
	free(rsa_public_pem);
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
	free(kept);
	return 0;
}

/* ------------------------------------------------------------ valid tokens */

static void
test_valid_hs256(void **state)
{
	struct principal p;

	expect_accept(verifier, hs_token(HDR_HS, take(std_claims())), NOW, &p);
	assert_string_equal(p.sub, "user-1");
	assert_string_equal(p.org, "acme");
	assert_string_equal(p.person_id, "p-42");
	assert_int_equal(p.roles, ROLE_MANAGER | ROLE_REP); /* "astronaut" ignored */
	assert_int_equal(p.exp, (long long)NOW + 3600);
}

static void
test_valid_hs256_no_typ_integer_person_id(void **state)
{
	json_t *c = std_claims();
	struct principal p;

	json_object_set_new(c, "person_id", json_integer(12345));
	json_object_set_new(c, "roles",
			    json_pack("[s,s,s,s,s]", "admin", "exec", "manager", "rep", "service"));
	expect_accept(verifier, hs_token("{\"alg\":\"HS256\"}", take(c)), NOW, &p);
	assert_string_equal(p.person_id, "12345");
	assert_int_equal(p.roles, ROLE_ANY);
}

static void
test_valid_without_optional_claims(void **state)
{
	json_t *c = std_claims();
	struct principal p;

	json_object_del(c, "person_id");
	json_object_del(c, "iat");
	json_object_del(c, "nbf");
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
	assert_string_equal(p.person_id, "");
	assert_int_equal(p.roles, ROLE_MANAGER | ROLE_REP);
}

static void
test_valid_rs256_kid(void **state)
{
	struct principal p;

	expect_accept(verifier, pk_token(HDR_RS, take(std_claims()), SIG_RS, rsa_key), NOW, &p);
	assert_string_equal(p.sub, "user-1");
	assert_string_equal(p.org, "acme");
	assert_int_equal(p.roles, ROLE_MANAGER | ROLE_REP);
}

static void
test_valid_es256_kid(void **state)
{
	struct principal p;

	expect_accept(verifier, pk_token(HDR_ES, take(std_claims()), SIG_ES, ec_key), NOW, &p);
	assert_string_equal(p.sub, "user-1");
	assert_string_equal(p.person_id, "p-42");
}

static void
test_valid_aud_array(void **state)
{
	json_t *c = std_claims();
	struct principal p;

	json_object_set_new(c, "aud", json_pack("[s,s]", "other", AUDIENCE));
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
}

static void
test_leeway_exp_10s_ago_accepted(void **state)
{
	json_t *c = std_claims();
	struct principal p;

	json_object_set_new(c, "iat", json_integer(NOW - 3600));
	json_object_set_new(c, "nbf", json_integer(NOW - 3600));
	json_object_set_new(c, "exp", json_integer(NOW - 10));
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
	assert_int_equal(p.exp, (long long)NOW - 10);
}

static void
test_leeway_nbf_iat_10s_ahead_accepted(void **state)
{
	json_t *c = std_claims();
	struct principal p;

	json_object_set_new(c, "iat", json_integer(NOW + 10));
	json_object_set_new(c, "nbf", json_integer(NOW + 10));
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
}

static void
test_mint_roundtrip(void **state)
{
	struct principal in = { .sub = "svc-loader",
				.org = "acme-eu",
				.person_id = "77",
				.roles = ROLE_SERVICE | ROLE_EXEC };
	struct principal out;
	char *token = NULL;

	assert_int_equal(auth_mint_hs256(SECRET, &in, ISSUER, AUDIENCE, NOW, 600, &token), ST_OK);
	keep(token);
	expect_accept(verifier, token, NOW + 5, &out);
	assert_string_equal(out.sub, in.sub);
	assert_string_equal(out.org, in.org);
	assert_string_equal(out.person_id, in.person_id);
	assert_int_equal(out.roles, in.roles);
	assert_int_equal(out.exp, (long long)NOW + 600);
	expect_reject_at(verifier, token, NOW + 600 + LEEWAY + 1, "expired");
}

static void
test_mint_refuses_bad_input(void **state)
{
	struct principal in = { .sub = "u", .org = "acme", .roles = ROLE_REP };
	struct principal noroles = { .sub = "u", .org = "acme" };
	char *token = NULL;

	assert_int_equal(auth_mint_hs256("short", &in, NULL, NULL, NOW, 60, &token), ST_INVALID);
	assert_int_equal(auth_mint_hs256(SECRET, &noroles, NULL, NULL, NOW, 60, &token),
			 ST_INVALID);
	assert_null(token);
}

/* ------------------------------------------------------------------ attacks */

static void
test_alg_none_unsigned(void **state)
{
	expect_reject(make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", take(std_claims()),
				 &(struct signer){ .kind = SIG_EMPTY }),
		      "alg not allowed");
}

static void
test_alg_none_unsigned_with_kid(void **state)
{
	expect_reject(make_token("{\"alg\":\"none\",\"kid\":\"rsa1\"}", take(std_claims()),
				 &(struct signer){ .kind = SIG_EMPTY }),
		      "alg not allowed");
}

static void
test_alg_none_with_signature(void **state)
{
	expect_reject(hs_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", take(std_claims())),
		      "alg not allowed");
}

static void
test_hs256_rsa_pem_as_secret_with_kid(void **state)
{
	expect_reject(make_token("{\"alg\":\"HS256\",\"kid\":\"rsa1\"}", take(std_claims()),
				 &(struct signer){ .kind = SIG_HS, .secret = rsa_public_pem }),
		      "alg not allowed");
}

static void
test_hs256_rsa_pem_as_secret_without_kid(void **state)
{
	expect_reject(make_token(HDR_HS, take(std_claims()),
				 &(struct signer){ .kind = SIG_HS, .secret = rsa_public_pem }),
		      "bad signature");
}

static void
test_hs256_rsa_pem_as_secret_no_hs_key(void **state)
{
	struct auth_verifier *v = new_verifier(NULL, PUBKEYS, 0);

	expect_reject_at(v,
			 make_token(HDR_HS, take(std_claims()),
				    &(struct signer){ .kind = SIG_HS, .secret = rsa_public_pem }),
			 NOW, "no key for token without kid");
	auth_verifier_free(v);
}

static void
test_wrong_key_hs(void **state)
{
	expect_reject(make_token(HDR_HS, take(std_claims()),
				 &(struct signer){ .kind = SIG_HS, .secret = OTHER_SECRET }),
		      "bad signature");
}

static void
test_wrong_key_rs(void **state)
{
	expect_reject(pk_token(HDR_RS, take(std_claims()), SIG_RS, rsa2_key), "bad signature");
}

static void
test_tampered_payload(void **state)
{
	const char *good = hs_token(HDR_HS, take(std_claims()));
	json_t *c = std_claims();
	const char *evil_payload;
	char *evil_b64, *t;
	const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');

	json_object_set_new(c, "org", json_string("victim"));
	evil_payload = take(c);
	evil_b64 = b64url(evil_payload, strlen(evil_payload));
	t = malloc(strlen(good) + strlen(evil_b64) + 1);
	assert_non_null(t);
	sprintf(t, "%.*s.%s%s", (int)(dot1 - good), good, evil_b64, dot2);
	free(evil_b64);
	expect_reject(keep(t), "bad signature");
}

static void
test_es256_der_signature(void **state)
{
	expect_reject(pk_token(HDR_ES, take(std_claims()), SIG_ES_DER, ec_key), "bad signature");
}

static void
test_expired(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "iat", json_integer(NOW - 7200));
	json_object_set_new(c, "nbf", json_integer(NOW - 7200));
	json_object_set_new(c, "exp", json_integer(NOW - LEEWAY - 1));
	expect_reject(hs_token(HDR_HS, take(c)), "expired");
}

static void
test_nbf_in_future(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "nbf", json_integer(NOW + LEEWAY + 1));
	expect_reject(hs_token(HDR_HS, take(c)), "not yet valid");
}

static void
test_iat_in_future(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "iat", json_integer(NOW + LEEWAY + 1));
	expect_reject(hs_token(HDR_HS, take(c)), "issued in the future");
}

static void
test_missing_exp(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "exp");
	expect_reject(hs_token(HDR_HS, take(c)), "missing exp");
}

static void
test_exp_as_string(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "exp", json_string("9999999999"));
	expect_reject(hs_token(HDR_HS, take(c)), "bad exp");
}

static void
test_exp_as_real(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "exp", json_real((double)NOW + 3600.5));
	expect_reject(hs_token(HDR_HS, take(c)), "bad exp");
}

static void
test_nbf_as_string(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "nbf", json_string("0"));
	expect_reject(hs_token(HDR_HS, take(c)), "bad nbf");
}

static void
test_wrong_iss(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "iss", json_string("https://evil.test"));
	expect_reject(hs_token(HDR_HS, take(c)), "wrong issuer");
}

static void
test_missing_iss(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "iss");
	expect_reject(hs_token(HDR_HS, take(c)), "wrong issuer");
}

static void
test_wrong_aud_string(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "aud", json_string("attain-staging"));
	expect_reject(hs_token(HDR_HS, take(c)), "wrong audience");
}

static void
test_wrong_aud_array(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "aud", json_pack("[s,s]", "other", "attainx"));
	expect_reject(hs_token(HDR_HS, take(c)), "wrong audience");
}

static void
test_missing_aud(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "aud");
	expect_reject(hs_token(HDR_HS, take(c)), "wrong audience");
}

static void
test_unknown_kid(void **state)
{
	expect_reject(
	    pk_token("{\"alg\":\"RS256\",\"kid\":\"rsa9\"}", take(std_claims()), SIG_RS, rsa_key),
	    "unknown kid");
}

static void
test_kid_not_string(void **state)
{
	expect_reject(hs_token("{\"alg\":\"HS256\",\"kid\":1}", take(std_claims())), "bad kid");
}

static void
test_lowercase_alg(void **state)
{
	expect_reject(hs_token("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", take(std_claims())),
		      "alg not allowed");
}

static void
test_alg_hs512(void **state)
{
	expect_reject(hs_token("{\"alg\":\"HS512\"}", take(std_claims())), "alg not allowed");
}

static void
test_missing_alg(void **state)
{
	expect_reject(hs_token("{\"typ\":\"JWT\"}", take(std_claims())), "missing alg");
}

static void
test_crit_header(void **state)
{
	expect_reject(
	    hs_token("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", take(std_claims())),
	    "unsupported crit header");
}

static void
test_typ_other_than_jwt(void **state)
{
	struct principal p;

	expect_reject(hs_token("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", take(std_claims())),
		      "unsupported typ");
	expect_reject(hs_token("{\"alg\":\"HS256\",\"typ\":1}", take(std_claims())),
		      "unsupported typ");
	expect_accept(verifier, hs_token("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", take(std_claims())),
		      NOW, &p);
}

static void
test_duplicate_header_alg(void **state)
{
	expect_reject(hs_token("{\"alg\":\"HS256\",\"alg\":\"none\"}", take(std_claims())),
		      "bad header");
	expect_reject(hs_token("{\"alg\":\"none\",\"alg\":\"HS256\"}", take(std_claims())),
		      "bad header");
}

static void
test_duplicate_header_kid(void **state)
{
	expect_reject(pk_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"kid\":\"ec1\"}",
			       take(std_claims()), SIG_RS, rsa_key),
		      "bad header");
}

static void
test_duplicate_payload_keys(void **state)
{
	char payload[512];

	snprintf(payload, sizeof payload,
		 "{\"sub\":\"user-1\",\"org\":\"acme\",\"org\":\"victim\",\"roles\":[\"rep\"],"
		 "\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld}",
		 ISSUER, AUDIENCE, (long long)NOW + 60);
	expect_reject(hs_token(HDR_HS, keep(strdup(payload))), "bad payload");
}

static void
test_duplicate_payload_exp(void **state)
{
	char payload[512];

	snprintf(payload, sizeof payload,
		 "{\"sub\":\"user-1\",\"org\":\"acme\",\"roles\":[\"rep\"],\"iss\":\"%s\","
		 "\"aud\":\"%s\",\"exp\":%lld,\"exp\":%lld}",
		 ISSUER, AUDIENCE, (long long)NOW - 3600, (long long)NOW + 3600);
	expect_reject(hs_token(HDR_HS, keep(strdup(payload))), "bad payload");
}

static void
test_header_not_object(void **state)
{
	expect_reject(hs_token("[\"HS256\"]", take(std_claims())), "bad header");
}

static void
test_payload_not_object(void **state)
{
	expect_reject(hs_token(HDR_HS, "\"admin\""), "bad payload");
}

static void
test_garbage_empty(void **state)
{
	expect_reject("", "empty token");
}

static void
test_garbage_null(void **state)
{
	struct principal p;
	char reason[64];

	assert_int_equal(auth_verify_token(verifier, NULL, NOW, &p, reason, sizeof reason),
			 ST_UNAUTHORIZED);
	assert_int_equal(auth_verify_token(verifier, "abc", NOW, &p, NULL, 0), ST_UNAUTHORIZED);
}

static void
test_garbage_abc(void **state)
{
	expect_reject("abc", "malformed token");
}

static void
test_garbage_two_segments(void **state)
{
	expect_reject("a.b", "malformed token");
}

static void
test_garbage_four_segments(void **state)
{
	const char *good = hs_token(HDR_HS, take(std_claims()));
	char *t = malloc(strlen(good) + 3);

	assert_non_null(t);
	sprintf(t, "%s.x", good);
	expect_reject(keep(t), "malformed token");
	expect_reject("a.b.c.d", "malformed token");
}

static void
test_garbage_dots_only(void **state)
{
	expect_reject("..", "bad header");
}

static void
test_garbage_non_base64(void **state)
{
	expect_reject("!!!.???.***", "bad header");
	expect_reject("eyJhbGciOiJIUzI1NiJ9.e30.a b", "bad signature");
}

static void
test_garbage_padded_base64(void **state)
{
	const char *good = hs_token(HDR_HS, take(std_claims()));
	char *t = malloc(strlen(good) + 3);

	assert_non_null(t);
	sprintf(t, "%s==", good);
	expect_reject(keep(t), "bad signature");
}

static void
test_garbage_standard_base64_alphabet(void **state)
{
	/* {"alg":"HS256"}? in standard base64 contains '+' and '/'. */
	expect_reject("eyJhbGciOiJIUzI1NiJ9Pz+/.e30.AAAA", "bad header");
}

static void
test_missing_signature(void **state)
{
	const char *good = hs_token(HDR_HS, take(std_claims()));
	char *t = keep(strdup(good));

	strrchr(t, '.')[1] = '\0';
	expect_reject(t, "bad signature");
}

static void
test_truncated_signature(void **state)
{
	const char *good = hs_token(HDR_HS, take(std_claims()));
	char *t = keep(strdup(good));

	t[strlen(t) - 4] = '\0';
	expect_reject(t, "bad signature");
}

static void
test_token_too_long(void **state)
{
	char *t = malloc(70000);

	assert_non_null(t);
	memset(t, 'a', 69999);
	t[69999] = '\0';
	expect_reject(keep(t), "token too long");
}

static void
test_missing_org(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "org");
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
}

static void
test_bad_org_values(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "org", json_string(""));
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
	c = std_claims();
	json_object_set_new(c, "org", json_string("ac me"));
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
	c = std_claims();
	/* jansson refuses \u0000 in a parsed string unless JSON_ALLOW_NUL. */
	json_object_set_new(c, "org", json_stringn("acme\0evil", 9));
	expect_reject(hs_token(HDR_HS, take(c)), "bad payload");
	c = std_claims();
	json_object_set_new(c, "org", json_string("acme\n"));
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
	c = std_claims();
	json_object_set_new(c, "org", json_integer(7));
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
}

static void
test_org_too_long(void **state)
{
	char org[129];
	json_t *c = std_claims();
	struct principal p;

	memset(org, 'o', 128);
	org[128] = '\0';
	json_object_set_new(c, "org", json_string(org));
	expect_reject(hs_token(HDR_HS, take(c)), "bad org");
	org[127] = '\0';
	c = std_claims();
	json_object_set_new(c, "org", json_string(org));
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
	assert_string_equal(p.org, org);
}

static void
test_missing_sub(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "sub");
	expect_reject(hs_token(HDR_HS, take(c)), "bad sub");
}

static void
test_missing_roles(void **state)
{
	json_t *c = std_claims();

	json_object_del(c, "roles");
	expect_reject(hs_token(HDR_HS, take(c)), "missing roles");
}

static void
test_roles_as_string(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "roles", json_string("admin"));
	expect_reject(hs_token(HDR_HS, take(c)), "missing roles");
}

static void
test_no_known_role(void **state)
{
	json_t *c = std_claims();

	struct principal p;

	/* Authenticated, but with no role of ours: every route then answers 403. */
	json_object_set_new(c, "roles", json_pack("[s,s]", "Admin", "root"));
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
	assert_int_equal(p.roles, 0);
	c = std_claims();
	json_object_set_new(c, "roles", json_array());
	expect_accept(verifier, hs_token(HDR_HS, take(c)), NOW, &p);
	assert_int_equal(p.roles, 0);
}

static void
test_roles_non_string_element(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "roles", json_pack("[s,i]", "admin", 1));
	expect_reject(hs_token(HDR_HS, take(c)), "bad roles");
}

static void
test_bad_person_id(void **state)
{
	json_t *c = std_claims();

	json_object_set_new(c, "person_id", json_true());
	expect_reject(hs_token(HDR_HS, take(c)), "bad person_id");
	c = std_claims();
	json_object_set_new(
	    c, "person_id",
	    json_string("0123456789012345678901234567890123456789012345678901234567890123"));
	expect_reject(hs_token(HDR_HS, take(c)), "bad person_id");
}

static void
test_rs256_against_es256_kid(void **state)
{
	expect_reject(
	    pk_token("{\"alg\":\"RS256\",\"kid\":\"ec1\"}", take(std_claims()), SIG_RS, rsa_key),
	    "alg not allowed");
}

static void
test_es256_against_rs256_kid(void **state)
{
	expect_reject(
	    pk_token("{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", take(std_claims()), SIG_ES, ec_key),
	    "alg not allowed");
}

static void
test_reason_never_contains_token(void **state)
{
	const char *t = hs_token("{\"alg\":\"none\"}", take(std_claims()));
	struct principal p;
	char reason[4096] = "";

	assert_int_equal(auth_verify_token(verifier, t, NOW, &p, reason, sizeof reason),
			 ST_UNAUTHORIZED);
	assert_null(strstr(reason, "eyJ"));
	assert_true(strlen(reason) < 40);
}

/* ------------------------------------------------------------------- config */

static enum status
try_config(const char *secret, const char *pubkeys, char *err, size_t errlen)
{
	struct auth_config cfg = { .hs256_secret = secret,
				   .public_keys = pubkeys,
				   .leeway_s = LEEWAY,
				   .cache_entries = 8 };
	struct auth_verifier *v = NULL;
	enum status st = auth_verifier_new(&cfg, &v, err, errlen);

	if (st == ST_OK)
		auth_verifier_free(v);
	else
		assert_null(v);
	assert_null(strchr(err, '\n'));
	return st;
}

static void
test_config_short_secret(void **state)
{
	char err[256];

	assert_int_equal(try_config("0123456789012345678901234567890", NULL, err, sizeof err),
			 ST_INVALID);
	assert_string_equal(err, "ATTAIN_JWT_HS256_SECRET: must be at least 32 bytes");
	assert_int_equal(try_config("01234567890123456789012345678901", NULL, err, sizeof err),
			 ST_OK);
}

static void
test_config_no_keys(void **state)
{
	char err[256];

	assert_int_equal(try_config(NULL, NULL, err, sizeof err), ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_HS256_SECRET"));
	assert_int_equal(try_config("", "", err, sizeof err), ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_HS256_SECRET"));
}

static void
test_config_bad_pem_path(void **state)
{
	char err[256];

	assert_int_equal(
	    try_config(SECRET, "rsa1=keys/rsa_public.pem,k2=keys/nope.pem", err, sizeof err),
	    ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
	assert_non_null(strstr(err, "k2"));
}

static void
test_config_bad_pem_content(void **state)
{
	char err[256];

	assert_int_equal(try_config(NULL, "bad=keys/bad.pem", err, sizeof err), ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
	assert_non_null(strstr(err, "\"bad\""));
	/* A private key file is not a public key. */
	assert_int_equal(try_config(NULL, "priv=keys/rsa_private.pem", err, sizeof err),
			 ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
}

static void
test_config_unsupported_key_type(void **state)
{
	char err[256];

	assert_int_equal(try_config(NULL, "ed=keys/ed25519_public.pem", err, sizeof err),
			 ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
	assert_non_null(strstr(err, "\"ed\""));
	assert_int_equal(try_config(NULL, "p384=keys/ec384_public.pem", err, sizeof err),
			 ST_INVALID);
	assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
	assert_non_null(strstr(err, "\"p384\""));
}

static void
test_config_malformed_public_keys(void **state)
{
	static const char *const bad[] = {
		"keys/rsa_public.pem",
		"=keys/rsa_public.pem",
		"rsa1=",
		"rsa1=keys/rsa_public.pem,",
		"rsa1=keys/rsa_public.pem,,ec1=keys/ec_public.pem",
		"rsa1=keys/rsa_public.pem,rsa1=keys/ec_public.pem",
		"bad\nkid=keys/nope.pem",
	};
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(try_config(SECRET, bad[i], err, sizeof err), ST_INVALID);
		assert_non_null(strstr(err, "ATTAIN_JWT_PUBLIC_KEYS"));
	}
}

static void
test_config_public_keys_only(void **state)
{
	char err[256];

	assert_int_equal(try_config(NULL, PUBKEYS, err, sizeof err), ST_OK);
}

/* -------------------------------------------------------------------- cache */

static void
test_cache_same_token_twice(void **state)
{
	struct auth_verifier *v = new_verifier(SECRET, PUBKEYS, 16);
	const char *t = pk_token(HDR_ES, take(std_claims()), SIG_ES, ec_key);
	struct principal a, b;

	memset(&a, 0xa5, sizeof a);
	memset(&b, 0x5a, sizeof b);
	expect_accept(v, t, NOW, &a);
	expect_accept(v, t, NOW + 1, &b);
	assert_memory_equal(&a, &b, sizeof a);
	auth_verifier_free(v);
}

static void
test_cache_expired_rejected(void **state)
{
	struct auth_verifier *v = new_verifier(SECRET, PUBKEYS, 16);
	const char *t = hs_token(HDR_HS, take(std_claims()));
	struct principal p;

	expect_accept(v, t, NOW, &p);
	expect_accept(v, t, NOW + 3600 + LEEWAY, &p);
	expect_reject_at(v, t, NOW + 3600 + LEEWAY + 1, "expired");
	expect_reject_at(v, t, NOW + 999999, "expired");
	auth_verifier_free(v);
}

static void
test_cache_respects_not_before(void **state)
{
	struct auth_verifier *v = new_verifier(SECRET, PUBKEYS, 16);
	const char *t = hs_token(HDR_HS, take(std_claims()));
	struct principal p;

	expect_accept(v, t, NOW, &p);
	expect_reject_at(v, t, NOW - LEEWAY - 1, "not yet valid");
	expect_accept(v, t, NOW, &p);
	auth_verifier_free(v);
}

static void
test_cache_single_slot_many_tokens(void **state)
{
	struct auth_verifier *v = new_verifier(SECRET, PUBKEYS, 1);
	const char *t[3];
	struct principal p;

	for (int i = 0; i < 3; i++) {
		json_t *c = std_claims();

		json_object_set_new(c, "sub", json_sprintf("user-%d", i));
		t[i] = hs_token(HDR_HS, take(c));
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 3; i++) {
			char want[16];

			snprintf(want, sizeof want, "user-%d", i);
			expect_accept(v, t[i], NOW, &p);
			assert_string_equal(p.sub, want);
		}
	auth_verifier_free(v);
}

struct race {
	struct auth_verifier *v;
	const char *tokens[4];
	int failures;
};

static void *
race_worker(void *arg)
{
	struct race *r = arg;
	struct principal p;

	for (int i = 0; i < 400; i++) {
		const char *t = r->tokens[i % 4];
		enum status st = auth_verify_token(r->v, t, NOW, &p, NULL, 0);

		if (st != ST_OK || strcmp(p.org, "acme") != 0)
			__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
test_cache_concurrent(void **state)
{
	struct race r = { .v = new_verifier(SECRET, PUBKEYS, 2) };
	pthread_t th[4];

	r.tokens[0] = hs_token(HDR_HS, take(std_claims()));
	r.tokens[1] = hs_token("{\"alg\":\"HS256\"}", take(std_claims()));
	r.tokens[2] = pk_token(HDR_ES, take(std_claims()), SIG_ES, ec_key);
	r.tokens[3] = pk_token(HDR_RS, take(std_claims()), SIG_RS, rsa_key);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, &r), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r.failures, 0);
	auth_verifier_free(r.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_hs256),
		cmocka_unit_test(test_valid_hs256_no_typ_integer_person_id),
		cmocka_unit_test(test_valid_without_optional_claims),
		cmocka_unit_test(test_valid_rs256_kid),
		cmocka_unit_test(test_valid_es256_kid),
		cmocka_unit_test(test_valid_aud_array),
		cmocka_unit_test(test_leeway_exp_10s_ago_accepted),
		cmocka_unit_test(test_leeway_nbf_iat_10s_ahead_accepted),
		cmocka_unit_test(test_mint_roundtrip),
		cmocka_unit_test(test_mint_refuses_bad_input),
		cmocka_unit_test(test_alg_none_unsigned),
		cmocka_unit_test(test_alg_none_unsigned_with_kid),
		cmocka_unit_test(test_alg_none_with_signature),
		cmocka_unit_test(test_hs256_rsa_pem_as_secret_with_kid),
		cmocka_unit_test(test_hs256_rsa_pem_as_secret_without_kid),
		cmocka_unit_test(test_hs256_rsa_pem_as_secret_no_hs_key),
		cmocka_unit_test(test_wrong_key_hs),
		cmocka_unit_test(test_wrong_key_rs),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_es256_der_signature),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_nbf_in_future),
		cmocka_unit_test(test_iat_in_future),
		cmocka_unit_test(test_missing_exp),
		cmocka_unit_test(test_exp_as_string),
		cmocka_unit_test(test_exp_as_real),
		cmocka_unit_test(test_nbf_as_string),
		cmocka_unit_test(test_wrong_iss),
		cmocka_unit_test(test_missing_iss),
		cmocka_unit_test(test_wrong_aud_string),
		cmocka_unit_test(test_wrong_aud_array),
		cmocka_unit_test(test_missing_aud),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_kid_not_string),
		cmocka_unit_test(test_lowercase_alg),
		cmocka_unit_test(test_alg_hs512),
		cmocka_unit_test(test_missing_alg),
		cmocka_unit_test(test_crit_header),
		cmocka_unit_test(test_typ_other_than_jwt),
		cmocka_unit_test(test_duplicate_header_alg),
		cmocka_unit_test(test_duplicate_header_kid),
		cmocka_unit_test(test_duplicate_payload_keys),
		cmocka_unit_test(test_duplicate_payload_exp),
		cmocka_unit_test(test_header_not_object),
		cmocka_unit_test(test_payload_not_object),
		cmocka_unit_test(test_garbage_empty),
		cmocka_unit_test(test_garbage_null),
		cmocka_unit_test(test_garbage_abc),
		cmocka_unit_test(test_garbage_two_segments),
		cmocka_unit_test(test_garbage_four_segments),
		cmocka_unit_test(test_garbage_dots_only),
		cmocka_unit_test(test_garbage_non_base64),
		cmocka_unit_test(test_garbage_padded_base64),
		cmocka_unit_test(test_garbage_standard_base64_alphabet),
		cmocka_unit_test(test_missing_signature),
		cmocka_unit_test(test_truncated_signature),
		cmocka_unit_test(test_token_too_long),
		cmocka_unit_test(test_missing_org),
		cmocka_unit_test(test_bad_org_values),
		cmocka_unit_test(test_org_too_long),
		cmocka_unit_test(test_missing_sub),
		cmocka_unit_test(test_missing_roles),
		cmocka_unit_test(test_roles_as_string),
		cmocka_unit_test(test_no_known_role),
		cmocka_unit_test(test_roles_non_string_element),
		cmocka_unit_test(test_bad_person_id),
		cmocka_unit_test(test_rs256_against_es256_kid),
		cmocka_unit_test(test_es256_against_rs256_kid),
		cmocka_unit_test(test_reason_never_contains_token),
		cmocka_unit_test(test_config_short_secret),
		cmocka_unit_test(test_config_no_keys),
		cmocka_unit_test(test_config_bad_pem_path),
		cmocka_unit_test(test_config_bad_pem_content),
		cmocka_unit_test(test_config_unsupported_key_type),
		cmocka_unit_test(test_config_malformed_public_keys),
		cmocka_unit_test(test_config_public_keys_only),
		cmocka_unit_test(test_cache_same_token_twice),
		cmocka_unit_test(test_cache_expired_rejected),
		cmocka_unit_test(test_cache_respects_not_before),
		cmocka_unit_test(test_cache_single_slot_many_tokens),
		cmocka_unit_test(test_cache_concurrent),
	};

	return cmocka_run_group_tests_name("jwt", tests, group_setup, group_teardown);
}
