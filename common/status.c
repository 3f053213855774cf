/*
 * status.c - the operator's view: loading (one read-only snapshot), the text,
 * JSON and HTML renderers, a symbol's status, the workers' self-reports.
 * status.h says what it owns; docs/status.md has the formats and rules.
 */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "symbols.h"

static const char *const phase_names[SG_STATUS_NPHASES] = {"prices", "factors", "metrics"};

/* ---- loading ----------------------------------------------------------------------- */

/* What a loaded status owns: strings point into the results. */
typedef struct owned {
    PGresult *res[8];
    size_t nres;
    sg_status_failure *failures;
    sg_status_queue_failure *queue_failures;
    sg_status_worker *workers;
    const char **parts;
    int64_t *lags;
    sg_status_run *runs;
} owned;

static void owned_clear(owned *o)
{
    for (size_t i = 0; i < o->nres; i++)
        PQclear(o->res[i]);
    free(o->failures);
    free(o->queue_failures);
    free(o->workers);
    free(o->parts);
    free(o->lags);
    free(o->runs);
    memset(o, 0, sizeof *o);
}

/* A query whose result the status keeps (its strings are the status's). */
static PGresult *keep(sg_store *s, owned *o, const char *what, const char *sql, int n, const char *const *p, char *err,
                      size_t errlen)
{
    if (o->nres == sizeof o->res / sizeof o->res[0]) {
        snprintf(err, errlen, "%s: too many results held", what);
        return NULL;
    }
    PGresult *r = sg_store_query(s, what, sql, n, p, err, errlen);
    if (r)
        o->res[o->nres++] = r;
    return r;
}

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "status: out of memory");
    return -1;
}

/* A limit as a query parameter. */
static const char *limit_param(char buf[16], int n)
{
    snprintf(buf, 16, "%d", n);
    return buf;
}

static const char *text_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static double num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

static long count(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtol(PQgetvalue(r, row, col), NULL, 10);
}

/* The columns of one run (sg_status_run), shared by the run itself, the
 * recent list and /runs; batch_run_history may hold a run twice (it is the
 * app's table, without a unique batch_run_id): its latest row counts. */
#define RUN_COLUMNS                                                                                                    \
    "SELECT r.batch_run_id, r.calc_date::text, r.phase,"                                                              \
    " coalesce(h.status, CASE WHEN r.closed_at IS NULL THEN 'running' ELSE 'closed' END),"                           \
    " r.closed_at IS NOT NULL, extract(epoch FROM r.created_at), extract(epoch FROM r.closed_at),"                    \
    " coalesce(h.total_jobs, 0), coalesce(h.completed_jobs, 0), coalesce(h.failed_jobs, 0)"
#define RUN_FROM                                                                                                       \
    " FROM sigma_runs r LEFT JOIN LATERAL (SELECT b.status, b.total_jobs, b.completed_jobs, b.failed_jobs,"           \
    "  b.phase_durations, b.error_summary FROM batch_run_history b WHERE b.batch_run_id = r.batch_run_id"             \
    "  ORDER BY b.created_at DESC NULLS LAST LIMIT 1) h ON true"
#define RUN_NCOLUMNS 10
#define DURATION(p) " CASE WHEN jsonb_typeof(h.phase_durations -> '" p "') = 'number'"                                  \
                    " THEN (h.phase_durations ->> '" p "')::float8 END"

static void run_from_row(const PGresult *r, int i, sg_status_run *run)
{
    run->id = PQgetvalue(r, i, 0);
    run->calc_date = PQgetvalue(r, i, 1);
    run->phase = PQgetvalue(r, i, 2);
    run->status = PQgetvalue(r, i, 3);
    run->closed = PQgetvalue(r, i, 4)[0] == 't';
    run->created_at = num(r, i, 5);
    run->closed_at = num(r, i, 6);
    run->total_jobs = count(r, i, 7);
    run->completed_jobs = count(r, i, 8);
    run->failed_jobs = count(r, i, 9);
}

static int phase_index(const char *phase)
{
    for (int i = 0; i < SG_STATUS_NPHASES; i++)
        if (strcmp(phase, phase_names[i]) == 0)
            return i;
    return SG_STATUS_NPHASES; /* done */
}

/* The phase's row of (phase, total, ok, failed), if it has one. */
static void phase_counts(sg_status_phase *p, const PGresult *counts)
{
    for (int k = 0; k < PQntuples(counts); k++)
        if (strcmp(PQgetvalue(counts, k, 0), p->name) == 0) {
            p->total = count(counts, k, 1);
            p->ok = count(counts, k, 2);
            p->failed = count(counts, k, 3);
        }
}

/* Each phase's counts, state and times. A phase starts when the one before
 * it ends (sg_runs_check moves the run on in the transaction that records
 * the duration), so the times follow from created_at, the recorded
 * durations, phase_started_at (the current phase) and closed_at. A phase not
 * started has no ledger rows yet: its total is the run's list. */
static void fill_phases(sg_status *st, const PGresult *counts, double phase_started, long listed,
                        const double dur[SG_STATUS_NPHASES])
{
    int cur = phase_index(st->run.phase);
    double start = st->run.created_at;
    for (int i = 0; i < SG_STATUS_NPHASES; i++) {
        sg_status_phase *p = &st->phases[i];
        p->name = phase_names[i];
        p->state = i < cur ? "done" : i == cur ? "running" : "waiting";
        p->total = i > cur ? listed : 0;
        phase_counts(p, counts);
        p->pending = p->total - p->ok - p->failed;
        st->failures_total += p->failed;
        p->started_at = p->finished_at = p->seconds = NAN;
        if (i < cur) {
            p->started_at = start;
            p->seconds = dur[i];
            p->finished_at = i + 1 == cur ? (cur == SG_STATUS_NPHASES ? st->run.closed_at : phase_started)
                                          : start + dur[i];
            start = p->finished_at;
        } else if (i == cur) {
            p->started_at = phase_started;
            p->seconds = st->now - phase_started;
        }
    }
}

