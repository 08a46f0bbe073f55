/* ops.c — operations endpoints: health, readiness, metrics, the contract, docs. */
#include <string.h>

#include "api/assets.h"
#include "api/handlers.h"
#include "api/metrics.h"
#include "api/respond.h"

void
handle_healthz(struct req *r)
{
	respond_json_text(r, 200, strdup("{\"status\":\"ok\"}"));
}

void
handle_readyz(struct req *r)
{
	int applied = 0, expected = db_migrations_expected();
	enum status st = db_migrations_applied(r->conn, &applied);

	if (st != ST_OK) {
		respond_status(r, ST_UNAVAILABLE, "the database is unreachable");
		return;
	}
	if (applied != expected) {
		char detail[96];
		snprintf(detail, sizeof detail, "migrations not current: %d of %d applied", applied, expected);
		respond_problem(r, 503, detail, NULL);
		return;
	}
	respond_json(r, 200,
		     json_pack("{s:s,s:s,s:{s:i,s:i}}", "status", "ready", "database", "ok", "migrations", "applied",
			       applied, "expected", expected));
}

void
handle_metrics(struct req *r)
{
	struct buf b = { 0 };

	metrics_render(r->app->metrics, r->app->pool, &b);
	metrics_render_replica(r->app->metrics, r->app->replica, r->app->read_pool, &b);
	if (b.oom) {
		buf_clear(&b);
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	respond_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_clear(&b);
}

void
handle_openapi(struct req *r)
{
	respond_raw(r, 200, "application/yaml", asset_openapi_yaml, asset_openapi_yaml_len);
}

void
handle_docs(struct req *r)
{
	respond_raw(r, 200, "text/html; charset=utf-8", asset_docs_html, asset_docs_html_len);
}
