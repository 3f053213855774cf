/* phases.c - see phases.h. */
#include "phases.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute.h"
#include "fetcher.h"
#include "log.h"
#include "store_io.h"

/* Copies src into reason, cut to fit (a long reason is cut, never refused). */
static void copy_reason(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n > SG_MSG_REASON_MAX)
        n = SG_MSG_REASON_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void set_ok(wk_outcome *o, int64_t rows, const char *note)
{
    o->outcome = SG_OUTCOME_OK;
    o->rows = rows;
    copy_reason(o->reason, note ? note : "");
}

/* A reason is never empty when failed, and fits the event (cut if long). */
static void set_failed(wk_outcome *o, const char *reason)
{
    o->outcome = SG_OUTCOME_FAILED;
    o->rows = 0;
    copy_reason(o->reason, reason && reason[0] ? reason : "failed (no reason given)");
}

static void fail_all(wk_outcome *out, size_t n, const char *reason)
{
    for (size_t i = 0; i < n; i++)
        set_failed(&out[i], reason);
}

/* After a unit failed: transient (retry the batch) when the database stayed
 * unreachable; otherwise the error is the outcome of every symbol. */
static int unit_failed(wk_env *env, const char *err, wk_outcome *out, size_t n)
{
    if (sg_store_unreachable(env->store))
        return -1;
    fail_all(out, n, err);
    return 0;
}

/* ---- prices ------------------------------------------------------------------ */

typedef struct windows_unit {
    const char *const *symbols;
    const sg_day *from; /* may be NULL */
    size_t n;
    sg_day date;
    sg_fetch_window *win;
} windows_unit;

/* Each symbol's window as the app decides it; a symbol whose run planned its
 * window (it waited for bulk days that did not cover it) gets [from, D]
 * instead, skipped only when every trading day after from is stored: the
 * app's rule would skip it once D is stored, leaving an earlier day missing. */
static int read_windows(sg_store *s, void *arg, char *err, size_t errlen)
{
    windows_unit *u = arg;
    if (sg_store_fetch_windows(s, u->symbols, u->n, u->date, u->win, err, errlen))
        return -1;
    size_t np = 0;
    for (size_t i = 0; u->from && i < u->n; i++)
        np += u->from[i] != WK_NO_FROM;
    if (np == 0)
        return 0;
    const char **sym = calloc(np, sizeof *sym);
    sg_day *from = calloc(np, sizeof *from);
    size_t *at = calloc(np, sizeof *at);
    bool *complete = calloc(np, sizeof *complete);
    int rc = -1;
    if (!sym || !from || !at || !complete)
        snprintf(err, errlen, "planned windows: out of memory");
    else {
        size_t k = 0;
        for (size_t i = 0; i < u->n; i++)
            if (u->from[i] != WK_NO_FROM) {
                sym[k] = u->symbols[i];
                from[k] = u->from[i];
                at[k++] = i;
            }
        rc = sg_store_days_complete(s, sym, from, np, u->date, complete, err, errlen);
        for (size_t k2 = 0; rc == 0 && k2 < np; k2++)
            u->win[at[k2]] = (sg_fetch_window){.from = from[k2], .to = u->date, .skip = complete[k2],
                                               .incremental = true, .recent_rows = u->win[at[k2]].recent_rows};
    }
    free(sym);
    free(from);
    free(at);
    free(complete);
    return rc;
}

typedef struct prices_ctx {
    wk_env *env;
    wk_outcome *out;
    const size_t *slot; /* job index -> symbol index */
    const sg_fetch_job *jobs;
    bool transient;
} prices_ctx;

static int write_bars(sg_store *s, void *arg, char *err, size_t errlen)
{
    const sg_fetch_job *j = arg;
    return sg_store_write_bars(s, j->symbol, &j->bars, sg_provider_data_source(j->served_by), err, errlen);
}

/* Each symbol stored as it arrives (its own unit, as `sigmactl fetch`); a
 * database gone past its retries stops the cascade: the batch is retried. */
static int prices_done(sg_fetch_job *j, void *arg)
{
    prices_ctx *k = arg;
    wk_outcome *o = &k->out[k->slot[j - k->jobs]];
    char err[1024];
    if (j->status != SG_FETCH_OK) {
        snprintf(err, sizeof err, "not fetched (%s): %s",
                 j->status == SG_FETCH_FAILED ? "providers failing" : "no provider has it", j->why);
        set_failed(o, err);
    } else if (j->bars.n && sg_store_unit(k->env->store, "write bars", write_bars, j, err, sizeof err)) {
        if (sg_store_unreachable(k->env->store))
            k->transient = true;
        else
            set_failed(o, err);
    } else
        set_ok(o, (int64_t)j->bars.n, j->bars.n ? NULL : "nothing traded in the window");
    sg_bars_free(&j->bars);
    return k->transient;
}

