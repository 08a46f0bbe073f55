/*
 * attainctl — attain's admin CLI: migrate | token | seed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "auth/principal.h"
#include "db/db.h"
#include "org/seed.h"
#include "org/service.h"

static void
usage(FILE *f)
{
	fputs("usage: attainctl <command> [options]\n\n"
	      "commands:\n"
	      "  migrate                      apply pending migrations to DATABASE_URL (advisory-locked)\n"
	      "  token --sub S --org O --roles r1,r2 [--person ID] [--ttl SECONDS]\n"
	      "                               print an HS256 development token signed with\n"
	      "                               ATTAIN_JWT_HS256_SECRET (iss/aud from ATTAIN_JWT_ISSUER/_AUDIENCE)\n"
	      "  seed [--org O]               load the demo org (teams, managers, reps) into DATABASE_URL\n"
	      "  seed --org O --teams N --people M\n"
	      "                               deterministic benchmark data: N teams in a 10-ary tree, M people\n"
	      "roles: admin, exec, manager, rep, service\n",
	      f);
}

static struct db_pool *
open_pool(void)
{
	const char *url = getenv("DATABASE_URL");
	struct db_pool *p = NULL;
	struct db_pool_options o = {
		.url = url && *url ? url : "postgresql:///attain",
		.size = 1,
		.wait_ms = 1000,
		.statement_timeout_ms = 3600 * 1000,
	};

	if (db_pool_new(&o, &p) != ST_OK) {
		fprintf(stderr, "attainctl: out of memory\n");
		return NULL;
	}
	return p;
}

static int
cmd_migrate(void)
{
	struct db_pool *p = open_pool();
	struct db_conn *c = NULL;
	char err[512] = "";
	int applied = 0, rc = 1;

	if (!p)
		return 1;
	if (db_acquire(p, &c) != ST_OK) {
		fprintf(stderr, "attainctl: DATABASE_URL: cannot connect to PostgreSQL\n");
		goto out;
	}
	if (db_migrate(c, &applied, err, sizeof err) != ST_OK) {
		fprintf(stderr, "attainctl: %s\n", err);
		goto out;
	}
	printf("applied %d migration(s); database at version %d\n", applied, db_migrations_expected());
	rc = 0;
out:
	db_release(p, c);
	db_pool_free(p);
	return rc;
}

static int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sub", required_argument, NULL, 's' }, { "org", required_argument, NULL, 'o' },
		{ "roles", required_argument, NULL, 'r' }, { "person", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct principal p = { 0 };
	long ttl = 3600;
	int ch;
	char *tok = NULL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': snprintf(p.sub, sizeof p.sub, "%s", optarg); break;
		case 'o': snprintf(p.org, sizeof p.org, "%s", optarg); break;
		case 'p': snprintf(p.person_id, sizeof p.person_id, "%s", optarg); break;
		case 't': ttl = strtol(optarg, NULL, 10); break;
		case 'r': {
			char *copy = strdup(optarg), *save = NULL;
			for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
				unsigned bit = role_parse(name);
				if (!bit) {
					fprintf(stderr, "attainctl token: --roles: unknown role %s\n", name);
					free(copy);
					return 2;
				}
				p.roles |= bit;
			}
			free(copy);
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (!p.sub[0] || !p.org[0] || !p.roles) {
		fprintf(stderr, "attainctl token: --sub, --org and --roles are required\n");
		return 2;
	}
	const char *secret = getenv("ATTAIN_JWT_HS256_SECRET");
	if (!secret || strlen(secret) < 32) {
		fprintf(stderr, "attainctl token: ATTAIN_JWT_HS256_SECRET must be set (>= 32 bytes)\n");
		return 2;
	}
	if (auth_mint_hs256(secret, &p, getenv("ATTAIN_JWT_ISSUER"), getenv("ATTAIN_JWT_AUDIENCE"), time(NULL), ttl,
			    &tok) != ST_OK) {
		fprintf(stderr, "attainctl token: cannot mint the token\n");
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	return 0;
}

static int
cmd_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' }, { "teams", required_argument, NULL, 't' },
		{ "people", required_argument, NULL, 'p' }, { NULL, 0, NULL, 0 },
	};
	const char *org = "demo";
	int teams = 0, people = 0, ch, rc = 1;
	struct db_pool *p;
	struct db_conn *c = NULL;
	enum status st;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': org = optarg; break;
		case 't': teams = atoi(optarg); break;
		case 'p': people = atoi(optarg); break;
		default: usage(stderr); return 2;
		}
	}
	if ((teams > 0) != (people > 0) || teams < 0 || people < 0 || (teams && people < teams)) {
		fprintf(stderr, "attainctl seed: give both --teams and --people (people >= teams), or neither\n");
		return 2;
	}
	if (!(p = open_pool()))
		return 1;
	if (db_acquire(p, &c) != ST_OK) {
		fprintf(stderr, "attainctl: DATABASE_URL: cannot connect to PostgreSQL\n");
		goto out;
	}
	if ((st = db_begin(c)) != ST_OK || (st = org_service_ensure(c, org)) != ST_OK)
		goto fail;
	st = teams ? org_seed_bench(c, org, teams, people) : org_seed_demo(c, org);
	if (st == ST_CONFLICT) {
		db_rollback(c);
		printf("org %s already has teams; nothing seeded\n", org);
		rc = 0;
		goto out;
	}
	if (st != ST_OK || (st = db_commit(c)) != ST_OK)
		goto fail;
	if (teams)
		printf("seeded org %s: %d teams, %d people\n", org, teams, people);
	else
		printf("seeded demo org %s\n", org);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "attainctl seed: failed (%s, SQLSTATE %s)\n", status_name(st), db_last_sqlstate(c));
out:
	db_release(p, c);
	db_pool_free(p);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate();
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (strcmp(argv[1], "seed") == 0)
		return cmd_seed(argc - 1, argv + 1);
	fprintf(stderr, "attainctl: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
