/* store.c - see store.h. */
#include "store.h"

#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "instruments.h"
#include "log.h"
#include "redact.h"

struct sg_store {
    PGconn *conn;
    char *conninfo;   /* kept to redact errors of a reconnect; never printed */
    char sqlstate[6]; /* of the last failed statement; "" when it had none */
    bool unreachable; /* the last unit gave up with the connection gone */
    int retries;
    double retry_max_ms, backoff_ms, statement_timeout_ms, lock_timeout_ms;
    unsigned long long rng;
};

/* libpq's messages end with a newline; error text here is one line. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

/* ---- connecting ------------------------------------------------------------------- */

static double setting(const char *name, double lo, double hi)
{
    double v = sg_config_number(name);
    return v < lo ? lo : v > hi ? hi : v;
}

/* Our timeouts, for the settings nobody else configured (source 'default'):
 * the server's configuration, ALTER ROLE / DATABASE and the client's own
 * options or PGOPTIONS all win over them. The server's end of the session
 * gets the client's keepalives too, and a tcp_user_timeout of the same span
 * (idle + interval x count): a client cut off from the server (its host or
 * link down, not its process) otherwise keeps its session, its open
 * transaction and its row and advisory locks for the kernel's two hours
 * (about 15 minutes with a reply unacknowledged), and blocks whoever takes
 * over its work. TCP only: over a unix socket PostgreSQL ignores them. */
static int session_setup(sg_store *s, char *err, size_t errlen)
{
    if (sg_store_exec(s, "connect", "SET client_min_messages = warning", err, errlen))
        return -1;
    char st[32], lt[32], idle[32], intvl[32], cnt[32], user[32];
    double i = setting("db.keepalives_idle_s", 1, 86400), v = setting("db.keepalives_interval_s", 1, 3600),
           c = setting("db.keepalives_count", 1, 100);
    snprintf(st, sizeof st, "%.0f", s->statement_timeout_ms);
    snprintf(lt, sizeof lt, "%.0f", s->lock_timeout_ms);
    snprintf(idle, sizeof idle, "%.0f", i);
    snprintf(intvl, sizeof intvl, "%.0f", v);
    snprintf(cnt, sizeof cnt, "%.0f", c);
    snprintf(user, sizeof user, "%.0f", (i + v * c) * 1000);
    const char *params[6] = {st, lt, idle, intvl, cnt, user};
    PGresult *r = sg_store_query(s, "connect: set timeouts",
                                 "SELECT set_config(name, CASE name WHEN 'statement_timeout' THEN $1"
                                 " WHEN 'lock_timeout' THEN $2 WHEN 'tcp_keepalives_idle' THEN $3"
                                 " WHEN 'tcp_keepalives_interval' THEN $4 WHEN 'tcp_keepalives_count' THEN $5"
                                 " ELSE $6 END, false) FROM pg_settings"
                                 " WHERE name IN ('statement_timeout', 'lock_timeout', 'tcp_keepalives_idle',"
                                 " 'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout')"
                                 " AND source = 'default'",
                                 6, params, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

/* libpq keywords placed before the expanded conninfo are defaults: the
 * conninfo's own values replace them, and a keyword whose PG* variable is
 * set is left out, so the environment wins too. */
static PGconn *open_conn(const char *conninfo)
{
    char ct[24], idle[24], intvl[24], cnt[24];
    snprintf(ct, sizeof ct, "%.0f", setting("db.connect_timeout_s", 0, 3600));
    snprintf(idle, sizeof idle, "%.0f", setting("db.keepalives_idle_s", 1, 86400));
    snprintf(intvl, sizeof intvl, "%.0f", setting("db.keepalives_interval_s", 1, 3600));
    snprintf(cnt, sizeof cnt, "%.0f", setting("db.keepalives_count", 1, 100));
    const char *kw[8], *val[8];
    int n = 0;
    if (!getenv("PGCONNECT_TIMEOUT"))
        kw[n] = "connect_timeout", val[n++] = ct;
    kw[n] = "keepalives", val[n++] = "1";
    kw[n] = "keepalives_idle", val[n++] = idle;
    kw[n] = "keepalives_interval", val[n++] = intvl;
    kw[n] = "keepalives_count", val[n++] = cnt;
    kw[n] = "fallback_application_name", val[n++] = "sigmabatch";
    if (conninfo && *conninfo)
        kw[n] = "dbname", val[n++] = conninfo;
    kw[n] = NULL, val[n] = NULL;
    return PQconnectdbParams(kw, val, 1);
}

/* The server's notices (a shutdown's "terminating connection", say) as our
 * log lines, not libpq's bare ones. */
static void on_notice(void *arg, const PGresult *r)
{
    char line[512];
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    (void)arg;
    snprintf(line, sizeof line, "%s", msg ? msg : PQresultErrorMessage(r));
    chomp(line);
    sg_log(SG_LOG_WARN, "server: %s", line);
}

/* "connect: libpq's message", passwords masked. */
static void connect_error(const char *conninfo, PGconn *c, char *err, size_t errlen)
{
    snprintf(err, errlen, "connect: %s", c ? PQerrorMessage(c) : "out of memory");
    chomp(err);
    sg_redact_conninfo(conninfo, err);
}

sg_store *sg_store_connect(const char *conninfo, char *err, size_t errlen)
{
    sg_store *s = calloc(1, sizeof *s);
    if (!s || !(s->conninfo = strdup(conninfo ? conninfo : ""))) {
        snprintf(err, errlen, "connect: out of memory");
        free(s);
        return NULL;
    }
    s->retries = (int)setting("db.retries", 0, 1000);
    s->retry_max_ms = setting("db.retry_max_ms", 0, 86400e3);
    s->backoff_ms = setting("db.backoff_ms", 1, 600e3);
    s->statement_timeout_ms = setting("db.statement_timeout_ms", 0, 2147483647);
    s->lock_timeout_ms = setting("db.lock_timeout_ms", 0, 2147483647);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) * 2654435761u;
    s->rng = seed | 1;
    s->conn = open_conn(conninfo);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        connect_error(conninfo, s->conn, err, errlen);
        sg_store_close(s);
        return NULL;
    }
    PQsetNoticeReceiver(s->conn, on_notice, NULL);
    /* Notices (of IF NOT EXISTS, say) are chatter, not diagnostics. */
    if (session_setup(s, err, errlen)) {
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
    free(s->conninfo);
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

static bool transient(const sg_store *s);

/* A failed statement: its SQLSTATE is kept to judge whether a retry may help. */
static void fail(sg_store *s, const char *what, const PGresult *r, char *err, size_t errlen)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s->sqlstate, sizeof s->sqlstate, "%s", st ? st : "");
    sg_inst_db_error(s->sqlstate, transient(s));
    sg_store_error(what, r, s->conn, err, errlen);
}

