#include "org/seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/store.h"

/* Set a team's manager without a new version: the seeded rows are at version 1. */
DB_STMT(stmt_seed_manager, "UPDATE teams SET manager_id = $3::bigint WHERE org_id = $1 AND id = $2::bigint");

/* ST_CONFLICT when the org already has a team: a seed writes into an empty org only. */
static enum status
has_teams(struct db_conn *c, const char *org)
{
	struct page p = { 0 };
	enum status st = team_list(c, org, &(struct team_filter){ .limit = 1 }, &p);

	if (st == ST_OK && p.count > 0)
		st = ST_CONFLICT;
	page_clear(&p);
	return st;
}

/* The id of the row a create answered with status st into *id; the row itself is freed. */
static enum status
kept_id(enum status st, struct rowjson *row, int64_t *id)
{
	if (st == ST_OK)
		*id = row->id;
	rowjson_clear(row);
	return st;
}

struct demo_team {
	const char *key;
	const char *name;
	int parent; /* index into the table, -1 for the root */
	const char *segment;
	const char *manager;
	const char *manager_title;
	int reps;
};

static const struct demo_team demo_teams[] = {
	{ "global", "Global Sales", -1, "b2b", "Alex Morgan", "VP Sales", 0 },
	{ "na", "North America", 0, "b2b", "Jordan Lee", "RVP North America", 0 },
	{ "na-ent", "NA Enterprise", 1, "b2b", "Priya Shah", "Sales Director", 7 },
	{ "na-mm", "NA Mid-Market", 1, "b2b", "Marcus Chen", "Sales Manager", 6 },
	{ "emea", "EMEA", 0, "b2b", "Sofia Rossi", "RVP EMEA", 0 },
	{ "emea-ent", "EMEA Enterprise", 4, "b2b", "Lukas Becker", "Sales Director", 5 },
	{ "emea-inside", "EMEA Inside Sales", 4, "b2c", "Chloe Martin", "Inside Sales Manager", 6 },
	{ "apac", "APAC", 0, "b2b", "Kenji Watanabe", "Sales Manager", 6 },
};

static const char *const first_names[] = {
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Mia", "Lucas", "Amelia", "Ethan", "Zoe",
	"Hiro", "Fatima", "Diego", "Ingrid", "Ravi", "Nora", "Tomas", "Aisha", "Felix", "Leila", "Oscar",
	"Yara", "Samuel", "Elena", "Kai", "Maya", "Jonas", "Sara", "Omar",
};
static const char *const last_names[] = {
	"Smith", "Garcia", "Nguyen", "Muller", "Kowalski", "Okafor", "Silva", "Johansson", "Tanaka",
	"Dubois", "Novak", "Haddad", "Rossi", "Kim", "Andersen", "Costa", "Patel", "Schmidt", "Lopez",
	"Ivanova", "Brown", "Fischer", "Moreau", "Yilmaz", "Santos", "Weber", "Jensen", "Mensah", "Park",
	"Murphy",
};
#define NFIRST (int)(sizeof first_names / sizeof first_names[0])
#define NLAST (int)(sizeof last_names / sizeof last_names[0])

static void
email_of(const char *name, int n, const char *org, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = name; *p && o + 1 < len; p++)
		out[o++] = *p == ' ' ? '.' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (n)
		snprintf(out + o, len - o, "%d@%s.example", n, org);
	else
		snprintf(out + o, len - o, "@%s.example", org);
}

/* What differs between two seeded people of a team. */
struct seed_person {
	const char *name, *email, *title, *hired_on, *external_id;
	int ramp_months;
};

/* Person sp in demo team t (id team_id); their id into *id. */
static enum status
add_person(struct db_conn *c, const char *org, const struct demo_team *t, int64_t team_id,
	   const struct seed_person *sp, int64_t *id, struct issues *e)
{
	struct rowjson row = { 0 };
	struct person_input p = {
		.name = sp->name,
		.email = sp->email,
		.set_team = true,
		.team_id = team_id,
		.set_title = true,
		.title = sp->title,
		.set_segment = true,
		.segment = t->segment,
		.set_hired_on = true,
		.hired_on = sp->hired_on,
		.ramp_months = sp->ramp_months,
		.active = -1,
		.set_external_id = true,
		.external_id = sp->external_id,
	};

	return kept_id(person_create(c, org, &p, &row, e), &row, id);
}

/* The team at index `i` of demo_teams (below ids[parent]) and its manager; its id into ids[i]. */
static enum status
seed_team(struct db_conn *c, const char *org, size_t i, int64_t *ids, struct issues *e)
{
	const struct demo_team *t = &demo_teams[i];
	struct team_input team = {
		.name = t->name,
		.set_parent = t->parent >= 0,
		.parent_id = t->parent >= 0 ? ids[t->parent] : 0,
		.set_external_id = true,
		.external_id = t->key,
	};
	char email[160], ext[48], tid[24], pid[24];
	struct rowjson row = { 0 };
	int64_t manager = 0;
	enum status st;

	if ((st = kept_id(team_create(c, org, &team, &row, e), &row, &ids[i])) != ST_OK)
		return st;
	email_of(t->manager, 0, org, email, sizeof email);
	snprintf(ext, sizeof ext, "crm-mgr-%s", t->key);
	struct seed_person m = { t->manager, email, t->manager_title, "2019-03-01", ext, 0 };
	if ((st = add_person(c, org, t, ids[i], &m, &manager, e)) != ST_OK)
		return st;
	return row_exec_command(c, &stmt_seed_manager, 3,
				(const char *[]){ org, row_id_param(ids[i], tid, sizeof tid),
						  row_id_param(manager, pid, sizeof pid) });
}

