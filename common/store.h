/*
 * store.h - the PostgreSQL connection (libpq) every program shares.
 *
 * Owns: connecting from libpq's own conninfo and PG* environment (PGHOST,
 * PGUSER, sslmode, .pgpass: no credential handling of ours) with our
 * timeouts and keepalives as defaults the user's own settings override,
 * checking every result, turning libpq's errors into "operation: message
 * (detail; hint)" text with any password redacted, and units of work: one
 * transaction, retried after a reconnect when it failed for a transient
 * reason (docs/store.md, "Faults"). SQL only with parameters.
 * Must not: log connection strings (they may hold a password), or know the
 * engine's structures (the typed readers and writers come with the issues
 * that need them).
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

typedef struct sg_store sg_store;

/* conninfo: a libpq connection string or URI; NULL or "" uses PG* alone. */
sg_store *sg_store_connect(const char *conninfo, char *err, size_t errlen);
void sg_store_close(sg_store *s);
PGconn *sg_store_conn(sg_store *s);

/* A unit of work: the statements of one transaction (no BEGIN or COMMIT of
 * its own). It may run more than once, so it must start from scratch each
 * time (upserts, temporary tables created inside the transaction).
 * Returns 0, or -1 with err. */
typedef int (*sg_store_fn)(sg_store *s, void *arg, char *err, size_t errlen);

/* Runs BEGIN; fn; COMMIT. When it fails for a transient reason (the
 * connection lost, SQLSTATE class 08, 57P01-57P03, 53300, 40001, 40P01,
 * 55P03) it is rolled back and run again after a backoff with jitter,
 * reconnecting first when the connection is gone, within db.retries retries
 * and db.retry_max_ms in all. Returns 0, or -1 with err: fn's own error, or
 * the last transient one and how long it was retried. */
int sg_store_unit(sg_store *s, const char *what, sg_store_fn fn, void *arg, char *err, size_t errlen);
/* True when the last unit gave up because the database stayed unreachable:
 * any later unit would fail the same way, so the caller should stop. */
bool sg_store_unreachable(const sg_store *s);

/* Reconnects once when the connection is gone (no retries, no backoff: for
 * statements outside units that must not wait, such as a heartbeat). */
int sg_store_revive(sg_store *s, char *err, size_t errlen);

/* Runs sql (no parameters, possibly several statements). 0 or -1 with err. */
int sg_store_exec(sg_store *s, const char *what, const char *sql, char *err, size_t errlen);
/* Runs a parameterized statement (text parameters, NULL for SQL NULL) and
 * returns its result (PQclear it), or NULL with err. */
PGresult *sg_store_query(sg_store *s, const char *what, const char *sql, int nparams,
                         const char *const *params, char *err, size_t errlen);

/* "what: message (detail: ...; hint: ...)" from a failed result. */
void sg_store_error(const char *what, const PGresult *r, PGconn *c, char *err, size_t errlen);


/* ---- building blocks ------------------------------------------------------ */

/* A growing text buffer for COPY ... FROM STDIN (text format). */
typedef struct sg_copybuf {
    char *p;
    size_t len, cap;
    int oom;
} sg_copybuf;

void sg_copy_field(sg_copybuf *b, const char *s); /* escaped; NULL writes \N */
void sg_copy_fieldn(sg_copybuf *b, const char *s, size_t n);
void sg_copy_sep(sg_copybuf *b);                  /* tab */
void sg_copy_eol(sg_copybuf *b);                  /* newline */
/* Starts `copy_sql` (COPY ... FROM STDIN), sends b, ends the COPY. */
int sg_store_copy(sg_store *s, const char *what, const char *copy_sql, sg_copybuf *b, char *err, size_t errlen);
void sg_copybuf_free(sg_copybuf *b);
/* The same buffer as text (SQL being built): printf-style appends that grow
 * it, so a builder cannot cut or overrun; sg_buf_str gives the NUL-terminated
 * text, or NULL after an allocation failure. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sg_buf_printf(sg_copybuf *b, const char *fmt, ...);
const char *sg_buf_str(sg_copybuf *b);

/* A new row id for a UUID primary key: UUIDv7 layout (the millisecond the
 * process made its first id, then a counter from a random start), so ids a
 * process writes are increasing and their index grows at its right edge, where
 * gen_random_uuid() would touch a random page per row. */
void sg_store_new_id(char out[37]);

/* A text[] parameter value ('{"A","B"}') of n strings (a NULL one is an SQL
 * NULL element). malloc'ed. */
char *sg_store_text_array(const char *const *v, size_t n);
/* sg_store_query with list[0..n) as $1 (a text[]) and more[0..nmore) as $2...:
 * the set-based form of every per-symbol read and write. */
PGresult *sg_store_query_list(sg_store *s, const char *what, const char *sql, const char *const *list, size_t n,
                              int nmore, const char *const *more, char *err, size_t errlen);

#endif
