/*
 * main.c - sigma-worker: a stateless member of the workers' consumer group.
 *
 *   sigma-worker [-d CONNINFO] [--brokers LIST] [-X name=value]... [-F FILE] [--id NAME] [-v]
 *
 * The story, as librdkafka's examples/consumer.c tells it: configure (options
 * and settings), create (the store, a consumer in bus.group subscribed to
 * bus.topic.tasks and bus.topic.onboarding, a producer for events and dead
 * letters, the HTTP server, the heartbeat's thread), poll in batches
 * (batch.h: database commit, then events acknowledged, then offsets), close
 * (leave the group). SIGTERM or SIGINT finishes the batch in hand; a second
 * signal exits at once. docs/pipeline.md, "The worker", has the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "beat.h"
#include "bus.h"
#include "config.h"
#include "daemon.h"
#include "instruments.h"
#include "log.h"
#include "phases.h"
#include "probe.h"
#include "serve.h"
#include "telemetry.h"
#include "store.h"
#include "budget.h"
#include "fetcher.h"

static const char usage_text[] =
    "usage: sigma-worker [-d CONNINFO] [--brokers HOST:PORT,...] [-X name=value]... [-F FILE] [--id NAME] [-v]\n"
    "  Consumes tasks (bus.topic.tasks) in the group bus.group, stores their rows, answers each\n"
    "  with an event (bus.topic.events); onboarding tasks (bus.topic.onboarding) are answered\n"
    "  in their symbol_onboarding_queue row; undecodable messages go to bus.topic.deadletter.\n"
    "  -X name=value sets a sigmabatch setting (worker.*, bus.*, db.*, provider.*, http.*) or\n"
    "  a librdkafka property; -X list prints the settings. -F FILE: -X assignments from a file,\n"
    "  one name=value a line (# comments; secrets off the command line). --id defaults to HOST:PID.\n";

enum { OPT_ID = 256 };

/* --id: printable ASCII without spaces, 1..64 bytes (the event's limit). */
static int on_option(int key, const char *arg, void *ctx, char *err, size_t errlen)
{
    sg_daemon *d = ctx;
    size_t n = strlen(arg);
    bool ok = key == OPT_ID && n >= 1 && n <= SG_MSG_WORKER_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = arg[i] > ' ' && arg[i] < 0x7f;
    if (!ok)
        return snprintf(err, errlen, "--id: '%s' is not 1..64 printable ASCII characters without spaces", arg), -1;
    snprintf(d->id, sizeof d->id, "%s", arg);
    return 0;
}

/* What the worker holds: everything main creates and frees. */
typedef struct worker {
    wk_env env;
    wk_batch *batch;
    sg_bus *consumer, *producer;
    sg_budget *budget; /* the group's provider budget (provider.shared_budget) */
    sg_probe probe;    /* /readyz: PostgreSQL, the broker, partitions assigned */
    sg_serve *http;    /* /healthz, /readyz, /metrics */
    char where[300];   /* HOST:PORT of /metrics, for the self-report */
    wk_beat *beat;     /* its row in sigma_workers, on a thread of its own */
} worker;

/* Revocation: commit what is finished (stored offsets), drop the rest. */
static void on_rebalance(sg_bus *b, bool assigned, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    worker *w = opaque;
    char err[512];
    if (assigned)
        return;
    if (sg_bus_commit(b, err, sizeof err))
        sg_log(SG_LOG_INFO, "rebalance: %s", err);
    wk_batch_revoke(w->batch, parts);
}