static int load_run(sg_store *s, owned *o, sg_status *st, const char *run, char *err, size_t errlen)
{
    PGresult *r = keep(s, o, "status: run",
                       RUN_COLUMNS ", extract(epoch FROM r.phase_started_at),"
                                   " coalesce(cardinality(r.symbols), (SELECT count(*) FROM sigma_run_outcomes x"
                                   "  WHERE x.batch_run_id = r.batch_run_id AND x.phase = 'prices')),"
                       DURATION("prices") "," DURATION("factors") "," DURATION("metrics") ", h.error_summary::text"
                       RUN_FROM " WHERE ($1::text IS NULL OR r.batch_run_id = $1)"
                       " ORDER BY r.created_at DESC, r.batch_run_id DESC LIMIT 1",
                       1, &run, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 0)
        return 0; /* has_run false: sg_status_load tells a named run's absence */
    st->has_run = true;
    run_from_row(r, 0, &st->run);
    double dur[SG_STATUS_NPHASES];
    for (int i = 0; i < SG_STATUS_NPHASES; i++)
        dur[i] = num(r, 0, RUN_NCOLUMNS + 2 + i);
    st->error_summary = text_or_null(r, 0, RUN_NCOLUMNS + 5);
    const char *id = st->run.id;
    PGresult *c = keep(s, o, "status: phases",
                       "SELECT phase, count(*), count(*) FILTER (WHERE outcome = 'ok'),"
                       " count(*) FILTER (WHERE outcome = 'failed') FROM sigma_run_outcomes"
                       " WHERE batch_run_id = $1 GROUP BY phase",
                       1, &id, err, errlen);
    if (!c)
        return -1;
    fill_phases(st, c, num(r, 0, RUN_NCOLUMNS), count(r, 0, RUN_NCOLUMNS + 1), dur);
    PGresult *b = keep(s, o, "status: bulk days",
                       "SELECT count(*), count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'failed'),"
                       " (SELECT count(*) FROM sigma_run_outcomes x WHERE x.batch_run_id = $1 AND x.phase = 'prices'"
                       "  AND x.stage = 'bulk' AND x.outcome IS NULL)"
                       " FROM sigma_run_bulk WHERE batch_run_id = $1",
                       1, &id, err, errlen);
    if (!b)
        return -1;
    st->bulk = (sg_status_bulk){count(b, 0, 0), count(b, 0, 1), count(b, 0, 2), 0, count(b, 0, 3)};
    st->bulk.pending = st->bulk.days - st->bulk.ok - st->bulk.failed;
    return 0;
}

static int load_failures(sg_store *s, owned *o, sg_status *st, char *err, size_t errlen)
{
    const char *id = st->run.id;
    char lim[16];
    PGresult *f = keep(s, o, "status: failures",
                       "SELECT phase, symbol, coalesce(reason, '') FROM sigma_run_outcomes"
                       " WHERE batch_run_id = $1 AND outcome = 'failed'"
                       " ORDER BY CASE phase WHEN 'prices' THEN 0 WHEN 'factors' THEN 1 ELSE 2 END, symbol LIMIT $2::int",
                       2, (const char *const[]){id, limit_param(lim, SG_STATUS_FAILURES_MAX)}, err, errlen);
    if (!f)
        return -1;
    if (!(o->failures = calloc((size_t)PQntuples(f) + 1, sizeof *o->failures)))
        return oom(err, errlen);
    for (int i = 0; i < PQntuples(f); i++)
        o->failures[i] = (sg_status_failure){PQgetvalue(f, i, 0), PQgetvalue(f, i, 1), PQgetvalue(f, i, 2)};
    st->failures = o->failures;
    st->nfailures = (size_t)PQntuples(f);
    return 0;
}

static int load_queue(sg_store *s, owned *o, sg_status *st, char *err, size_t errlen)
{
    PGresult *c = sg_store_query(s, "status: queue",
                                 "SELECT coalesce(status, ''), count(*) FROM symbol_onboarding_queue GROUP BY 1", 0,
                                 NULL, err, errlen);
    if (!c)
        return -1;
    for (int i = 0; i < PQntuples(c); i++) {
        const char *k = PQgetvalue(c, i, 0);
        long n = count(c, i, 1);
        long *slot = strcmp(k, "pending") == 0      ? &st->queue_pending
                     : strcmp(k, "processing") == 0 ? &st->queue_processing
                     : strcmp(k, "completed") == 0  ? &st->queue_completed
                     : strcmp(k, "failed") == 0     ? &st->queue_failed
                                                    : &st->queue_other;
        *slot += n;
    }
    PQclear(c);
    char lim[16];
    const char *p[1] = {limit_param(lim, SG_STATUS_QUEUE_FAILURES_MAX)};
    PGresult *f = keep(s, o, "status: queue failures",
                       "SELECT symbol, error_message, extract(epoch FROM completed_at) FROM symbol_onboarding_queue"
                       " WHERE status = 'failed' ORDER BY completed_at DESC NULLS LAST, created_at DESC LIMIT $1::int",
                       1, p, err, errlen);
    if (!f)
        return -1;
    if (!(o->queue_failures = calloc((size_t)PQntuples(f) + 1, sizeof *o->queue_failures)))
        return oom(err, errlen);
    for (int i = 0; i < PQntuples(f); i++)
        o->queue_failures[i] = (sg_status_queue_failure){PQgetvalue(f, i, 0), text_or_null(f, i, 1), num(f, i, 2)};
    st->queue_failures = o->queue_failures;
    st->nqueue_failures = (size_t)PQntuples(f);
    return 0;
}

/* The workers, then their partitions (one row each, in the workers' order). */
static int load_workers(sg_store *s, owned *o, sg_status *st, char *err, size_t errlen)
{
    char alive[16];
    const char *p[1] = {limit_param(alive, SG_STATUS_ALIVE_S)};
    PGresult *w = keep(s, o, "status: workers",
                       "SELECT id, host, pid, http, extract(epoch FROM started_at), extract(epoch FROM seen_at),"
                       " now() - seen_at <= make_interval(secs => $1::int), lag_total FROM sigma_workers ORDER BY id",
                       1, p, err, errlen);
    PGresult *pp = w ? keep(s, o, "status: worker partitions",
                            "SELECT w.id, u.p, w.lag ->> u.p FROM sigma_workers w"
                            " CROSS JOIN LATERAL unnest(w.partitions) WITH ORDINALITY AS u(p, n) ORDER BY w.id, u.n",
                            0, NULL, err, errlen)
                     : NULL;
    if (!pp)
        return -1;
    size_t nw = (size_t)PQntuples(w), np = (size_t)PQntuples(pp);
    o->workers = calloc(nw + 1, sizeof *o->workers);
    o->parts = calloc(np + 1, sizeof *o->parts);
    o->lags = calloc(np + 1, sizeof *o->lags);
    if (!o->workers || !o->parts || !o->lags)
        return oom(err, errlen);
    size_t k = 0;
    for (size_t i = 0; i < nw; i++) {
        sg_status_worker *x = &o->workers[i];
        int row = (int)i;
        *x = (sg_status_worker){.id = PQgetvalue(w, row, 0), .host = PQgetvalue(w, row, 1),
                                .pid = (int)count(w, row, 2), .http = text_or_null(w, row, 3),
                                .started_at = num(w, row, 4), .seen_at = num(w, row, 5),
                                .alive = PQgetvalue(w, row, 6)[0] == 't',
                                .lag_total = strtoll(PQgetvalue(w, row, 7), NULL, 10),
                                .partitions = o->parts + k, .lag = o->lags + k};
        for (; k < np && strcmp(PQgetvalue(pp, (int)k, 0), x->id) == 0; k++, x->npartitions++) {
            o->parts[k] = PQgetvalue(pp, (int)k, 1);
            o->lags[k] = PQgetisnull(pp, (int)k, 2) ? -1 : strtoll(PQgetvalue(pp, (int)k, 2), NULL, 10);
        }
        if (x->alive) {
            st->workers_alive++;
            st->lag_total += x->lag_total;
        }
    }
    st->workers = o->workers;
    st->nworkers = nw;
    return 0;
}

