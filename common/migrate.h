/*
 * migrate.h - schema migrations: ordered up/down SQL files applied to the
 * app's database, each in its own transaction.
 *
 * Owns: the migration files of a directory (NNNN_name.up.sql and
 * NNNN_name.down.sql), the record of applied versions with the checksum of
 * what was applied (sigmabatch_schema_migrations), the advisory lock that
 * keeps two operators from interleaving, and the refusal to go on when an
 * applied file has changed.
 * Must not: hold SQL of its own beyond its bookkeeping table.
 */
#ifndef SG_MIGRATE_H
#define SG_MIGRATE_H

#include <stdio.h>

#include "store.h"

/* Apply up to steps pending migrations (steps <= 0: all). Progress lines go
 * to out. Returns 0, or -1 with err. */
int sg_migrate_up(sg_store *s, const char *dir, int steps, FILE *out, char *err, size_t errlen);
/* Revert the last `steps` applied migrations (steps <= 0: all). */
int sg_migrate_down(sg_store *s, const char *dir, int steps, FILE *out, char *err, size_t errlen);
/* One line per migration: version, name, applied at / pending / changed. */
int sg_migrate_status(sg_store *s, const char *dir, FILE *out, char *err, size_t errlen);

#endif
