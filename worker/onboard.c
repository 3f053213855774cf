/* onboard.c - see onboard.h. */
#include "onboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute.h"
#include "fetcher.h"
#include "log.h"
#include "store_io.h"

#define ONBOARD_RUN_PREFIX "onboard-" /* = relay.h's PR_RELAY_RUN_PREFIX */
#define WHY_MAX 1500                  /* an error_message: long enough for three providers' answers */

bool wk_onboard_row_id(const char *run, char id[37])
{
    size_t np = strlen(ONBOARD_RUN_PREFIX);
    if (strncmp(run, ONBOARD_RUN_PREFIX, np) != 0 || strlen(run + np) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char ch = run[np + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    memcpy(id, run + np, 36);
    id[36] = '\0';
    return true;
}

/* What one onboarding holds while it runs. */
typedef struct job {
    wk_env *env;
    const sg_task *t;
    char id[37];
    const char *sym[1];
    sg_fetch_window win;
    sg_fetch_job fetch;
    sg_compute c;
    bool finished; /* the row was completed/failed already: nothing to do */
    bool updated;  /* our UPDATE changed the row */
    char why[WHY_MAX];
} job;

static int row_status(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    PGresult *r = sg_store_query(s, "onboarding: the queue row", "SELECT status FROM symbol_onboarding_queue WHERE id = $1::uuid",
                                 1, (const char *const[]){j->id}, err, errlen);
    if (!r)
        return -1;
    j->finished = PQntuples(r) == 0 || (strcmp(PQgetvalue(r, 0, 0), "pending") && strcmp(PQgetvalue(r, 0, 0), "processing"));
    PQclear(r);
    return 0;
}

static int windows(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    return sg_store_fetch_windows(s, j->sym, 1, j->t->date, &j->win, err, errlen);
}

/* The bars, with the symbol registered as onboarding's when it is new. */
static int write_bars(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    return sg_store_ensure_symbols(s, j->sym, 1, j->t->date, "onboarding", err, errlen) ||
                   sg_store_write_bars(s, j->fetch.symbol, &j->fetch.bars, sg_provider_data_source(j->fetch.served_by),
                                       err, errlen)
               ? -1
               : 0;
}

/* Sets the row's final status unless a duplicate did already. */
static int finish_row(sg_store *s, job *j, const char *why, char *err, size_t errlen)
{
    PGresult *r = why ? sg_store_query(s, "onboarding: fail the row",
                                       "UPDATE symbol_onboarding_queue SET status = 'failed', error_message = $2,"
                                       " completed_at = now() WHERE id = $1::uuid AND status IN ('pending', 'processing')",
                                       2, (const char *const[]){j->id, why}, err, errlen)
                      : sg_store_query(s, "onboarding: complete the row",
                                       "UPDATE symbol_onboarding_queue SET status = 'completed', error_message = NULL,"
                                       " completed_at = now() WHERE id = $1::uuid AND status IN ('pending', 'processing')",
                                       1, (const char *const[]){j->id}, err, errlen);
    if (!r)
        return -1;
    j->updated = atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return 0;
}

static int fail_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    return finish_row(s, j, j->why, err, errlen);
}

/* The one transaction of a success (FACTOR_SPEC §10: onboarding sets is_active). */
static int complete_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    PGresult *r;
    if (sg_store_ensure_symbols(s, j->sym, 1, j->t->date, "onboarding", err, errlen) ||
        !(r = sg_store_query(s, "onboarding: activate the symbol",
                             "UPDATE symbol_universe SET is_active = true, updated_at = now()"
                             " WHERE symbol = $1 AND is_active IS DISTINCT FROM true",
                             1, j->sym, err, errlen)))
        return -1;
    PQclear(r);
    if (sg_store_write_factors(s, j->sym, &j->c.res, j->t->date, 1.0, err, errlen))
        return -1;
    return finish_row(s, j, NULL, err, errlen);
}

/* The providers' answers, as a person reads them. 0 served, 1 failed (why). */
static int fetch(job *j, char *err, size_t errlen)
{
    char names[64] = "";
    for (int i = 0; i < j->env->norder; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 sg_provider_name(j->env->order[i]));
    j->fetch = (sg_fetch_job){.symbol = j->t->symbol, .from = j->win.from, .to = j->win.to};
    if (sg_fetch_run(&j->fetch, 1, j->env->order, j->env->norder, NULL, NULL, err, errlen) < 0)
        return -1;
    if (j->fetch.status == SG_FETCH_NOT_SERVED)
        snprintf(j->why, sizeof j->why, "unknown symbol %s: no price provider serves it (asked %s): %s", j->t->symbol,
                 names, j->fetch.why);
    else if (j->fetch.status == SG_FETCH_FAILED)
        snprintf(j->why, sizeof j->why,
                 "prices of %s not fetched: the providers kept failing (asked %s; try again later): %s", j->t->symbol,
                 names, j->fetch.why);
    return j->fetch.status == SG_FETCH_OK ? 0 : 1;
}

