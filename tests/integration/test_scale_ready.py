"""Ready for Citus (DESIGN §2 "Scaling out"): every table but the migrations' own record carries
org_id, and every primary key, foreign key, unique constraint and unique index begins with it,
so each could be distributed by org_id. Read from the catalog of the database the suite's attaind migrated."""

from conftest import psql

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
    # a foreign key's referenced columns begin with org_id too (the referenced table's key)
    refs = rows(database, "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                          " JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = k.confkey[1]"
                          " WHERE k.contype = 'f' AND a.attname <> 'org_id'")
    assert refs == []
    unique = rows(database, "SELECT c.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                            " JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]"
                            " WHERE n.nspname = 'public' AND x.indisunique"
                            " AND coalesce(a.attname, '<expression>') <> 'org_id'")
    assert [u for u in unique if u[0] not in GLOBAL] == []
    # and there are keys to check
    assert len(rows(database, "SELECT 1 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                              " JOIN pg_namespace n ON n.oid = c.relnamespace"
                              " WHERE n.nspname = 'public' AND k.contype = 'f'")) > 10