static int load_recent(sg_store *s, owned *o, sg_status *st, char *err, size_t errlen)
{
    char lim[16];
    const char *p[1] = {limit_param(lim, SG_STATUS_RUNS_MAX)};
    PGresult *r = keep(s, o, "status: recent runs",
                       RUN_COLUMNS RUN_FROM " ORDER BY r.created_at DESC, r.batch_run_id DESC LIMIT $1::int", 1, p,
                       err, errlen);
    if (!r)
        return -1;
    if (!(o->runs = calloc((size_t)PQntuples(r) + 1, sizeof *o->runs)))
        return oom(err, errlen);
    for (int i = 0; i < PQntuples(r); i++)
        run_from_row(r, i, &o->runs[i]);
    st->runs = o->runs;
    st->nruns = (size_t)PQntuples(r);
    return 0;
}

struct load_arg {
    const char *run;
    sg_status *st;
};

/* One snapshot (REPEATABLE READ): the counts agree with the run's phase. A
 * retried unit starts from scratch. */
static int load_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct load_arg *a = arg;
    owned *o = a->st->owned;
    owned_clear(o);
    memset(a->st, 0, sizeof *a->st);
    a->st->owned = o;
    if (sg_store_exec(s, "status: snapshot", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", err,
                      errlen))
        return -1;
    PGresult *now = sg_store_query(s, "status: clock", "SELECT extract(epoch FROM now())", 0, NULL, err, errlen);
    if (!now)
        return -1;
    a->st->now = num(now, 0, 0);
    PQclear(now);
    sg_status *st = a->st;
    if (load_run(s, o, st, a->run, err, errlen) || (st->has_run && load_failures(s, o, st, err, errlen)))
        return -1;
    return load_queue(s, o, st, err, errlen) || load_workers(s, o, st, err, errlen) || load_recent(s, o, st, err, errlen)
               ? -1
               : 0;
}

int sg_status_load(sg_store *s, const char *run, sg_status **out, char *err, size_t errlen)
{
    *out = NULL;
    sg_status *st = calloc(1, sizeof *st);
    owned *o = calloc(1, sizeof *o);
    if (!st || !o) {
        free(st);
        free(o);
        snprintf(err, errlen, "status: out of memory");
        return -1;
    }
    st->owned = o;
    struct load_arg a = {run, st};
    if (sg_store_unit(s, "status", load_unit, &a, err, errlen)) {
        sg_status_free(st);
        return -1;
    }
    if (run && !st->has_run) {
        snprintf(err, errlen, "no run '%.80s'", run);
        sg_status_free(st);
        return SG_STATUS_NO_RUN;
    }
    *out = st;
    return 0;
}

void sg_status_free(sg_status *st)
{
    if (!st || !st->owned)
        return;
    owned_clear(st->owned);
    free(st->owned);
    free(st);
}

bool sg_status_closed(const sg_status *st)
{
    return st && st->has_run && st->run.closed;
}

/* ---- building blocks --------------------------------------------------------------- */

const char *sg_status_iso(double epoch, char out[24])
{
    if (!isfinite(epoch)) {
        snprintf(out, 24, "-");
        return out;
    }
    time_t t = (time_t)floor(epoch);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 24, "-");
    return out;
}

static const char *html_entity(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return c < 0x20 || c == 0x7f ? " " : NULL; /* a newline or an escape byte: a blank */
    }
}

void sg_status_html_escape(sg_copybuf *b, const char *text)
{
    const char *p = text ? text : "";
    while (*p) {
        size_t n = 0;
        while (p[n] && !html_entity((unsigned char)p[n]))
            n++;
        if (n)
            sg_buf_printf(b, "%.*s", (int)n, p);
        p += n;
        if (*p)
            sg_buf_printf(b, "%s", html_entity((unsigned char)*p++));
    }
}

/* ---- text -------------------------------------------------------------------------- */

/* Database text on one line: control bytes (a newline, a terminal escape)
 * become blanks; max > 0 cuts it there (on a UTF-8 boundary) with "...". */
static void put_clean(FILE *out, const char *s, size_t max)
{
    if (!s || !*s) {
        fputc('-', out);
        return;
    }
    size_t n = strlen(s);
    bool cut = max && n > max;
    if (cut)
        for (n = max; n && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
            ;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
    }
    if (cut)
        fputs("...", out);
}

/* put_clean (never cut), then blanks up to width bytes: the terminal's columns. */
static void put_padded(FILE *out, const char *s, size_t width)
{
    put_clean(out, s, 0);
    for (size_t n = s && *s ? strlen(s) : 1; n < width; n++)
        fputc(' ', out);
}

static void put_seconds(FILE *out, double s)
{
    if (isfinite(s))
        fprintf(out, "%.1fs", s);
    else
        fputc('-', out);
}

static const char *bold(bool tty)
{
    return tty ? "\033[1m" : "";
}

static const char *reset(bool tty)
{
    return tty ? "\033[0m" : "";
}

/* green for a good end, red for a failure, yellow while it runs, none while it waits */
static const char *colour(bool tty, const char *word)
{
    if (!tty)
        return "";
    if (strcmp(word, "completed") == 0 || strcmp(word, "done") == 0 || strcmp(word, "alive") == 0)
        return "\033[32m";
    if (strcmp(word, "failed") == 0 || strcmp(word, "gone") == 0)
        return "\033[31m";
    return strcmp(word, "running") == 0 ? "\033[33m" : "";
}

#define BAR_WIDTH 30

/* [#####!!.......]: ok, failed, pending; full only when nothing is pending. */
static void put_bar(FILE *out, const sg_status_phase *p)
{
    size_t nok = 0, ndone = 0;
    if (p->total > 0) {
        ndone = (size_t)((double)(p->ok + p->failed) * BAR_WIDTH / (double)p->total);
        nok = (size_t)((double)p->ok * BAR_WIDTH / (double)p->total);
        if (nok > ndone)
            nok = ndone;
    }
    fputc('[', out);
    for (size_t i = 0; i < BAR_WIDTH; i++)
        fputc(i < nok ? '#' : i < ndone ? '!' : '.', out);
    fputc(']', out);
}

