/* bulkday.c - see bulkday.h. */
#include "bulkday.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "fetcher.h"
#include "log.h"
#include "runs.h"
#include "store_io.h"

/* What one bulk task holds while it runs. */
typedef struct job {
    const sg_task *t;
    sg_fetch_job fetch; /* rows: the answer, sorted by symbol */
    sg_provider p;
    char **waiting; /* the run's symbols that wait for the day (under the lock) */
    size_t nwaiting;
    size_t stored, missing, refused;
    char first_missing[SG_SYMBOL_MAX + 1], first_refused[160];
} job;

static int read_waiting(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    sg_strings_free(j->waiting, j->nwaiting);
    return sg_runs_bulk_waiting(s, j->t->run, j->t->day, false, &j->waiting, &j->nwaiting, err, errlen);
}

/* The unit: the run share-locked, who waits now, their rows stored. It may
 * run twice (a retry), so it starts from scratch. */
static int store_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    job *j = arg;
    sg_strings_free(j->waiting, j->nwaiting);
    j->waiting = NULL;
    j->stored = j->missing = j->refused = 0;
    j->first_missing[0] = j->first_refused[0] = '\0';
    if (sg_runs_bulk_waiting(s, j->t->run, j->t->day, true, &j->waiting, &j->nwaiting, err, errlen))
        return -1;
    const char **sym = calloc(j->nwaiting + 1, sizeof *sym);
    sg_bar *bars = calloc(j->nwaiting + 1, sizeof *bars);
    int rc = -1;
    if (!sym || !bars) {
        snprintf(err, errlen, "bulk: out of memory for %zu symbols", j->nwaiting);
        goto out;
    }
    for (size_t i = 0; i < j->nwaiting; i++) {
        const sg_bulk_row *r = sg_bulk_find(&j->fetch.rows, j->waiting[i]);
        if (!r) {
            if (!j->missing++)
                snprintf(j->first_missing, sizeof j->first_missing, "%s", j->waiting[i]);
        } else if (r->why[0]) { /* refused: that symbol goes to the per-symbol path */
            if (!j->refused++)
                snprintf(j->first_refused, sizeof j->first_refused, "%s: %s", r->symbol, r->why);
        } else {
            sym[j->stored] = r->symbol;
            bars[j->stored++] = r->bar;
        }
    }
    rc = sg_store_write_bar_rows(s, sym, bars, j->stored, sg_provider_data_source(j->p), err, errlen);
out:
    free(sym);
    free(bars);
    return rc;
}

/* A database failure: transient (retry the batch) when it stayed unreachable. */
static int db_failed(wk_env *env, const char *err, wk_outcome *out)
{
    if (sg_store_unreachable(env->store))
        return -1;
    out->outcome = SG_OUTCOME_FAILED;
    snprintf(out->reason, sizeof out->reason, "%.*s", SG_MSG_REASON_MAX, err);
    return 0;
}

static const char *kind_of(sg_provider p)
{
    return p == SG_PROV_POLYGON ? "grouped daily bars" : "bulk end-of-day prices";
}

int wk_bulk_run(wk_env *env, const sg_task *t, wk_outcome *out, char *err, size_t errlen)
{
    job j = {.t = t};
    char d[SG_DATE_LEN], label[48], why[256];
    int rc = 0;
    memset(out, 0, sizeof *out);
    sg_day_format(t->day, d);
    if (!sg_bulk_provider(env->order, env->norder, &j.p)) {
        out->outcome = SG_OUTCOME_FAILED;
        snprintf(out->reason, sizeof out->reason, "bulk %s not fetched: %s", d,
                 sg_bulk_none_reason(env->order, env->norder, why, sizeof why));
        return 0;
    }
    /* Nobody waits (a duplicate after the resolution, a replay): no request. */
    if (sg_store_unit(env->store, "bulk: waiting symbols", read_waiting, &j, err, errlen)) {
        rc = db_failed(env, err, out);
        goto done;
    }
    if (j.nwaiting == 0) {
        snprintf(out->reason, sizeof out->reason, "no symbol of the run waits for %s: nothing fetched", d);
        goto done;
    }
    snprintf(label, sizeof label, "bulk %s", d);
    j.fetch = (sg_fetch_job){.symbol = label, .bulk = true, .day = t->day};
    double t0 = sg_clock_ms();
    if (sg_fetch_run(&j.fetch, 1, &j.p, 1, NULL, NULL, err, errlen)) {
        rc = -1; /* the machinery itself: the batch is retried */
        goto done;
    }
    double t1 = sg_clock_ms();
    if (j.fetch.status != SG_FETCH_OK) {
        out->outcome = SG_OUTCOME_FAILED;
        snprintf(out->reason, sizeof out->reason, "%s %s of %s not fetched: %.400s", sg_provider_name(j.p), kind_of(j.p), d,
                 j.fetch.why);
        goto done;
    }
    if (sg_store_unit(env->store, "bulk: store", store_unit, &j, err, errlen)) {
        rc = db_failed(env, err, out);
        goto done;
    }
    out->rows = (int64_t)j.stored;
    snprintf(out->reason, sizeof out->reason,
             "%s %s of %s: %zu of %zu waiting symbols stored (%zu rows in the answer); %zu not in it%s%s%s; %zu refused%s%s%s",
             sg_provider_name(j.p), kind_of(j.p), d, j.stored, j.nwaiting, j.fetch.rows.rows, j.missing,
             j.missing ? " (" : "", j.first_missing, j.missing ? "...)" : "", j.refused, j.refused ? " (" : "",
             j.first_refused, j.refused ? ")" : "");
    sg_log(SG_LOG_DEBUG, "timing: bulk %s: %zu rows: fetch and parse %.1f ms, store %.1f ms", d, j.fetch.rows.rows,
           t1 - t0, sg_clock_ms() - t1);
done:
    sg_fetch_job_free(&j.fetch);
    sg_strings_free(j.waiting, j.nwaiting);
    return rc;
}