/* The factor rows; 1 with why when the engine wrote none. */
static int compute(job *j, char *err, size_t errlen)
{
    char d[SG_DATE_LEN], engine[WHY_MAX / 2];
    if (sg_compute_load(&j->c, j->env->store, j->sym, 1, j->t->date, err, errlen) ||
        sg_compute_factors(&j->c, j->t->date, SG_PIPELINE_ONBOARDING, err, errlen))
        return -1;
    if (sg_compute_symbol_rows(&j->c, 0) > 0)
        return 0;
    long rows = 0;
    sg_day first = 0, last = 0;
    char f[SG_DATE_LEN] = "-", l[SG_DATE_LEN] = "-";
    if (sg_store_price_range(j->env->store, j->sym, 1, &rows, &first, &last, err, errlen) == 0 && rows) {
        sg_day_format(first, f);
        sg_day_format(last, l);
    }
    sg_compute_symbol_why(&j->c, 0, engine, sizeof engine);
    snprintf(j->why, sizeof j->why, "too little history for %s on %s: %ld closes stored (%s..%s); no factor row: %s",
             j->t->symbol, sg_day_format(j->t->date, d), rows, f, l, engine[0] ? engine : "the engine wrote none");
    return 1;
}

/* A unit that failed: transient (-1) when the database stayed unreachable,
 * else its error is the row's message (1). */
static int unit_failed(job *j, const char *what, const char *err)
{
    if (sg_store_unreachable(j->env->store))
        return -1;
    snprintf(j->why, sizeof j->why, "%s: %s", what, err);
    return 1;
}

/* 0 completed (or nothing to do), 1 failed with why, -1 transient. */
static int onboard(job *j, char *err, size_t errlen)
{
    int rc;
    if (sg_store_unit(j->env->store, "onboarding: row status", row_status, j, err, errlen))
        return sg_store_unreachable(j->env->store) ? -1 : unit_failed(j, "reading the queue row", err);
    if (j->finished)
        return 0;
    if (sg_store_unit(j->env->store, "onboarding: fetch window", windows, j, err, errlen))
        return unit_failed(j, "reading the stored prices", err);
    if (!j->win.skip) {
        if ((rc = fetch(j, err, errlen)) != 0)
            return rc;
        if (j->fetch.bars.n && sg_store_unit(j->env->store, "onboarding: write bars", write_bars, j, err, errlen))
            return unit_failed(j, "storing the bars", err);
    }
    if ((rc = compute(j, err, errlen)) != 0)
        return rc < 0 && PQstatus(sg_store_conn(j->env->store)) != CONNECTION_OK ? -1
               : rc < 0                                                          ? unit_failed(j, "computing", err)
                                                                                 : 1;
    if (sg_store_unit(j->env->store, "onboarding: complete", complete_unit, j, err, errlen))
        return unit_failed(j, "writing the factor rows", err);
    return 0;
}

int wk_onboard_run(wk_env *env, const sg_task *t, wk_outcome *out, char *err, size_t errlen)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "onboarding: out of memory");
        return -1;
    }
    j->env = env;
    j->t = t;
    j->sym[0] = t->symbol;
    wk_onboard_row_id(t->run, j->id); /* checked when the task was decoded */
    int rc = onboard(j, err, errlen);
    memset(out, 0, sizeof *out);
    if (rc == 0) {
        snprintf(out->reason, sizeof out->reason, "%s", j->finished ? "row already finished: skipped" : "");
        out->rows = j->finished ? 0 : (int64_t)sg_compute_symbol_rows(&j->c, 0);
        sg_log(SG_LOG_INFO, "onboarding %s (row %s): %s", t->symbol, j->id,
               j->finished ? "the row is finished already: nothing done"
               : j->updated ? "completed" : "factor rows written; the row was finished meanwhile");
    } else if (rc > 0) {
        char e[512];
        out->outcome = SG_OUTCOME_FAILED;
        size_t n = strlen(j->why) < SG_MSG_REASON_MAX ? strlen(j->why) : SG_MSG_REASON_MAX;
        memcpy(out->reason, j->why, n); /* cut: the log line's copy; the row holds it whole */
        out->reason[n] = '\0';
        if (sg_store_unit(env->store, "onboarding: fail", fail_unit, j, e, sizeof e)) {
            rc = sg_store_unreachable(env->store) ? -1 : 0;
            snprintf(err, errlen, "onboarding %s (row %s): %s", t->symbol, j->id, e);
            sg_log(rc ? SG_LOG_WARN : SG_LOG_ERROR, "%s", err);
        } else {
            sg_log(SG_LOG_INFO, "onboarding %s (row %s): failed: %s", t->symbol, j->id, j->why);
            rc = 0;
        }
    }
    sg_fetch_job_free(&j->fetch);
    sg_compute_free(&j->c);
    free(j);
    return rc;
}
