/*
 * runs.c - see runs.h and docs/pipeline.md ("The ledger").
 *
 * Every function that writes is either a unit of work of its own
 * (sg_store_unit: it may run twice, so it starts from scratch) or runs inside
 * the caller's unit (the coordinator's batch). Uniqueness is the database's:
 * one pending request per date and one open run per date are partial unique
 * indexes, one outcome per (run, phase, symbol) is "WHERE outcome IS NULL"
 * (or a failure an ok replaces).
 */
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "store_io.h"

const char *const sg_runs_etfs[8] = {"SPY", "VTV", "VUG", "MTUM", "QUAL", "IWM", "USMV", "TLT"};

/* A query whose result the caller only needs to succeed. */
static int run_sql(sg_store *s, const char *what, const char *sql, int n, const char *const *p, char *err,
                   size_t errlen)
{
    PGresult *r = sg_store_query(s, what, sql, n, p, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

/* ---- requests ------------------------------------------------------------------ */

int sg_runs_today(sg_store *s, sg_day *out, char *err, size_t errlen)
{
    PGresult *r = sg_store_query(s, "today in New York",
                                 "SELECT to_char((now() AT TIME ZONE 'America/New_York')::date, 'YYYY-MM-DD')", 0, NULL,
                                 err, errlen);
    if (!r)
        return -1;
    const char *d = PQgetvalue(r, 0, 0), *why;
    int rc = sg_day_parse(d, strlen(d), out, &why);
    if (rc)
        snprintf(err, errlen, "today in New York: the database's date '%s': %s", d, why);
    PQclear(r);
    return rc;
}

struct request_arg {
    const char *date, *symbols, *by;
    sg_run_request *out;
};

static int request_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct request_arg *a = arg;
    const char *p[3] = {a->date, a->symbols, a->by};
    PGresult *r = sg_store_query(s, "run request: open run",
                                 "SELECT batch_run_id, phase FROM sigma_runs WHERE calc_date = $1::date AND closed_at IS NULL",
                                 1, p, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        a->out->kind = SG_REQUEST_OPEN;
        copy_text(a->out->run, sizeof a->out->run, PQgetvalue(r, 0, 0));
        copy_text(a->out->phase, sizeof a->out->phase, PQgetvalue(r, 0, 1));
        PQclear(r);
        return 0;
    }
    PQclear(r);
    r = sg_store_query(s, "run request: insert",
                       "INSERT INTO sigma_run_requests (calc_date, symbols, requested_by) VALUES ($1::date, $2::text[], $3)"
                       " ON CONFLICT (calc_date) WHERE status = 'pending' DO NOTHING RETURNING id",
                       3, p, err, errlen);
    if (!r)
        return -1;
    a->out->kind = SG_REQUEST_NEW;
    if (PQntuples(r) == 0) { /* a request for the date waits already */
        PQclear(r);
        a->out->kind = SG_REQUEST_PENDING;
        r = sg_store_query(s, "run request: pending",
                           "SELECT id FROM sigma_run_requests WHERE calc_date = $1::date AND status = 'pending'", 1, p,
                           err, errlen);
        if (!r)
            return -1;
        if (PQntuples(r) != 1) { /* handled meanwhile: the next try sees its run */
            PQclear(r);
            snprintf(err, errlen, "run request: the pending request for %s was just taken; try again", a->date);
            return -1;
        }
    }
    a->out->id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int sg_runs_request(sg_store *s, sg_day date, const char *const *symbols, size_t n, const char *by,
                    sg_run_request *out, char *err, size_t errlen)
{
    char d[SG_DATE_LEN];
    char *arr = symbols ? sg_store_text_array(symbols, n) : NULL;
    if (symbols && !arr) {
        snprintf(err, errlen, "run request: out of memory");
        return -1;
    }
    memset(out, 0, sizeof *out);
    struct request_arg a = {sg_day_format(date, d), arr, by, out};
    int rc = sg_store_unit(s, "run request", request_unit, &a, err, errlen);
    free(arr);
    return rc;
}

/* ---- opening a run ----------------------------------------------------------------- */

/* The run's symbols: the request's, or the symbol list of FACTOR_SPEC §1.2
 * (the first *nlist of *out: what factors and metrics are computed for);
 * plus the factor ETFs (prices only: inputs, as in FACTOR_SPEC §1.2 step 4). */
static int run_symbols(sg_store *s, sg_day calc, PGresult *req, char ***out, size_t *n, size_t *nlist, char *err,
                       size_t errlen)
{
    char **v = NULL, **refused = NULL;
    size_t nv = 0, nrefused = 0;
    if (PQgetisnull(req, 0, 2)) {
        if (sg_store_symbol_list(s, calc, &v, &nv, &refused, &nrefused, err, errlen))
            return -1;
        for (size_t i = 0; i < nrefused; i++)
            sg_log(SG_LOG_WARN, "run of %s: left out: %s", PQgetvalue(req, 0, 1), refused[i]);
        sg_strings_free(refused, nrefused);
    } else {
        PGresult *r = sg_store_query(s, "run symbols", "SELECT unnest($1::text[])", 1,
                                     (const char *const[]){PQgetvalue(req, 0, 2)}, err, errlen);
        if (!r)
            return -1;
        v = calloc((size_t)PQntuples(r) + 1, sizeof *v);
        for (int i = 0; v && i < PQntuples(r); i++)
            if ((v[nv] = strdup(PQgetvalue(r, i, 0))))
                nv++;
        PQclear(r);
    }
    *nlist = nv;
    char **all = v ? realloc(v, (nv + 8) * sizeof *v) : NULL;
    if (!all) {
        sg_strings_free(v, nv);
        snprintf(err, errlen, "run symbols: out of memory");
        return -1;
    }
    for (size_t i = 0; i < 8; i++) {
        bool have = false;
        for (size_t j = 0; j < nv && !have; j++)
            have = strcmp(all[j], sg_runs_etfs[i]) == 0;
        if (!have && (all[nv] = strdup(sg_runs_etfs[i])))
            nv++;
    }
    *out = all;
    *n = nv;
    return 0;
}

struct open_arg {
    const char *by;
    sg_run_opened *out;
};

/* Joins the request to the open run of its date, when there is one (1). */
static int join_open(sg_store *s, const char *id, const char *date, sg_run_opened *o, char *err, size_t errlen)
{
    const char *p[2] = {id, date};
    PGresult *r = sg_store_query(s, "run request: join",
                                 "UPDATE sigma_run_requests q SET status = 'joined', handled_at = now(),"
                                 " batch_run_id = r.batch_run_id FROM sigma_runs r"
                                 " WHERE q.id = $1::bigint AND r.calc_date = $2::date AND r.closed_at IS NULL"
                                 " RETURNING r.batch_run_id",
                                 2, p, err, errlen);
    if (!r)
        return -1;
    int joined = PQntuples(r) == 1;
    if (joined) {
        o->joined = true;
        copy_text(o->run, sizeof o->run, PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return joined;
}

static int insert_run(sg_store *s, PGresult *req, const char *run, const char *by, char **sym, size_t n, size_t nlist,
                      const sg_run_bulk_plan *plan, char *err, size_t errlen)
{
    char total[32];
    snprintf(total, sizeof total, "%zu", n + 2 * nlist);
    char *arr = sg_store_text_array((const char *const *)sym, n);
    char *list = sg_store_text_array((const char *const *)sym, nlist);
    if (!arr || !list) {
        free(arr);
        free(list);
        snprintf(err, errlen, "open run: out of memory");
        return -1;
    }
    const char *p[6] = {run, by, PQgetvalue(req, 0, 1), total, PQgetvalue(req, 0, 0), arr};
    int rc = run_sql(s, "open run: batch_run_history",
                     "INSERT INTO batch_run_history (batch_run_id, triggered_by, started_at, status, total_jobs,"
                     " error_summary) VALUES ($1, $2, now(), 'running', $4::int,"
                     " jsonb_build_object('batch_type', 'nightly', 'calc_date', $3::text))",
                     4, p, err, errlen) ||
             run_sql(s, "open run: sigma_runs",
                     "INSERT INTO sigma_runs (batch_run_id, calc_date, request_id, symbols, phase)"
                     " VALUES ($1, $2::date, $3::bigint, $4::text[], 'prices')",
                     4, (const char *const[]){run, p[2], p[4], list}, err, errlen) ||
             /* A symbol that already holds D needs no prices task: its outcome is
              * known now, the one a worker would send (its fetch window is empty),
              * and the fan-out publishes only what has none. */
             /* The bulk plan's symbols (stage 'bulk', fetch_from) wait for the bulk days: no task of their own. */
             run_sql(s, "open run: ledger",
                     "INSERT INTO sigma_run_outcomes (batch_run_id, phase, symbol, outcome, reason, rows_written,"
                     " worker, elapsed_ms, recorded_at, stage, fetch_from)"
                     " SELECT $1, 'prices', u.symbol, CASE WHEN h.held THEN 'ok' END,"
                     "  CASE WHEN h.held THEN 'already holds ' || $3 || ' when the run opened' END,"
                     "  CASE WHEN h.held THEN 0 END, CASE WHEN h.held THEN $4 END, CASE WHEN h.held THEN 0 END,"
                     "  CASE WHEN h.held THEN now() END, CASE WHEN h.held IS NULL THEN u.stage END,"
                     "  CASE WHEN h.held IS NULL THEN u.fetch_from END"
                     " FROM unnest($2::text[], $5::text[], $6::date[]) AS u(symbol, stage, fetch_from)"
                     " LEFT JOIN LATERAL (SELECT true AS held FROM market_data_cache m"
                     "  WHERE m.symbol = u.symbol AND m.date = $3::date LIMIT 1) h ON true"
                     " WHERE u.symbol IS NOT NULL",
                     6, (const char *const[]){run, arr, p[2], by, plan->stage, plan->from}, err, errlen) ||
             run_sql(s, "open run: request",
                     "UPDATE sigma_run_requests SET status = 'started', handled_at = now(), batch_run_id = $1"
                     " WHERE id = $2::bigint",
                     2, (const char *const[]){run, p[4]}, err, errlen);
    free(arr);
    free(list);
    return rc;
}

static int open_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct open_arg *a = arg;
    sg_run_opened *o = a->out;
    memset(o, 0, sizeof *o);
    PGresult *req = sg_store_query(s, "pending request",
                                   "SELECT id, calc_date::text, symbols FROM sigma_run_requests WHERE status = 'pending'"
                                   " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                                   0, NULL, err, errlen);
    if (!req)
        return -1;
    int rc = 0;
    if (PQntuples(req) == 1) {
        o->any = true;
        o->request = atoll(PQgetvalue(req, 0, 0));
        rc = join_open(s, PQgetvalue(req, 0, 0), PQgetvalue(req, 0, 1), o, err, errlen);
        if (rc == 0) {
            sg_day calc;
            const char *why;
            char **sym = NULL;
            size_t n = 0, nlist = 0;
            double t0 = sg_clock_ms();
            snprintf(o->run, sizeof o->run, "nightly-%s-r%s", PQgetvalue(req, 0, 1), PQgetvalue(req, 0, 0));
            rc = sg_day_parse(PQgetvalue(req, 0, 1), strlen(PQgetvalue(req, 0, 1)), &calc, &why) ? -1 : 0;
            if (rc)
                snprintf(err, errlen, "pending request %s: date '%s': %s", PQgetvalue(req, 0, 0),
                         PQgetvalue(req, 0, 1), why);
            else
                rc = run_symbols(s, calc, req, &sym, &n, &nlist, err, errlen);
            /* the bulk days, in the same transaction: a run is opened with its plan or not at all */
            sg_run_bulk_plan plan = {0};
            double t1 = sg_clock_ms(), t2 = t1, t3 = t1;
            if (rc == 0)
                rc = sg_runs_bulk_plan(s, calc, (const char *const *)sym, n, &plan, err, errlen);
            if (rc == 0)
                rc = insert_run(s, req, (t2 = sg_clock_ms(), o->run), a->by, sym, n, nlist, &plan, err, errlen);
            if (rc == 0)
                rc = sg_runs_bulk_plan_days(s, o->run, &plan, err, errlen);
            t3 = sg_clock_ms();
            /* -v -v: where opening a run goes (bench/pipeline reads these lines) */
            sg_log(SG_LOG_DEBUG, "timing: open %s: %zu symbols: list %.1f ms, bulk plan %.1f ms, ledger %.1f ms", o->run,
                   n, t1 - t0, t2 - t1, t3 - t2);
            if (rc == 0 && plan.ndays) {
                o->bulk_days = plan.ndays;
                o->waiting = plan.nwaiting;
                snprintf(o->bulk_days_text, sizeof o->bulk_days_text, "%s", plan.days_text);
                snprintf(o->bulk_provider, sizeof o->bulk_provider, "%s", plan.provider);
            }
            sg_runs_bulk_plan_free(&plan);
            o->nsymbols = n;
            sg_strings_free(sym, n);
        }
    }
    PQclear(req);
    return rc < 0 ? -1 : 0;
}

int sg_runs_open_next(sg_store *s, const char *triggered_by, sg_run_opened *out, char *err, size_t errlen)
{
    struct open_arg a = {triggered_by, out};
    return sg_store_unit(s, "open run", open_unit, &a, err, errlen);
}

int sg_runs_list(sg_store *s, const char *phase, bool unfanned, char ***ids, size_t *n, char *err, size_t errlen)
{
    const char *p[2] = {phase, unfanned ? "t" : "f"};
    /* unfanned: the phase's fan-out is unfinished, or some of its tasks were
     * never published (the symbols a bulk day did not cover: attempt 0) */
    PGresult *r = sg_store_query(s, "open runs",
                                 "SELECT batch_run_id FROM sigma_runs r WHERE closed_at IS NULL"
                                 " AND ($1::text IS NULL OR phase = $1) AND (NOT $2::boolean OR NOT fanned_out"
                                 "  OR EXISTS (SELECT 1 FROM sigma_run_outcomes o WHERE o.batch_run_id = r.batch_run_id"
                                 "   AND o.phase = r.phase AND o.outcome IS NULL AND o.attempt = 0 AND o.stage = 'alone'))"
                                 " ORDER BY created_at",
                                 2, p, err, errlen);
    if (!r)
        return -1;
    *n = 0;
    *ids = calloc((size_t)PQntuples(r) + 1, sizeof **ids);
    for (int i = 0; *ids && i < PQntuples(r); i++)
        if (((*ids)[*n] = strdup(PQgetvalue(r, i, 0))))
            (*n)++;
    PQclear(r);
    if (!*ids) {
        snprintf(err, errlen, "open runs: out of memory");
        return -1;
    }
    return 0;
}

/* ---- fan-out --------------------------------------------------------------------------- */

struct fan_arg {
    const char *run, *phase;
    PGresult *todo; /* calc_date, phase, symbol, attempt, from, day, the run's phase */
};

/* Counts the publication first: a crash after this commit only makes the
 * next attempt number larger, never a task unpublished and marked.
 * What a fan-out publishes: when the phase is not fanned out, every task
 * without an outcome (after a crash: again); when it is, only the tasks
 * never published (attempt 0: the symbols the bulk days did not cover), and
 * the phase is unmarked until they are acknowledged. Symbols waiting for
 * bulk days (stage 'bulk') have no task: each day has one (prices_bulk),
 * listed first so the days start before the single symbols. */
static int fan_claim_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct fan_arg *a = arg;
    PQclear(a->todo);
    a->todo = sg_store_query(
        s, "fan-out: claim",
        "WITH r AS (SELECT batch_run_id, calc_date, phase, fanned_out FROM sigma_runs WHERE batch_run_id = $1"
        "   AND closed_at IS NULL AND ($2::text IS NULL OR phase = $2)),"
        " b AS (UPDATE sigma_run_bulk k SET attempt = k.attempt + 1, published_at = now() FROM r"
        "   WHERE k.batch_run_id = r.batch_run_id AND r.phase = 'prices' AND k.outcome IS NULL"
        "   AND (NOT r.fanned_out OR k.attempt = 0)"
        "   RETURNING r.calc_date::text, 'prices_bulk'::text, ''::text, k.attempt, NULL::text, k.day::text, r.phase),"
        " o AS (UPDATE sigma_run_outcomes o SET attempt = o.attempt + 1, published_at = now() FROM r"
        "   WHERE o.batch_run_id = r.batch_run_id AND o.phase = r.phase AND o.outcome IS NULL"
        "   AND o.stage IS DISTINCT FROM 'bulk' AND (NOT r.fanned_out OR o.attempt = 0)"
        "   RETURNING r.calc_date::text, o.phase, o.symbol, o.attempt,"
        "   CASE WHEN o.stage = 'alone' THEN o.fetch_from::text END, NULL::text, r.phase)"
        " SELECT * FROM b UNION ALL SELECT * FROM o",
        2, (const char *const[]){a->run, a->phase}, err, errlen);
    if (!a->todo)
        return -1;
    if (PQntuples(a->todo) && run_sql(s, "fan-out: unmark", "UPDATE sigma_runs SET fanned_out = false"
                                                            " WHERE batch_run_id = $1 AND fanned_out",
                                      1, &a->run, err, errlen))
        return -1;
    return 0;
}

static int fan_mark_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct fan_arg *a = arg;
    const char *p[2] = {a->run, a->phase ? a->phase : PQntuples(a->todo) ? PQgetvalue(a->todo, 0, 6) : NULL};
    return run_sql(s, "fan-out: mark",
                   "UPDATE sigma_runs SET fanned_out = true WHERE batch_run_id = $1 AND closed_at IS NULL"
                   " AND ($2::text IS NULL OR phase = $2)",
                   2, p, err, errlen);
}

static int publish_task(sg_bus *b, const char *run, PGresult *t, int i, sg_msg_buf *buf, char *err, size_t errlen)
{
    sg_task task = {.attempt = atoi(PQgetvalue(t, i, 3))};
    const char *why, *date = PQgetvalue(t, i, 0), *from = PQgetvalue(t, i, 4), *day = PQgetvalue(t, i, 5);
    char key[SG_DATE_LEN];
    if (task.attempt > SG_MSG_ATTEMPT_MAX)
        task.attempt = SG_MSG_ATTEMPT_MAX; /* the schema's limit: later attempts say "100 or more" */
    copy_text(task.run, sizeof task.run, run);
    copy_text(task.symbol, sizeof task.symbol, PQgetvalue(t, i, 2));
    task.has_from = !PQgetisnull(t, i, 4);
    if (sg_phase_parse(PQgetvalue(t, i, 1), &task.phase) || sg_day_parse(date, strlen(date), &task.date, &why) ||
        (task.has_from && sg_day_parse(from, strlen(from), &task.from, &why)) ||
        (!PQgetisnull(t, i, 5) && sg_day_parse(day, strlen(day), &task.day, &why))) {
        snprintf(err, errlen, "fan-out of %s: ledger row %s/%s%s is not a task", run, PQgetvalue(t, i, 1), task.symbol,
                 day);
        return -1;
    }
    if (sg_task_encode(&task, buf, err, errlen))
        return -1;
    return sg_bus_produce(b, sg_bus_topic_name(SG_TOPIC_TASKS), sg_task_key(&task, key), buf->data, buf->len, NULL, err,
                          errlen);
}

int sg_runs_fan_out(sg_store *s, sg_bus *b, const char *run, const char *phase, long *published, char *err,
                    size_t errlen)
{
    struct fan_arg a = {run, phase, NULL};
    if (published)
        *published = 0;
    if (sg_store_unit(s, "fan-out", fan_claim_unit, &a, err, errlen))
        return -1;
    sg_msg_buf buf = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(a.todo); i++)
        rc = publish_task(b, run, a.todo, i, &buf, err, errlen);
    sg_msg_buf_free(&buf);
    if (rc == 0)
        rc = sg_bus_await(b, (int)sg_config_number("bus.timeout_ms"), err, errlen);
    if (rc == 0 && published)
        *published = PQntuples(a.todo);
    if (rc == 0)
        rc = sg_store_unit(s, "fan-out", fan_mark_unit, &a, err, errlen);
    PQclear(a.todo);
    return rc;
}

/* ---- recording outcomes -------------------------------------------------------------------- */

/* The rule (docs/pipeline.md, "Replay"): the first outcome is recorded; a
 * later ok replaces a recorded failure (a replay after the cause was fixed,
 * whatever its attempt: events carry none, and a stale ok is as true as a
 * new one); anything else is a duplicate. An ok is never downgraded, so a
 * late duplicate of a failure cannot undo a replay's success.
 * A batch's events are recorded in two statements, not one or two per event
 * (the coordinator spent 1 ms an event one by one: 35 s of a 10,000-symbol
 * run): the rule applied in the batch's order; every other event of a known
 * row counts in duplicates; the rest are unknown. */
int sg_runs_record_batch(sg_store *s, const sg_event *ev, const bool *skip, size_t n, sg_run_record *out, char *err,
                         size_t errlen)
{
    size_t m = 0;
    const char **col[9];
    char (*num)[3][24] = calloc(n + 1, sizeof *num);
    for (int k = 0; k < 9; k++)
        col[k] = calloc(n + 1, sizeof *col[k]);
    int rc = -1;
    char *arr[9] = {0};
    PGresult *r = NULL;
    for (int k = 0; k < 9; k++)
        if (!col[k])
            num = (free(num), NULL);
    if (!num) {
        snprintf(err, errlen, "record outcomes: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = SG_RECORD_UNKNOWN;
        if (skip[i])
            continue;
        const sg_event *e = &ev[i];
        if (e->phase == SG_PHASE_PRICES_BULK) { /* a bulk day: its own row, in the batch's order */
            if (sg_runs_bulk_record(s, e, &out[i], err, errlen))
                goto done;
            continue;
        }
        snprintf(num[m][0], sizeof num[m][0], "%lld", (long long)e->rows);
        snprintf(num[m][1], sizeof num[m][1], "%lld", (long long)e->elapsed_ms);
        snprintf(num[m][2], sizeof num[m][2], "%zu", i);
        const char *v[9] = {e->run,     e->phase == SG_PHASE_ONBOARDING ? "onboarding" : sg_phase_name(e->phase),
                            e->symbol,  sg_outcome_name(e->outcome),
                            e->reason,  num[m][0],
                            e->worker,  num[m][1],
                            num[m][2]};
        for (int k = 0; k < 9; k++)
            col[k][m] = v[k];
        m++;
    }
    if (m == 0) {
        rc = 0;
        goto done;
    }
    for (int k = 0; k < 9; k++)
        if (!(arr[k] = sg_store_text_array(col[k], m))) {
            snprintf(err, errlen, "record outcomes: out of memory");
            goto done;
        }
    r = sg_store_query(s, "record outcomes",
                       "WITH ev AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
                       "  $6::bigint[], $7::text[], $8::bigint[], $9::int[])"
                       "  AS e(run, phase, symbol, outcome, reason, nrows, worker, elapsed, i)),"
                       /* an ok of the batch wins over its failures: in order, the ok would replace them */
                       " first AS (SELECT DISTINCT ON (run, phase, symbol) * FROM ev"
                       "  ORDER BY run, phase, symbol, outcome = 'ok' DESC, i)"
                       " UPDATE sigma_run_outcomes o SET outcome = f.outcome, reason = f.reason, rows_written = f.nrows,"
                       "  worker = f.worker, elapsed_ms = f.elapsed, recorded_at = now()"
                       " FROM first f WHERE o.batch_run_id = f.run AND o.phase = f.phase AND o.symbol = f.symbol"
                       "  AND (o.outcome IS NULL OR (o.outcome = 'failed' AND f.outcome = 'ok'))"
                       /* the subquery sees the row as it was: a recorded outcome replaced is an upgrade */
                       " RETURNING f.i, (SELECT p.outcome FROM sigma_run_outcomes p WHERE p.batch_run_id = f.run"
                       "  AND p.phase = f.phase AND p.symbol = f.symbol) IS NOT NULL",
                       9, (const char *const *)arr, err, errlen);
    if (!r)
        goto done;
    bool *fresh = calloc(n + 1, sizeof *fresh);
    if (!fresh) {
        snprintf(err, errlen, "record outcomes: out of memory");
        goto done;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        size_t k = (size_t)atoll(PQgetvalue(r, i, 0));
        if (k < n) {
            fresh[k] = true;
            out[k] = PQgetvalue(r, i, 1)[0] == 't' ? SG_RECORD_UPGRADED : SG_RECORD_NEW;
        }
    }
    PQclear(r);
    /* the others: duplicates of a known row */
    size_t d = 0;
    for (size_t j = 0; j < m; j++) {
        size_t i = (size_t)atoll(col[8][j]);
        if (fresh[i])
            continue;
        for (int k = 0; k < 9; k++)
            col[k][d] = col[k][j];
        d++;
    }
    free(fresh);
    r = NULL;
    if (d == 0) {
        rc = 0;
        goto done;
    }
    for (int k = 0; k < 9; k++) {
        free(arr[k]);
        if (!(arr[k] = sg_store_text_array(col[k], d))) {
            snprintf(err, errlen, "record outcomes: out of memory");
            goto done;
        }
    }
    r = sg_store_query(s, "record duplicates",
                       "WITH ev AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS e(run, phase, symbol, i)),"
                       " c AS (SELECT run, phase, symbol, count(*) AS k, array_agg(i) AS idx FROM ev GROUP BY 1, 2, 3),"
                       " u AS (UPDATE sigma_run_outcomes o SET duplicates = o.duplicates + c.k FROM c"
                       "  WHERE o.batch_run_id = c.run AND o.phase = c.phase AND o.symbol = c.symbol RETURNING c.idx)"
                       " SELECT unnest(idx) FROM u",
                       4, (const char *const[]){arr[0], arr[1], arr[2], arr[8]}, err, errlen);
    if (!r)
        goto done;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t k = (size_t)atoll(PQgetvalue(r, i, 0));
        if (k < n)
            out[k] = SG_RECORD_DUPLICATE;
    }
    rc = 0;
done:
    PQclear(r);
    for (int k = 0; k < 9; k++) {
        free(arr[k]);
        free(col[k]);
    }
    free(num);
    return rc;
}

/* ---- phase completion ---------------------------------------------------------------------- */

static const char *next_phase(const char *phase)
{
    return strcmp(phase, "prices") == 0 ? "factors" : strcmp(phase, "factors") == 0 ? "metrics" : NULL;
}

/* The run's counts, status and error_summary from its ledger: completed
 * unless some phase has no ok outcome at all (docs/pipeline.md, "Closing a
 * run"); error_summary keeps batch_type and calc_date and lists the failures
 * (at most 1000, with their count), or none when nothing failed any more. */
static int summarize(sg_store *s, const char *run, char *err, size_t errlen)
{
    return run_sql(
        s, "run counts",
        "WITH c AS (SELECT count(*) FILTER (WHERE outcome = 'ok') AS ok,"
        "   count(*) FILTER (WHERE outcome = 'failed') AS failed, count(*) AS total,"
        "   bool_or(NOT has_ok) AS some_phase_all_failed FROM ("
        "     SELECT o.*, bool_or(outcome = 'ok') OVER (PARTITION BY phase) AS has_ok"
        "     FROM sigma_run_outcomes o WHERE batch_run_id = $1) x),"
        " f AS (SELECT coalesce(jsonb_agg(jsonb_build_object('phase', phase, 'symbol', symbol, 'reason', reason)"
        "   ORDER BY phase, symbol), '[]'::jsonb) AS list FROM (SELECT phase, symbol, reason FROM sigma_run_outcomes"
        "   WHERE batch_run_id = $1 AND outcome = 'failed' ORDER BY phase, symbol LIMIT 1000) y)"
        " UPDATE batch_run_history h SET"
        "   status = CASE WHEN c.some_phase_all_failed THEN 'failed' ELSE 'completed' END,"
        "   total_jobs = c.total, completed_jobs = c.ok, failed_jobs = c.failed,"
        "   completed_at = coalesce(h.completed_at, now()),"
        "   error_summary = (coalesce(h.error_summary, '{}'::jsonb) - 'failed_count' - 'failed')"
        "     || CASE WHEN c.failed = 0 THEN '{}'::jsonb"
        "     ELSE jsonb_build_object('failed_count', c.failed, 'failed', f.list) END"
        " FROM c, f WHERE h.batch_run_id = $1",
        1, &run, err, errlen);
}

static int close_run(sg_store *s, const char *run, char *err, size_t errlen)
{
    return summarize(s, run, err, errlen) ||
           run_sql(s, "close run", "UPDATE sigma_runs SET phase = 'done', closed_at = now() WHERE batch_run_id = $1", 1,
                   &run, err, errlen);
}

int sg_runs_recount(sg_store *s, const char *run, bool *closed, char *err, size_t errlen)
{
    PGresult *r = sg_store_query(s, "recount run",
                                 "SELECT 1 FROM sigma_runs WHERE batch_run_id = $1 AND closed_at IS NOT NULL FOR UPDATE",
                                 1, &run, err, errlen);
    if (!r)
        return -1;
    *closed = PQntuples(r) == 1;
    PQclear(r);
    return *closed ? summarize(s, run, err, errlen) : 0;
}

static int advance(sg_store *s, const char *run, const char *phase, sg_run_step *step, char *err, size_t errlen)
{
    const char *p[3] = {run, phase, next_phase(phase)};
    if (run_sql(s, "phase duration",
                "UPDATE batch_run_history h SET phase_durations = coalesce(h.phase_durations, '{}'::jsonb)"
                " || jsonb_build_object($2::text, round(extract(epoch FROM now() - r.phase_started_at)::numeric, 3))"
                " FROM sigma_runs r WHERE r.batch_run_id = $1 AND h.batch_run_id = $1",
                2, p, err, errlen))
        return -1;
    if (!p[2]) {
        *step = SG_STEP_CLOSED;
        return close_run(s, run, err, errlen);
    }
    *step = SG_STEP_ADVANCED;
    /* Every symbol of the run's list (sigma_runs.symbols; NULL in a run opened
     * before it was recorded: every symbol) goes on, failed ones too: the
     * engine works from stored prices, which a failed fetch may not have
     * needed. The factor ETFs added for the prices phase only are inputs:
     * `sigmactl compute` writes no rows for them either (FACTOR_SPEC §1.2). */
    return run_sql(s, "next phase",
                   "UPDATE sigma_runs SET phase = $2, fanned_out = false, phase_started_at = now() WHERE batch_run_id = $1",
                   2, (const char *const[]){run, p[2]}, err, errlen) ||
           run_sql(s, "next phase: ledger",
                   "INSERT INTO sigma_run_outcomes (batch_run_id, phase, symbol)"
                   " SELECT o.batch_run_id, $3, o.symbol FROM sigma_run_outcomes o"
                   " WHERE o.batch_run_id = $1 AND o.phase = $2"
                   " AND (o.symbol IN (SELECT unnest(symbols) FROM sigma_runs WHERE batch_run_id = $1)" /* hashed */
                   "  OR (SELECT symbols IS NULL FROM sigma_runs WHERE batch_run_id = $1))",
                   3, p, err, errlen);
}

int sg_runs_check(sg_store *s, const char *run, int timeout_s, sg_run_step *step, char *err, size_t errlen)
{
    char t[16];
    snprintf(t, sizeof t, "%d", timeout_s);
    const char *p[2] = {run, t};
    *step = SG_STEP_NONE;
    /* The row lock orders two checks of one run (a batch and the sweep). */
    PGresult *r = sg_store_query(s, "check run",
                                 "SELECT phase, now() - phase_started_at > make_interval(secs => $2::int) FROM sigma_runs"
                                 " WHERE batch_run_id = $1 AND closed_at IS NULL FOR UPDATE",
                                 2, p, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    char phase[16];
    copy_text(phase, sizeof phase, PQgetvalue(r, 0, 0));
    bool late = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    const char *q[2] = {run, phase};
    if (late) {
        r = sg_store_query(s, "phase deadline",
                           "UPDATE sigma_run_outcomes SET outcome = 'failed', reason = 'timed out', recorded_at = now()"
                           " WHERE batch_run_id = $1 AND phase = $2 AND outcome IS NULL RETURNING symbol",
                           2, q, err, errlen);
        if (!r)
            return -1;
        if (PQntuples(r))
            sg_log(SG_LOG_WARN, "run %s: phase %s: deadline of %d s passed: %d symbol(s) recorded failed (timed out)",
                   run, phase, timeout_s, PQntuples(r));
        PQclear(r);
        if (strcmp(phase, "prices") == 0 && sg_runs_bulk_deadline(s, run, err, errlen))
            return -1;
    }
    if (strcmp(phase, "prices") == 0) { /* every bulk day answered: who they covered, who goes alone */
        long covered, alone;
        if (sg_runs_bulk_resolve(s, run, &covered, &alone, err, errlen))
            return -1;
        if (covered || alone)
            sg_log(SG_LOG_INFO, "run %s: bulk days done: %ld symbol(s) covered, %ld to fetch alone", run, covered,
                   alone);
    }
    r = sg_store_query(s, "check run: pending",
                       "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = $1 AND phase = $2 AND outcome IS NULL",
                       2, q, err, errlen);
    if (!r)
        return -1;
    long pending = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pending ? 0 : advance(s, run, phase, step, err, errlen);
}
