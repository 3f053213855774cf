/*
 * test_telemetry.c - the Prometheus registry (telemetry.h): the exact text of
 * the exposition format 0.0.4 for counters, gauges and histograms, with and
 * without labels; escaping; the rules on names; the cap on series; exact sums
 * under concurrent counting; collectors. The expected texts follow the
 * format's specification (prometheus.io, "Exposition formats") and what the
 * Go client prints; `promtool check metrics` checks a rendering too
 * (tests/unit/promtool_test.sh).
 */
#include "telemetry.h"
#include "sgtest.h"

#include <pthread.h>

/* The registry's text; fails the test when it is not exactly `expected`. */
static void assert_render(const char *expected)
{
    size_t len = 0;
    char *text = sg_tm_render(&len);
    assert_non_null(text);
    assert_string_equal(text, expected);
    assert_int_equal(len, strlen(expected));
    free(text);
}

static int reset(void **state)
{
    (void)state;
    sg_tm_reset();
    return 0;
}

static void test_empty(void **state)
{
    (void)state;
    assert_render("");
}

static void test_counter_without_labels(void **state)
{
    (void)state;
    sg_tm_family *c = sg_tm_counter("sigma_batches_total", "Batches processed.", NULL);
    assert_non_null(c);
    /* an unlabelled family exists from registration on: it renders 0 */
    assert_render("# HELP sigma_batches_total Batches processed.\n"
                  "# TYPE sigma_batches_total counter\n"
                  "sigma_batches_total 0\n");
    sg_tm_add(c, 1);
    sg_tm_add(c, 2.5);
    sg_tm_add(c, -1);  /* counters only go up: ignored */
    sg_tm_add(c, NAN); /* ignored */
    assert_render("# HELP sigma_batches_total Batches processed.\n"
                  "# TYPE sigma_batches_total counter\n"
                  "sigma_batches_total 3.5\n");
}

static void test_counter_with_labels(void **state)
{
    (void)state;
    sg_tm_family *c = sg_tm_counter("sigma_tasks_total", "Tasks answered, by phase and outcome.", "phase,outcome");
    sg_tm_family *b = sg_tm_counter("sigma_bytes_total", "Bytes.", NULL);
    assert_non_null(c);
    /* a labelled family has no series until it is given label values */
    assert_render("# HELP sigma_tasks_total Tasks answered, by phase and outcome.\n"
                  "# TYPE sigma_tasks_total counter\n"
                  "# HELP sigma_bytes_total Bytes.\n"
                  "# TYPE sigma_bytes_total counter\n"
                  "sigma_bytes_total 0\n");
    sg_tm_add(c, 1, "prices", "ok");
    sg_tm_add(c, 1, "factors", "ok");
    sg_tm_add(c, 2, "prices", "ok");
    sg_tm_add(c, 1, "prices", "failed");
    sg_tm_add(b, 1234567);
    /* families in registration order, series in creation order */
    assert_render("# HELP sigma_tasks_total Tasks answered, by phase and outcome.\n"
                  "# TYPE sigma_tasks_total counter\n"
                  "sigma_tasks_total{phase=\"prices\",outcome=\"ok\"} 3\n"
                  "sigma_tasks_total{phase=\"factors\",outcome=\"ok\"} 1\n"
                  "sigma_tasks_total{phase=\"prices\",outcome=\"failed\"} 1\n"
                  "# HELP sigma_bytes_total Bytes.\n"
                  "# TYPE sigma_bytes_total counter\n"
                  "sigma_bytes_total 1.234567e+06\n");
}

static void test_escaping(void **state)
{
    (void)state;
    sg_tm_family *c = sg_tm_counter("sigma_errors_total", "Errors by \"reason\": a\\b\nsecond line.", "reason");
    sg_tm_add(c, 1, "say \"no\"");
    sg_tm_add(c, 1, "C:\\dir\\file");
    sg_tm_add(c, 1, "two\nlines");
    sg_tm_add(c, 1, "Zürich €");         /* valid UTF-8 stays */
    sg_tm_add(c, 1, "bad \xff\xc3 end"); /* invalid bytes become '?' */
    sg_tm_add(c, 1, "\xed\xa0\x80");     /* a UTF-16 surrogate is not UTF-8 */
    sg_tm_add(c, 1, (const char *)NULL);
    /* HELP escapes backslash and newline (not quotes); label values all three */
    assert_render("# HELP sigma_errors_total Errors by \"reason\": a\\\\b\\nsecond line.\n"
                  "# TYPE sigma_errors_total counter\n"
                  "sigma_errors_total{reason=\"say \\\"no\\\"\"} 1\n"
                  "sigma_errors_total{reason=\"C:\\\\dir\\\\file\"} 1\n"
                  "sigma_errors_total{reason=\"two\\nlines\"} 1\n"
                  "sigma_errors_total{reason=\"Zürich €\"} 1\n"
                  "sigma_errors_total{reason=\"bad ?? end\"} 1\n"
                  "sigma_errors_total{reason=\"???\"} 1\n"
                  "sigma_errors_total{reason=\"\"} 1\n");
}

