/*
 * store.h - the PostgreSQL connection (libpq) every program shares.
 *
 * Owns: connecting from libpq's own conninfo and PG* environment (PGHOST,
 * PGUSER, sslmode, .pgpass: no credential handling of ours), checking every
 * result, and turning libpq's errors into "operation: message (detail; hint)"
 * text. SQL only with parameters.
 * Must not: log connection strings (they may hold a password), or know the
 * engine's structures (the typed readers and writers come with the issues
 * that need them).
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stddef.h>

#include <libpq-fe.h>

typedef struct sg_store sg_store;

/* conninfo: a libpq connection string or URI; NULL or "" uses PG* alone. */
sg_store *sg_store_connect(const char *conninfo, char *err, size_t errlen);
void sg_store_close(sg_store *s);
PGconn *sg_store_conn(sg_store *s);

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

/* A text[] parameter value ('{"A","B"}') of n strings. malloc'ed. */
char *sg_store_text_array(const char *const *v, size_t n);

#endif