int sg_store_exec(sg_store *s, const char *what, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(s->conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fail(s, what, r, err, errlen);
    PQclear(r);
    return ok ? 0 : -1;
}

PGresult *sg_store_query(sg_store *s, const char *what, const char *sql, int nparams,
                         const char *const *params, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail(s, what, r, err, errlen);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* ---- units of work ------------------------------------------------------------------- */

bool sg_store_unreachable(const sg_store *s)
{
    return s->unreachable;
}

/* Worth another try: the connection went away, the server is shutting down
 * or starting, too many connections, or the transaction lost a race
 * (serialization failure, deadlock, lock timeout). Everything else, a
 * statement timeout included, would fail again the same way. */
static bool transient(const sg_store *s)
{
    static const char *const codes[] = {"57P01", "57P02", "57P03", "53300", "40001", "40P01", "55P03"};
    if (PQstatus(s->conn) != CONNECTION_OK || strncmp(s->sqlstate, "08", 2) == 0)
        return true;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(s->sqlstate, codes[i]) == 0)
            return true;
    return false;
}

static double jitter(sg_store *s) /* uniform in [0.5, 1.5): retries of many workers spread apart */
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return 0.5 + (double)(s->rng >> 11) / 9007199254740992.0;
}

#define BACKOFF_CAP_MS 10000.0

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A new connection with the same parameters, set up as the first. */
static int reconnect(sg_store *s, char *err, size_t errlen)
{
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        sg_inst_db_error(NULL, true);
        connect_error(s->conninfo, s->conn, err, errlen);
        return -1;
    }
    return session_setup(s, err, errlen);
}

