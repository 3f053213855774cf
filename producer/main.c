/*
 * sigma-producer - the nightly fan-out and the onboarding relay (DESIGN.md
 * §3; docs/pipeline.md, "The producer", "Onboarding"). Its story:
 *
 *   configure (-d, --brokers, -X) -> connect to PostgreSQL -> create the Kafka
 *   producer and the topics -> LISTEN on both channels -> loop {
 *     finish every fan-out of a prices phase left unfinished (a crash);
 *     turn each pending request into a run and fan its prices tasks out;
 *     relay the onboarding queue's pending (and timed-out) rows (relay.c);
 *     wait for a NOTIFY or the timer (producer.poll_ms) } -> close.
 *
 * Owns: the loop and its wake-ups. The ledger and the fan-out are runs.c's.
 * Must not: fan out factors or metrics (the coordinator starts them), or
 * consume from Kafka. SIGTERM/SIGINT: the step in hand is finished, exit 0;
 * a second signal exits at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "daemon.h"
#include "instruments.h"
#include "log.h"
#include "probe.h"
#include "serve.h"
#include "telemetry.h"
#include "relay.h"
#include "runs.h"
#include "store_io.h"

#define CHANNEL "sigma_run_requests"

static const char usage_text[] =
    "usage: sigma-producer [-d CONNINFO] [--brokers LIST] [-X name=value]... [-F FILE] [--once] [-v]\n"
    "  turns run requests (sigmactl run) into runs and publishes their prices tasks;\n"
    "  relays symbol_onboarding_queue rows onto the onboarding topic (onboarding.* settings).\n"
    "  -d         libpq connection string or URI (default: the PG* environment)\n"
    "  --brokers  Kafka bootstrap servers (setting bus.brokers)\n"
    "  -X         a sigmabatch setting (-X list) or a librdkafka property\n"
    "  -F         a file of -X assignments, one name=value a line (# comments): secrets off argv\n"
    "  --once     handle pending requests, unfinished fan-outs and queue rows, then exit\n"
    "  -v         more messages (twice: debug)\n";

enum { OPT_ONCE = 256 };

static int on_option(int key, const char *arg, void *ctx, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    *(int *)ctx = key == OPT_ONCE;
    return key == OPT_ONCE ? 0 : -1;
}

/* Fans out a run's prices phase; a failure is logged and left to the next
 * round (the ledger says what has no outcome yet). */
static void fan_out(sg_store *s, sg_bus *b, const char *run)
{
    char err[1024];
    long n;
    if (sg_runs_fan_out(s, b, run, "prices", &n, err, sizeof err))
        sg_log(SG_LOG_ERROR, "run %s: fan-out of prices: %s (retried in the next round)", run, err);
    else
        sg_log(SG_LOG_INFO, "run %s: prices: %ld task(s) published and acknowledged", run, n);
}

