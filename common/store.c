/* store.c - see store.h. */
#include "store.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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
    /* Notices (of IF NOT EXISTS, say) are chatter, not diagnostics. */
    if (sg_store_exec(s, "connect", "SET client_min_messages = warning", err, errlen)) {
        sg_store_close(s);
        return NULL;
    }
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

/* ---- COPY ------------------------------------------------------------------ */

static void put(sg_copybuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 1 << 16;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void sg_copy_fieldn(sg_copybuf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r" : NULL;
        if (!esc)
            continue;
        put(b, s + start, i - start);
        put(b, esc, 2);
        start = i + 1;
    }
    put(b, s + start, n - start);
}

void sg_copy_field(sg_copybuf *b, const char *s)
{
    if (!s)
        put(b, "\\N", 2);
    else
        sg_copy_fieldn(b, s, strlen(s));
}

void sg_copy_sep(sg_copybuf *b)
{
    put(b, "\t", 1);
}

void sg_copy_eol(sg_copybuf *b)
{
    put(b, "\n", 1);
}

void sg_buf_printf(sg_copybuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1); /* measured first: never cut, never past the end */
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(b, big, (size_t)n);
    free(big);
}

const char *sg_buf_str(sg_copybuf *b)
{
    put(b, "", 1); /* the NUL, then not counted: more text may follow */
    if (b->oom)
        return NULL;
    b->len--;
    return b->p;
}

void sg_copybuf_free(sg_copybuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int sg_store_copy(sg_store *s, const char *what, const char *copy_sql, sg_copybuf *b, char *err, size_t errlen)
{
    if (b->oom) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -1;
    }
    PGresult *r = PQexec(s->conn, copy_sql);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        sg_store_error(what, r, s->conn, err, errlen);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    int ok = 1;
    for (size_t off = 0; ok && off < b->len; off += 1 << 20) {
        size_t n = b->len - off < (1u << 20) ? b->len - off : 1u << 20;
        ok = PQputCopyData(s->conn, b->p + off, (int)n) == 1;
    }
    if (PQputCopyEnd(s->conn, ok ? NULL : "send failed") != 1)
        ok = 0;
    r = PQgetResult(s->conn);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        sg_store_error(what, r, s->conn, err, errlen);
        /* "COPY t, line N, column c: "value"": which row and value, for callers
         * that map COPY lines back to their file's lines. */
        const char *where = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
        size_t used = strlen(err);
        if (where && used + 1 < errlen)
            snprintf(err + used, errlen - used, " (where: %s)", where);
        chomp(err);
        ok = 0;
    }
    PQclear(r);
    while ((r = PQgetResult(s->conn))) /* drain, so the connection is ready again */
        PQclear(r);
    return ok ? 0 : -1;
}

char *sg_store_text_array(const char *const *v, size_t n)
{
    sg_copybuf b = {0};
    put(&b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(&b, ",", 1);
        put(&b, "\"", 1);
        for (const char *c = v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                put(&b, "\\", 1);
            put(&b, c, 1);
        }
        put(&b, "\"", 1);
    }
    put(&b, "}", 2); /* with the NUL */
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- ids -------------------------------------------------------------------- */

void sg_store_new_id(char out[37])
{
    static uint64_t ms, hi, lo; /* 74-bit counter: 12 bits in hi, 62 in lo */
    static int ready;
    if (!ready) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
        uint64_t seed[2] = {0, 0};
        if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            seed[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)clock();
        hi = seed[0] & 0x7FF; /* leave headroom so the counter never wraps */
        lo = seed[1] & 0x3FFFFFFFFFFFFFFFull;
        ready = 1;
    }
    if (++lo > 0x3FFFFFFFFFFFFFFFull) {
        lo = 0;
        hi++;
    }
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(ms >> 16), (unsigned)(ms & 0xFFFF),
             (unsigned)(0x7000 | (hi & 0xFFF)), (unsigned)(0x8000 | ((lo >> 48) & 0x3FFF)),
             (unsigned long long)(lo & 0xFFFFFFFFFFFFull));
}
