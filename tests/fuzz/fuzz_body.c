/* libFuzzer: strict body parsing (JSON with duplicate keys rejected, then the field readers). */
#include <stddef.h>
#include <stdint.h>

#include "api/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "name", "email", "amount", "team_id", "hired_on", "active", NULL };
	static const char *const seg[] = { "b2b", "b2c", NULL };
	struct issues e = { 0 };
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	const char *s;
	long long n;
	bool b;
	int64_t id, cents;
	cal_date d;

	if (!o || !json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	parse_only(o, allowed, &e);
	parse_require(o, "name", &e);
	parse_string(o, "name", 1, 200, &e, &s);
	parse_int(o, "ramp_months", 0, 24, &e, &n);
	parse_bool(o, "active", &e, &b);
	parse_id(o, "team_id", &e, &id);
	parse_enum(o, "segment", seg, &e, &s);
	parse_date(o, "hired_on", &e, &d);
	parse_money(o, "amount", false, &e, &cents);
	issues_clear(&e);
	json_decref(o);
	return 0;
}