static void text_run_plain(FILE *out, const sg_status *st)
{
    char t[24];
    const sg_status_run *r = &st->run;
    fprintf(out, "run ");
    put_clean(out, r->id, 0);
    fprintf(out, " date %s phase %s status ", r->calc_date, r->phase);
    put_clean(out, r->status, 0);
    fprintf(out, "\ncreated %s\n", sg_status_iso(r->created_at, t));
    if (r->closed)
        fprintf(out, "closed %s\njobs total %ld ok %ld failed %ld\n", sg_status_iso(r->closed_at, t), r->total_jobs,
                r->completed_jobs, r->failed_jobs);
    for (int i = 0; i < SG_STATUS_NPHASES; i++) {
        const sg_status_phase *p = &st->phases[i];
        fprintf(out, "phase %s: ok %ld failed %ld pending %ld total %ld %s", p->name, p->ok, p->failed, p->pending,
                p->total, p->state);
        if (strcmp(p->state, "waiting") != 0) {
            fputc(' ', out);
            put_seconds(out, p->seconds);
        }
        fputc('\n', out);
    }
    if (st->bulk.days)
        fprintf(out, "bulk days %ld ok %ld failed %ld pending %ld symbols waiting %ld\n", st->bulk.days, st->bulk.ok,
                st->bulk.failed, st->bulk.pending, st->bulk.waiting);
    for (size_t i = 0; i < st->nfailures; i++) {
        fprintf(out, "failed %s ", st->failures[i].phase);
        put_clean(out, st->failures[i].symbol, 0);
        fputs(": ", out);
        put_clean(out, st->failures[i].reason, 0);
        fputc('\n', out);
    }
    fprintf(out, "failures %ld shown %zu\n", st->failures_total, st->nfailures);
}

static void text_run_tty(FILE *out, const sg_status *st)
{
    char t[24];
    const sg_status_run *r = &st->run;
    fprintf(out, "%srun ", bold(true));
    put_clean(out, r->id, 0);
    fprintf(out, "%s  date %s  phase %s  %s", reset(true), r->calc_date, r->phase, colour(true, r->status));
    put_clean(out, r->status, 0);
    fprintf(out, "%s  created %s", reset(true), sg_status_iso(r->created_at, t));
    if (r->closed)
        fprintf(out, "  closed %s", sg_status_iso(r->closed_at, t));
    fputc('\n', out);
    for (int i = 0; i < SG_STATUS_NPHASES; i++) {
        const sg_status_phase *p = &st->phases[i];
        fprintf(out, "  %-8s ", p->name);
        put_bar(out, p);
        fprintf(out, " %3d%%  ok %ld  %sfailed %ld%s  pending %ld  total %ld  %s%s%s",
                p->total ? (int)(100 * (p->ok + p->failed) / p->total) : 0, p->ok, p->failed ? colour(true, "failed") : "",
                p->failed, p->failed ? reset(true) : "", p->pending, p->total, colour(true, p->state), p->state,
                reset(true));
        if (strcmp(p->state, "waiting") != 0) {
            fputc(' ', out);
            put_seconds(out, p->seconds);
        }
        fputc('\n', out);
    }
    if (st->bulk.days)
        fprintf(out, "  %-8s %ld day(s): ok %ld  %sfailed %ld%s  pending %ld; %ld symbol(s) waiting for one\n", "bulk",
                st->bulk.days, st->bulk.ok, st->bulk.failed ? colour(true, "failed") : "", st->bulk.failed,
                st->bulk.failed ? reset(true) : "", st->bulk.pending, st->bulk.waiting);
    if (st->failures_total)
        fprintf(out, "%sfailures: %ld%s (showing %zu)\n", bold(true), st->failures_total, reset(true), st->nfailures);
    for (size_t i = 0; i < st->nfailures; i++) {
        fprintf(out, "  %-8s ", st->failures[i].phase);
        put_padded(out, st->failures[i].symbol, 12);
        fputc(' ', out);
        put_clean(out, st->failures[i].reason, 100);
        fputc('\n', out);
    }
}

static void text_queue(FILE *out, const sg_status *st, bool tty)
{
    char t[24];
    fprintf(out, "%squeue%s%s pending %ld processing %ld completed %ld failed %ld", bold(tty), reset(tty),
            tty ? ":" : "", st->queue_pending, st->queue_processing, st->queue_completed, st->queue_failed);
    if (st->queue_other)
        fprintf(out, " other %ld", st->queue_other);
    fputc('\n', out);
    for (size_t i = 0; i < st->nqueue_failures; i++) {
        const sg_status_queue_failure *f = &st->queue_failures[i];
        fputs(tty ? "  failed " : "queue failed ", out);
        put_clean(out, f->symbol, 0);
        fprintf(out, " at %s: ", sg_status_iso(f->at, t));
        put_clean(out, f->message, tty ? 100 : 0);
        fputc('\n', out);
    }
}

static void text_worker(FILE *out, const sg_status *st, const sg_status_worker *w, bool tty)
{
    const char *state = w->alive ? "alive" : "gone";
    fputs(tty ? "  " : "worker ", out);
    put_clean(out, w->id, 0);
    fprintf(out, " %s%s%s pid %d host ", colour(tty, state), state, reset(tty), w->pid);
    put_clean(out, w->host, 0);
    fputs(" http ", out);
    put_clean(out, w->http, 0);
    fprintf(out, " seen %.0fs ago lag %lld partitions ", isfinite(w->seen_at) ? st->now - w->seen_at : 0.0,
            (long long)w->lag_total);
    if (!w->npartitions)
        fputc('-', out);
    for (size_t k = 0; k < w->npartitions; k++) {
        if (k)
            fputc(',', out);
        put_clean(out, w->partitions[k], 0);
    }
    fputc('\n', out);
}

void sg_status_text(FILE *out, const sg_status *st, bool tty)
{
    if (!st->has_run)
        fputs("run none\n", out);
    else if (tty)
        text_run_tty(out, st);
    else
        text_run_plain(out, st);
    text_queue(out, st, tty);
    if (tty)
        fprintf(out, "%sworkers:%s %ld alive, %ld gone, lag %lld\n", bold(tty), reset(tty), st->workers_alive,
                (long)st->nworkers - st->workers_alive, (long long)st->lag_total);
    for (size_t i = 0; i < st->nworkers; i++)
        text_worker(out, st, &st->workers[i], tty);
    if (!tty)
        fprintf(out, "workers alive %ld gone %ld lag %lld\n", st->workers_alive, (long)st->nworkers - st->workers_alive,
                (long long)st->lag_total);
}

/* ---- JSON -------------------------------------------------------------------------- */

/* A string (NULL: null). Text that is not UTF-8 (a database in SQL_ASCII)
 * goes out with '?' for each byte above 0x7f rather than not at all. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *jtime(double epoch)
{
    char t[24];
    return isfinite(epoch) ? json_string(sg_status_iso(epoch, t)) : json_null();
}

static json_t *jsecs(double s) /* milliseconds are enough, and print short */
{
    return isfinite(s) ? json_real(round(s * 1000) / 1000) : json_null();
}

static json_t *json_run(const sg_status_run *r)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:I, s:I, s:I}", "id", jstr(r->id), "calc_date",
                     jstr(r->calc_date), "phase", jstr(r->phase), "status", jstr(r->status), "closed", r->closed,
                     "created_at", jtime(r->created_at), "closed_at", jtime(r->closed_at), "total_jobs",
                     (json_int_t)r->total_jobs, "completed_jobs", (json_int_t)r->completed_jobs, "failed_jobs",
                     (json_int_t)r->failed_jobs);
}

