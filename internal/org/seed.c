#include "org/seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/store.h"

DB_STMT(stmt_seed_has_teams, "SELECT EXISTS (SELECT 1 FROM teams WHERE org_id = $1)");
DB_STMT(stmt_seed_team,
	"INSERT INTO teams (org_id, name, parent_id, external_id) VALUES ($1, $2, $3::bigint, $4) RETURNING id");
DB_STMT(stmt_seed_person,
	"INSERT INTO people (org_id, name, email, team_id, title, segment, hired_on, ramp_months, external_id)"
	" VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::date, $8::int, $9) RETURNING id");
DB_STMT(stmt_seed_manager, "UPDATE teams SET manager_id = $3::bigint WHERE org_id = $1 AND id = $2::bigint");

static enum status
has_teams(struct db_conn *c, const char *org)
{
	PGresult *r = db_exec(c, &stmt_seed_has_teams, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && PQgetvalue(r, 0, 0)[0] == 't')
		st = ST_CONFLICT;
	PQclear(r);
	return st;
}

static enum status
insert_id(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, char *id, size_t idlen)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}

static enum status
exec_cmd(struct db_conn *c, struct db_stmt *s, int n, const char *const *params)
{
	PGresult *r = db_exec(c, s, n, params);
	enum status st = db_check(c, r, PGRES_COMMAND_OK);

	PQclear(r);
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
	{ "na-ent", "NA Enterprise", 1, "b2b", "Priya Shah", "Sales Director", 5 },
	{ "na-mm", "NA Mid-Market", 1, "b2b", "Marcus Chen", "Sales Manager", 5 },
	{ "emea", "EMEA", 0, "b2b", "Sofia Rossi", "RVP EMEA", 0 },
	{ "emea-ent", "EMEA Enterprise", 4, "b2b", "Lukas Becker", "Sales Director", 4 },
	{ "emea-inside", "EMEA Inside Sales", 4, "b2c", "Chloe Martin", "Inside Sales Manager", 5 },
	{ "apac", "APAC", 0, "b2b", "Kenji Watanabe", "Sales Manager", 4 },
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

enum status
org_seed_demo(struct db_conn *c, const char *org)
{
	enum status st;
	char ids[sizeof demo_teams / sizeof demo_teams[0]][24];
	char pid[24], email[160], name[96], ramp[8], hired[16], ext[48];
	int rep = 0;

	if ((st = has_teams(c, org)) != ST_OK)
		return st;
	for (size_t i = 0; i < sizeof demo_teams / sizeof demo_teams[0]; i++) {
		const struct demo_team *t = &demo_teams[i];
		const char *params[] = { org, t->name, t->parent >= 0 ? ids[t->parent] : NULL, t->key };
		if ((st = insert_id(c, &stmt_seed_team, 4, params, ids[i], sizeof ids[i])) != ST_OK)
			return st;
		email_of(t->manager, 0, org, email, sizeof email);
		snprintf(ext, sizeof ext, "crm-mgr-%s", t->key);
		const char *mp[] = { org, t->manager, email, ids[i], t->manager_title, t->segment, "2019-03-01", "0", ext };
		if ((st = insert_id(c, &stmt_seed_person, 9, mp, pid, sizeof pid)) != ST_OK)
			return st;
		if ((st = exec_cmd(c, &stmt_seed_manager, 3, (const char *[]){ org, ids[i], pid })) != ST_OK)
			return st;
		for (int k = 0; k < t->reps; k++, rep++) {
			int y = 2020 + rep % 7, m = 1 + (rep * 5) % 12;
			snprintf(name, sizeof name, "%s %s", first_names[(rep * 7) % NFIRST], last_names[(rep * 11) % NLAST]);
			email_of(name, rep + 1, org, email, sizeof email);
			snprintf(hired, sizeof hired, "%04d-%02d-01", y > 2026 ? 2026 : y, m);
			snprintf(ramp, sizeof ramp, "%d", y >= 2026 ? 3 : 0);
			snprintf(ext, sizeof ext, "crm-rep-%03d", rep + 1);
			const char *title = strcmp(t->segment, "b2c") == 0 ? "Inside Sales Rep" : "Account Executive";
			const char *rp[] = { org, name, email, ids[i], title, t->segment, hired, ramp, ext };
			if ((st = insert_id(c, &stmt_seed_person, 9, rp, pid, sizeof pid)) != ST_OK)
				return st;
		}
	}
	return ST_OK;
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
	snprintf(nt, sizeof nt, "%d", teams);
	snprintf(np, sizeof np, "%d", people);
	if ((st = exec_cmd(c, &stmt_seed_bench_teams, 2, (const char *[]){ org, nt })) != ST_OK ||
	    (st = exec_cmd(c, &stmt_seed_bench_tree, 1, (const char *[]){ org })) != ST_OK ||
	    (st = exec_cmd(c, &stmt_seed_bench_people, 2, (const char *[]){ org, np })) != ST_OK ||
	    (st = exec_cmd(c, &stmt_seed_bench_managers, 1, (const char *[]){ org })) != ST_OK)
		return st;
	return ST_OK;
}
