/*
 * attainctl — attain's admin CLI: migrate | token | seed | import.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "cmd/attainctl/import.h"
#include "auth/principal.h"
#include "db/db.h"
#include "org/seed.h"
#include "org/service.h"
#include "seed/seed.h"

static void
usage(FILE *f)
{
	fputs("usage: attainctl <command> [options]\n\n"
	      "commands:\n"
	      "  migrate                      apply pending migrations to DATABASE_URL (advisory-locked)\n"
	      "  token --sub S --org O --roles r1,r2 [--person ID] [--ttl SECONDS]\n"
	      "                               print an HS256 development token signed with\n"
	      "                               ATTAIN_JWT_HS256_SECRET (iss/aud from ATTAIN_JWT_ISSUER/_AUDIENCE)\n"
	      "  seed [--org O] [--seed N] [--today YYYY-MM-DD]\n"
	      "                               load the demo org into DATABASE_URL: teams, managers, reps,\n"
	      "                               three years of deals ending at --today (default: today in the\n"
	      "                               org's time zone) with their history, open pipeline for the next\n"
	      "                               quarters, quotas for every person and team, closed and open leads\n"
	      "  seed --org O --teams N --people M [--deals D [--seed N] [--today YYYY-MM-DD]]\n"
	      "                               deterministic benchmark data: N teams in a 10-ary tree, M people,\n"
	      "                               and with --deals D deals over three years (history, splits) and\n"
	      "                               quotas for every person and team\n"
	      "                               Same arguments, same rows. An org that has teams is left alone.\n",
	      f);
	import_usage(f);
	fputs("roles: admin, exec, manager, rep, service\n", f);
}

struct db_pool *
ctl_pool_open(void)
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
	struct db_pool *p = ctl_pool_open();
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

/* The demo's deals: about 200 per rep over the three years. */
#define DEMO_DEALS 6000

/* What `attainctl seed` was asked for. */
struct seed_args {
	const char *org;
	int teams, people;
	struct seed_options pipe;
};

/* Parse the options of seed into *a; 0, or the exit status of a usage error. */
static int
seed_args_parse(int argc, char **argv, struct seed_args *a)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },   { "teams", required_argument, NULL, 't' },
		{ "people", required_argument, NULL, 'p' }, { "deals", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },  { "today", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	*a = (struct seed_args){ .org = "demo", .pipe = { .seed = SEED_DEFAULT } };
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->org = optarg; break;
		case 't': a->teams = atoi(optarg); break;
		case 'p': a->people = atoi(optarg); break;
		case 'd':
			a->pipe.deals = strtol(optarg, &end, 10);
			if (*end || a->pipe.deals < 1) {
				fprintf(stderr, "attainctl seed: --deals must be a positive number\n");
				return 2;
			}
			break;
		case 's': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 1000000000UL) {
				fprintf(stderr, "attainctl seed: --seed must be a number from 0 to 1000000000\n");
				return 2;
			}
			a->pipe.seed = (unsigned)v;
			break;
		}
		case 'y':
			if (cal_date_parse(optarg, &a->pipe.today) != ST_OK) {
				fprintf(stderr, "attainctl seed: --today must be a date YYYY-MM-DD\n");
				return 2;
			}
			a->pipe.set_today = true;
			break;
		default: usage(stderr); return 2;
		}
	}
	if ((a->teams > 0) != (a->people > 0) || a->teams < 0 || a->people < 0 || (a->teams && a->people < a->teams)) {
		fprintf(stderr, "attainctl seed: give both --teams and --people (people >= teams), or neither\n");
		return 2;
	}
	if (a->pipe.deals && !a->teams) {
		fprintf(stderr, "attainctl seed: --deals goes with --teams and --people\n");
		return 2;
	}
	if (!a->teams) {
		a->pipe.deals = DEMO_DEALS;
		a->pipe.leads = true;
	}
	return 0;
}

static int
cmd_seed(int argc, char **argv)
{
	struct seed_args a;
	struct seed_result res = { 0 };
	int rc = seed_args_parse(argc, argv, &a);
	struct db_pool *p;
	struct db_conn *c = NULL;
	struct timespec t0, t1;
	enum status st;

	if (rc)
		return rc;
	rc = 1;
	if (!(p = ctl_pool_open()))
		return 1;
	if (db_acquire(p, &c) != ST_OK) {
		fprintf(stderr, "attainctl: DATABASE_URL: cannot connect to PostgreSQL\n");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((st = db_begin(c)) != ST_OK || (st = org_service_ensure(c, a.org)) != ST_OK)
		goto fail;
	st = a.teams ? org_seed_bench(c, a.org, a.teams, a.people) : org_seed_demo(c, a.org);
	if (st == ST_CONFLICT) {
		db_rollback(c);
		printf("org %s already has teams; nothing seeded\n", a.org);
		rc = 0;
		goto out;
	}
	if (st != ST_OK || (a.pipe.deals && (st = seed_pipeline(c, a.org, &a.pipe, &res)) != ST_OK) ||
	    (st = db_commit(c)) != ST_OK)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (a.teams)
		printf("seeded org %s: %d teams, %d people", a.org, a.teams, a.people);
	else
		printf("seeded demo org %s", a.org);
	if (a.pipe.deals) {
		char day[16];
		cal_date_format(res.today, day, sizeof day);
		printf(": %ld deals (%ld history rows) up to %s, %ld quotas, %ld leads; seed %u", res.deals,
		       res.history, day, res.quotas, res.leads, a.pipe.seed);
	}
	printf(" in %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
	goto out;
fail:
	if (st == ST_UNPROCESSABLE)
		fprintf(stderr, "attainctl seed: org %s needs an active person and an open, a won and a lost stage\n",
			a.org);
	else
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
	if (strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	fprintf(stderr, "attainctl: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
