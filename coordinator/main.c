/*
 * sigma-coordinator - collects the workers' events and moves each run through
 * its phases (DESIGN.md §3; docs/pipeline.md, "The coordinator"). Its story:
 *
 *   configure (-d, --brokers, -X) -> connect to PostgreSQL -> create the Kafka
 *   producer -> loop {
 *     not leading: try the advisory lock every coordinator.poll_ms;
 *     on taking the lead: join the group coordinator.group on the events
 *       topic, and resume from the database (the sweep);
 *     leading: read a batch of events (coordinator.batch_max, or what came
 *       within coordinator.poll_ms), record it and move its runs on
 *       (coordinator.c), and sweep every coordinator.poll_ms }
 *   -> commit what is done, leave the group, close.
 *
 * Owns: the loop. Must not: keep state of its own: all of it is in the
 * database, so a restart or another coordinator carries on. SIGTERM/SIGINT:
 * the batch in hand is finished and committed, exit 0; a second signal exits
 * at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "daemon.h"
#include "coordinator.h"
#include "http.h"
#include "instruments.h"
#include "log.h"
#include "probe.h"
#include "serve.h"
#include "store.h"
#include "telemetry.h"

static const char usage_text[] =
    "usage: sigma-coordinator [-d CONNINFO] [--brokers LIST] [-X name=value]... [-F FILE] [-v]\n"
    "  records the workers' events and starts each run's next phase; one leads at a time.\n"
    "  -d         libpq connection string or URI (default: the PG* environment)\n"
    "  --brokers  Kafka bootstrap servers (setting bus.brokers)\n"
    "  -X         a sigmabatch setting (-X list) or a librdkafka property\n"
    "  -F         a file of -X assignments, one name=value a line (# comments): secrets off argv\n"
    "  -v         more messages (twice: debug)\n";

/* A consumer of the events topic in the coordinator's group, or NULL. */
static sg_bus *join(void)
{
    char err[1024];
    const char *topic = sg_bus_topic_name(SG_TOPIC_EVENTS);
    sg_bus *c = sg_bus_consumer_new(sg_config_get("coordinator.group"), NULL, NULL, err, sizeof err);
    if (c && sg_bus_subscribe(c, &topic, 1, err, sizeof err)) {
        sg_bus_free(c);
        c = NULL;
    }
    if (!c)
        sg_log(SG_LOG_ERROR, "events consumer: %s", err);
    return c;
}

/* Up to batch_max events, or what came within wait_ms. */
static size_t read_batch(sg_bus *c, rd_kafka_message_t **msgs, size_t max, int wait_ms)
{
    char err[1024];
    size_t n = 0;
    double end = sg_clock_ms() + wait_ms;
    while (n < max && sg_running) {
        int left = (int)(end - sg_clock_ms());
        if (left <= 0)
            break;
        int rc = sg_bus_consume(c, n ? (left < 50 ? left : 50) : left, &msgs[n], err, sizeof err);
        if (rc == 1)
            n++;
        else if (rc < 0)
            sg_log(SG_LOG_WARN, "events: %s", err);
        else if (n)
            break; /* a pause after some events: handle them now */
    }
    return n;
}

int main(int argc, char **argv)
{
    sg_daemon d = {.name = "sigma-coordinator", .usage = usage_text};
    int rc = sg_daemon_configure(&d, argc, argv, NULL, NULL, NULL);
    if (rc >= 0)
        return rc;
    sg_daemon_signals();
    const char *conninfo = d.conninfo;

    char err[1024], me[128];
    snprintf(me, sizeof me, "sigma-coordinator:%s", d.id);
    size_t max = (size_t)sg_config_number("coordinator.batch_max");
    int poll_ms = (int)sg_config_number("coordinator.poll_ms");
    rd_kafka_message_t **msgs = calloc(max, sizeof *msgs);
    sg_store *s = msgs ? sg_store_connect(conninfo, err, sizeof err) : NULL;
    sg_bus *p = s ? sg_bus_producer_new(err, sizeof err) : NULL;
    sg_lead *lead = p ? sg_lead_new(conninfo) : NULL;
    if (!lead) {
        fprintf(stderr, "sigma-coordinator: %s\n", msgs ? err : "out of memory");
        sg_bus_free(p);
        sg_store_close(s);
        free(msgs);
        return 1;
    }
    if (sg_bus_create_topics((int)sg_config_number("bus.timeout_ms"), err, sizeof err))
        sg_log(SG_LOG_WARN, "topics not created (%s); going on with the topics the broker has", err);

    /* The operator's view: every coordinator serves it, leading or not. */
    sg_probe probe = {conninfo, p, NULL};
    co_http *pages = co_http_new(conninfo);
    sg_serve *http = pages ? sg_serve_new(d.name, sg_probe_ready, &probe) : NULL;
    sg_inst_process(d.name);
    if (!http || co_http_routes(pages, http) || sg_serve_start(http, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", http ? err : "out of memory");
        sg_running = 0;
        rc = 1;
    }

    sg_bus *c = NULL;
    double next_sweep = 0;
    int waiting = 0;
    while (sg_running) {
        if (!sg_lead_try(lead)) { /* another coordinator leads: wait to take over */
            if (!waiting++)
                sg_log(SG_LOG_INFO, "another coordinator leads: waiting to take over");
            sg_daemon_sleep_ms(poll_ms);
            continue;
        }
        if (!c) {
            sg_log(SG_LOG_INFO, "leading (%s): joining group %s", me, sg_config_get("coordinator.group"));
            waiting = 0;
            if (!(c = join())) {
                sg_daemon_sleep_ms(poll_ms);
                continue;
            }
            next_sweep = 0; /* resume from the database at once */
        }
        if (sg_clock_ms() >= next_sweep) {
            if (!sg_lead_held(lead)) { /* lost with its connection: stop consuming */
                sg_bus_free(c);
                c = NULL;
                continue;
            }
            sg_coord_sweep(s, p);
            next_sweep = sg_clock_ms() + poll_ms;
        }
        size_t n = read_batch(c, msgs, max, poll_ms);
        int failed = n && sg_coord_batch(s, p, c, msgs, n, me, err, sizeof err);
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
        if (failed) { /* nothing of it committed to Kafka: rejoin, which redelivers */
            sg_log(SG_LOG_ERROR, "batch of %zu events: %s (read again)", n, err);
            sg_bus_free(c);
            c = NULL;
        }
    }
    sg_serve_free(http);
    co_http_free(pages);
    sg_bus_free(c);
    sg_lead_free(lead);
    sg_bus_free(p);
    sg_store_close(s);
    free(msgs);
    sg_tm_reset();
    sg_log(SG_LOG_INFO, "stopped");
    return rc < 0 ? 0 : rc;
}
