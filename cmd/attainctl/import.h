/* import.h — `attainctl import KIND FILE`: CRM exports in through the services (cmd/attainctl/import.c). */
#ifndef ATTAIN_CMD_IMPORT_H
#define ATTAIN_CMD_IMPORT_H

#include <stdio.h>

struct db_pool;

/* A pool of one connection to DATABASE_URL (main.c); NULL when out of memory. */
struct db_pool *ctl_pool_open(void);

/* The usage text of import, for attainctl --help and import --help. */
void import_usage(FILE *f);
/* Run the command (argv[0] is "import"); the exit status: 0 all rows in, 1 some rejected, 2 usage, file or
 * database error. */
int import_main(int argc, char **argv);

#endif
