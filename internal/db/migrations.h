/* migrations.h — the SQL migrations embedded at build time (generated array). */
#ifndef ATTAIN_DB_MIGRATIONS_H
#define ATTAIN_DB_MIGRATIONS_H

struct db_migration {
	int version;      /* 1, 2, ... in file order */
	const char *name; /* "0001_foundation" */
	const char *sql;
};

extern const struct db_migration db_migrations[];
extern const int db_migrations_count;

#endif
