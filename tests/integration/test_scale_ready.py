"""Ready for Citus (DESIGN §2 "Scaling out"; README "Scale-out" / "Citus"): every table but the
migrations' own record carries org_id, and every primary key, foreign key, unique constraint and
unique index begins with it, so each could be distributed by org_id; and every statement the code
sends, and every statement of the migrations' functions and triggers, reads org-owned tables one
org at a time (org_id = ..., or joined on org_id to a table that is), so under Citus each would be
routed to one shard group. Read from the catalog and the plans of the database the suite's attaind
migrated."""

import json
import os
import re
import subprocess

from conftest import ATTAIND, psql
from contract import ROOT
from statements import extract, param_count, unconstrained_scans

GLOBAL = {"schema_migrations"}  # the schema's version: one row per migration, no tenant data


def rows(database, sql):
    return [tuple(line.split("|")) for line in psql(database, sql).splitlines() if line]


def test_every_table_carries_org_id(database, server):
    tables = rows(database, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
    assert len(tables) > 20
    missing = rows(database, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                             " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS"
                             " (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'"
                             " AND NOT a.attisdropped)")
    assert {t for (t,) in missing} <= GLOBAL


def test_every_key_and_unique_index_begins_with_org_id(database, server):
    keys = rows(database, "SELECT c.relname, k.conname, k.contype FROM pg_constraint k"
                          " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]"
                          " WHERE n.nspname = 'public' AND k.contype IN ('p', 'f', 'u') AND a.attname <> 'org_id'")
    assert [k for k in keys if k[0] not in GLOBAL] == []
    unique = rows(database, "SELECT c.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                            " JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]"
                            " WHERE n.nspname = 'public' AND x.indisunique"
                            " AND coalesce(a.attname, '<expression>') <> 'org_id'")
    assert [u for u in unique if u[0] not in GLOBAL] == []


def test_every_foreign_key_joins_org_id_to_org_id(database, server):
    """Both sides begin with org_id, paired: a row only ever refers to a row of its own org (one shard group)."""
    fks = rows(database, "SELECT c.relname, k.conname, la.attname, ra.attname, rc.relname FROM pg_constraint k"
                         " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                         " JOIN pg_class rc ON rc.oid = k.confrelid"
                         " JOIN pg_attribute la ON la.attrelid = k.conrelid AND la.attnum = k.conkey[1]"
                         " JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]"
                         " WHERE n.nspname = 'public' AND k.contype = 'f'")
    assert len(fks) > 10
    assert [fk for fk in fks if (fk[2], fk[3]) != ("org_id", "org_id")] == []
    assert {fk[4] for fk in fks} & GLOBAL == set()


# -- every statement filters by org_id ---------------------------------------------------------------

# Declared statements (path:name) that read org-owned tables across orgs on purpose: why, and what they
# become under Citus (README "Citus" says the same).
CROSS_ORG = {
    "internal/importer/store.c:stmt_imp_orgs":
        "attainctl import lists the orgs when --org names none that exists (an operator's read, never"
        " a request's); under Citus a multi-shard read of orgs, fine at that rate",
    "internal/leads/job_store.c:stmt_job_sweep":
        "the start-up sweep of training jobs whose attaind died (every org's, by design); under Citus"
        " the advisory lock must be tried where the job thread holds it, so it becomes a read of"
        " (org_id, id) of the jobs in flight, the lock tried on the coordinator, then an update by"
        " (org_id, id)",
}

# Raw statements that are neither DML (those are planned and checked like the declared ones),
# transaction control, a setting (SET, RESET, SHOW) nor work on the session's own temporary tables.
RAW_ALLOWED = {
    "CREATE TABLE IF NOT EXISTS schema_migrations": "migrations bookkeeping: one global table, no tenant rows",
    "ANALYZE deals, deal_splits": "attainctl seed refreshes statistics after a bulk load (whole tables);"
                                  " under Citus ANALYZE is propagated to every shard",
    "ANALYZE deal_history, quotas, leads": "the same, after the seed's second phase",
}
_TX = re.compile(r"\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW|DISCARD)\b")
_DML = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b")
_SCRATCH = re.compile(r"\s*(CREATE TEMP|CREATE FUNCTION pg_temp\.|DROP TABLE IF EXISTS pg_temp\.)")
_ON_SCRATCH = re.compile(r"\s*(DROP (VIEW|TABLE|FUNCTION) pg_temp\.|TRUNCATE pg_temp\.|ANALYZE pg_temp\.)")


def org_tables(database):
    return {t for (t,) in rows(database, "SELECT c.relname FROM pg_class c"
                                         " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                         " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'"
                                         " AND NOT a.attisdropped"
                                         " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")}