static void test_histogram(void **state)
{
    (void)state;
    const double bounds[] = {0.125, 1, 2.5};
    sg_tm_family *h = sg_tm_histogram("sigma_batch_seconds", "Time to process a batch.", NULL, bounds, 3);
    assert_non_null(h);
    sg_tm_observe(h, 0.0625);
    sg_tm_observe(h, 0.125); /* on a bound: counted in it (le is <=) */
    sg_tm_observe(h, 0.5);
    sg_tm_observe(h, 3);
    sg_tm_observe(h, 100);
    sg_tm_observe(h, NAN); /* ignored */
    /* buckets cumulative, +Inf = count; sum exact in binary */
    assert_render("# HELP sigma_batch_seconds Time to process a batch.\n"
                  "# TYPE sigma_batch_seconds histogram\n"
                  "sigma_batch_seconds_bucket{le=\"0.125\"} 2\n"
                  "sigma_batch_seconds_bucket{le=\"1\"} 3\n"
                  "sigma_batch_seconds_bucket{le=\"2.5\"} 3\n"
                  "sigma_batch_seconds_bucket{le=\"+Inf\"} 5\n"
                  "sigma_batch_seconds_sum 103.6875\n"
                  "sigma_batch_seconds_count 5\n");
}

static void test_histogram_with_labels(void **state)
{
    (void)state;
    const double bounds[] = {1, INFINITY}; /* +Inf given: dropped, it is always there */
    sg_tm_family *h = sg_tm_histogram("sigma_fetch_seconds", "Fetch time.", "provider", bounds, 2);
    assert_non_null(h);
    sg_tm_observe(h, 0.5, "yahoo");
    sg_tm_observe(h, 2, "fmp");
    sg_tm_observe(h, 0.25, "yahoo");
    assert_render("# HELP sigma_fetch_seconds Fetch time.\n"
                  "# TYPE sigma_fetch_seconds histogram\n"
                  "sigma_fetch_seconds_bucket{provider=\"yahoo\",le=\"1\"} 2\n"
                  "sigma_fetch_seconds_bucket{provider=\"yahoo\",le=\"+Inf\"} 2\n"
                  "sigma_fetch_seconds_sum{provider=\"yahoo\"} 0.75\n"
                  "sigma_fetch_seconds_count{provider=\"yahoo\"} 2\n"
                  "sigma_fetch_seconds_bucket{provider=\"fmp\",le=\"1\"} 0\n"
                  "sigma_fetch_seconds_bucket{provider=\"fmp\",le=\"+Inf\"} 1\n"
                  "sigma_fetch_seconds_sum{provider=\"fmp\"} 2\n"
                  "sigma_fetch_seconds_count{provider=\"fmp\"} 1\n");
}

static void test_histogram_default_buckets(void **state)
{
    (void)state;
    sg_tm_family *h = sg_tm_histogram("sigma_default_seconds", "Defaults.", NULL, NULL, 0);
    sg_tm_observe(h, 0.007);
    /* the Prometheus clients' defaults, printed as they print them */
    assert_render("# HELP sigma_default_seconds Defaults.\n"
                  "# TYPE sigma_default_seconds histogram\n"
                  "sigma_default_seconds_bucket{le=\"0.005\"} 0\n"
                  "sigma_default_seconds_bucket{le=\"0.01\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"0.025\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"0.05\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"0.1\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"0.25\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"0.5\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"1\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"2.5\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"5\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"10\"} 1\n"
                  "sigma_default_seconds_bucket{le=\"+Inf\"} 1\n"
                  "sigma_default_seconds_sum 0.007\n"
                  "sigma_default_seconds_count 1\n");
}

