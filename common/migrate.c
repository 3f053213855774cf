/*
 * migrate.c - see migrate.h.
 *
 * Every command takes a session advisory lock first (pg_advisory_lock blocks,
 * so a second `migrate up` waits, then finds nothing left to do), checks that
 * each applied migration's up file still has the recorded checksum (sha256,
 * computed by the server so there is one definition of it), and only then
 * changes anything: one transaction per migration, its bookkeeping row
 * included, so a failure leaves the previous migration in place.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "7320319140127004273" /* "sigmabatch" migrations, any constant */

typedef struct migration {
    int version;
    char name[128]; /* "0002_v2_batch_tables" */
    char *up, *down;
    bool applied;
    char applied_at[40];
} migration;

typedef struct plan {
    migration *m;
    size_t n;
} plan;

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->m[i].up);
        free(p->m[i].down);
    }
    free(p->m);
    p->m = NULL;
    p->n = 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    if (buf)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

static int cmp_migration(const void *a, const void *b)
{
    const migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Collects NNNN_name.up.sql + NNNN_name.down.sql pairs, ordered by version. */
static int plan_load(const char *dir, plan *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "migrations: cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 7, ".up.sql") != 0)
            continue;
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '_' || v <= 0 || len - 7 >= sizeof p->m[0].name) {
            snprintf(err, errlen, "migrations: %s/%s: expected NNNN_name.up.sql", dir, e->d_name);
            rc = -1;
            break;
        }
        migration *nm = realloc(p->m, (p->n + 1) * sizeof *nm);
        if (!nm) {
            snprintf(err, errlen, "migrations: out of memory");
            rc = -1;
            break;
        }
        p->m = nm;
        migration *m = &p->m[p->n++];
        memset(m, 0, sizeof *m);
        m->version = (int)v;
        memcpy(m->name, e->d_name, len - 7);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.up.sql", dir, m->name);
        m->up = read_file(path);
        snprintf(path, sizeof path, "%s/%s.down.sql", dir, m->name);
        m->down = read_file(path);
        if (!m->up || !m->down) {
            snprintf(err, errlen, "migrations: cannot read %s: %s", path, m->up ? strerror(errno) : "up file");
            rc = -1;
        }
    }
    closedir(d);
    if (rc == 0) {
        qsort(p->m, p->n, sizeof *p->m, cmp_migration);
        for (size_t i = 1; i < p->n; i++)
            if (p->m[i].version == p->m[i - 1].version) {
                snprintf(err, errlen, "migrations: %s and %s have the same version", p->m[i - 1].name, p->m[i].name);
                rc = -1;
            }
    }
    if (rc)
        plan_free(p);
    return rc;
}

static int lock_and_prepare(sg_store *s, char *err, size_t errlen)
{
    if (sg_store_exec(s, "migrations: advisory lock", "SELECT pg_advisory_lock(" LOCK_KEY ")", err, errlen))
        return -1;
    return sg_store_exec(s, "migrations: bookkeeping table",
                         "CREATE TABLE IF NOT EXISTS sigmabatch_schema_migrations ("
                         " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                         " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                         err, errlen);
}

static void unlock(sg_store *s)
{
    char err[256];
    (void)sg_store_exec(s, "migrations: advisory unlock", "SELECT pg_advisory_unlock(" LOCK_KEY ")", err,
                        sizeof err); /* the session's end releases it anyway */
}

/* Marks applied migrations and refuses changed or unknown ones. */
static int check_applied(sg_store *s, plan *p, char *err, size_t errlen)
{
    PGresult *r = sg_store_query(s, "migrations: read applied versions",
                                 "SELECT version, name, checksum, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS TZ')"
                                 " FROM sigmabatch_schema_migrations ORDER BY version",
                                 0, NULL, err, errlen);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        int v = atoi(PQgetvalue(r, i, 0));
        migration *m = NULL;
        for (size_t k = 0; k < p->n; k++)
            if (p->m[k].version == v)
                m = &p->m[k];
        if (!m) {
            snprintf(err, errlen, "migrations: version %d (%s) is applied but has no file in the migrations directory",
                     v, PQgetvalue(r, i, 1));
            rc = -1;
            break;
        }
        const char *params[2] = {m->up, PQgetvalue(r, i, 2)};
        PGresult *c = sg_store_query(s, "migrations: checksum",
                                     "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') = $2", 2, params, err,
                                     errlen);
        if (!c) {
            rc = -1;
            break;
        }
        if (strcmp(PQgetvalue(c, 0, 0), "t") != 0) {
            snprintf(err, errlen,
                     "migrations: %s.up.sql was changed after it was applied (hint: restore the file as it was, "
                     "and put the change in a new migration)",
                     m->name);
            rc = -1;
        }
        PQclear(c);
        m->applied = true;
        snprintf(m->applied_at, sizeof m->applied_at, "%s", PQgetvalue(r, i, 3));
    }
    PQclear(r);
    return rc;
}

