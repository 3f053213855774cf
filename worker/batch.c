/* batch.c - see batch.h. */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkday.h"
#include "config.h"
#include "instruments.h"
#include "log.h"
#include "onboard.h"

typedef enum item_state { ITEM_NEW, ITEM_TASK, ITEM_DEAD } item_state;

typedef struct item {
    rd_kafka_message_t *m;
    item_state state;
    bool revoked; /* its partition went to another member: neither answered nor committed */
    sg_task task;
    char why[SG_MSG_REASON_MAX + 1]; /* a dead letter's reason */
    size_t group, slot;
} item;

/* The distinct symbols of one (run, phase, date) and their outcomes; a
 * prices_bulk task is a group of its own (its day), with one slot. */
typedef struct group {
    const sg_task *task; /* the first task of the group: run, phase, date (and day) */
    const char **symbols;
    sg_day *from;        /* per symbol: the planned window's start (prices), or WK_NO_FROM */
    wk_outcome *out;
    size_t n;
    bool done;
    int64_t elapsed_ms;
} group;

struct wk_batch {
    char worker[SG_MSG_WORKER_MAX + 1];
    item *items;
    size_t n, cap;
    group *groups;
    size_t ngroups;
    bool grouped, answered;
    wk_batch_stats stats;
};

wk_batch *wk_batch_new(const char *worker_id)
{
    wk_batch *b = calloc(1, sizeof *b);
    if (b)
        snprintf(b->worker, sizeof b->worker, "%s", worker_id);
    return b;
}

static void free_groups(wk_batch *b)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        free(b->groups[g].symbols);
        free(b->groups[g].from);
        free(b->groups[g].out);
    }
    free(b->groups);
    b->groups = NULL;
    b->ngroups = 0;
}

/* Empties the batch (messages destroyed); the arrays are kept for the next. */
static void reset(wk_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        rd_kafka_message_destroy(b->items[i].m);
    free_groups(b);
    b->n = 0;
    b->grouped = b->answered = false;
}

void wk_batch_free(wk_batch *b)
{
    if (!b)
        return;
    reset(b);
    free(b->items);
    free(b);
}

size_t wk_batch_size(const wk_batch *b) { return b->n; }

wk_batch_stats wk_batch_last_stats(const wk_batch *b) { return b->stats; }

/* ---- collecting ---------------------------------------------------------------- */

static int push(wk_batch *b, rd_kafka_message_t *m)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        item *v = realloc(b->items, cap * sizeof *v);
        if (!v)
            return -1;
        b->items = v;
        b->cap = cap;
    }
    memset(&b->items[b->n], 0, sizeof b->items[b->n]);
    b->items[b->n++].m = m;
    return 0;
}

long wk_batch_collect(wk_batch *b, sg_bus *consumer, size_t max, int wait_ms, volatile sig_atomic_t *run, char *err,
                      size_t errlen)
{
    double first = 0;
    while (*run && b->n < max) {
        int timeout = 100; /* the stop flag is looked at this often */
        if (b->n) {
            double left = first + wait_ms - sg_clock_ms();
            if (left <= 0)
                break;
            timeout = left < 100 ? (int)left + 1 : 100;
        }
        rd_kafka_message_t *m;
        int rc = sg_bus_consume(consumer, timeout, &m, err, errlen);
        if (rc < 0) {
            if (sg_bus_fatal(consumer, err, errlen))
                return -1;
            sg_log(SG_LOG_WARN, "%s", err); /* librdkafka recovers by itself */
            continue;
        }
        if (rc == 0) {
            if (b->n == 0)
                return 0;
            continue;
        }
        if (push(b, m)) {
            rd_kafka_message_destroy(m); /* not stored, so delivered again */
            snprintf(err, errlen, "batch: out of memory for %zu messages", b->n + 1);
            return -1;
        }
        if (b->n == 1)
            first = sg_clock_ms();
    }
    return (long)b->n;
}

void wk_batch_revoke(wk_batch *b, const rd_kafka_topic_partition_list_t *parts)
{
    size_t dropped = 0;
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        for (int k = 0; !it->revoked && k < parts->cnt; k++)
            if (parts->elems[k].partition == it->m->partition &&
                strcmp(parts->elems[k].topic, rd_kafka_topic_name(it->m->rkt)) == 0) {
                it->revoked = true;
                dropped++;
            }
    }
    if (dropped)
        sg_log(SG_LOG_INFO, "rebalance: %zu message(s) of revoked partitions dropped from the batch in hand", dropped);
}

/* ---- decoding and grouping ------------------------------------------------------ */

static void decode(item *it)
{
    const rd_kafka_message_t *m = it->m;
    char id[37];
    if (sg_task_decode(m->payload ? m->payload : "", m->len, &it->task, it->why, sizeof it->why) ||
        sg_task_key_check(&it->task, m->key, m->key_len, it->why, sizeof it->why)) {
        it->state = ITEM_DEAD;
    } else if (it->task.phase == SG_PHASE_ONBOARDING && !wk_onboard_row_id(it->task.run, id)) {
        /* An onboarding task names its queue row; without one it is a dead
         * letter, where leaving it uncommitted would stall the partition. */
        snprintf(it->why, sizeof it->why,
                 "task: field 'run': '%s' is not onboard-<queue row uuid> (an onboarding task of symbol %s)",
                 it->task.run, it->task.symbol);
        it->state = ITEM_DEAD;
    } else
        it->state = ITEM_TASK;
}

