/* store.c - see store.h. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sg_store {
    PGconn *conn;
};

/* libpq's messages end with a newline; error text here is one line. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (char *p = s; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

sg_store *sg_store_connect(const char *conninfo, char *err, size_t errlen)
{
    sg_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "connect: out of memory");
        return NULL;
    }
    s->conn = PQconnectdb(conninfo ? conninfo : "");
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password. */
        snprintf(err, errlen, "connect: %s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
        chomp(err);
        sg_store_close(s);
        return NULL;
    }
    PGresult *r = PQexec(s->conn, "SET client_min_messages = warning");
    PQclear(r);
    return s;
}

void sg_store_close(sg_store *s)
{
    if (!s)
        return;
    PQfinish(s->conn);
    free(s);
}

PGconn *sg_store_conn(sg_store *s)
{
    return s->conn;
}

void sg_store_error(const char *what, const PGresult *r, PGconn *c, char *err, size_t errlen)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    snprintf(err, errlen, "%s: %s%s%s%s%s%s", what, msg ? msg : PQerrorMessage(c), detail || hint ? " (" : "",
             detail ? "detail: " : "", detail ? detail : "", hint ? (detail ? "; hint: " : "hint: ") : "",
             hint ? hint : "");
    if (detail || hint)
        strncat(err, ")", errlen - strlen(err) - 1);
    chomp(err);
}

int sg_store_exec(sg_store *s, const char *what, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(s->conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        sg_store_error(what, r, s->conn, err, errlen);
    PQclear(r);
    return ok ? 0 : -1;
}

PGresult *sg_store_query(sg_store *s, const char *what, const char *sql, int nparams,
                         const char *const *params, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        sg_store_error(what, r, s->conn, err, errlen);
        PQclear(r);
        return NULL;
    }
    return r;
}
