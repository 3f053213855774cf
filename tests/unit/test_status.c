/*
 * test_status.c - common/status's renderers on a status built by hand (no
 * database): the plain lines exactly (docs/status.md), the bars on a
 * terminal, the JSON's fields, the page's escaping and self-containment,
 * and the building blocks (ISO times, HTML escaping).
 */
#include "sgtest.h"

#include <jansson.h>

#include "status.h"

/* 2025-07-15T22:00:00Z */
#define T0 1752616800.0

static const sg_status_failure failures[] = {
    {"prices", "BBB", "<script>alert(1)</script>"},
    {"prices", "CCC", "he said \"no\" & it's 'bad'\nsecond\033[31m line"},
};
static const sg_status_queue_failure queue_failures[] = {{"ZZZZ", "unknown symbol <b>ZZZZ</b>", T0 - 3600}};
static const char *const parts[] = {"sigma.tasks/0", "sigma.tasks/1"};
static const int64_t lags[] = {5, -1};
static const sg_status_worker workers[] = {
    {"hostA:101", "hostA", "127.0.0.1:40123", 101, true, T0 - 3600, T0 + 8, 2, parts, lags, 5},
    {"hostB:202", "hostB", NULL, 202, false, T0 - 7200, T0 - 50, 0, NULL, NULL, 100},
};

/* A run at factors: prices done (3 ok, 2 failed in 3.214 s), factors running
 * for 2.5 s (1 ok, 0 failed, 3 pending), metrics waiting (4). Now is T0 + 10. */
static sg_status open_run(void)
{
    sg_status st = {.now = T0 + 10, .has_run = true};
    st.run = (sg_status_run){"nightly-2025-07-15-r2", "2025-07-15", "factors", "running", false, T0, NAN, 13, 0, 0};
    st.phases[0] = (sg_status_phase){"prices", "done", 5, 3, 2, 0, T0, T0 + 3.214, 3.214};
    st.phases[1] = (sg_status_phase){"factors", "running", 4, 1, 0, 3, T0 + 7.5, NAN, 2.5};
    st.phases[2] = (sg_status_phase){"metrics", "waiting", 4, 0, 0, 4, NAN, NAN, NAN};
    st.failures_total = 7;
    st.failures = failures;
    st.nfailures = 2;
    st.queue_pending = 2;
    st.queue_processing = 1;
    st.queue_completed = 10;
    st.queue_failed = 1;
    st.queue_failures = queue_failures;
    st.nqueue_failures = 1;
    st.workers = workers;
    st.nworkers = 2;
    st.workers_alive = 1;
    st.lag_total = 5;
    return st; /* the recent runs: set by a caller that wants them (st.runs = &st.run) */
}

/* The text renderer's output as a string (malloc'd). */
static char *text_of(const sg_status *st, bool tty)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sg_status_text(f, st, tty);
    fclose(f);
    return buf;
}

static void test_iso(void **state)
{
    (void)state;
    char t[24];
    assert_string_equal(sg_status_iso(T0, t), "2025-07-15T22:00:00Z");
    assert_string_equal(sg_status_iso(T0 + 9.999, t), "2025-07-15T22:00:09Z"); /* seconds, cut */
    assert_string_equal(sg_status_iso(NAN, t), "-");
    assert_string_equal(sg_status_iso(0, t), "1970-01-01T00:00:00Z");
}

static void test_html_escape(void **state)
{
    (void)state;
    sg_copybuf b = {0};
    sg_status_html_escape(&b, "<a href=\"x\">it's & \x01\n</a>");
    assert_string_equal(sg_buf_str(&b), "&lt;a href=&quot;x&quot;&gt;it&#39;s &amp;   &lt;/a&gt;");
    sg_copybuf_free(&b);
    sg_status_html_escape(&b, NULL);
    sg_status_html_escape(&b, "plain ünïcode");
    assert_string_equal(sg_buf_str(&b), "plain ünïcode");
    sg_copybuf_free(&b);
}