static int cmp_group(const sg_task *a, const sg_task *b)
{
    int c = strcmp(a->run, b->run);
    if (!c)
        c = (int)a->phase - (int)b->phase;
    if (!c)
        c = (a->date > b->date) - (a->date < b->date);
    if (!c) /* prices_bulk: each day its own group (0 in other phases) */
        c = (a->day > b->day) - (a->day < b->day);
    return c;
}

static int cmp_items(const void *pa, const void *pb)
{
    const item *a = *(item *const *)pa, *b = *(item *const *)pb;
    int c = cmp_group(&a->task, &b->task);
    return c ? c : strcmp(a->task.symbol, b->task.symbol);
}

/* Tasks sorted by (run, phase, date, symbol): a group per (run, phase, date),
 * a slot per distinct symbol; duplicates share their slot. */
static int group_tasks(wk_batch *b, char *err, size_t errlen)
{
    item **v = malloc((b->n ? b->n : 1) * sizeof *v);
    size_t nt = 0;
    if (!v)
        goto oom;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_TASK && !b->items[i].revoked)
            v[nt++] = &b->items[i];
    qsort(v, nt, sizeof *v, cmp_items);
    b->groups = calloc(nt ? nt : 1, sizeof *b->groups);
    if (!b->groups)
        goto oom;
    for (size_t k = 0; k < nt; k++) {
        group *g = b->ngroups ? &b->groups[b->ngroups - 1] : NULL;
        if (!g || cmp_group(g->task, &v[k]->task)) {
            g = &b->groups[b->ngroups++];
            g->task = &v[k]->task;
            g->symbols = malloc((nt - k) * sizeof *g->symbols);
            g->from = malloc((nt - k) * sizeof *g->from);
            g->out = calloc(nt - k, sizeof *g->out);
            if (!g->symbols || !g->from || !g->out)
                goto oom;
        }
        if (!g->n || strcmp(g->symbols[g->n - 1], v[k]->task.symbol)) {
            g->from[g->n] = v[k]->task.has_from ? v[k]->task.from : WK_NO_FROM;
            g->symbols[g->n++] = v[k]->task.symbol;
        } else
            b->stats.duplicates++;
        v[k]->group = (size_t)(g - b->groups);
        v[k]->slot = g->n - 1;
    }
    free(v);
    return 0;
oom:
    free(v);
    free_groups(b);
    snprintf(err, errlen, "batch: out of memory grouping %zu tasks", b->n);
    return -1;
}

/* ---- answering ------------------------------------------------------------------ */

/* Reasons come from providers and libraries: anything outside printable ASCII
 * becomes '?', so an event is never refused for its reason's bytes. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

static int produce_event(sg_bus *p, const wk_batch *b, const item *it, sg_msg_buf *buf, char *err, size_t errlen)
{
    const group *g = &b->groups[it->group];
    const wk_outcome *o = &g->out[it->slot];
    sg_event e;
    memset(&e, 0, sizeof e);
    char key[SG_DATE_LEN];
    snprintf(e.run, sizeof e.run, "%s", it->task.run);
    snprintf(e.symbol, sizeof e.symbol, "%s", it->task.symbol);
    e.day = it->task.day;
    snprintf(e.reason, sizeof e.reason, "%s", o->reason);
    snprintf(e.worker, sizeof e.worker, "%s", b->worker);
    printable(e.reason);
    e.phase = it->task.phase;
    e.outcome = o->outcome;
    e.rows = o->rows > SG_MSG_ROWS_MAX ? SG_MSG_ROWS_MAX : o->rows;
    e.elapsed_ms = g->elapsed_ms > SG_MSG_ELAPSED_MAX ? SG_MSG_ELAPSED_MAX : g->elapsed_ms;
    if (sg_event_encode(&e, buf, err, errlen)) { /* a bug: nothing a retry would change */
        sg_log(SG_LOG_ERROR, "event of %s %s %s not sent: %s", e.run, sg_phase_name(e.phase), e.symbol, err);
        return 0;
    }
    return sg_bus_produce(p, sg_bus_topic_name(SG_TOPIC_EVENTS), sg_event_key(&e, key), buf->data, buf->len, NULL, err,
                          errlen);
}

/* One event per task message (a duplicate task gets its own), one dead
 * letter per undecodable one; then every one acknowledged by the broker. */
static int answer(wk_batch *b, sg_bus *p, char *err, size_t errlen)
{
    sg_msg_buf buf = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        const item *it = &b->items[i];
        if (it->revoked || (it->state == ITEM_TASK && it->task.phase == SG_PHASE_ONBOARDING))
            continue; /* an onboarding task's answer is its queue row: no event */
        rc = it->state == ITEM_DEAD ? sg_bus_dead_letter(p, it->m, it->why, b->worker, err, errlen)
                                    : produce_event(p, b, it, &buf, err, errlen);
    }
    sg_msg_buf_free(&buf);
    if (rc == 0)
        rc = sg_bus_await(p, (int)sg_config_number("bus.timeout_ms"), err, errlen);
    return rc;
}

