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

int sg_runs_bulk_plan(sg_store *s, sg_day calc, const char *const *symbols, size_t n, sg_run_bulk_plan *out,
                      char *err, size_t errlen)
{
    sg_provider order[SG_NPROVIDERS], p;
    memset(out, 0, sizeof *out);
    int norder = sg_provider_order(sg_config_get("provider.order"), order);
    if (norder <= 0 || !sg_bulk_provider(order, norder, &p) || n == 0)
        return 0; /* no bulk provider: every symbol is fetched alone, as before */
    sg_fetch_window *win = calloc(n, sizeof *win);
    sg_bulk_need *need = calloc(n, sizeof *need);
    const char **stage = calloc(n, sizeof *stage), **from = calloc(n, sizeof *from);
    char(*text)[SG_DATE_LEN] = calloc(n + SG_BULK_HORIZON + 1, sizeof *text);
    const char **days = calloc(SG_BULK_HORIZON + 1, sizeof *days);
    sg_bulk_plan plan = {0};
    int rc = -1;
    if (!win || !need || !stage || !from || !text || !days) {
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
    rc = 0;
    if (plan.ndays == 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (plan.waits[i]) {
            stage[i] = "bulk";
            from[i] = sg_day_format(win[i].from, text[i]);
        }
    for (size_t d = 0; d < plan.ndays; d++)
        days[d] = sg_day_format(plan.days[d], text[n + d]);
    out->stage = sg_store_text_array(stage, n);
    out->from = sg_store_text_array(from, n);
    out->days = sg_store_text_array(days, plan.ndays);
    if (!out->stage || !out->from || !out->days) {
        sg_runs_bulk_plan_free(out);
        snprintf(err, errlen, "bulk plan: out of memory");
        rc = -1;
        goto out;
    }
    out->ndays = plan.ndays;
    out->nwaiting = plan.nwaiting;
    days_text(&plan, out->days_text, sizeof out->days_text);
    snprintf(out->provider, sizeof out->provider, "%s", sg_provider_name(p));
out:
    sg_bulk_plan_free(&plan);
    free(win);
    free(need);
    free(stage);
    free(from);
    free(text);
    free(days);
    return rc;
}

int sg_runs_bulk_plan_days(sg_store *s, const char *run, const sg_run_bulk_plan *p, char *err, size_t errlen)
{
    if (!p->ndays)
        return 0;
    return run_sql(s, "bulk plan: days", "INSERT INTO sigma_run_bulk (batch_run_id, day) SELECT $1, unnest($2::date[])",
                   2, (const char *const[]){run, p->days}, err, errlen);
}

void sg_runs_bulk_plan_free(sg_run_bulk_plan *p)
{
    free(p->stage);
    free(p->from);
    free(p->days);
    p->stage = p->from = p->days = NULL;
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
        /* Covered: a stored bar of every bulk day after the symbol's fetch_from.
         * Written row by row (correlated subqueries on the row's own keys), so
         * its cost is linear in the run's rows whatever the planner believes of
         * a ledger written minutes ago (a join planned on stale statistics ran
         * for minutes at 10,000 symbols). */
        r = sg_store_query(
            s, "bulk days: covered symbols",
            "UPDATE sigma_run_outcomes o SET outcome = 'ok', recorded_at = now(),"
            " (rows_written, worker, elapsed_ms, reason) = (SELECT count(*), max(k.worker), coalesce(max(k.elapsed_ms), 0),"
            "   left('covered by the bulk daily bars of ' || string_agg(to_char(k.day, 'YYYY-MM-DD'), ' ' ORDER BY k.day), 500)"
            "   FROM sigma_run_bulk k WHERE k.batch_run_id = o.batch_run_id AND k.day > o.fetch_from)"
            " WHERE o.batch_run_id = $1 AND o.phase = 'prices' AND o.stage = 'bulk' AND o.outcome IS NULL"
            " AND (SELECT count(*) FROM sigma_run_bulk k WHERE k.batch_run_id = o.batch_run_id AND k.day > o.fetch_from"
            "   AND NOT EXISTS (SELECT 1 FROM market_data_cache m WHERE m.symbol = o.symbol AND m.date = k.day)) = 0"
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
