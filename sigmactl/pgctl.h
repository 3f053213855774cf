/*
 * pgctl.h - the local default's throwaway PostgreSQL cluster (DESIGN.md §7,
 * §8), as scripts/pg.sh makes one: initdb and pg_ctl (as the postgres user,
 * through runuser, when run as root, because initdb refuses root), a unix
 * socket in the cluster's directory and no TCP listener, fsync off.
 *
 * The cluster lives in STATE/pg. When the postgres user cannot reach that
 * directory (a state dir under /root, say), or its socket path would exceed
 * the 107 bytes a unix socket name may have, it lives in /tmp/sigma-pg.XXXXXX
 * and STATE/pg is a link to it.
 * Owns: the cluster's directory, initdb, pg_ctl start and stop.
 * Must not: touch any other cluster, or keep data across `sigmactl up` runs
 * (each up starts from an empty one).
 */
#ifndef SG_PGCTL_H
#define SG_PGCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

#define SG_PG_PORT 5432 /* the socket's name only: no TCP, one cluster per directory */

typedef struct sg_pg {
    char bindir[PATH_MAX]; /* /usr/lib/postgresql/15/bin */
    char dir[PATH_MAX];    /* STATE/pg */
    char real[PATH_MAX];   /* where it lives (dir, or the link's target): the socket directory */
    char log[PATH_MAX];    /* initdb's, pg_ctl's and the server's output */
    bool as_postgres;      /* run as root: initdb and pg_ctl run as postgres */
} sg_pg;

/* Finds the newest server under /usr/lib/postgresql/ (and runuser when root)
 * for the cluster in state/pg; pg->real follows an existing link. */
int sg_pg_locate(sg_pg *pg, const char *state, const char *log, char *err, size_t errlen);

/* Removes the previous cluster, places a new one and runs initdb. */
int sg_pg_create(sg_pg *pg, char *err, size_t errlen);

/* Starts it and waits until it accepts connections; fills the postmaster's
 * identity and the conninfo (libpq's key=value form, quoted). */
int sg_pg_start(sg_pg *pg, sg_proc *postmaster, char *conninfo, size_t len, char *err, size_t errlen);

/* pg_ctl stop -m fast, waiting for the server to be gone. */
int sg_pg_stop(const sg_pg *pg, char *err, size_t errlen);

#endif