static void test_gauges(void **state)
{
    (void)state;
    sg_tm_family *up = sg_tm_gauge("sigma_leader", "1 while this coordinator leads.", NULL);
    sg_tm_family *lag = sg_tm_gauge("sigma_consumer_lag", "Messages behind, per partition.", "topic,partition");
    sg_tm_set(up, 1);
    sg_tm_add(up, -0.5);
    sg_tm_set(lag, 10, "sigma.tasks", "0");
    sg_tm_set(lag, 7, "sigma.tasks", "1");
    sg_tm_set(lag, 3, "sigma.tasks", "0"); /* set replaces */
    sg_tm_add(lag, 2, "sigma.tasks", "1");
    assert_render("# HELP sigma_leader 1 while this coordinator leads.\n"
                  "# TYPE sigma_leader gauge\n"
                  "sigma_leader 0.5\n"
                  "# HELP sigma_consumer_lag Messages behind, per partition.\n"
                  "# TYPE sigma_consumer_lag gauge\n"
                  "sigma_consumer_lag{topic=\"sigma.tasks\",partition=\"0\"} 3\n"
                  "sigma_consumer_lag{topic=\"sigma.tasks\",partition=\"1\"} 9\n");
    /* after a rebalance only partition 1 is held: clear, then set what is */
    sg_tm_clear(lag);
    sg_tm_set(lag, 4, "sigma.tasks", "1");
    sg_tm_set(up, NAN);
    assert_render("# HELP sigma_leader 1 while this coordinator leads.\n"
                  "# TYPE sigma_leader gauge\n"
                  "sigma_leader NaN\n"
                  "# HELP sigma_consumer_lag Messages behind, per partition.\n"
                  "# TYPE sigma_consumer_lag gauge\n"
                  "sigma_consumer_lag{topic=\"sigma.tasks\",partition=\"1\"} 4\n");
}

static void test_numbers(void **state)
{
    (void)state;
    sg_tm_family *g = sg_tm_gauge("sigma_value", "", "case");
    sg_tm_set(g, 0.1, "tenth");
    sg_tm_set(g, -2, "negative");
    sg_tm_set(g, 1e-7, "small");
    sg_tm_set(g, 123456789012, "large");
    sg_tm_set(g, 1e6, "million");
    sg_tm_set(g, 999999, "below");
    sg_tm_set(g, 1.0 / 3, "third");
    sg_tm_set(g, INFINITY, "inf");
    sg_tm_set(g, -INFINITY, "-inf");
    /* an empty help has no HELP line; numbers as the Go client prints them
     * (strconv.FormatFloat(v, 'g', -1, 64)): the shortest that reads back */
    assert_render("# TYPE sigma_value gauge\n"
                  "sigma_value{case=\"tenth\"} 0.1\n"
                  "sigma_value{case=\"negative\"} -2\n"
                  "sigma_value{case=\"small\"} 1e-07\n"
                  "sigma_value{case=\"large\"} 1.23456789012e+11\n"
                  "sigma_value{case=\"million\"} 1e+06\n"
                  "sigma_value{case=\"below\"} 999999\n"
                  "sigma_value{case=\"third\"} 0.3333333333333333\n"
                  "sigma_value{case=\"inf\"} +Inf\n"
                  "sigma_value{case=\"-inf\"} -Inf\n");
}