static json_t *json_phases(const sg_status *st)
{
    json_t *o = json_object();
    for (int i = 0; st->has_run && o && i < SG_STATUS_NPHASES; i++) {
        const sg_status_phase *p = &st->phases[i];
        json_object_set_new(o, p->name,
                            json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "state", p->state, "total",
                                      (json_int_t)p->total, "ok", (json_int_t)p->ok, "failed", (json_int_t)p->failed,
                                      "pending", (json_int_t)p->pending, "started_at", jtime(p->started_at),
                                      "finished_at", jtime(p->finished_at), "seconds", jsecs(p->seconds)));
    }
    return o;
}

static json_t *json_bulk(const sg_status *st)
{
    const sg_status_bulk *b = &st->bulk;
    return st->has_run ? json_pack("{s:I, s:I, s:I, s:I, s:I}", "days", (json_int_t)b->days, "ok", (json_int_t)b->ok,
                                   "failed", (json_int_t)b->failed, "pending", (json_int_t)b->pending,
                                   "symbols_waiting", (json_int_t)b->waiting)
                       : json_null();
}

static json_t *json_failures(const sg_status *st)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < st->nfailures; i++)
        json_array_append_new(items, json_pack("{s:o, s:o, s:o}", "phase", jstr(st->failures[i].phase), "symbol",
                                               jstr(st->failures[i].symbol), "reason", jstr(st->failures[i].reason)));
    return json_pack("{s:I, s:o}", "total", (json_int_t)st->failures_total, "items", items);
}

static json_t *json_queue(const sg_status *st)
{
    json_t *f = json_array();
    for (size_t i = 0; f && i < st->nqueue_failures; i++) {
        const sg_status_queue_failure *q = &st->queue_failures[i];
        json_array_append_new(f, json_pack("{s:o, s:o, s:o}", "symbol", jstr(q->symbol), "message", jstr(q->message),
                                           "at", jtime(q->at)));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "pending", (json_int_t)st->queue_pending, "processing",
                     (json_int_t)st->queue_processing, "completed", (json_int_t)st->queue_completed, "failed",
                     (json_int_t)st->queue_failed, "other", (json_int_t)st->queue_other, "failures", f);
}

static json_t *json_worker(const sg_status *st, const sg_status_worker *w)
{
    json_t *parts = json_array(), *lag = json_object();
    for (size_t k = 0; parts && lag && k < w->npartitions; k++) {
        json_array_append_new(parts, jstr(w->partitions[k]));
        json_object_set_new(lag, w->partitions[k], w->lag[k] >= 0 ? json_integer(w->lag[k]) : json_null());
    }
    return json_pack("{s:o, s:o, s:i, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:I}", "id", jstr(w->id), "host",
                     jstr(w->host), "pid", w->pid, "http", jstr(w->http), "alive", w->alive, "started_at",
                     jtime(w->started_at), "seen_at", jtime(w->seen_at), "seen_seconds_ago",
                     jsecs(isfinite(w->seen_at) ? st->now - w->seen_at : NAN), "partitions", parts, "lag", lag,
                     "lag_total", (json_int_t)w->lag_total);
}

static json_t *json_workers(const sg_status *st)
{
    json_t *m = json_array();
    for (size_t i = 0; m && i < st->nworkers; i++)
        json_array_append_new(m, json_worker(st, &st->workers[i]));
    return json_pack("{s:i, s:I, s:I, s:I, s:o}", "alive_within_seconds", SG_STATUS_ALIVE_S, "alive",
                     (json_int_t)st->workers_alive, "gone", (json_int_t)(st->nworkers - (size_t)st->workers_alive),
                     "lag_total", (json_int_t)st->lag_total, "members", m);
}

/* error_summary as the object it is (its text if it does not parse). */
static json_t *json_summary(const char *text)
{
    if (!text)
        return json_null();
    json_t *j = json_loads(text, 0, NULL);
    return j ? j : jstr(text);
}

static json_t *json_runs(const sg_status_run *runs, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_run(&runs[i]));
    return a;
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    return s;
}

char *sg_status_json(const sg_status *st)
{
    json_t *run = json_null();
    if (st->has_run && (run = json_run(&st->run)))
        json_object_set_new(run, "error_summary", json_summary(st->error_summary));
    return dump(json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "generated_at", jtime(st->now), "run", run,
                          "phases", json_phases(st), "bulk_days", json_bulk(st), "failures", json_failures(st), "queue",
                          json_queue(st), "workers", json_workers(st), "runs", json_runs(st->runs, st->nruns)));
}

/* ---- HTML -------------------------------------------------------------------------- */

static const char page_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
    "h1{font-size:20px}h2{font-size:16px;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}"
    ".phase{margin:.3em 0}.phase .name{display:inline-block;width:5em;font-weight:bold}"
    ".bar{display:inline-block;width:320px;height:12px;background:#ddd;vertical-align:middle;margin-right:1em}"
    ".bar span{display:inline-block;height:100%;float:left}.bar .ok{background:#3a3}.bar .failed{background:#c33}"
    ".status-completed,.alive{color:#282}.status-failed,.gone{color:#b22}.status-running{color:#a70}"
    ".reason{font-family:monospace;white-space:pre-wrap}.muted{color:#777}";

/* " name=\"escaped\"" */
static void attr(sg_copybuf *b, const char *name, const char *value)
{
    sg_buf_printf(b, " %s=\"", name);
    sg_status_html_escape(b, value);
    sg_buf_printf(b, "\"");
}

static void attr_long(sg_copybuf *b, const char *name, long long v)
{
    sg_buf_printf(b, " %s=\"%lld\"", name, v);
}

/* <td>escaped</td>, or an empty cell for NULL */
static void cell(sg_copybuf *b, const char *cls, const char *text)
{
    sg_buf_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    sg_status_html_escape(b, text);
    sg_buf_printf(b, "</td>");
}

static void cell_time(sg_copybuf *b, double epoch)
{
    char t[24];
    cell(b, NULL, sg_status_iso(epoch, t));
}

/* "done 3.2 s", "running 1.0 s", "waiting" */
static void html_phase(sg_copybuf *b, const sg_status_phase *p)
{
    double ok = p->total > 0 ? 100.0 * (double)p->ok / (double)p->total : 0;
    double failed = p->total > 0 ? 100.0 * (double)p->failed / (double)p->total : 0;
    sg_buf_printf(b, "<div class=\"phase\" id=\"phase-%s\"", p->name);
    attr(b, "data-state", p->state);
    attr_long(b, "data-total", p->total);
    attr_long(b, "data-done", p->ok);
    attr_long(b, "data-failed", p->failed);
    attr_long(b, "data-pending", p->pending);
    sg_buf_printf(b, "><span class=\"name\">%s</span><span class=\"bar\"><span class=\"ok\" style=\"width:%.2f%%\">"
                     "</span><span class=\"failed\" style=\"width:%.2f%%\"></span></span>"
                     "<span class=\"counts\">%ld ok, %ld failed, %ld pending of %ld</span> <span class=\"time\">%s",
                  p->name, ok, failed, p->ok, p->failed, p->pending, p->total, p->state);
    if (isfinite(p->seconds))
        sg_buf_printf(b, " %.1f s", p->seconds);
    sg_buf_printf(b, "</span></div>\n");
}