int sg_store_revive(sg_store *s, char *err, size_t errlen)
{
    return PQstatus(s->conn) == CONNECTION_OK ? 0 : reconnect(s, err, errlen);
}

static int run_once(sg_store *s, const char *what, sg_store_fn fn, void *arg, char *err, size_t errlen)
{
    int rc = sg_store_exec(s, what, "BEGIN", err, errlen);
    if (rc == 0)
        rc = fn(s, arg, err, errlen);
    if (rc == 0)
        rc = sg_store_exec(s, what, "COMMIT", err, errlen);
    if (rc && PQstatus(s->conn) == CONNECTION_OK) {
        char ignored[256];
        char keep[sizeof s->sqlstate];
        memcpy(keep, s->sqlstate, sizeof keep); /* the failure's, not the rollback's */
        (void)sg_store_exec(s, "rollback", "ROLLBACK", ignored, sizeof ignored);
        memcpy(s->sqlstate, keep, sizeof keep);
    }
    return rc;
}

int sg_store_unit(sg_store *s, const char *what, sg_store_fn fn, void *arg, char *err, size_t errlen)
{
    double t0 = sg_clock_ms();
    s->unreachable = false;
    for (int attempt = 0;; attempt++) {
        s->sqlstate[0] = '\0';
        int rc = PQstatus(s->conn) == CONNECTION_OK ? 0 : reconnect(s, err, errlen);
        if (rc == 0 && run_once(s, what, fn, arg, err, errlen) == 0)
            return 0;
        if (!transient(s))
            return -1;
        double spent = sg_clock_ms() - t0;
        double delay = fmin(s->backoff_ms * ldexp(1.0, attempt < 30 ? attempt : 30), BACKOFF_CAP_MS) * jitter(s);
        if (attempt >= s->retries || spent + delay > s->retry_max_ms) {
            size_t used = strlen(err);
            s->unreachable = PQstatus(s->conn) != CONNECTION_OK;
            snprintf(err + used, errlen - used, " (%s after %d attempts in %.1f s; db.retries, db.retry_max_ms)",
                     s->unreachable ? "the database stayed unreachable" : "still failing", attempt + 1, spent / 1e3);
            return -1;
        }
        bool named = strncmp(err, what, strlen(what)) == 0; /* "write bars: write bars: ..." reads badly */
        sg_log(SG_LOG_WARN, "%s%s%s; %sretry %d of %d in %.1f s", named ? "" : what, named ? "" : ": ", err,
               PQstatus(s->conn) != CONNECTION_OK ? "reconnecting, " : "", attempt + 1, s->retries, delay / 1e3);
        sleep_ms(delay);
    }
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
        fail(s, what, r, err, errlen);
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
    if (!ok || !r || PQresultStatus(r) != PGRES_COMMAND_OK) { /* a send that failed: libpq's message */
        const PGresult *bad = r && PQresultStatus(r) != PGRES_COMMAND_OK ? r : NULL;
        fail(s, what, bad, err, errlen);
        /* "COPY t, line N, column c: "value"": which row and value, for callers
         * that map COPY lines back to their file's lines. */
        const char *where = bad ? PQresultErrorField(bad, PG_DIAG_CONTEXT) : NULL;
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
        if (!v[i]) { /* SQL NULL */
            put(&b, "NULL", 4);
            continue;
        }
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

PGresult *sg_store_query_list(sg_store *s, const char *what, const char *sql, const char *const *list, size_t n,
                              int nmore, const char *const *more, char *err, size_t errlen)
{
    const char *params[4];
    char *arr = nmore < 4 ? sg_store_text_array(list, n) : NULL;
    if (!arr) {
        snprintf(err, errlen, "%s: %s", what, nmore < 4 ? "out of memory" : "too many parameters");
        return NULL;
    }
    params[0] = arr;
    for (int i = 0; i < nmore; i++)
        params[i + 1] = more[i];
    PGresult *r = sg_store_query(s, what, sql, nmore + 1, params, err, errlen);
    free(arr);
    return r;
}