static void test_names(void **state)
{
    (void)state;
    assert_null(sg_tm_counter("sigma_tasks", "a counter must end in _total", NULL));
    assert_null(sg_tm_counter("9lives_total", "", NULL));
    assert_null(sg_tm_counter("sigma-tasks_total", "", NULL));
    assert_null(sg_tm_counter("", "", NULL));
    assert_null(sg_tm_counter(NULL, "", NULL));
    assert_null(sg_tm_gauge("sigma_g", "", "phase,"));
    assert_null(sg_tm_gauge("sigma_g", "", "phase,,outcome"));
    assert_null(sg_tm_gauge("sigma_g", "", "phase,phase"));
    assert_null(sg_tm_gauge("sigma_g", "", "__name"));
    assert_null(sg_tm_gauge("sigma_g", "", "a:b"));
    assert_null(sg_tm_gauge("sigma_g", "", "phase, outcome"));
    assert_null(sg_tm_histogram("sigma_h", "", "le", NULL, 0));
    const double down[] = {1, 0.5}, nan[] = {NAN}, inf_first[] = {INFINITY, 1};
    assert_null(sg_tm_histogram("sigma_h", "", NULL, down, 2));
    assert_null(sg_tm_histogram("sigma_h", "", NULL, nan, 1));
    assert_null(sg_tm_histogram("sigma_h", "", NULL, inf_first, 2));
    assert_render(""); /* nothing refused was registered */

    assert_non_null(sg_tm_gauge("sigma:rule:ratio", "colons are allowed in metric names", NULL));
    sg_tm_family *c = sg_tm_counter("sigma_runs_total", "Runs.", "status");
    assert_non_null(c);
    /* the same name again: the same family, when it is the same */
    assert_ptr_equal(sg_tm_counter("sigma_runs_total", "other help ignored", "status"), c);
    assert_null(sg_tm_counter("sigma_runs_total", "Runs.", "status,phase"));
    assert_null(sg_tm_counter("sigma_runs_total", "Runs.", NULL));
    assert_null(sg_tm_gauge("sigma_runs_total", "Runs.", "status"));
    const double b1[] = {1, 2}, b2[] = {1, 3};
    sg_tm_family *h = sg_tm_histogram("sigma_h_seconds", "", NULL, b1, 2);
    assert_ptr_equal(sg_tm_histogram("sigma_h_seconds", "", NULL, b1, 2), h);
    assert_null(sg_tm_histogram("sigma_h_seconds", "", NULL, b2, 2));

    /* NULL families: every call is a no-op */
    sg_tm_add(NULL, 1, "x");
    sg_tm_set(NULL, 1);
    sg_tm_observe(NULL, 1);
    sg_tm_clear(NULL);
    /* the wrong call for the type: ignored */
    sg_tm_set(c, 5, "ok");
    sg_tm_observe(c, 5, "ok");
    sg_tm_add(h, 5);
    sg_tm_clear(c); /* counters are never cleared: rate() would see a reset */
    sg_tm_add(c, 1, "ok");
    sg_tm_clear(c);
    assert_render("# HELP sigma:rule:ratio colons are allowed in metric names\n"
                  "# TYPE sigma:rule:ratio gauge\n"
                  "sigma:rule:ratio 0\n"
                  "# HELP sigma_runs_total Runs.\n"
                  "# TYPE sigma_runs_total counter\n"
                  "sigma_runs_total{status=\"ok\"} 1\n"
                  "# TYPE sigma_h_seconds histogram\n"
                  "sigma_h_seconds_bucket{le=\"1\"} 0\n"
                  "sigma_h_seconds_bucket{le=\"2\"} 0\n"
                  "sigma_h_seconds_bucket{le=\"+Inf\"} 0\n"
                  "sigma_h_seconds_sum 0\n"
                  "sigma_h_seconds_count 0\n");
}

/* The value of the series whose line starts with prefix, or NAN. */
static double value_of(const char *text, const char *prefix)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            return strtod(line + strlen(prefix), NULL);
    return NAN;
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    return n;
}

static void test_cardinality_cap(void **state)
{
    (void)state;
    sg_tm_family *c = sg_tm_counter("sigma_symbol_total", "By symbol (unbounded: capped).", "symbol,phase");
    char sym[16];
    for (int i = 0; i < SG_TM_MAX_SERIES; i++) {
        snprintf(sym, sizeof sym, "S%04d", i);
        sg_tm_add(c, 1, sym, "prices");
    }
    /* past the cap: new values count in one series whose values are all "other" */
    sg_tm_add(c, 1, "NEW1", "prices");
    sg_tm_add(c, 2, "NEW2", "factors");
    sg_tm_add(c, 1, "S0007", "prices"); /* series that exist still count */
    char *text = sg_tm_render(NULL);
    assert_non_null(text);
    assert_int_equal(count_lines(text, "sigma_symbol_total{"), SG_TM_MAX_SERIES + 1);
    assert_same(value_of(text, "sigma_symbol_total{symbol=\"other\",phase=\"other\"} "), 3);
    assert_same(value_of(text, "sigma_symbol_total{symbol=\"S0007\",phase=\"prices\"} "), 2);
    assert_null(strstr(text, "NEW1"));
    free(text);

    /* a gauge cleared is below the cap again */
    sg_tm_family *g = sg_tm_gauge("sigma_lag", "Lag.", "partition");
    for (int i = 0; i < SG_TM_MAX_SERIES + 5; i++) {
        snprintf(sym, sizeof sym, "%d", i);
        sg_tm_set(g, i, sym);
    }
    sg_tm_clear(g);
    sg_tm_set(g, 1, "1004");
    text = sg_tm_render(NULL);
    assert_int_equal(count_lines(text, "sigma_lag{"), 1);
    assert_same(value_of(text, "sigma_lag{partition=\"1004\"} "), 1);
    free(text);
}

