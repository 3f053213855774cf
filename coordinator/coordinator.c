/*
 * coordinator.c - see coordinator.h and docs/pipeline.md ("The coordinator").
 */
#include "coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "instruments.h"
#include "log.h"
#include "messages.h"
#include "runs.h"
#include "store_io.h"

/* The advisory lock's key: "sigm" in ASCII, documented in docs/pipeline.md. */
#define LEAD_KEY "1936287597"

/* ---- a batch of events ------------------------------------------------------ */

typedef struct batch {
    rd_kafka_message_t **msgs;
    size_t n;
    sg_event *ev;
    char (*why)[256];       /* decoder's reason; "" when decoded */
    sg_run_record *result;  /* per decoded event */
    char **touched;         /* runs the batch touched (pointers into ev) */
    sg_run_step *step;      /* per touched run */
    size_t ntouched;
    char **upgraded;        /* runs with an upgraded outcome (a replay) */
    bool *recounted;        /* per upgraded run: it was closed, its counts redone */
    size_t nupgraded;
} batch;

static void add_run(char **list, size_t *n, const char *run)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], run) == 0)
            return;
    list[(*n)++] = (char *)run;
}

static int batch_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    batch *b = arg;
    int timeout = (int)sg_config_number("coordinator.phase_timeout_s");
    b->ntouched = b->nupgraded = 0;
    bool *skip = calloc(b->n + 1, sizeof *skip);
    if (!skip) {
        snprintf(err, errlen, "record events: out of memory");
        return -1;
    }
    for (size_t i = 0; i < b->n; i++)
        skip[i] = b->why[i][0] != 0;
    int rc = sg_runs_record_batch(s, b->ev, skip, b->n, b->result, err, errlen);
    free(skip);
    if (rc)
        return -1;
    for (size_t i = 0; i < b->n; i++) {
        if (b->why[i][0])
            continue;
        if (b->result[i] == SG_RECORD_NEW || b->result[i] == SG_RECORD_UPGRADED)
            add_run(b->touched, &b->ntouched, b->ev[i].run);
        if (b->result[i] == SG_RECORD_UPGRADED)
            add_run(b->upgraded, &b->nupgraded, b->ev[i].run);
    }
    for (size_t i = 0; i < b->ntouched; i++)
        if (sg_runs_check(s, b->touched[i], timeout, &b->step[i], err, errlen))
            return -1;
    /* A closed run's counts follow its replayed symbols; an open one's are
     * computed when it closes. */
    for (size_t i = 0; i < b->nupgraded; i++)
        if (sg_runs_recount(s, b->upgraded[i], &b->recounted[i], err, errlen))
            return -1;
    return 0;
}

static void decode_all(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const rd_kafka_message_t *m = b->msgs[i];
        b->why[i][0] = 0;
        if (sg_event_decode(m->payload, m->len, &b->ev[i], b->why[i], sizeof b->why[i]) && !b->why[i][0])
            snprintf(b->why[i], sizeof b->why[i], "event: undecodable");
        else if (!b->why[i][0])
            sg_event_key_check(&b->ev[i], m->key, m->key_len, b->why[i], sizeof b->why[i]);
    }
}