def psql_script(database, script):
    r = subprocess.run(["psql", database, "-X", "-q", "-A", "-t"], input=script, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    return r


def plans_of(database, statements, scratch):
    """{name: plan} for {name: sql}: each prepared as attaind prepares it, its generic plan explained."""
    # the session's temporary tables first (functions, then tables, then the views over them);
    # ON_ERROR_ROLLBACK: a statement that does not prepare is left without a plan, and named
    order = sorted(scratch, key=lambda s: (0 if " FUNCTION " in s[:30] else 2 if " VIEW " in s[:20] else 1))
    lines = ["\\set ON_ERROR_ROLLBACK on", "SET plan_cache_mode = force_generic_plan;", "BEGIN;"]
    lines += [s + ";" for s in order]
    names = sorted(statements)
    for i, name in enumerate(names):
        sql, n = statements[name], param_count(statements[name])
        lines += [f"\\echo @@@ {name}", f"PREPARE s{i} AS {sql};",
                  f"EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE s{i}" + (f"({', '.join(['NULL'] * n)})" if n else "") + ";"]
    lines.append("ROLLBACK;")
    out = psql_script(database, "\n".join(lines)).stdout
    plans = {}
    for chunk in out.split("@@@ ")[1:]:
        name, _, text = chunk.partition("\n")
        if text.strip():
            plans[name] = json_plan(text)
    missing = [n for n in names if n not in plans]
    assert missing == [], f"statements that do not prepare on the migrated schema: {missing}"
    return plans


def json_plan(text):
    return json.loads(text)[0]["Plan"]


def test_every_statement_in_the_code_filters_by_org_id(database, server):
    declared, raw = extract(os.path.dirname(ATTAIND))
    assert len(declared) > 100
    scratch = [sql.replace("%u", "1") for _, sql in raw if _SCRATCH.match(sql)]
    scratch_tables = set(re.findall(r"CREATE TEMP TABLE (\w+)", " ".join(scratch)))
    planned, unclassified = dict(declared), []
    for i, (path, sql) in enumerate(raw):
        if _SCRATCH.match(sql) or _ON_SCRATCH.match(sql) or _TX.match(sql):
            continue
        m = re.fullmatch(r"COPY (\w+) FROM STDIN", sql.strip())
        if m and m.group(1) in scratch_tables:
            continue
        if _DML.match(sql):  # snprintf formats: any value will do for the plan
            planned[f"{path}:raw{i}"] = re.sub(r"%l{0,2}[diu]", "1", sql.replace("'%s'", "'x'"))
        elif not any(sql.startswith(a) for a in RAW_ALLOWED):
            unclassified.append((path, sql[:200]))
    assert unclassified == []
    tables = org_tables(database)
    plans = plans_of(database, planned, scratch)
    unconstrained = {name: scans for name, plan in plans.items() if (scans := unconstrained_scans(plan, tables))}
    assert {n: s for n, s in unconstrained.items() if n not in CROSS_ORG} == {}
    # the allow-list names statements that exist and that do read across orgs
    assert set(CROSS_ORG) == set(unconstrained)


# A scratch org's life inside one transaction that is rolled back: it fires every trigger and, through
# them, every function of the migrations that touches a table (the branches with statements: a team
# created, moved alone, two moved at once, removed; a person moving team; a deal with a split created,
# closed and deleted; a quota created, changed, deleted; a history row). auto_explain shows the plan
# of each statement run inside them; track_functions which functions ran.
WORKLOAD = r"""
\set ON_ERROR_STOP 1
\set o '''scale-ready-check'''
BEGIN;
SET LOCAL track_functions = 'all';
SELECT set_config('attain.sub', 'scale-ready-check', true) \g /dev/null
LOAD 'auto_explain';
SET LOCAL auto_explain.log_min_duration = 0;
SET LOCAL auto_explain.log_nested_statements = on;
SET LOCAL auto_explain.log_format = json;
SET LOCAL auto_explain.log_verbose = on;
SET LOCAL auto_explain.log_level = notice;
SET LOCAL client_min_messages = notice;
INSERT INTO orgs (org_id, name) VALUES (:o, 'check');
INSERT INTO teams (org_id, name) VALUES (:o, 'A') RETURNING id AS ta \gset
INSERT INTO teams (org_id, name, parent_id) VALUES (:o, 'B', :ta) RETURNING id AS tb \gset
INSERT INTO teams (org_id, name) VALUES (:o, 'C') RETURNING id AS tc \gset
INSERT INTO teams (org_id, name) VALUES (:o, 'D') RETURNING id AS td \gset
INSERT INTO people (org_id, name, email, team_id) VALUES (:o, 'P', 'p@example.com', :tb) RETURNING id AS pa \gset
INSERT INTO people (org_id, name, email, team_id) VALUES (:o, 'Q', 'q@example.com', :tb) RETURNING id AS pb \gset
INSERT INTO deals (org_id, name, owner_id, segment, type, amount, stage, probability, forecast_category, status,
                   close_date, created_on, split_person_ids, split_percents)
VALUES (:o, 'deal', :pa, 'b2b', 'new_business', 100, 'prospecting', 10, 'pipeline', 'open', '2026-06-30',
        '2026-01-05', ARRAY[:pa, :pb]::bigint[], '{60,40}') RETURNING id AS d \gset
UPDATE deals SET amount = 200, stage = 'closed_won', probability = 100, forecast_category = 'closed', status = 'won'
WHERE org_id = :o AND id = :d;
INSERT INTO deal_history (org_id, deal_id, version, sub, kind, stage_to, close_date_to, amount_to, probability,
                          forecast_category, status, owner_id)
VALUES (:o, :d, 2, 'check', 'changed', 'closed_won', '2026-06-30', 200, 100, 'closed', 'won', :pa);
UPDATE people SET team_id = :tc WHERE org_id = :o AND id = :pa;
UPDATE teams SET parent_id = :tc WHERE org_id = :o AND id = :tb;
UPDATE teams SET parent_id = :td WHERE org_id = :o AND id IN (:tb, :ta);
INSERT INTO quotas (org_id, assignee_type, person_id, period, grain, period_start, period_end, metric, amount)
VALUES (:o, 'person', :pa, '2026-06', 'month', '2026-06-01', '2026-06-30', 'revenue', 1000) RETURNING id AS q \gset
UPDATE quotas SET amount = 2000 WHERE org_id = :o AND id = :q;
DELETE FROM quotas WHERE org_id = :o AND id = :q;
DELETE FROM deals WHERE org_id = :o AND id = :d;
UPDATE people SET team_id = NULL WHERE org_id = :o;
DELETE FROM teams WHERE org_id = :o AND id = :tb;
SET LOCAL client_min_messages = warning;
\echo @@@ called
SELECT funcname FROM pg_stat_xact_user_functions WHERE schemaname = 'public' ORDER BY 1;
ROLLBACK;
"""

# Functions of the migrations the workload does not see run, and why none needs to.
NOT_RUN = {
    "quota_doc": "a one-SELECT SQL function over its argument, inlined into quotas_audit's INSERT (planned there)",
    "deal_credit_rows": "pure: arrays in, rows out, reads no table (inlined where it is used)",
    "perf_deal_changed": "pure: compares two rows (inlined)",
    "quota_history_append_only": "raises: quota history is append-only",
    "forecast_submissions_frozen": "raises: submissions, adjustments and snapshots are never updated",
}


def test_every_statement_of_the_triggers_and_functions_filters_by_org_id(database, server):
    r = psql_script(database, WORKLOAD)
    called = set(r.stdout.split("@@@ called", 1)[1].split())
    functions = {f for (f,) in rows(database, "SELECT p.proname FROM pg_proc p"
                                              " JOIN pg_namespace n ON n.oid = p.pronamespace"
                                              " JOIN pg_language l ON l.oid = p.prolang"
                                              " WHERE n.nspname = 'public' AND l.lanname IN ('sql', 'plpgsql')")}
    assert len(functions) > 20
    assert functions - called == set(NOT_RUN)
    # the ones not run read no table by name
    tables = org_tables(database)
    for f in NOT_RUN:
        body = psql(database, f"SELECT prosrc FROM pg_proc WHERE proname = '{f}'")
        assert not re.search(r"\b(FROM|JOIN|INTO|UPDATE)\s+(" + "|".join(tables) + r")\b", body, re.I), f
    decoder, plans = json.JSONDecoder(), {}
    for chunk in re.split(r"NOTICE:  duration: [\d.]+ ms  plan:\n", r.stderr)[1:]:
        entry, _ = decoder.raw_decode(chunk.lstrip())
        plans.setdefault(" ".join(entry["Query Text"].split()), []).append(entry["Plan"])
    assert len(plans) > 40  # every statement run, the workload's own and those inside the triggers
    unconstrained = {q[:300]: scans for q, ps in plans.items() for p in ps if (scans := unconstrained_scans(p, tables))}
    assert unconstrained == {}


def test_the_readme_distributes_every_org_table(database, server):
    """README "Citus": its distribution DDL names every table that carries org_id, each once, parents first."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    citus = readme.split("### Citus", 1)[1]
    ddl = citus.split("```sql", 1)[1].split("```", 1)[0]
    named = re.findall(r"create_distributed_table\('(\w+)'", ddl) + \
        re.findall(r"'(\w+)'", ddl.split("unnest(ARRAY[", 1)[1].split("])", 1)[0])
    assert sorted(named) == sorted(org_tables(database))
    # each table after the tables its foreign keys refer to (teams -> people excepted: dropped, added back)
    refs = rows(database, "SELECT c.relname, r.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                          " JOIN pg_class r ON r.oid = k.confrelid WHERE k.contype = 'f' AND c.oid <> r.oid"
                          " AND k.conname <> 'teams_manager_fk'")
    assert [(t, p) for t, p in refs if named.index(p) > named.index(t)] == []
    assert "DROP CONSTRAINT teams_manager_fk" in ddl and "ADD CONSTRAINT teams_manager_fk" in ddl