/* The HTTP server (serve.address, serve.port) and the metrics it shows. */
static int start_http(worker *w, const sg_daemon *o)
{
    char err[512];
    w->probe = (sg_probe){o->conninfo, w->producer, w->consumer};
    sg_inst_process(o->name);
    sg_inst_lag_collector(w->consumer);
    if (!(w->http = sg_serve_new(o->name, sg_probe_ready, &w->probe)) || sg_serve_start(w->http, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", w->http ? err : "out of memory");
        return -1;
    }
    sg_serve_where(w->http, w->where, sizeof w->where);
    return 0;
}

static int create(worker *w, const sg_daemon *o)
{
    char err[1024];
    const char *topics[2] = {sg_bus_topic_name(SG_TOPIC_TASKS), sg_bus_topic_name(SG_TOPIC_ONBOARDING)};
    if ((w->env.norder = sg_provider_order(sg_config_get("provider.order"), w->env.order)) <= 0) {
        sg_log(SG_LOG_ERROR, "provider.order: '%s' is not a list of yahoo, fmp, polygon", sg_config_get("provider.order"));
        return -1;
    }
    if (!(w->batch = wk_batch_new(o->id))) {
        sg_log(SG_LOG_ERROR, "out of memory");
        return -1;
    }
    if (!(w->env.store = sg_store_connect(o->conninfo, err, sizeof err)) ||
        !(w->producer = sg_bus_producer_new(err, sizeof err)) ||
        !(w->consumer = sg_bus_consumer_new(NULL, on_rebalance, w, err, sizeof err)) ||
        sg_bus_subscribe(w->consumer, topics, 2, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    if (sg_config_number("provider.shared_budget") != 0) {
        if (!(w->budget = sg_budget_open(o->conninfo, err, sizeof err))) {
            sg_log(SG_LOG_ERROR, "provider budget: %s", err);
            return -1;
        }
        sg_fetch_set_budget(&(sg_fetch_budget){sg_budget_take, w->budget});
    }
    sg_log(SG_LOG_INFO, "worker %s: consuming %s and %s in group %s (provider budget: %s)", o->id, topics[0],
           topics[1], sg_config_get("bus.group"), w->budget ? "shared" : "this process's own");
    if (start_http(w, o))
        return -1;
    /* after the HTTP server: the worker's row names its address */
    if (!(w->beat = wk_beat_start(o->conninfo, o->id, w->where[0] ? w->where : NULL, w->consumer, err, sizeof err))) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    return 0;
}

/* Exponential backoff with jitter (half to all of the delay), capped; false
 * when a signal came meanwhile. */
static bool backoff(int attempt)
{
    double base = sg_config_number("worker.backoff_ms"), cap = sg_config_number("worker.backoff_max_ms");
    double d = base;
    for (int i = 0; i < attempt && d < cap; i++)
        d *= 2;
    d = d > cap ? cap : d;
    d = d / 2 + d / 2 * ((double)rand() / RAND_MAX);
    sg_log(SG_LOG_WARN, "retrying the batch in %.0f ms (attempt %d)", d, attempt + 2);
    sg_daemon_sleep_ms(d);
    return sg_running;
}

/* Processes the batch in hand until it is answered, then commits it. A
 * transient failure is retried (nothing answered, nothing committed); a stop
 * during the retries leaves the batch uncommitted, to be delivered again. */
static int serve_batch(worker *w)
{
    char err[1024];
    double t0 = sg_clock_ms();
    for (int attempt = 0;; attempt++) {
        if (wk_batch_process(w->batch, &w->env, w->producer, err, sizeof err) == 0)
            break;
        sg_log(SG_LOG_WARN, "batch of %zu messages: %s", wk_batch_size(w->batch), err);
        if (sg_bus_fatal(w->producer, err, sizeof err)) {
            sg_log(SG_LOG_ERROR, "%s", err);
            return -1;
        }
        if (!backoff(attempt)) {
            sg_log(SG_LOG_WARN, "stopping: the batch in hand is not committed and will be delivered again");
            return -1;
        }
    }
    wk_batch_commit(w->batch, w->consumer);
    wk_batch_stats s = wk_batch_last_stats(w->batch);
    sg_inst_batch(s.messages, (sg_clock_ms() - t0) / 1e3);
    sg_log(SG_LOG_INFO, "batch: %zu messages in %zu groups (%zu duplicates): %zu ok, %zu failed, %zu dead letters; %.0f ms",
           s.messages, s.groups, s.duplicates, s.ok, s.failed, s.dead, sg_clock_ms() - t0);
    return 0;
}

static int poll_loop(worker *w)
{
    char err[1024];
    size_t max = (size_t)sg_config_number("worker.batch_max");
    int wait_ms = (int)sg_config_number("worker.batch_wait_ms");
    bool worked = false; /* a batch was served since the topics last ran dry */
    while (sg_running) {
        long n = wk_batch_collect(w->batch, w->consumer, max, wait_ms, &sg_running, err, sizeof err);
        if (n < 0) {
            sg_log(SG_LOG_ERROR, "%s", err);
            return -1;
        }
        if (n == 0 && worked) { /* idle: what the batches needed goes back to the system */
            sg_daemon_release_memory();
            worked = false;
        }
        if (n > 0 && serve_batch(w))
            return sg_running ? -1 : 0;
        worked |= n > 0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option extra[] = {{"id", required_argument, NULL, OPT_ID}, {NULL, 0, NULL, 0}};
    sg_daemon o = {.name = "sigma-worker", .usage = usage_text};
    worker w = {0};
    int rc = sg_daemon_configure(&o, argc, argv, extra, on_option, &o);
    if (rc >= 0)
        return rc;
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    sg_daemon_signals();

    rc = create(&w, &o) == 0 && poll_loop(&w) == 0 ? 0 : 1;

    sg_log(SG_LOG_INFO, "worker %s: closing (leaving the group)", o.id);
    wk_beat_stop(w.beat); /* its row removed: a clean stop */
    sg_serve_free(w.http); /* before the handles its probe and collector read */
    sg_bus_free(w.consumer); /* leaves the group: the revocation hook sees an empty batch */
    sg_bus_free(w.producer);
    wk_batch_free(w.batch);
    sg_store_close(w.env.store);
    sg_fetch_set_budget(NULL);
    sg_budget_close(w.budget);
    sg_tm_reset();
    sg_daemon_close();
    return rc;
}