static void html_run(sg_copybuf *b, const sg_status *st)
{
    char t[24];
    const sg_status_run *r = &st->run;
    sg_buf_printf(b, "<section id=\"run\"");
    attr(b, "data-run", r->id);
    attr(b, "data-phase", r->phase);
    attr(b, "data-status", r->status);
    attr(b, "data-closed", r->closed ? "true" : "false");
    sg_buf_printf(b, ">\n<h2>Run ");
    sg_status_html_escape(b, r->id);
    sg_buf_printf(b, "</h2>\n<p>date ");
    sg_status_html_escape(b, r->calc_date);
    sg_buf_printf(b, ", phase ");
    sg_status_html_escape(b, r->phase);
    sg_buf_printf(b, ", <span class=\"status-");
    sg_status_html_escape(b, r->status);
    sg_buf_printf(b, "\">");
    sg_status_html_escape(b, r->status);
    sg_buf_printf(b, "</span>, created %s", sg_status_iso(r->created_at, t));
    if (r->closed)
        sg_buf_printf(b, ", closed %s (%ld jobs: %ld ok, %ld failed)", sg_status_iso(r->closed_at, t), r->total_jobs,
                      r->completed_jobs, r->failed_jobs);
    sg_buf_printf(b, "</p>\n");
    for (int i = 0; i < SG_STATUS_NPHASES; i++)
        html_phase(b, &st->phases[i]);
    if (st->bulk.days) {
        sg_buf_printf(b, "<p class=\"bulk\" id=\"bulk-days\"");
        attr_long(b, "data-days", st->bulk.days);
        attr_long(b, "data-done", st->bulk.ok);
        attr_long(b, "data-failed", st->bulk.failed);
        attr_long(b, "data-pending", st->bulk.pending);
        attr_long(b, "data-waiting", st->bulk.waiting);
        sg_buf_printf(b, ">bulk days: %ld ok, %ld failed, %ld pending of %ld; %ld symbols waiting for one</p>\n",
                      st->bulk.ok, st->bulk.failed, st->bulk.pending, st->bulk.days, st->bulk.waiting);
    }
    sg_buf_printf(b, "</section>\n");
}

static void html_failures(sg_copybuf *b, const sg_status *st)
{
    sg_buf_printf(b, "<section id=\"failures\"");
    attr_long(b, "data-total", st->failures_total);
    sg_buf_printf(b, ">\n<h2>Failures: %ld", st->failures_total);
    if ((long)st->nfailures < st->failures_total)
        sg_buf_printf(b, " (the first %zu)", st->nfailures);
    sg_buf_printf(b, "</h2>\n<table>\n");
    for (size_t i = 0; i < st->nfailures; i++) {
        const sg_status_failure *f = &st->failures[i];
        sg_buf_printf(b, "<tr class=\"failure\"");
        attr(b, "data-phase", f->phase);
        attr(b, "data-symbol", f->symbol);
        sg_buf_printf(b, ">");
        cell(b, NULL, f->phase);
        cell(b, NULL, f->symbol);
        cell(b, "reason", f->reason);
        sg_buf_printf(b, "</tr>\n");
    }
    sg_buf_printf(b, "</table>\n</section>\n");
}

static void html_queue(sg_copybuf *b, const sg_status *st)
{
    sg_buf_printf(b, "<section id=\"queue\"");
    attr_long(b, "data-pending", st->queue_pending);
    attr_long(b, "data-processing", st->queue_processing);
    attr_long(b, "data-completed", st->queue_completed);
    attr_long(b, "data-failed", st->queue_failed);
    sg_buf_printf(b, ">\n<h2>Onboarding queue</h2>\n<p>%ld pending, %ld processing, %ld completed, %ld failed",
                  st->queue_pending, st->queue_processing, st->queue_completed, st->queue_failed);
    if (st->queue_other)
        sg_buf_printf(b, ", %ld other", st->queue_other);
    sg_buf_printf(b, "</p>\n<table>\n");
    for (size_t i = 0; i < st->nqueue_failures; i++) {
        const sg_status_queue_failure *f = &st->queue_failures[i];
        sg_buf_printf(b, "<tr class=\"queue-failure\"");
        attr(b, "data-symbol", f->symbol);
        sg_buf_printf(b, ">");
        cell(b, NULL, f->symbol);
        cell_time(b, f->at);
        cell(b, "reason", f->message);
        sg_buf_printf(b, "</tr>\n");
    }
    sg_buf_printf(b, "</table>\n</section>\n");
}

static void html_worker(sg_copybuf *b, const sg_status *st, const sg_status_worker *w)
{
    sg_buf_printf(b, "<tr class=\"worker %s\"", w->alive ? "alive" : "gone");
    attr(b, "data-id", w->id);
    attr(b, "data-alive", w->alive ? "true" : "false");
    attr_long(b, "data-lag", w->lag_total);
    sg_buf_printf(b, ">");
    cell(b, NULL, w->id);
    cell(b, NULL, w->alive ? "alive" : "gone");
    sg_buf_printf(b, "<td>%d</td>", w->pid);
    cell(b, NULL, w->http);
    sg_buf_printf(b, "<td>%.0f s ago</td><td>%lld</td><td>", isfinite(w->seen_at) ? st->now - w->seen_at : 0.0,
                  (long long)w->lag_total);
    for (size_t k = 0; k < w->npartitions; k++) {
        sg_buf_printf(b, "%s<span class=\"partition\"", k ? ", " : "");
        attr(b, "data-partition", w->partitions[k]);
        sg_buf_printf(b, ">");
        sg_status_html_escape(b, w->partitions[k]);
        if (w->lag[k] >= 0)
            sg_buf_printf(b, " (lag %lld)", (long long)w->lag[k]);
        sg_buf_printf(b, "</span>");
    }
    sg_buf_printf(b, "</td></tr>\n");
}

static void html_workers(sg_copybuf *b, const sg_status *st)
{
    sg_buf_printf(b, "<section id=\"workers\"");
    attr_long(b, "data-alive", st->workers_alive);
    attr_long(b, "data-gone", (long long)st->nworkers - st->workers_alive);
    attr_long(b, "data-lag", st->lag_total);
    sg_buf_printf(b, ">\n<h2>Workers: %ld alive, lag %lld</h2>\n<table>\n"
                     "<tr><th>id</th><th>state</th><th>pid</th><th>http</th><th>seen</th><th>lag</th>"
                     "<th>partitions</th></tr>\n",
                  st->workers_alive, (long long)st->lag_total);
    for (size_t i = 0; i < st->nworkers; i++)
        html_worker(b, st, &st->workers[i]);
    sg_buf_printf(b, "</table>\n<p class=\"muted\">alive: seen within %d s</p>\n</section>\n", SG_STATUS_ALIVE_S);
}