static void test_text_plain(void **state)
{
    (void)state;
    sg_status st = open_run();
    char *text = text_of(&st, false);
    assert_string_equal(
        text, "run nightly-2025-07-15-r2 date 2025-07-15 phase factors status running\n"
              "created 2025-07-15T22:00:00Z\n"
              "phase prices: ok 3 failed 2 pending 0 total 5 done 3.2s\n"
              "phase factors: ok 1 failed 0 pending 3 total 4 running 2.5s\n"
              "phase metrics: ok 0 failed 0 pending 4 total 4 waiting\n"
              "failed prices BBB: <script>alert(1)</script>\n"
              "failed prices CCC: he said \"no\" & it's 'bad' second [31m line\n" /* no newline, no escape byte */
              "failures 7 shown 2\n"
              "queue pending 2 processing 1 completed 10 failed 1\n"
              "queue failed ZZZZ at 2025-07-15T21:00:00Z: unknown symbol <b>ZZZZ</b>\n"
              "worker hostA:101 alive pid 101 host hostA http 127.0.0.1:40123 seen 2s ago lag 5 partitions "
              "sigma.tasks/0,sigma.tasks/1\n"
              "worker hostB:202 gone pid 202 host hostB http - seen 60s ago lag 100 partitions -\n"
              "workers alive 1 gone 1 lag 5\n");
    free(text);
}

static void test_text_closed_and_none(void **state)
{
    (void)state;
    sg_status st = open_run();
    st.run.phase = "done";
    st.run.status = "completed";
    st.run.closed = true;
    st.run.closed_at = T0 + 60;
    st.run.completed_jobs = 11;
    st.run.failed_jobs = 2;
    st.queue_other = 3;
    char *text = text_of(&st, false);
    assert_contains(text, "\nclosed 2025-07-15T22:01:00Z\njobs total 13 ok 11 failed 2\n");
    assert_contains(text, "\nqueue pending 2 processing 1 completed 10 failed 1 other 3\n");
    free(text);
    sg_status none = {.now = T0};
    text = text_of(&none, false);
    assert_string_equal(text, "run none\nqueue pending 0 processing 0 completed 0 failed 0\nworkers alive 0 gone 0 lag 0\n");
    free(text);
    assert_false(sg_status_closed(&none));
    assert_true(sg_status_closed(&st));
}

static void test_text_tty(void **state)
{
    (void)state;
    sg_status st = open_run();
    char *text = text_of(&st, true);
    /* 3 ok of 5 = 18 of 30 columns, 2 failed = 12; 1 of 4 = 7, none failed. */
    assert_contains(text, "  prices   [##################!!!!!!!!!!!!] 100%");
    assert_contains(text, "  factors  [#######.......................]  25%");
    assert_contains(text, "  metrics  [..............................]   0%");
    assert_contains(text, "\033[1mrun nightly-2025-07-15-r2\033[0m");
    assert_contains(text, "\033[31mfailed 2\033[0m");
    assert_null(strstr(text, "phase prices:"));
    assert_null(strstr(text, "second\033")); /* the reason's escape byte is gone */
    free(text);
    /* An empty phase: an empty bar, 0%. */
    st.phases[2].total = st.phases[2].pending = 0;
    text = text_of(&st, true);
    assert_contains(text, "  metrics  [..............................]   0%  ok 0");
    free(text);
}

static void test_json(void **state)
{
    (void)state;
    sg_status st = open_run();
    st.error_summary = "{\"batch_type\": \"nightly\"}";
    st.runs = &st.run;
    st.nruns = 1;
    char *s = sg_status_json(&st);
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    assert_non_null(j);
    free(s);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "run"), "id")), "nightly-2025-07-15-r2");
    assert_true(json_is_false(json_object_get(json_object_get(j, "run"), "closed")));
    assert_true(json_is_null(json_object_get(json_object_get(j, "run"), "closed_at")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(j, "run"), "error_summary"), "batch_type")),
        "nightly");
    json_t *prices = json_object_get(json_object_get(j, "phases"), "prices");
    assert_int_equal(json_integer_value(json_object_get(prices, "failed")), 2);
    assert_true(json_real_value(json_object_get(prices, "seconds")) == 3.214);
    assert_string_equal(json_string_value(json_object_get(prices, "finished_at")), "2025-07-15T22:00:03Z");
    json_t *metrics = json_object_get(json_object_get(j, "phases"), "metrics");
    assert_true(json_is_null(json_object_get(metrics, "seconds")));
    json_t *items = json_object_get(json_object_get(j, "failures"), "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "reason")), failures[1].reason);
    json_t *w = json_array_get(json_object_get(json_object_get(j, "workers"), "members"), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(w, "lag"), "sigma.tasks/0")), 5);
    assert_true(json_is_null(json_object_get(json_object_get(w, "lag"), "sigma.tasks/1"))); /* not known */
    assert_true(json_real_value(json_object_get(w, "seen_seconds_ago")) == 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "workers"), "lag_total")), 5);
    assert_int_equal(json_array_size(json_object_get(j, "runs")), 1);
    json_decref(j);
    /* No run: run null, no phases; text that is not UTF-8 goes out with '?'. */
    sg_status none = {.now = T0};
    sg_status_queue_failure bad = {"ZZZZ", "caf\xe9", T0};
    none.queue_failures = &bad;
    none.nqueue_failures = 1;
    s = sg_status_json(&none);
    j = json_loads(s, 0, &e);
    assert_non_null(j);
    free(s);
    assert_true(json_is_null(json_object_get(j, "run")));
    assert_int_equal(json_object_size(json_object_get(j, "phases")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "queue"), "failures"), 0),
                                          "message")),
        "caf?");
    json_decref(j);
}

