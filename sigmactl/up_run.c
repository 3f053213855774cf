/*
 * up_run.c - `sigmactl up` once the system is up: the night's work (a nightly
 * run through `sigmactl run`, a few symbols through `sigmactl onboard`), its
 * progress (common/status.h: bars on a terminal, a line per change
 * otherwise) and the summary: per phase the symbols done and failed and how
 * long it took, the onboarded symbols, a few symbols' betas, where the logs
 * are, the status page, how to stop.
 * Owns: what a newcomer sees after the start. Must not: change the system
 * (it only asks, as an operator or the web app would) or stop it: Ctrl-C
 * stops watching, the system keeps running.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "status.h"
#include "store.h"
#include "up.h"

#define RUN_OPEN_MS 60000  /* the producer opens the requested run */
#define WATCH_MS 600000    /* the run and onboarding finish */
#define SETUP_MS 60000
#define TICK_MS 500

int sg_up_stock(int symbols, int n, char out[16])
{
    int width = symbols + SG_UP_ONBOARD >= 10000 ? 5 : 4; /* common/synth.c's rule (at most 10,003 here) */
    snprintf(out, 16, "S%0*d", width, n);
    return width;
}

void sg_up_addresses(FILE *out, const sg_up *u)
{
    const sg_upsys *s = &u->sys;
    fprintf(out, "  status page  http://127.0.0.1:%d/   (producer :%d, workers :%d..%d)\n", s->port, s->port + 1,
            s->port + 2, s->port + 1 + s->workers);
    fprintf(out, "  database     psql \"%s\"\n", s->db);
    fprintf(out, "  broker       %s (librdkafka's mock cluster, in memory)\n", s->brokers);
    fprintf(out, "  logs         %s/logs/  (postgres, broker, coordinator, producer, w1..w%d, setup)\n", u->st.dir,
            s->workers);
    fprintf(out, "  stop it      %s down --state %s\n", u->self, u->st.dir);
    fprintf(out, "               or: scripts/local.sh down --state %s\n", u->st.dir);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* `sigmactl run` / `sigmactl onboard`, output in logs/setup.log. */
static int ask(const sg_up *u, char *const argv[], const char *what)
{
    char log[PATH_MAX], err[PATH_MAX + 1024];
    if (sg_upstate_path(&u->st, log, sizeof log, "logs/setup.log"))
        snprintf(log, sizeof log, "/dev/null");
    int rc = sg_proc_run(argv, log, SETUP_MS, err, sizeof err);
    if (rc == 0)
        return 0;
    if (rc > 0)
        snprintf(err, sizeof err, "exited with status %d (see %s)", rc, log);
    fprintf(stderr, "sigmactl up: %s: %s\n", what, err);
    return -1;
}

typedef struct work {
    sg_store *s;
    char run[128];
    char phase[16];    /* the run's phase now */
    long done, total;  /* its outcomes so far, its symbols */
    bool queued;       /* the onboarding symbols */
    char onboard[SG_UP_ONBOARD][16];
    char status[SG_UP_ONBOARD][16];
    char why[SG_UP_ONBOARD][512];
    double secs[SG_UP_ONBOARD];
    double t0, shown;  /* the watch's start, the last plain line */
    char shown_phase[16];
    long shown_done;
    int shown_onboarded;
    int tty_lines;     /* the status block on the terminal, redrawn in place */
} work;

/* The run the producer opened for our request (sigma_run_requests.batch_run_id). */
static int await_run(const sg_up *u, work *w)
{
    char err[1024];
    const char *p[1] = {SG_UP_DATE};
    for (double end = sg_clock_ms() + RUN_OPEN_MS; !sg_up_interrupted;) {
        PGresult *r = sg_store_query(w->s, "the run",
                                     "SELECT batch_run_id FROM sigma_run_requests WHERE calc_date = $1::date"
                                     " AND batch_run_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                                     1, p, err, sizeof err);
        if (!r) {
            fprintf(stderr, "sigmactl up: %s\n", err);
            return -1;
        }
        if (PQntuples(r) == 1)
            snprintf(w->run, sizeof w->run, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        if (w->run[0])
            return 0;
        if (sg_clock_ms() > end) {
            fprintf(stderr, "sigmactl up: the producer opened no run for %s within %d s (see %s/logs/producer.log)\n",
                    SG_UP_DATE, RUN_OPEN_MS / 1000, u->st.dir);
            return -1;
        }
        nap_ms(100);
    }
    return -1;
}

static int request_run(const sg_up *u, work *w)
{
    char *const run[] = {(char *)u->self, "run", "--date", SG_UP_DATE, "-d", (char *)u->sys.db, NULL};
    if (ask(u, run, "sigmactl run") || await_run(u, w))
        return -1;
    printf("  %-12s %s: the run's symbol list (%d stocks and the ETFs), prices -> factors -> metrics\n", "nightly run",
           w->run, u->symbols);
    fflush(stdout);
    return 0;
}

/* Clears the status block drawn on the terminal, so a line can go above it. */
static void clear_block(work *w)
{
    if (w->tty_lines)
        printf("\033[%dA\033[J", w->tty_lines);
    w->tty_lines = 0;
}

/* Queued once the night's prices are in: the web app onboards against a
 * database that holds the factor ETFs' prices, which the symbols' betas need. */
static int request_onboarding(const sg_up *u, work *w)
{
    char *onboard[8 + SG_UP_ONBOARD] = {(char *)u->self, "onboard", "--priority", "high", "-d", (char *)u->sys.db};
    for (int i = 0; i < SG_UP_ONBOARD; i++) {
        sg_up_stock(u->symbols, u->symbols + 1 + i, w->onboard[i]);
        onboard[6 + i] = w->onboard[i];
    }
    if (ask(u, onboard, "sigmactl onboard"))
        return -1;
    w->queued = true;
    clear_block(w);
    printf("  %-12s", "onboarding");
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        printf(" %s", w->onboard[i]);
    printf(": outside the night's universe, queued as the web app does (the ETFs' prices are in)\n");
    fflush(stdout);
    return 0;
}

/* The run's phase and its outcomes so far. */
static int poll_run(work *w)
{
    char err[1024];
    const char *p[1] = {w->run};
    PGresult *r = sg_store_query(w->s, "the run's phase",
                                 "SELECT r.phase, count(o.outcome), count(o.symbol) FROM sigma_runs r"
                                 " LEFT JOIN sigma_run_outcomes o ON o.batch_run_id = r.batch_run_id AND o.phase = r.phase"
                                 " WHERE r.batch_run_id = $1 GROUP BY r.phase",
                                 1, p, err, sizeof err);
    if (!r || PQntuples(r) != 1) {
        fprintf(stderr, "sigmactl up: %s\n", r ? "the run is gone from sigma_runs" : err);
        PQclear(r);
        return -1;
    }
    snprintf(w->phase, sizeof w->phase, "%s", PQgetvalue(r, 0, 0));
    w->done = atol(PQgetvalue(r, 0, 1));
    w->total = atol(PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

/* The onboarded symbols' latest queue rows; *done when each is finished. */
static int poll_onboarding(work *w, bool *done)
{
    char err[1024], list[128] = "{";
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", w->onboard[i]);
    strcat(list, "}");
    const char *p[1] = {list};
    PGresult *r = sg_store_query(w->s, "onboarding rows",
                                 "SELECT DISTINCT ON (symbol) symbol, status, coalesce(error_message, ''),"
                                 " extract(epoch FROM coalesce(completed_at, now()) - created_at)"
                                 " FROM symbol_onboarding_queue WHERE symbol = ANY($1::text[])"
                                 " ORDER BY symbol, created_at DESC",
                                 1, p, err, sizeof err);
    if (!r) {
        fprintf(stderr, "sigmactl up: %s\n", err);
        return -1;
    }
    *done = PQntuples(r) == SG_UP_ONBOARD;
    for (int k = 0; k < PQntuples(r); k++)
        for (int i = 0; i < SG_UP_ONBOARD; i++)
            if (strcmp(PQgetvalue(r, k, 0), w->onboard[i]) == 0) {
                snprintf(w->status[i], sizeof w->status[i], "%s", PQgetvalue(r, k, 1));
                snprintf(w->why[i], sizeof w->why[i], "%s", PQgetvalue(r, k, 2));
                w->secs[i] = atof(PQgetvalue(r, k, 3));
                *done &= strcmp(w->status[i], "completed") == 0 || strcmp(w->status[i], "failed") == 0;
            }
    PQclear(r);
    return 0;
}

static int onboarded(const work *w)
{
    int n = 0;
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        n += strcmp(w->status[i], "completed") == 0 || strcmp(w->status[i], "failed") == 0;
    return n;
}

/* Terminal rows a line of text takes: its visible characters (not ANSI
 * escapes, not UTF-8 continuation bytes) wrapped at cols. */
static int rows_of(const char *line, size_t len, int cols)
{
    int vis = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\033') {
            while (i < len && !(line[i] >= 'A' && line[i] <= 'Z') && !(line[i] >= 'a' && line[i] <= 'z'))
                i++;
            continue;
        }
        vis += ((unsigned char)line[i] & 0xC0) != 0x80 && line[i] != '\r';
    }
    return vis <= cols ? 1 : (vis + cols - 1) / cols;
}

/* A terminal: the status block redrawn in place; cut to the terminal's
 * height, since a taller block cannot be redrawn. */
static void draw_tty(work *w, const sg_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return;
    sg_status_text(m, st, true);
    if (w->queued)
        fprintf(m, "onboarding: %d of %d finished\n", onboarded(w), SG_UP_ONBOARD);
    if (fclose(m) == 0) {
        struct winsize ws;
        bool known = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 && ws.ws_col > 10;
        int rows = known ? ws.ws_row - 2 : 22, cols = known ? ws.ws_col : 80;
        clear_block(w);
        const char *p = buf;
        for (const char *nl; *p && (nl = strchr(p, '\n')); p = nl + 1) {
            int r = rows_of(p, (size_t)(nl - p), cols);
            if (w->tty_lines + r > rows)
                break;
            w->tty_lines += r;
        }
        fwrite(buf, 1, (size_t)(p - buf), stdout);
        fflush(stdout);
    }
    free(buf);
}

/* Not a terminal: a line when the phase or onboarding moved, or every 2 s
 * while outcomes arrive. */
static void line_plain(work *w)
{
    double now = sg_clock_ms();
    int n = onboarded(w);
    bool moved = strcmp(w->phase, w->shown_phase) || n != w->shown_onboarded;
    if (!moved && (w->done == w->shown_done || now - w->shown < 2000))
        return;
    snprintf(w->shown_phase, sizeof w->shown_phase, "%s", w->phase);
    w->shown_done = w->done, w->shown_onboarded = n, w->shown = now;
    printf("  %-12s %5.1f s: ", "progress", (now - w->t0) / 1000);
    if (strcmp(w->phase, "done") == 0)
        printf("run done");
    else
        printf("%s %ld of %ld", w->phase, w->done, w->total);
    if (w->queued)
        printf(", onboarding %d of %d finished", n, SG_UP_ONBOARD);
    putchar('\n');
    fflush(stdout);
}

/* A component that exited while the work goes on is said once (the others
 * carry on: a worker's partitions move to the rest); all gone is an error
 * (sigmactl down ran meanwhile). */
static int check_components(sg_up *u, work *w)
{
    size_t gone = 0;
    for (size_t i = 0; i < u->ncomps; i++) {
        sg_up_comp *c = &u->comps[i];
        int status;
        if (!c->gone && sg_proc_exited(&c->p, &status)) {
            c->gone = true;
            clear_block(w);
            printf("  %-12s exited (see %s/logs/%s.log); the others go on\n", c->p.name, u->st.dir, c->p.name);
            fflush(stdout);
        }
        gone += c->gone;
    }
    if (u->ncomps && gone == u->ncomps) {
        fprintf(stderr, "sigmactl up: every process of the system is gone (sigmactl down?)\n");
        return -1;
    }
    return 0;
}

/* One look: the run, onboarding (queued when the prices are in), the status.
 * Returns 1 when everything finished (*out holds the last status), 0 to go
 * on, -1 on error. */
static int tick(sg_up *u, work *w, bool tty, sg_status **out)
{
    char err[1024];
    bool queue_done = false;
    if (check_components(u, w) || poll_run(w))
        return -1;
    if (!w->queued && strcmp(w->phase, "prices") && request_onboarding(u, w))
        return -1;
    if (w->queued && poll_onboarding(w, &queue_done))
        return -1;
    sg_status *st = NULL;
    if (sg_status_load(w->s, w->run, &st, err, sizeof err)) {
        fprintf(stderr, "sigmactl up: status: %s\n", err);
        return -1;
    }
    if (tty)
        draw_tty(w, st);
    else
        line_plain(w);
    if (sg_status_closed(st) && queue_done) {
        *out = st;
        return 1;
    }
    sg_status_free(st);
    return 0;
}

/* Until the run is closed and every onboarded symbol finished, or the deadline. */
static int watch(sg_up *u, work *w, sg_status **out)
{
    bool tty = isatty(STDOUT_FILENO);
    w->t0 = sg_clock_ms();
    for (;;) {
        int rc = tick(u, w, tty, out);
        if (rc)
            return rc < 0 ? 1 : 0;
        if (sg_up_interrupted)
            return 130;
        if (sg_clock_ms() - w->t0 > WATCH_MS) {
            fprintf(stderr, "sigmactl up: the run or onboarding is not finished after %d s; it goes on (see the status page)\n",
                    WATCH_MS / 1000);
            return 1;
        }
        nap_ms(TICK_MS);
    }
}

/* ---- the summary ------------------------------------------------------------- */

/* Per phase from the last status: symbols done and failed, how long. */
static void summary_phases(const work *w, const sg_status *st)
{
    printf("nightly run %s for %s: %s\n", w->run, SG_UP_DATE, st->run.status ? st->run.status : "?");
    for (int i = 0; i < SG_STATUS_NPHASES; i++) {
        const sg_status_phase *p = &st->phases[i];
        printf("  %-8s %5ld done %4ld failed   ", p->name, p->ok, p->failed);
        if (isfinite(p->seconds))
            printf("%6.2f s\n", p->seconds);
        else
            printf("%6s s\n", "-");
    }
}

static const char *text(const char *s)
{
    return s ? s : "";
}

/* The failed symbols the status holds, grouped by phase and reason. */
static void summary_failures(const sg_status *st)
{
    bool *said = calloc(st->nfailures ? st->nfailures : 1, sizeof *said);
    int groups = 0;
    for (size_t i = 0; said && i < st->nfailures && groups < 4; i++) {
        if (said[i])
            continue;
        const sg_status_failure *f = &st->failures[i];
        printf("  failed   %s", f->phase);
        for (size_t k = i; k < st->nfailures; k++) {
            const sg_status_failure *g = &st->failures[k];
            if (!said[k] && strcmp(g->phase, f->phase) == 0 && strcmp(text(g->reason), text(f->reason)) == 0) {
                printf(" %s", g->symbol);
                said[k] = true;
            }
        }
        printf(": %.160s\n", text(f->reason));
        groups++;
    }
    size_t shown = 0;
    for (size_t i = 0; said && i < st->nfailures; i++)
        shown += said[i];
    if ((long)shown < st->failures_total)
        printf("  (%ld more failed: sigmactl status, or the status page)\n", st->failures_total - (long)shown);
    free(said);
}

static void summary_onboarding(const work *w)
{
    printf("onboarding (symbols the night did not hold, as the web app asks):\n");
    for (int i = 0; i < SG_UP_ONBOARD; i++) {
        printf("  %-8s %s in %.1f s", w->onboard[i], w->status[i], w->secs[i]);
        if (w->why[i][0])
            printf(": %s", w->why[i]);
        putchar('\n');
    }
}

/* The betas shown: the factor's name in factor_definitions, its column. */
static const struct {
    const char *name, *col;
} betas[] = {{"Market Beta (90D)", "market"}, {"Value", "value"},     {"Growth", "growth"},
             {"Momentum", "momentum"},        {"Quality", "quality"}, {"Size", "size"},
             {"Low Volatility", "low vol"},   {"IR Beta", "rates"}};
#define NBETAS (sizeof betas / sizeof betas[0])

static void beta_row(PGresult *r, const char *symbol, const char *source)
{
    printf("  %-7s %-8s", symbol, source);
    for (size_t c = 0; c < NBETAS; c++) {
        const char *v = NULL;
        for (int i = 0; i < PQntuples(r) && !v; i++)
            if (strcmp(PQgetvalue(r, i, 0), symbol) == 0 && strcmp(PQgetvalue(r, i, 1), betas[c].name) == 0)
                v = PQgetvalue(r, i, 2);
        if (v)
            printf(" %8.3f", atof(v));
        else
            printf(" %8s", "-");
    }
    putchar('\n');
}

static void summary_betas(const sg_up *u, work *w)
{
    char err[1024], list[256] = "{", first[3][16];
    for (int i = 0; i < 3 && i < u->symbols; i++) {
        sg_up_stock(u->symbols, i + 1, first[i]);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", first[i]);
    }
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), ",%s", w->onboard[i]);
    strcat(list, "}");
    const char *p[2] = {list, SG_UP_DATE};
    PGresult *r = sg_store_query(w->s, "betas",
                                 "SELECT e.symbol, f.name, e.beta_value::text FROM symbol_factor_exposures e"
                                 " JOIN factor_definitions f ON f.id = e.factor_id"
                                 " WHERE e.symbol = ANY($1::text[]) AND e.calculation_date = $2::date",
                                 2, p, err, sizeof err);
    if (!r) {
        fprintf(stderr, "sigmactl up: %s\n", err);
        return;
    }
    printf("betas on %s (symbol_factor_exposures, where the 4 spread betas are too):\n", SG_UP_DATE);
    printf("  %-7s %-8s", "symbol", "from");
    for (size_t c = 0; c < NBETAS; c++)
        printf(" %8s", betas[c].col);
    putchar('\n');
    for (int i = 0; i < 3 && i < u->symbols; i++)
        beta_row(r, first[i], "nightly");
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        beta_row(r, w->onboard[i], "onboard");
    PQclear(r);
}

static void summary(const sg_up *u, work *w, const sg_status *st)
{
    clear_block(w); /* the summary replaces the bars */
    printf("\n");
    summary_phases(w, st);
    summary_failures(st);
    summary_onboarding(w);
    summary_betas(u, w);
    printf("the system keeps running:\n");
    sg_up_addresses(stdout, u);
    fflush(stdout);
}

static bool running(const sg_up *u)
{
    for (size_t i = 0; i < u->ncomps; i++)
        if (sg_proc_ours(&u->comps[i].p))
            return true;
    return false;
}

/* 0 when the run completed and every onboarded symbol did; else 1, saying which. */
static int outcome(const work *w, const sg_status *st)
{
    int rc = 0;
    if (!st->run.status || strcmp(st->run.status, "completed")) {
        fprintf(stderr, "sigmactl up: the run %s %s\n", w->run, st->run.status ? st->run.status : "has no status");
        rc = 1;
    }
    for (int i = 0; i < SG_UP_ONBOARD; i++)
        if (strcmp(w->status[i], "completed")) {
            fprintf(stderr, "sigmactl up: onboarding %s %s\n", w->onboard[i], w->status[i]);
            rc = 1;
        }
    return rc;
}

int sg_up_run(sg_up *u)
{
    char err[1024];
    work w;
    memset(&w, 0, sizeof w);
    if (!(w.s = sg_store_connect(u->sys.db, err, sizeof err))) {
        fprintf(stderr, "sigmactl up: %s\n", err);
        return 1;
    }
    sg_status *st = NULL;
    int rc = request_run(u, &w) ? (sg_up_interrupted ? 130 : 1) : watch(u, &w, &st);
    if (rc == 0) {
        summary(u, &w, st);
        rc = outcome(&w, st);
    } else if (running(u)) {
        clear_block(&w);
        printf(rc == 130 ? "\nstopped watching; the system keeps running:\n" : "the system keeps running:\n");
        sg_up_addresses(stdout, u);
    }
    sg_status_free(st);
    sg_store_close(w.s);
    return rc;
}
