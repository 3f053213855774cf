/*
 * runs_bulk.c - the bulk days of a run's prices phase in the ledger (see
 * runs.h, "bulk days", and docs/pipeline.md, "Bulk days").
 *
 * The flow, each step a transaction, so a crash anywhere means redelivery:
 *   open (producer)   the plan: sigma_run_bulk rows, waiting symbols at stage
 *                     'bulk' with fetch_from; the fan-out publishes a
 *                     prices_bulk task per day and prices tasks for the rest;
 *   a bulk task       (worker) share-locks the run, reads who waits for its
 *                     day, stores their bars, commits, answers one event;
 *   the bulk event    (coordinator) recorded in sigma_run_bulk; when every
 *                     day has one, the resolution: covered symbols get their
 *                     outcome, the others stage 'alone' (published next by
 *                     the producer, which a NOTIFY wakes).
 * Coverage is read from market_data_cache, never from what an event claims:
 * a symbol is covered when its bars of every bulk day after its fetch_from
 * are stored, so its last_price_date moved with them.
 */
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "config.h"
#include "log.h"
#include "store_io.h"

static int run_sql(sg_store *s, const char *what, const char *sql, int n, const char *const *p, char *err,
                   size_t errlen)
{
    PGresult *r = sg_store_query(s, what, sql, n, p, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

/* ---- the plan ---------------------------------------------------------------------- */

/* "2025-07-15", or "2025-07-11..2025-07-15 (3 days)". */
static void days_text(const sg_bulk_plan *p, char *buf, size_t len)
{
    char a[SG_DATE_LEN], b[SG_DATE_LEN];
    if (p->ndays == 1)
        snprintf(buf, len, "%s", sg_day_format(p->days[0], a));
    else
        snprintf(buf, len, "%s..%s (%zu days)", sg_day_format(p->days[0], a), sg_day_format(p->days[p->ndays - 1], b),
                 p->ndays);
}

/* Writes a plan: its days, and the waiting symbols' stage and fetch_from. */
static int write_plan(sg_store *s, const char *run, const char *const *symbols, const sg_fetch_window *win,
                      const sg_bulk_plan *plan, size_t n, char *err, size_t errlen)
{
    const char **sym = calloc(plan->nwaiting + 1, sizeof *sym), **from = calloc(plan->nwaiting + 1, sizeof *from),
               **days = calloc(plan->ndays + 1, sizeof *days);
    char (*text)[SG_DATE_LEN] = calloc(plan->nwaiting + plan->ndays + 1, sizeof *text);
    char *p[3] = {NULL, NULL, NULL};
    int rc = -1;
    if (sym && from && days && text) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (plan->waits[i]) {
                sym[k] = symbols[i];
                from[k] = sg_day_format(win[i].from, text[k]);
                k++;
            }
        for (size_t d = 0; d < plan->ndays; d++)
            days[d] = sg_day_format(plan->days[d], text[k + d]);
        p[0] = sg_store_text_array(days, plan->ndays);
        p[1] = sg_store_text_array(sym, k);
        p[2] = sg_store_text_array(from, k);
    }
    if (!p[0] || !p[1] || !p[2])
        snprintf(err, errlen, "bulk plan: out of memory");
    else
        rc = run_sql(s, "bulk plan: days",
                     "INSERT INTO sigma_run_bulk (batch_run_id, day) SELECT $1, unnest($2::date[])", 2,
                     (const char *const[]){run, p[0]}, err, errlen) ||
                     run_sql(s, "bulk plan: waiting symbols",
                             "UPDATE sigma_run_outcomes o SET stage = 'bulk', fetch_from = w.f"
                             " FROM unnest($2::text[], $3::date[]) AS w(symbol, f)"
                             " WHERE o.batch_run_id = $1 AND o.phase = 'prices' AND o.symbol = w.symbol"
                             " AND o.outcome IS NULL",
                             3, (const char *const[]){run, p[1], p[2]}, err, errlen)
                 ? -1
                 : 0;
    for (int i = 0; i < 3; i++)
        free(p[i]);
    free(sym);
    free(from);
    free(days);
    free(text);
    return rc;
}

int sg_runs_bulk_plan(sg_store *s, const char *run, sg_day calc, const char *const *symbols, size_t n,
                      sg_run_opened *o, char *err, size_t errlen)
{
    sg_provider order[SG_NPROVIDERS], p;
    int norder = sg_provider_order(sg_config_get("provider.order"), order);
    if (norder <= 0 || !sg_bulk_provider(order, norder, &p) || n == 0)
        return 0; /* no bulk provider: every symbol is fetched alone, as before */
    sg_fetch_window *win = calloc(n, sizeof *win);
    sg_bulk_need *need = calloc(n, sizeof *need);
    sg_bulk_plan plan = {0};
    int rc = -1;
    if (!win || !need) {
        snprintf(err, errlen, "bulk plan: out of memory for %zu symbols", n);
        goto out;
    }
    if (sg_store_fetch_windows(s, symbols, n, calc, win, err, errlen))
        goto out;
    for (size_t i = 0; i < n; i++)
        need[i] = (sg_bulk_need){win[i].incremental, win[i].from};
    if (sg_bulk_plan_make(need, n, calc, (long)sg_config_number("provider.bulk_min_symbols"), &plan)) {
        snprintf(err, errlen, "bulk plan: out of memory");
        goto out;
    }
    rc = plan.ndays ? write_plan(s, run, symbols, win, &plan, n, err, errlen) : 0;
    if (rc == 0 && plan.ndays) {
        o->bulk_days = plan.ndays;
        o->waiting = plan.nwaiting;
        days_text(&plan, o->bulk_days_text, sizeof o->bulk_days_text);
        snprintf(o->bulk_provider, sizeof o->bulk_provider, "%s", sg_provider_name(p));
    }
out:
    sg_bulk_plan_free(&plan);
    free(win);
    free(need);
    return rc;
}

/* ---- a bulk event ------------------------------------------------------------------- */

int sg_runs_bulk_record(sg_store *s, const sg_event *e, sg_run_record *out, char *err, size_t errlen)
{
    char day[SG_DATE_LEN], rows[24], elapsed[24];
    snprintf(rows, sizeof rows, "%lld", (long long)e->rows);
    snprintf(elapsed, sizeof elapsed, "%lld", (long long)e->elapsed_ms);
    const char *p[7] = {e->run, sg_day_format(e->day, day), sg_outcome_name(e->outcome), e->reason, rows, e->worker,
                        elapsed};
    /* the subquery sees the row as it was: a recorded outcome replaced is an upgrade */
    PGresult *r = sg_store_query(s, "record bulk outcome",
                                 "UPDATE sigma_run_bulk k SET outcome = $3, reason = $4, rows_written = $5::bigint,"
                                 " worker = $6, elapsed_ms = $7::bigint, recorded_at = now()"
                                 " WHERE k.batch_run_id = $1 AND k.day = $2::date"
                                 " AND (k.outcome IS NULL OR (k.outcome = 'failed' AND $3 = 'ok'))"
                                 " RETURNING (SELECT p.outcome FROM sigma_run_bulk p WHERE p.batch_run_id = $1"
                                 "  AND p.day = $2::date) IS NOT NULL",
                                 7, p, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        *out = PQgetvalue(r, 0, 0)[0] == 't' ? SG_RECORD_UPGRADED : SG_RECORD_NEW;
        PQclear(r);
        return 0;
    }
    PQclear(r);
    r = sg_store_query(s, "record bulk duplicate",
                       "UPDATE sigma_run_bulk SET duplicates = duplicates + 1 WHERE batch_run_id = $1 AND day = $2::date"
                       " RETURNING 1",
                       2, p, err, errlen);
    if (!r)
        return -1;
    *out = PQntuples(r) ? SG_RECORD_DUPLICATE : SG_RECORD_UNKNOWN;
    PQclear(r);
    return 0;
}

/* ---- the resolution ------------------------------------------------------------------- */

int sg_runs_bulk_resolve(sg_store *s, const char *run, long *covered, long *alone, char *err, size_t errlen)
{
    long c = 0, a = 0;
    PGresult *r = sg_store_query(s, "bulk days: pending",
                                 "SELECT count(*), count(*) FILTER (WHERE outcome IS NULL) FROM sigma_run_bulk"
                                 " WHERE batch_run_id = $1",
                                 1, &run, err, errlen);
    if (!r)
        return -1;
    bool ready = atol(PQgetvalue(r, 0, 0)) > 0 && atol(PQgetvalue(r, 0, 1)) == 0;
    PQclear(r);
    if (ready) {
        /* Covered: a stored bar of every bulk day after the symbol's fetch_from. */
        r = sg_store_query(
            s, "bulk days: covered symbols",
            "WITH w AS (SELECT o.symbol, count(*) AS days, bool_and(m.symbol IS NOT NULL) AS stored,"
            "   string_agg(to_char(k.day, 'YYYY-MM-DD'), ' ' ORDER BY k.day) AS list, max(k.worker) AS worker,"
            "   max(k.elapsed_ms) AS elapsed"
            "  FROM sigma_run_outcomes o JOIN sigma_run_bulk k ON k.batch_run_id = o.batch_run_id AND k.day > o.fetch_from"
            "  LEFT JOIN market_data_cache m ON m.symbol = o.symbol AND m.date = k.day"
            "  WHERE o.batch_run_id = $1 AND o.phase = 'prices' AND o.stage = 'bulk' AND o.outcome IS NULL"
            "  GROUP BY o.symbol)"
            " UPDATE sigma_run_outcomes o SET outcome = 'ok', rows_written = w.days, worker = w.worker,"
            "  elapsed_ms = coalesce(w.elapsed, 0), recorded_at = now(),"
            "  reason = left('covered by the bulk daily bars of ' || w.list, 500)"
            " FROM w WHERE w.stored AND o.batch_run_id = $1 AND o.phase = 'prices' AND o.symbol = w.symbol"
            " RETURNING 1",
            1, &run, err, errlen);
        if (!r)
            return -1;
        c = PQntuples(r);
        PQclear(r);
        /* The rest: a prices task of their own (attempt 0: the producer publishes it). */
        r = sg_store_query(s, "bulk days: the rest alone",
                           "UPDATE sigma_run_outcomes SET stage = 'alone' WHERE batch_run_id = $1 AND phase = 'prices'"
                           " AND stage = 'bulk' AND outcome IS NULL RETURNING 1",
                           1, &run, err, errlen);
        if (!r)
            return -1;
        a = PQntuples(r);
        PQclear(r);
        if (a && run_sql(s, "bulk days: wake the producer", "SELECT pg_notify('sigma_run_requests', $1)", 1, &run, err,
                         errlen))
            return -1;
    }
    if (covered)
        *covered = c;
    if (alone)
        *alone = a;
    return 0;
}

int sg_runs_bulk_deadline(sg_store *s, const char *run, char *err, size_t errlen)
{
    return run_sql(s, "bulk days: deadline",
                   "UPDATE sigma_run_bulk SET outcome = 'failed', reason = 'timed out', recorded_at = now()"
                   " WHERE batch_run_id = $1 AND outcome IS NULL",
                   1, &run, err, errlen);
}

/* ---- who waits for a day (the worker) ------------------------------------------------------ */

int sg_runs_bulk_waiting(sg_store *s, const char *run, sg_day day, bool lock, char ***symbols, size_t *n, char *err,
                         size_t errlen)
{
    char d[SG_DATE_LEN];
    const char *p[2] = {run, sg_day_format(day, d)};
    *symbols = NULL;
    *n = 0;
    if (lock) { /* the resolution takes this row FOR UPDATE: it waits for our commit, or we see its result */
        PGresult *r = sg_store_query(s, "bulk: lock the run",
                                     "SELECT 1 FROM sigma_runs WHERE batch_run_id = $1 AND closed_at IS NULL FOR SHARE",
                                     1, p, err, errlen);
        if (!r)
            return -1;
        bool open = PQntuples(r) == 1;
        PQclear(r);
        if (!open)
            return 0;
    }
    PGresult *r = sg_store_query(s, "bulk: waiting symbols",
                                 "SELECT symbol FROM sigma_run_outcomes WHERE batch_run_id = $1 AND phase = 'prices'"
                                 " AND stage = 'bulk' AND outcome IS NULL AND fetch_from < $2::date"
                                 " ORDER BY symbol COLLATE \"C\"",
                                 2, p, err, errlen);
    if (!r)
        return -1;
    char **v = calloc((size_t)PQntuples(r) + 1, sizeof *v);
    for (int i = 0; v && i < PQntuples(r); i++)
        if (!(v[i] = strdup(PQgetvalue(r, i, 0)))) {
            sg_strings_free(v, (size_t)i);
            v = NULL;
        }
    size_t k = v ? (size_t)PQntuples(r) : 0;
    PQclear(r);
    if (!v) {
        snprintf(err, errlen, "bulk: out of memory");
        return -1;
    }
    *symbols = v;
    *n = k;
    return 0;
}