/* One line per event that did not count, and the run's moves. */
static void log_results(const batch *b)
{
    static const char *const results[] = {"new", "upgraded", "duplicate", "unknown"};
    for (size_t i = 0; i < b->n; i++) {
        const sg_event *e = &b->ev[i];
        sg_inst_event(b->why[i][0] ? "invalid" : results[b->result[i]]);
        if (!b->why[i][0] && (b->result[i] == SG_RECORD_NEW || b->result[i] == SG_RECORD_UPGRADED))
            sg_inst_recorded(sg_phase_name(e->phase), e->outcome == SG_OUTCOME_OK, e->reason);
        if (b->why[i][0] || b->result[i] == SG_RECORD_NEW)
            continue;
        char key[SG_DATE_LEN];
        const char *what = e->phase == SG_PHASE_PRICES_BULK ? "day" : "symbol", *name = sg_event_key(e, key);
        sg_log_context(e->run, sg_phase_name(e->phase), e->symbol[0] ? e->symbol : NULL);
        if (b->result[i] == SG_RECORD_UPGRADED) {
            sg_log(SG_LOG_INFO, "replayed outcome: run %s phase %s %s %s is ok now (was failed)", e->run,
                   sg_phase_name(e->phase), what, name);
            continue;
        }
        sg_log(SG_LOG_WARN, "%s event ignored: run %s phase %s %s %s (%s [%d] @%lld)",
               b->result[i] == SG_RECORD_DUPLICATE ? "duplicate" : "unknown", e->run, sg_phase_name(e->phase), what,
               name, rd_kafka_topic_name(b->msgs[i]->rkt), (int)b->msgs[i]->partition, (long long)b->msgs[i]->offset);
    }
    for (size_t i = 0; i < b->ntouched; i++)
        if (b->step[i] != SG_STEP_NONE) {
            if (b->step[i] == SG_STEP_CLOSED)
                sg_inst_run_closed();
            sg_log_context(b->touched[i], NULL, NULL);
            sg_log(SG_LOG_INFO, "run %s: %s", b->touched[i], b->step[i] == SG_STEP_CLOSED ? "closed" : "next phase");
        }
    for (size_t i = 0; i < b->nupgraded; i++)
        if (b->recounted[i]) {
            sg_log_context(b->upgraded[i], NULL, NULL);
            sg_log(SG_LOG_INFO, "run %s: closed run recounted after a replay", b->upgraded[i]);
        }
    sg_log_context(NULL, NULL, NULL);
}

/* After the commit: the next phases, then the dead letters, then offsets. */
static int after_commit(batch *b, sg_store *s, sg_bus *p, sg_bus *c, const char *me, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->ntouched; i++) {
        long n;
        if (b->step[i] != SG_STEP_ADVANCED)
            continue;
        sg_log_context(b->touched[i], NULL, NULL);
        if (sg_runs_fan_out(s, p, b->touched[i], NULL, &n, err, errlen))
            sg_log(SG_LOG_ERROR, "run %s: fan-out: %s (the sweep retries it)", b->touched[i], err);
        else
            sg_log(SG_LOG_INFO, "run %s: %ld task(s) published and acknowledged", b->touched[i], n);
        sg_log_context(NULL, NULL, NULL);
    }
    bool dead = false;
    for (size_t i = 0; i < b->n; i++)
        if (b->why[i][0]) {
            if (sg_bus_dead_letter(p, b->msgs[i], b->why[i], me, err, errlen))
                return -1;
            dead = true;
        }
    if (dead && sg_bus_await(p, (int)sg_config_number("bus.timeout_ms"), err, errlen))
        return -1;
    for (size_t i = 0; i < b->n; i++)
        if (sg_bus_done(c, b->msgs[i], err, errlen))
            return -1;
    return sg_bus_commit(c, err, errlen);
}

int sg_coord_batch(sg_store *s, sg_bus *producer, sg_bus *consumer, rd_kafka_message_t **msgs, size_t n,
                   const char *me, char *err, size_t errlen)
{
    batch b = {.msgs = msgs, .n = n};
    b.ev = calloc(n, sizeof *b.ev);
    b.why = calloc(n, sizeof *b.why);
    b.result = calloc(n, sizeof *b.result);
    b.touched = calloc(n, sizeof *b.touched);
    b.step = calloc(n, sizeof *b.step);
    b.upgraded = calloc(n, sizeof *b.upgraded);
    b.recounted = calloc(n, sizeof *b.recounted);
    int rc = -1;
    if (!b.ev || !b.why || !b.result || !b.touched || !b.step || !b.upgraded || !b.recounted)
        snprintf(err, errlen, "batch of %zu events: out of memory", n);
    else {
        decode_all(&b);
        double t0 = sg_clock_ms();
        rc = sg_store_unit(s, "record events", batch_unit, &b, err, errlen);
        double t1 = sg_clock_ms();
        if (rc == 0) {
            log_results(&b);
            rc = after_commit(&b, s, producer, consumer, me, err, errlen);
        }
        /* -v -v: where a batch's time goes (bench/pipeline reads these lines) */
        sg_log(SG_LOG_DEBUG, "timing: %zu events: record %.1f ms, fan-out and offsets %.1f ms", n, t1 - t0,
               sg_clock_ms() - t1);
    }
    free(b.ev);
    free(b.why);
    free(b.result);
    free(b.touched);
    free(b.step);
    free(b.upgraded);
    free(b.recounted);
    return rc;
}

