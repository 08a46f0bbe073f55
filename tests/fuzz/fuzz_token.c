/* libFuzzer: bearer token pre-parsing and verification. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_verifier *v;
	struct principal p;
	char reason[64];

	if (!v) {
		struct auth_config cfg = { .hs256_secret = "fuzz-secret-0123456789abcdef-0123456789",
					   .leeway_s = 30, .cache_entries = 64 };
		char err[256];
		if (auth_verifier_new(&cfg, &v, err, sizeof err) != ST_OK)
			abort();
	}
	char *token = malloc(size + 1);
	if (!token)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	auth_verify_token(v, token, 1800000000, &p, reason, sizeof reason);
	free(token);
	return 0;
}
