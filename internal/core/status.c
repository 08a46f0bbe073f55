#include "core/status.h"

const char *
status_name(enum status st)
{
	switch (st) {
	case ST_OK: return "ok";
	case ST_INVALID: return "invalid";
	case ST_UNAUTHORIZED: return "unauthorized";
	case ST_FORBIDDEN: return "forbidden";
	case ST_NOT_FOUND: return "not_found";
	case ST_CONFLICT: return "conflict";
	case ST_STALE: return "stale";
	case ST_UNPROCESSABLE: return "unprocessable";
	case ST_TOO_LARGE: return "too_large";
	case ST_UNAVAILABLE: return "unavailable";
	case ST_NOMEM: return "nomem";
	case ST_INTERNAL: return "internal";
	}
	return "unknown";
}