static void count(wk_batch *b)
{
    wk_batch_stats s = {.messages = b->n, .groups = b->ngroups, .duplicates = b->stats.duplicates};
    for (size_t i = 0; i < b->n; i++) {
        const item *it = &b->items[i];
        if (it->revoked)
            continue;
        if (it->state == ITEM_DEAD) {
            s.dead++;
            continue;
        }
        const wk_outcome *o = &b->groups[it->group].out[it->slot];
        sg_inst_outcome(sg_phase_name(it->task.phase), o->outcome == SG_OUTCOME_OK, o->reason);
        if (o->outcome == SG_OUTCOME_OK)
            s.ok++;
        else
            s.failed++;
    }
    b->stats = s;
}

/* A group's work: a phase for its symbols, or each onboarding task's row. */
static int run_group(wk_env *env, group *gr, char *err, size_t errlen)
{
    const char *phase = sg_phase_name(gr->task->phase);
    if (gr->task->phase == SG_PHASE_PRICES_BULK) { /* one market day: its duplicates share the slot */
        char d[SG_DATE_LEN];
        sg_log_context(gr->task->run, phase, NULL);
        int rc = wk_bulk_run(env, gr->task, &gr->out[0], err, errlen);
        if (rc == 0)
            sg_log(gr->out[0].outcome == SG_OUTCOME_OK ? SG_LOG_INFO : SG_LOG_WARN, "bulk %s: %s",
                   sg_day_format(gr->task->day, d), gr->out[0].reason);
        sg_log_context(NULL, NULL, NULL);
        return rc;
    }
    if (gr->task->phase != SG_PHASE_ONBOARDING) {
        sg_log_context(gr->task->run, phase, gr->n == 1 ? gr->symbols[0] : NULL);
        int rc = wk_phase_run(env, gr->task->phase, gr->task->date, gr->symbols, gr->from, gr->n, gr->out, err,
                              errlen);
        for (size_t i = 0; rc == 0 && i < gr->n; i++)
            if (gr->out[i].outcome != SG_OUTCOME_OK) { /* the event says it too; the log says it where it happened */
                sg_log_context(gr->task->run, phase, gr->symbols[i]);
                sg_log(SG_LOG_INFO, "failed: %s", gr->out[i].reason);
            }
        sg_log_context(NULL, NULL, NULL);
        return rc;
    }
    for (size_t i = 0; i < gr->n; i++) { /* one symbol per run, unless a message lies: each is its own */
        sg_task t = *gr->task;
        snprintf(t.symbol, sizeof t.symbol, "%s", gr->symbols[i]);
        sg_log_context(t.run, phase, t.symbol);
        int rc = wk_onboard_run(env, &t, &gr->out[i], err, errlen);
        sg_log_context(NULL, NULL, NULL);
        if (rc)
            return -1;
    }
    return 0;
}

int wk_batch_process(wk_batch *b, wk_env *env, sg_bus *producer, char *err, size_t errlen)
{
    if (!b->grouped) {
        memset(&b->stats, 0, sizeof b->stats);
        for (size_t i = 0; i < b->n; i++)
            decode(&b->items[i]);
        if (group_tasks(b, err, errlen))
            return -1;
        b->grouped = true;
    }
    for (size_t g = 0; g < b->ngroups; g++) {
        group *gr = &b->groups[g];
        if (gr->done)
            continue;
        char e[1024], d[SG_DATE_LEN];
        double t0 = sg_clock_ms();
        if (run_group(env, gr, e, sizeof e)) {
            snprintf(err, errlen, "run %s, phase %s, date %s, %zu symbols: %s", gr->task->run,
                     sg_phase_name(gr->task->phase), sg_day_format(gr->task->date, d), gr->n, e);
            return -1;
        }
        gr->elapsed_ms = (int64_t)(sg_clock_ms() - t0);
        gr->done = true;
        sg_inst_phase(sg_phase_name(gr->task->phase), gr->n, (double)gr->elapsed_ms / 1e3);
    }
    if (!b->answered) {
        if (answer(b, producer, err, errlen))
            return -1;
        b->answered = true;
        count(b);
    }
    return 0;
}

void wk_batch_commit(wk_batch *b, sg_bus *consumer)
{
    char err[512];
    size_t stored = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].revoked)
            continue;
        if (sg_bus_done(consumer, b->items[i].m, err, sizeof err)) /* revoked meanwhile: redelivered, harmless */
            sg_log(SG_LOG_INFO, "%s", err);
        else
            stored++;
    }
    if (stored && sg_bus_commit(consumer, err, sizeof err))
        sg_log(SG_LOG_WARN, "%s; the batch's tasks may be delivered again (harmless: writes are upserts)", err);
    reset(b);
}