/* One migration, one transaction: the file and its bookkeeping row. */
static int apply(sg_store *s, const migration *m, bool up, char *err, size_t errlen)
{
    char what[192];
    snprintf(what, sizeof what, "migration %s.%s.sql", m->name, up ? "up" : "down");
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[3] = {version, m->name, m->up};
    PGresult *r = NULL;
    int rc = sg_store_exec(s, what, "BEGIN", err, errlen);
    if (rc == 0)
        rc = sg_store_exec(s, what, up ? m->up : m->down, err, errlen);
    if (rc == 0)
        rc = (r = up ? sg_store_query(s, what,
                                      "INSERT INTO sigmabatch_schema_migrations (version, name, checksum)"
                                      " VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
                                      3, params, err, errlen)
                     : sg_store_query(s, what, "DELETE FROM sigmabatch_schema_migrations WHERE version = $1", 1,
                                      params, err, errlen))
                 ? 0
                 : -1;
    PQclear(r);
    if (rc == 0)
        rc = sg_store_exec(s, what, "COMMIT", err, errlen);
    if (rc) {
        char ignored[64];
        (void)sg_store_exec(s, "rollback", "ROLLBACK", ignored, sizeof ignored);
    }
    return rc;
}

/* Loads the files, takes the lock and checks what was applied: the start of
 * every command. Unless it returns -2 (the files could not be loaded), the
 * caller ends with finish(). */
static int start(sg_store *s, const char *dir, plan *p, char *err, size_t errlen)
{
    if (plan_load(dir, p, err, errlen))
        return -2;
    int rc = lock_and_prepare(s, err, errlen);
    if (rc == 0)
        rc = check_applied(s, p, err, errlen);
    return rc;
}

static int finish(sg_store *s, plan *p, int rc)
{
    unlock(s);
    plan_free(p);
    return rc;
}

static int run(sg_store *s, const char *dir, int steps, bool up, FILE *out, char *err, size_t errlen)
{
    plan p;
    int rc = start(s, dir, &p, err, errlen), done = 0;
    if (rc == -2)
        return -1;
    for (size_t k = 0; rc == 0 && k < p.n && (steps <= 0 || done < steps); k++) {
        migration *m = &p.m[up ? k : p.n - 1 - k];
        if (m->applied == up)
            continue;
        rc = apply(s, m, up, err, errlen);
        if (rc == 0) {
            fprintf(out, "%s %s\n", up ? "applied" : "reverted", m->name);
            done++;
        }
    }
    if (rc == 0 && done == 0)
        fprintf(out, "nothing to %s\n", up ? "apply: the schema is up to date" : "revert");
    return finish(s, &p, rc);
}

int sg_migrate_up(sg_store *s, const char *dir, int steps, FILE *out, char *err, size_t errlen)
{
    return run(s, dir, steps, true, out, err, errlen);
}

int sg_migrate_down(sg_store *s, const char *dir, int steps, FILE *out, char *err, size_t errlen)
{
    return run(s, dir, steps, false, out, err, errlen);
}

int sg_migrate_status(sg_store *s, const char *dir, FILE *out, char *err, size_t errlen)
{
    plan p;
    int rc = start(s, dir, &p, err, errlen);
    if (rc == -2)
        return -1;
    for (size_t k = 0; rc == 0 && k < p.n; k++)
        fprintf(out, "%-32s %s%s\n", p.m[k].name, p.m[k].applied ? "applied " : "pending",
                p.m[k].applied ? p.m[k].applied_at : "");
    return finish(s, &p, rc);
}