static void html_runs(sg_copybuf *b, const sg_status *st)
{
    sg_buf_printf(b, "<section id=\"runs\">\n<h2>Recent runs</h2>\n<table>\n"
                     "<tr><th>run</th><th>date</th><th>phase</th><th>status</th><th>created</th><th>closed</th>"
                     "<th>ok</th><th>failed</th></tr>\n");
    for (size_t i = 0; i < st->nruns; i++) {
        const sg_status_run *r = &st->runs[i];
        sg_buf_printf(b, "<tr class=\"run\"");
        attr(b, "data-run", r->id);
        attr(b, "data-status", r->status);
        sg_buf_printf(b, ">");
        cell(b, NULL, r->id);
        cell(b, NULL, r->calc_date);
        cell(b, NULL, r->phase);
        cell(b, NULL, r->status);
        cell_time(b, r->created_at);
        cell_time(b, r->closed_at);
        sg_buf_printf(b, "<td>%ld</td><td>%ld</td></tr>\n", r->completed_jobs, r->failed_jobs);
    }
    sg_buf_printf(b, "</table>\n</section>\n");
}

/* The meta refresh's seconds: digits only (1..5 of them), else the default. */
static const char *refresh_seconds(const char *hint)
{
    if (!hint)
        return "2";
    size_t n = strspn(hint, "0123456789");
    if (hint[n] || n > 5)
        return "2";
    return n == 0 || strspn(hint, "0") == n ? NULL : hint;
}

char *sg_status_html(const sg_status *st, const char *refresh_hint)
{
    char t[24];
    sg_copybuf b = {0};
    const char *refresh = refresh_seconds(refresh_hint);
    sg_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    if (refresh)
        sg_buf_printf(&b, "<meta http-equiv=\"refresh\" content=\"%s\">\n", refresh);
    sg_buf_printf(&b, "<title>sigmabatch status</title>\n<style>%s</style>\n</head>\n<body>\n<h1>sigmabatch</h1>\n"
                      "<p class=\"muted\" id=\"generated\">as of %s</p>\n",
                  page_css, sg_status_iso(st->now, t));
    if (st->has_run) {
        html_run(&b, st);
        html_failures(&b, st);
    } else {
        sg_buf_printf(&b, "<section id=\"run\" data-run=\"\"><h2>No run recorded yet</h2></section>\n");
    }
    html_queue(&b, st);
    html_workers(&b, st);
    html_runs(&b, st);
    sg_buf_printf(&b, "</body>\n</html>\n");
    const char *s = sg_buf_str(&b);
    if (!s)
        sg_copybuf_free(&b);
    return s ? b.p : NULL;
}

/* ---- /runs ------------------------------------------------------------------------- */

int sg_status_runs_json(sg_store *s, int limit, char **json, char *err, size_t errlen)
{
    *json = NULL;
    if (limit < 1 || limit > 1000) {
        snprintf(err, errlen, "runs: limit %d is not in 1..1000", limit);
        return -1;
    }
    char lim[16];
    const char *p[1] = {limit_param(lim, limit)};
    PGresult *r = sg_store_query(s, "runs", RUN_COLUMNS RUN_FROM " ORDER BY r.created_at DESC, r.batch_run_id DESC LIMIT $1::int",
                                 1, p, err, errlen);
    if (!r)
        return -1;
    sg_status_run *runs = calloc((size_t)PQntuples(r) + 1, sizeof *runs);
    for (int i = 0; runs && i < PQntuples(r); i++)
        run_from_row(r, i, &runs[i]);
    *json = runs ? dump(json_pack("{s:o}", "runs", json_runs(runs, (size_t)PQntuples(r)))) : NULL;
    free(runs);
    PQclear(r);
    return *json ? 0 : oom(err, errlen);
}

/* ---- a symbol's status ------------------------------------------------------------- */

/* The symbol's latest queue row, its latest factor date, whether the
 * universe knows it, and for a row in the queue how many rows are ahead of
 * it in the relay's claim order (processing ones, then pending ones by
 * priority's meaning, created_at, id) and how long it has been processing. */
static const char symbol_sql[] =
    "SELECT q.status, q.error_message, q.attempts,"
    " extract(epoch FROM now() - q.started_at),"
    " (SELECT max(calculation_date)::text FROM symbol_factor_exposures e WHERE e.symbol = $1),"
    " EXISTS (SELECT 1 FROM symbol_universe u WHERE u.symbol = $1),"
    " CASE WHEN q.status = 'pending' THEN (SELECT count(*) FROM symbol_onboarding_queue o"
    "  WHERE o.status = 'processing' OR (o.status = 'pending'"
    "  AND ((CASE o.priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END), o.created_at, o.id)"
    "    < ((CASE q.priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END), q.created_at, q.id))) END"
    " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM symbol_onboarding_queue x WHERE upper(x.symbol) = $1"
    "  ORDER BY x.created_at DESC NULLS LAST, x.id DESC LIMIT 1) q ON true";

/* D: the mean processing time (started_at to completed_at) of the 20 latest
 * completed rows; I: the mean interval between their completions, each
 * interval at most D (an idle gap is not slowness). NULL without history. */
static const char estimate_sql[] =
    "WITH recent AS (SELECT started_at, completed_at FROM symbol_onboarding_queue"
    "  WHERE status = 'completed' AND started_at IS NOT NULL AND completed_at >= started_at"
    "  ORDER BY completed_at DESC LIMIT 20),"
    " d AS (SELECT avg(extract(epoch FROM completed_at - started_at))::float8 AS d FROM recent),"
    " g AS (SELECT extract(epoch FROM completed_at - lag(completed_at) OVER (ORDER BY completed_at))::float8 AS gap"
    "  FROM recent)"
    " SELECT d.d, coalesce((SELECT avg(least(g.gap, d.d)) FROM g WHERE g.gap IS NOT NULL), d.d) FROM d";

typedef struct symbol_answer {
    const char *status;
    char message[512];
    double estimate; /* NAN: null */
} symbol_answer;

/* processing: D less the time it has processed; pending: D plus I for each
 * row ahead; at least 1 s, whole seconds. */
static int estimate(sg_store *s, PGresult *q, symbol_answer *a, char *err, size_t errlen)
{
    PGresult *e = sg_store_query(s, "symbol status: estimate", estimate_sql, 0, NULL, err, errlen);
    if (!e)
        return -1;
    double d = num(e, 0, 0), interval = num(e, 0, 1);
    PQclear(e);
    if (!isfinite(d))
        return 0;
    double left = strcmp(a->status, "processing") == 0 ? d - (isfinite(num(q, 0, 3)) ? num(q, 0, 3) : 0)
                                                       : d + (double)count(q, 0, 6) * interval;
    a->estimate = fmax(1, ceil(left));
    return 0;
}

