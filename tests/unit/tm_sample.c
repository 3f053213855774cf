/*
 * tm_sample.c - prints a representative rendering of the Prometheus registry
 * (telemetry.h) on stdout, for `promtool check metrics` (promtool_test.sh):
 * what the programs will register (counters by phase and outcome, batch and
 * fetch histograms, lag per partition set by a collector, a leader gauge),
 * plus the corners: escaping, invalid UTF-8, NaN and infinities, a family past
 * its cap of series.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "telemetry.h"

static void collect_lag(void *ctx)
{
    sg_tm_family *lag = ctx;
    sg_tm_clear(lag);
    for (int p = 0; p < 4; p++) {
        char part[8];
        snprintf(part, sizeof part, "%d", p);
        sg_tm_set(lag, 10.0 * p, "sigma.tasks", part);
    }
}

static void pipeline(void)
{
    static const char *const phases[] = {"prices", "factors", "metrics", "onboarding"};
    const double fetch_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    sg_tm_family *tasks =
        sg_tm_counter("sigma_worker_tasks_total", "Tasks answered, by phase and outcome.", "phase,outcome");
    sg_tm_family *batches = sg_tm_counter("sigma_worker_batches_total", "Batches processed.", NULL);
    sg_tm_family *batch_s = sg_tm_histogram("sigma_worker_batch_seconds", "Time to process a batch.", "phase", NULL, 0);
    sg_tm_family *fetch_s = sg_tm_histogram("sigma_fetch_seconds", "Time to fetch one symbol's bars, by provider.",
                                            "provider", fetch_bounds, sizeof fetch_bounds / sizeof fetch_bounds[0]);
    sg_tm_family *lag =
        sg_tm_gauge("sigma_consumer_lag_messages", "Messages behind the end, per partition held.", "topic,partition");
    sg_tm_family *leader = sg_tm_gauge("sigma_coordinator_leader", "1 while this coordinator holds the lead.", NULL);
    for (int i = 0; i < 4; i++) {
        sg_tm_add(tasks, 100 + i, phases[i], "ok");
        sg_tm_add(tasks, i, phases[i], "failed");
        sg_tm_observe(batch_s, 0.01 * (i + 1), phases[i]);
    }
    sg_tm_add(batches, 1234567);
    sg_tm_observe(fetch_s, 0.2, "yahoo");
    sg_tm_observe(fetch_s, 31, "fmp");
    sg_tm_set(leader, 1);
    sg_tm_collector(collect_lag, lag);
}

static void corners(void)
{
    sg_tm_family *errors =
        sg_tm_counter("sigma_errors_total", "Errors by reason: \"quoted\", C:\\path,\nsecond line.", "reason");
    sg_tm_add(errors, 1, "say \"no\"");
    sg_tm_add(errors, 1, "C:\\dir\\file");
    sg_tm_add(errors, 1, "two\nlines");
    sg_tm_add(errors, 1, "Zürich €");
    sg_tm_add(errors, 1, "bad \xff\xc3 bytes");
    sg_tm_add(errors, 1, (const char *)NULL);
    sg_tm_family *odd = sg_tm_gauge("sigma_odd_values", "NaN and infinities.", "case");
    sg_tm_set(odd, NAN, "nan");
    sg_tm_set(odd, INFINITY, "inf");
    sg_tm_set(odd, -INFINITY, "minus_inf");
    sg_tm_set(odd, 1e-7, "small");
    sg_tm_set(odd, -0.5, "negative");
    sg_tm_family *capped = sg_tm_counter("sigma_symbol_failures_total", "Failures by symbol (capped).", "symbol");
    for (int i = 0; i < SG_TM_MAX_SERIES + 10; i++) {
        char sym[16];
        snprintf(sym, sizeof sym, "S%05d", i);
        sg_tm_add(capped, 1, sym);
    }
}

int main(void)
{
    size_t len;
    pipeline();
    corners();
    char *text = sg_tm_render(&len);
    if (!text || fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "tm_sample: cannot render or write\n");
        free(text);
        sg_tm_reset();
        return 1;
    }
    free(text);
    sg_tm_reset();
    return 0;
}