/* ---- the sweep ------------------------------------------------------------------ */

struct check_arg {
    const char *run;
    sg_run_step step;
};

static int check_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct check_arg *a = arg;
    return sg_runs_check(s, a->run, (int)sg_config_number("coordinator.phase_timeout_s"), &a->step, err, errlen);
}

static void fan_out_unfinished(sg_store *s, sg_bus *p, const char *phase)
{
    char err[1024], **ids;
    size_t n;
    if (sg_runs_list(s, phase, true, &ids, &n, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "sweep: %s", err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        long k;
        sg_log_context(ids[i], phase, NULL);
        if (sg_runs_fan_out(s, p, ids[i], phase, &k, err, sizeof err))
            sg_log(SG_LOG_ERROR, "run %s: fan-out of %s: %s (the next sweep retries it)", ids[i], phase, err);
        else
            sg_log(SG_LOG_INFO, "run %s: %s: %ld task(s) published and acknowledged", ids[i], phase, k);
    }
    sg_log_context(NULL, NULL, NULL);
    sg_strings_free(ids, n);
}

void sg_coord_sweep(sg_store *s, sg_bus *p)
{
    char err[1024], **ids;
    size_t n;
    if (sg_runs_list(s, NULL, false, &ids, &n, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "sweep: %s", err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct check_arg a = {ids[i], SG_STEP_NONE};
        sg_log_context(ids[i], NULL, NULL);
        if (sg_store_unit(s, "check run", check_unit, &a, err, sizeof err))
            sg_log(SG_LOG_ERROR, "sweep: run %s: %s", ids[i], err);
        else if (a.step != SG_STEP_NONE) {
            if (a.step == SG_STEP_CLOSED)
                sg_inst_run_closed();
            sg_log(SG_LOG_INFO, "run %s: %s", ids[i], a.step == SG_STEP_CLOSED ? "closed" : "next phase");
        }
    }
    sg_log_context(NULL, NULL, NULL);
    sg_strings_free(ids, n);
    fan_out_unfinished(s, p, "factors");
    fan_out_unfinished(s, p, "metrics");
}

/* ---- the lead ------------------------------------------------------------------- */

struct sg_lead {
    char *conninfo;
    sg_store *s;
    bool held;
};

sg_lead *sg_lead_new(const char *conninfo)
{
    sg_lead *l = calloc(1, sizeof *l);
    if (l && conninfo && !(l->conninfo = strdup(conninfo))) {
        free(l);
        return NULL;
    }
    return l;
}

static void lead_drop(sg_lead *l)
{
    sg_store_close(l->s);
    l->s = NULL;
    l->held = false;
}

bool sg_lead_try(sg_lead *l)
{
    char err[1024];
    if (l->held)
        return true;
    if (!l->s && !(l->s = sg_store_connect(l->conninfo, err, sizeof err))) {
        sg_log(SG_LOG_WARN, "lead: %s", err);
        return false;
    }
    const char *key = LEAD_KEY;
    PGresult *r = sg_store_query(l->s, "lead: try the lock", "SELECT pg_try_advisory_lock($1::bigint)", 1, &key, err,
                                 sizeof err);
    if (!r) {
        sg_log(SG_LOG_WARN, "%s", err);
        lead_drop(l);
        return false;
    }
    l->held = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return l->held;
}

bool sg_lead_held(sg_lead *l)
{
    char err[1024];
    if (!l->held)
        return false;
    PGresult *r = sg_store_query(l->s, "lead: check", "SELECT 1", 0, NULL, err, sizeof err);
    if (!r) {
        sg_log(SG_LOG_ERROR, "lead lost: %s", err);
        lead_drop(l); /* the session is gone, and its lock with it */
        return false;
    }
    PQclear(r);
    return true;
}

void sg_lead_free(sg_lead *l)
{
    if (!l)
        return;
    lead_drop(l);
    free(l->conninfo);
    free(l);
}
