/*
 * jwt.h — bearer token verification, the one place that decides whether a
 * token is trusted (DESIGN §4).
 *
 * Keys: an HS256 shared secret (>= 32 bytes) used for tokens WITHOUT a `kid`,
 * and public keys (RSA -> RS256, EC P-256 -> ES256) chosen by `kid`; exactly
 * one algorithm per key. The token's `alg` header must equal the chosen
 * key's algorithm exactly (case-sensitive). `exp` is required; `nbf`, `iat`,
 * `iss` and `aud` are checked with a small leeway.
 */
#ifndef ATTAIN_AUTH_JWT_H
#define ATTAIN_AUTH_JWT_H

#include <stddef.h>
#include <time.h>

#include "auth/principal.h"
#include "core/status.h"

struct auth_config {
	const char *hs256_secret; /* NULL or "" = no HS256 key */
	/* NULL or "" = none; else "kid=/path/key.pem[,kid2=/path/other.pem]" */
	const char *public_keys;
	const char *issuer;   /* NULL or "" = not checked; else `iss` must equal it */
	const char *audience; /* NULL or "" = not checked; else `aud` (string or array) must hold it */
	int leeway_s;         /* tolerance for exp/nbf/iat, e.g. 30 */
	size_t cache_entries; /* 0 = no cache */
};

struct auth_verifier;

/*
 * Build a verifier from cfg (strings are copied; key files are read now).
 * On failure returns ST_INVALID and writes one line into err naming the
 * setting (e.g. "ATTAIN_JWT_HS256_SECRET: must be at least 32 bytes").
 * At least one key must be configured. Caller frees with auth_verifier_free.
 */
enum status auth_verifier_new(const struct auth_config *cfg, struct auth_verifier **out,
			      char *err, size_t errlen);
void auth_verifier_free(struct auth_verifier *v);

/*
 * Verify `token` (the text after "Bearer ") at time `now`. On ST_OK fills
 * *out. Any failure is ST_UNAUTHORIZED (the reason, never the token, goes in
 * reason[] when reason is non-NULL). Thread-safe; verified tokens are cached
 * (bounded, keyed by the whole token, never served past `exp`).
 */
enum status auth_verify_token(struct auth_verifier *v, const char *token, time_t now,
			      struct principal *out, char *reason, size_t reasonlen);

/*
 * Mint an HS256 token for development and tests: claims sub, org, roles
 * (from p->roles), person_id (when non-empty), iat = now, exp = now + ttl_s,
 * iss/aud when non-NULL and non-empty. *out is malloc'd; caller frees.
 */
enum status auth_mint_hs256(const char *secret, const struct principal *p, const char *issuer,
			    const char *audience, time_t now, long ttl_s, char **out);

#endif