/* Runs whose prices fan-out a crash left unfinished. */
static void finish_fan_outs(sg_store *s, sg_bus *b)
{
    char err[1024], **ids;
    size_t n;
    if (sg_runs_list(s, "prices", true, &ids, &n, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return;
    }
    for (size_t i = 0; i < n && sg_running; i++)
        fan_out(s, b, ids[i]);
    sg_strings_free(ids, n);
}

/* Every pending request, oldest first, each in its own transaction. */
static void handle_requests(sg_store *s, sg_bus *b, const char *me)
{
    char err[1024];
    sg_run_opened o;
    while (sg_running) {
        if (sg_runs_open_next(s, me, &o, err, sizeof err)) {
            sg_log(SG_LOG_ERROR, "%s", err);
            return;
        }
        if (!o.any)
            return;
        if (o.joined) {
            sg_log(SG_LOG_INFO, "request %lld joined the open run %s", o.request, o.run);
            continue;
        }
        sg_log(SG_LOG_INFO, "request %lld: run %s opened with %zu symbols", o.request, o.run, o.nsymbols);
        if (o.bulk_days)
            sg_log(SG_LOG_INFO, "run %s: bulk: %s from %s; %zu of %zu symbols wait for it", o.run, o.bulk_days_text,
                   o.bulk_provider, o.waiting, o.nsymbols);
        fan_out(s, b, o.run);
    }
}

/* The onboarding relay: queue rows onto the onboarding topic (relay.h). A
 * failure is logged; the rows stay as they were for the next round. */
static void relay(sg_store *s, sg_bus *b)
{
    char err[1024];
    pr_relay_counts n = {0};
    if (pr_relay_round(s, b, &n, err, sizeof err))
        sg_log(SG_LOG_ERROR, "onboarding relay: %s (retried in the next round)", err);
    if (n.published || n.republished || n.refused || n.given_up || n.unacked)
        sg_log(SG_LOG_INFO,
               "onboarding relay: %ld published, %ld published again, %ld refused, %ld given up, %ld unacknowledged",
               n.published, n.republished, n.refused, n.given_up, n.unacked);
}

/* LISTEN on the current connection (again after a reconnect). */
static PGconn *listen_on(sg_store *s, PGconn *listening)
{
    char err[1024];
    PGconn *c = sg_store_conn(s);
    if (c == listening && c && PQstatus(c) == CONNECTION_OK)
        return c;
    if (sg_store_exec(s, "listen", "LISTEN " CHANNEL "; LISTEN " PR_RELAY_CHANNEL, err, sizeof err)) {
        sg_log(SG_LOG_WARN, "%s (polling every producer.poll_ms instead)", err);
        return NULL;
    }
    return sg_store_conn(s);
}

/* Sleeps until a NOTIFY on the channel, the timer, or a signal. */
static void wait_for_work(PGconn *c, int ms)
{
    fd_set fds;
    FD_ZERO(&fds);
    int fd = c ? PQsocket(c) : -1;
    if (fd >= 0)
        FD_SET(fd, &fds);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (select(fd + 1, &fds, NULL, NULL, &tv) > 0 && PQconsumeInput(c)) {
        PGnotify *n;
        while ((n = PQnotifies(c))) {
            sg_log(SG_LOG_DEBUG, "notified on %s: %s", n->relname, n->extra);
            PQfreemem(n);
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option extra[] = {{"once", no_argument, NULL, OPT_ONCE}, {NULL, 0, NULL, 0}};
    sg_daemon d = {.name = "sigma-producer", .usage = usage_text};
    int once = 0;
    int rc = sg_daemon_configure(&d, argc, argv, extra, on_option, &once);
    if (rc >= 0)
        return rc;
    sg_daemon_signals();

    char err[1024], me[128];
    snprintf(me, sizeof me, "sigma-producer:%s", d.id);
    sg_store *s = sg_store_connect(d.conninfo, err, sizeof err);
    sg_bus *b = s ? sg_bus_producer_new(err, sizeof err) : NULL;
    if (!b) {
        fprintf(stderr, "sigma-producer: %s\n", err);
        sg_store_close(s);
        return 1;
    }
    if (sg_bus_create_topics((int)sg_config_number("bus.timeout_ms"), err, sizeof err))
        sg_log(SG_LOG_WARN, "topics not created (%s); going on with the topics the broker has", err);
    sg_probe probe = {d.conninfo, b, NULL};
    sg_serve *http = sg_serve_new(d.name, sg_probe_ready, &probe);
    sg_inst_process(d.name);
    if (!http || sg_serve_start(http, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", http ? err : "out of memory");
        sg_serve_free(http);
        sg_bus_free(b);
        sg_store_close(s);
        return 1;
    }

    PGconn *listening = NULL;
    while (sg_running) {
        listening = listen_on(s, listening);
        finish_fan_outs(s, b);
        handle_requests(s, b, me);
        relay(s, b);
        if (once || sg_store_unreachable(s))
            break;
        wait_for_work(listening, (int)sg_config_number("producer.poll_ms"));
    }
    rc = sg_store_unreachable(s) ? 1 : 0;
    if (rc)
        sg_log(SG_LOG_ERROR, "the database stays unreachable: stopping");
    sg_serve_free(http);
    sg_bus_free(b);
    sg_store_close(s);
    sg_tm_reset();
    sg_log(SG_LOG_INFO, "stopped");
    return rc;
}