/* ---- concurrency -------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 50000

typedef struct counting {
    sg_tm_family *plain, *labelled, *hist;
    int id;
} counting;

static void *count_many(void *arg)
{
    const counting *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        sg_tm_add(w->plain, 1);
        sg_tm_add(w->labelled, 1, i % 2 ? "odd" : "even");
        sg_tm_observe(w->hist, i % 2 ? 0.5 : 2);
        if (i % 10000 == 0)
            free(sg_tm_render(NULL)); /* renders while others count */
    }
    return NULL;
}

static void test_concurrent_adds(void **state)
{
    (void)state;
    const double bounds[] = {1};
    counting w[THREADS];
    pthread_t t[THREADS];
    sg_tm_family *plain = sg_tm_counter("sigma_plain_total", "x", NULL);
    sg_tm_family *labelled = sg_tm_counter("sigma_parity_total", "x", "parity");
    sg_tm_family *hist = sg_tm_histogram("sigma_work_seconds", "x", NULL, bounds, 1);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (counting){plain, labelled, hist, i};
        assert_int_equal(pthread_create(&t[i], NULL, count_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    char *text = sg_tm_render(NULL);
    assert_same(value_of(text, "sigma_plain_total "), THREADS * ROUNDS);
    assert_same(value_of(text, "sigma_parity_total{parity=\"even\"} "), THREADS * ROUNDS / 2);
    assert_same(value_of(text, "sigma_parity_total{parity=\"odd\"} "), THREADS * ROUNDS / 2);
    assert_same(value_of(text, "sigma_work_seconds_bucket{le=\"1\"} "), THREADS * ROUNDS / 2);
    assert_same(value_of(text, "sigma_work_seconds_count "), THREADS * ROUNDS);
    assert_same(value_of(text, "sigma_work_seconds_sum "), THREADS * ROUNDS / 2 * 2.5);
    free(text);
}

/* ---- collectors ----------------------------------------------------------------- */

typedef struct lagger {
    sg_tm_family *lag, *calls;
    int n;
} lagger;

/* As a consumer would: partitions held change from one collection to the next. */
static void collect_lag(void *ctx)
{
    lagger *l = ctx;
    l->n++;
    sg_tm_clear(l->lag);
    sg_tm_set(l->lag, 10 * l->n, l->n % 2 ? "0" : "1");
    sg_tm_set(l->calls, l->n);
}

static void test_collectors(void **state)
{
    (void)state;
    lagger l = {sg_tm_gauge("sigma_lag", "Lag.", "partition"), sg_tm_gauge("sigma_collections", "Calls.", NULL), 0};
    sg_tm_collector(collect_lag, &l);
    assert_render("# HELP sigma_lag Lag.\n"
                  "# TYPE sigma_lag gauge\n"
                  "sigma_lag{partition=\"0\"} 10\n"
                  "# HELP sigma_collections Calls.\n"
                  "# TYPE sigma_collections gauge\n"
                  "sigma_collections 1\n");
    assert_render("# HELP sigma_lag Lag.\n"
                  "# TYPE sigma_lag gauge\n"
                  "sigma_lag{partition=\"1\"} 20\n"
                  "# HELP sigma_collections Calls.\n"
                  "# TYPE sigma_collections gauge\n"
                  "sigma_collections 2\n");
    assert_int_equal(l.n, 2);
    sg_tm_reset(); /* forgets the collector too */
    assert_render("");
    assert_int_equal(l.n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty, reset),
        cmocka_unit_test_setup(test_counter_without_labels, reset),
        cmocka_unit_test_setup(test_counter_with_labels, reset),
        cmocka_unit_test_setup(test_escaping, reset),
        cmocka_unit_test_setup(test_histogram, reset),
        cmocka_unit_test_setup(test_histogram_with_labels, reset),
        cmocka_unit_test_setup(test_histogram_default_buckets, reset),
        cmocka_unit_test_setup(test_gauges, reset),
        cmocka_unit_test_setup(test_numbers, reset),
        cmocka_unit_test_setup(test_names, reset),
        cmocka_unit_test_setup(test_cardinality_cap, reset),
        cmocka_unit_test_setup(test_concurrent_adds, reset),
        cmocka_unit_test_setup(test_collectors, reset),
    };
    int failed = cmocka_run_group_tests_name("telemetry", tests, NULL, NULL);
    sg_tm_reset();
    return failed;
}