static void test_html(void **state)
{
    (void)state;
    sg_status st = open_run();
    st.runs = &st.run;
    st.nruns = 1;
    char *page = sg_status_html(&st, NULL);
    assert_non_null(page);
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "src="));
    assert_contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_contains(page, "he said &quot;no&quot; &amp; it&#39;s &#39;bad&#39; second [31m line"); /* \n, ESC blanked */
    assert_contains(page, "<meta http-equiv=\"refresh\" content=\"2\">");
    assert_contains(page, "id=\"phase-prices\" data-state=\"done\" data-total=\"5\" data-done=\"3\" data-failed=\"2\""
                          " data-pending=\"0\"");
    assert_contains(page, "<span class=\"ok\" style=\"width:60.00%\"></span><span class=\"failed\" style=\"width:40.00%\">");
    assert_contains(page, "id=\"failures\" data-total=\"7\"");
    assert_contains(page, "id=\"queue\" data-pending=\"2\" data-processing=\"1\" data-completed=\"10\" data-failed=\"1\"");
    assert_contains(page, "id=\"workers\" data-alive=\"1\" data-gone=\"1\" data-lag=\"5\"");
    assert_contains(page, "unknown symbol &lt;b&gt;ZZZZ&lt;/b&gt;");
    assert_contains(page, "</html>\n");
    free(page);
    /* The refresh hint: seconds only; 0 or "" for none. */
    page = sg_status_html(&st, "10");
    assert_contains(page, "content=\"10\"");
    free(page);
    page = sg_status_html(&st, "0");
    assert_null(strstr(page, "http-equiv"));
    free(page);
    page = sg_status_html(&st, "\"><script>");
    assert_contains(page, "content=\"2\"");
    assert_null(strstr(page, "<script"));
    free(page);
}

/* Bulk days show only when the run has some: one line, an object, an element. */
static void test_bulk_days(void **state)
{
    (void)state;
    sg_status st = open_run();
    st.run.phase = "prices";
    st.bulk = (sg_status_bulk){.days = 4, .ok = 2, .failed = 1, .pending = 1, .waiting = 120};
    char *text = text_of(&st, false);
    assert_contains(text, "phase metrics: ok 0 failed 0 pending 4 total 4 waiting\n"
                          "bulk days 4 ok 2 failed 1 pending 1 symbols waiting 120\nfailed prices BBB");
    free(text);
    text = text_of(&st, true);
    assert_contains(text, "4 day(s): ok 2  ");
    assert_contains(text, "pending 1; 120 symbol(s) waiting for one\n");
    free(text);
    char *json = sg_status_json(&st);
    json_error_t e;
    json_t *j = json_loads(json, 0, &e), *want = json_pack("{s:i, s:i, s:i, s:i, s:i}", "days", 4, "ok", 2, "failed", 1,
                                                           "pending", 1, "symbols_waiting", 120);
    free(json);
    assert_non_null(j);
    assert_true(json_equal(json_object_get(j, "bulk_days"), want));
    json_decref(j);
    json_decref(want);
    char *page = sg_status_html(&st, NULL);
    assert_non_null(page);
    assert_contains(page, "<p class=\"bulk\" id=\"bulk-days\" data-days=\"4\" data-done=\"2\" data-failed=\"1\" "
                          "data-pending=\"1\" data-waiting=\"120\">bulk days: 2 ok, 1 failed, 1 pending of 4; 120 symbols "
                          "waiting for one</p>");
    free(page);
    st.bulk = (sg_status_bulk){0};
    text = text_of(&st, false);
    assert_null(strstr(text, "bulk"));
    free(text);
    page = sg_status_html(&st, NULL);
    assert_null(strstr(page, "bulk-days"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso),         cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_text_plain),  cmocka_unit_test(test_text_closed_and_none),
        cmocka_unit_test(test_text_tty),    cmocka_unit_test(test_json),
        cmocka_unit_test(test_html),        cmocka_unit_test(test_bulk_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