/* The rules of docs/status.md, "A symbol's status": the latest queue row
 * decides; without one, factor rows mean ready, the universe pending. */
static int answer(sg_store *s, PGresult *q, symbol_answer *a, char *err, size_t errlen)
{
    const char *st = text_or_null(q, 0, 0), *factors = text_or_null(q, 0, 4);
    if (!st) {
        bool in_universe = PQgetvalue(q, 0, 5)[0] == 't';
        a->status = factors ? "ready" : in_universe ? "pending" : "unknown";
        snprintf(a->message, sizeof a->message, factors       ? "factors as of %s"
                                                : in_universe ? "in the symbol universe; its factors come with the next nightly run%s"
                                                              : "not onboarded: no queue row and no factor rows%s",
                 factors ? factors : "");
        return 0;
    }
    if (strcmp(st, "completed") == 0) {
        a->status = "ready";
        snprintf(a->message, sizeof a->message, "onboarded%s%s", factors ? "; factors as of " : "", factors ? factors : "");
    } else if (strcmp(st, "failed") == 0) {
        a->status = "error";
        snprintf(a->message, sizeof a->message, "%s", text_or_null(q, 0, 1) ? PQgetvalue(q, 0, 1) : "onboarding failed");
    } else if (strcmp(st, "processing") == 0) {
        a->status = "processing";
        snprintf(a->message, sizeof a->message, "onboarding (attempt %ld)", count(q, 0, 2));
        return estimate(s, q, a, err, errlen);
    } else if (strcmp(st, "pending") == 0) {
        a->status = "pending";
        snprintf(a->message, sizeof a->message, "queued for onboarding, %ld ahead", count(q, 0, 6));
        return estimate(s, q, a, err, errlen);
    } else {
        a->status = "unknown";
        snprintf(a->message, sizeof a->message, "its queue row has status '%.40s'", st);
    }
    return 0;
}

/* The symbol as given, printable: an invalid one is echoed with '?' for any
 * byte outside printable ASCII, cut at 64 bytes. */
static void printable(const char *in, char out[65])
{
    size_t i = 0;
    for (; in && in[i] && i < 64; i++)
        out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
    out[i] = '\0';
}

int sg_status_symbol_json(sg_store *s, const char *symbol, char **json, char *err, size_t errlen)
{
    *json = NULL;
    symbol_answer a = {"unknown", "", NAN};
    char sym[SG_SYMBOL_MAX + 1], shown[65];
    printable(symbol, shown);
    size_t len = symbol ? strlen(symbol) : 0;
    if (sg_symbol_checkn(symbol ? symbol : "", len, SG_SYMBOL_LOWER_OK, a.message, sizeof a.message) == 0) {
        for (size_t k = 0; k <= len; k++) /* the app may ask as the user typed: upper-cased, as the relay does */
            sym[k] = (char)(symbol[k] >= 'a' && symbol[k] <= 'z' ? symbol[k] - 'a' + 'A' : symbol[k]);
        snprintf(shown, sizeof shown, "%s", sym);
        const char *p[1] = {sym};
        PGresult *q = sg_store_query(s, "symbol status", symbol_sql, 1, p, err, errlen);
        if (!q)
            return -1;
        int rc = answer(s, q, &a, err, errlen);
        PQclear(q);
        if (rc)
            return -1;
    }
    *json = dump(json_pack("{s:o, s:s, s:o, s:o}", "symbol", jstr(shown), "status", a.status, "message",
                           jstr(a.message), "estimated_seconds",
                           isfinite(a.estimate) ? json_integer((json_int_t)a.estimate) : json_null()));
    return *json ? 0 : oom(err, errlen);
}

/* ---- the workers' self-reports ----------------------------------------------------- */

/* "{1,2,-1}" */
static char *bigint_array(const int64_t *v, size_t n)
{
    char *s = malloc(n * 22 + 3), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%lld", i ? "," : "", (long long)v[i]);
    strcpy(p, "}");
    return s;
}

/* One statement outside a unit: run again once on a new connection when the
 * old one was lost (a database restart breaks it silently until used). */
static PGresult *query_revived(sg_store *s, const char *what, const char *sql, int n, const char *const *p, char *err,
                               size_t errlen)
{
    PGresult *r = sg_store_revive(s, err, errlen) ? NULL : sg_store_query(s, what, sql, n, p, err, errlen);
    if (!r && PQstatus(sg_store_conn(s)) != CONNECTION_OK && sg_store_revive(s, err, errlen) == 0)
        r = sg_store_query(s, what, sql, n, p, err, errlen);
    return r;
}

int sg_status_heartbeat(sg_store *s, const sg_member *m, char *err, size_t errlen)
{
    if (!m->id || !*m->id || !m->host || (m->npartitions && (!m->partitions || !m->lag))) {
        snprintf(err, errlen, "heartbeat: a member needs an id, a host, and a lag for each partition");
        return -1;
    }
    char pid[16], prune[16];
    snprintf(pid, sizeof pid, "%d", m->pid);
    char *parts = sg_store_text_array(m->partitions, m->npartitions), *lags = bigint_array(m->lag, m->npartitions);
    const char *p[7] = {m->id, m->host, pid, m->http, parts, lags, limit_param(prune, SG_STATUS_PRUNE_S)};
    PGresult *r = parts && lags
                      ? query_revived(
                            s, "heartbeat",
                            "WITH gone AS (DELETE FROM sigma_workers WHERE seen_at < now() - make_interval(secs => $7::int)"
                            "  AND id <> $1)"
                            " INSERT INTO sigma_workers AS w (id, host, pid, http, partitions, lag, lag_total, started_at,"
                            "  seen_at)"
                            " SELECT $1, $2, $3::int, $4, $5::text[],"
                            "  coalesce(jsonb_object_agg(u.p, CASE WHEN u.l >= 0 THEN u.l END), '{}'::jsonb),"
                            "  coalesce(sum(u.l) FILTER (WHERE u.l >= 0), 0)::bigint, now(), now()"
                            " FROM unnest($5::text[], $6::bigint[]) AS u(p, l)"
                            " ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, http = EXCLUDED.http,"
                            "  partitions = EXCLUDED.partitions, lag = EXCLUDED.lag, lag_total = EXCLUDED.lag_total,"
                            "  started_at = CASE WHEN w.host = EXCLUDED.host AND w.pid = EXCLUDED.pid THEN w.started_at"
                            "   ELSE EXCLUDED.started_at END, seen_at = EXCLUDED.seen_at",
                            7, p, err, errlen)
                      : NULL;
    if (!parts || !lags)
        oom(err, errlen);
    free(parts);
    free(lags);
    PQclear(r);
    return r ? 0 : -1;
}

int sg_status_leave(sg_store *s, const char *id, char *err, size_t errlen)
{
    PGresult *r = query_revived(s, "leave", "DELETE FROM sigma_workers WHERE id = $1", 1, &id, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}
