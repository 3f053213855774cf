/* instruments.c - see instruments.h. */
#include "instruments.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe.h"
#include "telemetry.h"

#ifndef SG_VERSION
#define SG_VERSION "0.1.0"
#endif

static const double batch_buckets[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
static const double second_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
#define NB(a) (sizeof a / sizeof a[0])

static struct {
    sg_tm_family *consumed, *delivered, *dead, *outcomes, *recorded, *events, *batch_msgs, *batch_s, *phase_s,
        *phase_symbols, *prov_answers, *prov_retries, *prov_throttled, *db_errors, *onboarding, *runs_closed, *lag,
        *assigned;
} f;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void define(void)
{
    f.consumed = sg_tm_counter("sigma_messages_consumed_total", "Messages read from the broker, by topic", "topic");
    f.delivered = sg_tm_counter("sigma_messages_produced_total",
                                "Messages produced, by topic and delivery result (acknowledged, failed)",
                                "topic,result");
    f.dead = sg_tm_counter("sigma_dead_letters_total", "Messages sent to the dead-letter topic, by source topic",
                           "topic");
    f.outcomes = sg_tm_counter("sigma_outcomes_total", "Outcomes a worker answered, by phase, outcome and reason class",
                               "phase,outcome,reason");
    f.recorded = sg_tm_counter("sigma_outcomes_recorded_total",
                               "Outcomes the coordinator recorded (first per run, phase and symbol)",
                               "phase,outcome,reason");
    f.events = sg_tm_counter("sigma_events_total",
                             "Events the coordinator read, by result (new, duplicate, unknown, upgraded, invalid)",
                             "result");
    f.batch_msgs = sg_tm_histogram("sigma_batch_messages", "Messages in a worker's batch", NULL, batch_buckets,
                                   NB(batch_buckets));
    f.batch_s = sg_tm_histogram("sigma_batch_duration_seconds",
                                "A batch from its processing to its committed offsets (retries included)", NULL, second_buckets,
                                NB(second_buckets));
    f.phase_s = sg_tm_histogram("sigma_phase_duration_seconds",
                                "One group of a batch (a phase for many symbols, or one onboarding)", "phase",
                                second_buckets, NB(second_buckets));
    f.phase_symbols = sg_tm_counter("sigma_phase_symbols_total", "Symbols processed, by phase", "phase");
    f.prov_answers = sg_tm_counter("sigma_provider_requests_total",
                                   "Provider answers, by provider and HTTP status (error: no answer)",
                                   "provider,status");
    f.prov_retries = sg_tm_counter("sigma_provider_retries_total",
                                   "Provider requests retried, by provider and what failed (HTTP status or error)",
                                   "provider,status");
    f.prov_throttled = sg_tm_counter("sigma_provider_throttled_total",
                                     "Requests that waited for the provider's rate limit", "provider");
    f.db_errors = sg_tm_counter("sigma_db_errors_total",
                                "Failed database statements, by SQLSTATE class and whether the unit is retried",
                                "class,transient");
    f.onboarding = sg_tm_counter("sigma_onboarding_rows_total",
                                 "Onboarding queue rows the relay handled, by result", "result");
    f.runs_closed = sg_tm_counter("sigma_runs_closed_total", "Runs the coordinator closed", NULL);
    f.lag = sg_tm_gauge("sigma_consumer_lag", "Messages behind the partition's end (as last fetched)",
                        "topic,partition");
    f.assigned = sg_tm_gauge("sigma_consumer_assigned_partitions", "Partitions this consumer holds", NULL);
}

static void init(void)
{
    pthread_once(&once, define);
}

void sg_inst_consumed(const char *topic)
{
    init();
    sg_tm_add(f.consumed, 1, topic);
}

void sg_inst_delivered(const char *topic, bool acknowledged)
{
    init();
    sg_tm_add(f.delivered, 1, topic, acknowledged ? "acknowledged" : "failed");
}

void sg_inst_dead_letter(const char *topic)
{
    init();
    sg_tm_add(f.dead, 1, topic);
}

void sg_inst_reason_class(const char *reason, char *out, size_t outlen)
{
    size_t n = 0;
    if (!outlen)
        return;
    for (const char *p = reason ? reason : ""; *p && !strchr(":;(,", *p) && n + 1 < outlen && n < 40; p++)
        out[n++] = *p > ' ' && *p < 0x7f ? (char)tolower((unsigned char)*p) : ' ';
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (!n && outlen > 4)
        snprintf(out, outlen, "%s", reason && *reason ? "other" : "none");
}

static void outcome(sg_tm_family *fam, const char *phase, bool ok, const char *reason)
{
    char cls[48]; /* the caller ran init(): it read the family first */
    if (ok)
        snprintf(cls, sizeof cls, "none");
    else
        sg_inst_reason_class(reason, cls, sizeof cls);
    sg_tm_add(fam, 1, phase, ok ? "ok" : "failed", cls);
}

void sg_inst_outcome(const char *phase, bool ok, const char *reason)
{
    init();
    outcome(f.outcomes, phase, ok, reason);
}

void sg_inst_recorded(const char *phase, bool ok, const char *reason)
{
    init();
    outcome(f.recorded, phase, ok, reason);
}

void sg_inst_event(const char *result)
{
    init();
    sg_tm_add(f.events, 1, result);
}

void sg_inst_batch(size_t messages, double seconds)
{
    init();
    sg_tm_observe(f.batch_msgs, (double)messages);
    sg_tm_observe(f.batch_s, seconds);
}

void sg_inst_phase(const char *phase, size_t symbols, double seconds)
{
    init();
    sg_tm_observe(f.phase_s, seconds, phase);
    sg_tm_add(f.phase_symbols, (double)symbols, phase);
}

static const char *status_label(long status, char *buf, size_t len)
{
    if (status <= 0)
        return "error";
    snprintf(buf, len, "%ld", status);
    return buf;
}

void sg_inst_provider_answer(const char *provider, long status)
{
    char b[24];
    init();
    sg_tm_add(f.prov_answers, 1, provider, status_label(status, b, sizeof b));
}

void sg_inst_provider_retry(const char *provider, long status)
{
    char b[24];
    init();
    sg_tm_add(f.prov_retries, 1, provider, status_label(status, b, sizeof b));
}

void sg_inst_provider_throttled(const char *provider)
{
    init();
    sg_tm_add(f.prov_throttled, 1, provider);
}

void sg_inst_db_error(const char *sqlstate, bool transient)
{
    char cls[3] = "??";
    init();
    if (sqlstate && strlen(sqlstate) >= 2 && isalnum((unsigned char)sqlstate[0]) && isalnum((unsigned char)sqlstate[1]))
        cls[0] = sqlstate[0], cls[1] = sqlstate[1];
    else
        snprintf(cls, sizeof cls, "%s", "08"); /* no SQLSTATE: the connection itself failed */
    sg_tm_add(f.db_errors, 1, cls, transient ? "true" : "false");
}

void sg_inst_onboarding(const char *result, size_t n)
{
    init();
    if (n)
        sg_tm_add(f.onboarding, (double)n, result);
}

void sg_inst_run_closed(void)
{
    init();
    sg_tm_add(f.runs_closed, 1);
}

void sg_inst_process(const char *program)
{
    init();
    sg_tm_family *info = sg_tm_gauge("sigma_build_info", "The program and its version (always 1)", "program,version");
    sg_tm_family *start = sg_tm_gauge("sigma_process_start_time_seconds", "Start of the process, Unix time", NULL);
    sg_tm_set(info, 1, program, SG_VERSION);
    sg_tm_set(start, (double)time(NULL));
}

static void collect_lag(void *ctx)
{
    sg_lag *lag = NULL;
    int n = sg_probe_lag(ctx, &lag);
    sg_tm_clear(f.lag);
    for (int i = 0; i < n; i++) {
        char part[16];
        snprintf(part, sizeof part, "%d", (int)lag[i].partition);
        if (lag[i].lag >= 0)
            sg_tm_set(f.lag, (double)lag[i].lag, lag[i].topic, part);
    }
    if (n >= 0)
        sg_tm_set(f.assigned, n);
    free(lag);
}

void sg_inst_lag_collector(sg_bus *consumer)
{
    init();
    sg_tm_collector(collect_lag, consumer);
}