static int run_prices(wk_env *env, sg_day date, const char *const *symbols, const sg_day *from, size_t n,
                      wk_outcome *out, char *err, size_t errlen)
{
    sg_fetch_window *win = calloc(n, sizeof *win);
    sg_fetch_job *jobs = calloc(n, sizeof *jobs);
    size_t *slot = calloc(n, sizeof *slot), m = 0;
    int rc = -1;
    if (!win || !jobs || !slot) {
        snprintf(err, errlen, "prices: out of memory for %zu symbols", n);
        goto out;
    }
    windows_unit wu = {symbols, from, n, date, win};
    if (sg_store_unit(env->store, "fetch windows", read_windows, &wu, err, errlen)) {
        rc = unit_failed(env, err, out, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (win[i].skip) {
            set_ok(&out[i], 0, "already stored");
            continue;
        }
        slot[m] = i;
        jobs[m++] = (sg_fetch_job){.symbol = symbols[i], .from = win[i].from, .to = win[i].to};
    }
    prices_ctx k = {env, out, slot, jobs, false};
    int frc = sg_fetch_run(jobs, m, env->order, env->norder, prices_done, &k, err, errlen);
    if (frc < 0 || k.transient) { /* the machinery, or the database: try the batch again later */
        if (k.transient)
            snprintf(err, errlen, "prices: the database is unreachable; bars not stored");
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; jobs && i < m; i++)
        sg_fetch_job_free(&jobs[i]);
    free(jobs);
    free(win);
    free(slot);
    return rc;
}

/* ---- factors and metrics ------------------------------------------------------- */

typedef struct compute_unit {
    sg_compute *c;
    const char *const *symbols;
    size_t n;
    sg_day date;
    bool metrics;
} compute_unit;

static int nothing(sg_store *s, void *arg, char *err, size_t errlen)
{
    (void)s, (void)arg, (void)err, (void)errlen;
    return 0;
}

/* The read runs its own read-only transaction (a cursor), so it is no unit of
 * work; an empty unit first reconnects, with sg_store_unit's retries, when
 * the connection was lost. 0, -1 transient, 1 failed (err). */
static int load(wk_env *env, compute_unit *u, char *err, size_t errlen)
{
    if (PQstatus(sg_store_conn(env->store)) != CONNECTION_OK &&
        sg_store_unit(env->store, "reconnect", nothing, NULL, err, errlen))
        return sg_store_unreachable(env->store) ? -1 : 1;
    if (sg_compute_load(u->c, env->store, u->symbols, u->n, u->date, err, errlen) == 0)
        return 0;
    return PQstatus(sg_store_conn(env->store)) != CONNECTION_OK ? -1 : 1;
}

static int write_rows(sg_store *s, void *arg, char *err, size_t errlen)
{
    compute_unit *u = arg;
    if (u->metrics)
        return sg_compute_write_metrics(s, u->c, u->date, NULL, err, errlen);
    return sg_compute_write_factors(s, u->c, u->date, err, errlen);
}

/* The outcome of symbol i: factors are ok with their row count, or failed
 * with the engine's reasons; metrics are ok with their one row. */
static void compute_outcome(const sg_compute *c, size_t i, bool metrics, wk_outcome *o)
{
    char why[SG_MSG_REASON_MAX + 1];
    size_t rows = sg_compute_symbol_rows(c, i);
    sg_compute_symbol_why(c, i, why, sizeof why);
    if (metrics)
        set_ok(o, 1, NULL);
    else if (rows == 0)
        set_failed(o, why[0] ? why : "the engine wrote no factor row");
    else
        set_ok(o, (int64_t)rows, why); /* the steps that did not write a row, as a note */
}

static int run_compute(wk_env *env, bool metrics, sg_day date, const char *const *symbols, size_t n, wk_outcome *out,
                       char *err, size_t errlen)
{
    sg_compute c;
    memset(&c, 0, sizeof c);
    compute_unit u = {&c, symbols, n, date, metrics};
    double t0 = sg_clock_ms(), t1 = 0, t2 = 0;
    int rc = 0, lrc = load(env, &u, err, errlen);
    char d[SG_DATE_LEN];
    t1 = sg_clock_ms();
    if (lrc) {
        rc = lrc < 0 ? -1 : 0;
        if (lrc > 0)
            fail_all(out, n, err);
    } else if (!sg_compute_has_data(&c, date)) {
        snprintf(err, errlen,
                 "nothing to compute for %s: no stored close in the %d days up to it for these symbols or the"
                 " factor ETFs (hint: the prices phase, or import-prices, first)",
                 sg_day_format(date, d), SG_COMPUTE_RECENT_DAYS);
        fail_all(out, n, err);
    } else if (sg_compute_factors(&c, date, SG_PIPELINE_V2, err, errlen) ||
               (metrics && sg_compute_metrics(&c, date, SG_METRICS_TRADING, SG_PIPELINE_V2, err, errlen))) {
        fail_all(out, n, err);
    } else if ((t2 = sg_clock_ms()), sg_store_unit(env->store, metrics ? "write metrics" : "write factors", write_rows,
                                                    &u, err, errlen)) {
        rc = unit_failed(env, err, out, n);
    } else {
        for (size_t i = 0; i < n; i++)
            compute_outcome(&c, i, metrics, &out[i]);
        /* -v -v: where a batch's time goes (bench/pipeline reads these lines) */
        sg_log(SG_LOG_DEBUG, "timing: %s %zu symbols: read %.1f ms, engine %.1f ms, write %.1f ms",
               metrics ? "metrics" : "factors", n, t1 - t0, t2 - t1, sg_clock_ms() - t2);
    }
    sg_compute_free(&c);
    return rc;
}

int wk_phase_run(wk_env *env, sg_phase phase, sg_day date, const char *const *symbols, const sg_day *from, size_t n,
                 wk_outcome *out, char *err, size_t errlen)
{
    switch (phase) {
    case SG_PHASE_PRICES: return run_prices(env, date, symbols, from, n, out, err, errlen);
    case SG_PHASE_FACTORS: return run_compute(env, false, date, symbols, n, out, err, errlen);
    case SG_PHASE_METRICS: return run_compute(env, true, date, symbols, n, out, err, errlen);
    default: break; /* onboarding and prices_bulk never get here (batch.c) */
    }
    fail_all(out, n, "this worker does not serve the phase");
    return 0;
}