/* Rep number `rep` (0-based, over the whole org) in demo team `t` (id team_id). */
static enum status
seed_rep(struct db_conn *c, const char *org, const struct demo_team *t, int64_t team_id, int rep,
	 struct issues *e)
{
	int y = 2020 + rep % 7, m = 1 + (rep * 5) % 12;
	char email[160], name[96], hired[16], ext[48];
	const char *title = strcmp(t->segment, "b2c") == 0 ? "Inside Sales Rep" : "Account Executive";
	int64_t id;

	snprintf(name, sizeof name, "%s %s", first_names[(rep * 7) % NFIRST], last_names[(rep * 11) % NLAST]);
	email_of(name, rep + 1, org, email, sizeof email);
	snprintf(hired, sizeof hired, "%04d-%02d-01", y > 2026 ? 2026 : y, m);
	snprintf(ext, sizeof ext, "crm-rep-%03d", rep + 1);
	struct seed_person p = { name, email, title, hired, ext, y >= 2026 ? 3 : 0 };
	return add_person(c, org, t, team_id, &p, &id, e);
}

enum status
org_seed_demo(struct db_conn *c, const char *org)
{
	int64_t ids[sizeof demo_teams / sizeof demo_teams[0]];
	struct issues e = { 0 };
	enum status st = has_teams(c, org);
	int rep = 0;

	for (size_t i = 0; st == ST_OK && i < sizeof demo_teams / sizeof demo_teams[0]; i++) {
		st = seed_team(c, org, i, ids, &e);
		for (int k = 0; st == ST_OK && k < demo_teams[i].reps; k++, rep++)
			st = seed_rep(c, org, &demo_teams[i], ids[i], rep, &e);
	}
	issues_clear(&e);
	return st;
}

DB_STMT(stmt_seed_bench_teams,
	"INSERT INTO teams (org_id, name, external_id)"
	" SELECT $1, 'Team ' || g, 'bench-team-' || g FROM generate_series(1, $2::int) g ORDER BY g");
DB_STMT(stmt_seed_bench_tree,
	"WITH t AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM teams WHERE org_id = $1)"
	" UPDATE teams SET parent_id = p.id FROM t c JOIN t p ON p.n = (c.n - 2) / 10 + 1"
	" WHERE teams.org_id = $1 AND teams.id = c.id AND c.n > 1");
DB_STMT(stmt_seed_bench_people,
	"WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM teams WHERE org_id = $1),"
	" nt AS (SELECT count(*) AS k FROM t)"
	" INSERT INTO people (org_id, name, email, team_id, title, segment, hired_on, ramp_months, external_id)"
	" SELECT $1, (ARRAY['Olivia','Liam','Emma','Noah','Ava','Mateo','Mia','Lucas','Amelia','Ethan'])[g % 10 + 1]"
	"   || ' ' || (ARRAY['Smith','Garcia','Nguyen','Muller','Kowalski','Okafor','Silva','Tanaka','Dubois','Novak'])[(g / 10) % 10 + 1]"
	"   || ' ' || g, 'person' || g || '@' || $1 || '.example', t.id,"
	"   CASE WHEN g <= nt.k THEN 'Sales Manager' ELSE 'Account Executive' END,"
	"   CASE WHEN t.n % 4 = 3 THEN 'b2c' ELSE 'b2b' END,"
	"   date '2018-01-01' + (g * 37) % 3000, CASE WHEN g % 9 = 0 THEN 3 ELSE 0 END, 'bench-person-' || g"
	" FROM generate_series(1, $2::int) g CROSS JOIN nt JOIN t ON t.n = (g - 1) % nt.k ORDER BY g");
DB_STMT(stmt_seed_bench_managers,
	"UPDATE teams SET manager_id = m.id FROM (SELECT DISTINCT ON (team_id) team_id, id FROM people"
	" WHERE org_id = $1 ORDER BY team_id, id) m WHERE teams.org_id = $1 AND teams.id = m.team_id");

enum status
org_seed_bench(struct db_conn *c, const char *org, int teams, int people)
{
	enum status st;
	char nt[16], np[16];

	if ((st = has_teams(c, org)) != ST_OK)
		return st;
	row_int_param(teams, nt, sizeof nt);
	row_int_param(people, np, sizeof np);
	if ((st = row_exec_command(c, &stmt_seed_bench_teams, 2, (const char *[]){ org, nt })) != ST_OK ||
	    (st = row_exec_command(c, &stmt_seed_bench_tree, 1, (const char *[]){ org })) != ST_OK ||
	    (st = row_exec_command(c, &stmt_seed_bench_people, 2, (const char *[]){ org, np })) != ST_OK ||
	    (st = row_exec_command(c, &stmt_seed_bench_managers, 1, (const char *[]){ org })) != ST_OK)
		return st;
	return ST_OK;
}
