/*
 * test_config.c - the settings table (config.h): every kind of setting
 * (integer, positive number, URL template, list of names) is parsed and
 * range-checked, from -X and from the environment; a bad value is refused
 * with its name and what is allowed, never replaced by the default.
 */
#include "config.h"
#include "sgtest.h"

/* sg_config_set's verdict on name=value; the reason in err. */
static int set(const char *assignment, char *err, size_t errlen)
{
    err[0] = '\0';
    return sg_config_set(assignment, err, errlen);
}

static void assert_refused(const char *assignment, const char *why)
{
    char err[512];
    if (set(assignment, err, sizeof err) == 0)
        fail_msg("-X %s was accepted", assignment);
    assert_contains(err, why);
    assert_contains(err, "allowed: ");
}

static void assert_accepted(const char *assignment)
{
    char err[512];
    if (set(assignment, err, sizeof err) != 0)
        fail_msg("-X %s refused: %s", assignment, err);
}

static void test_integers(void **state)
{
    (void)state;
    sg_config_reset();
    assert_refused("http.retries=abc", "-X http.retries=abc: not an integer (allowed: an integer from 0 to 100)");
    assert_refused("http.retries=", "not an integer");
    assert_refused("http.retries=4.5", "not an integer");
    assert_refused("http.retries=1e3", "not an integer");
    assert_refused("http.retries= 4", "not an integer");
    assert_refused("http.retries=4 ", "not an integer");
    assert_refused("http.retries=0x10", "not an integer");
    assert_refused("http.retries=-1", "out of range");
    assert_refused("http.retries=101", "out of range");
    assert_refused("http.retries=99999999999999999999999", "not an integer"); /* overflows long long */
    assert_refused("http.parallel=0", "out of range");
    assert_refused("http.timeout_ms=0", "out of range");
    assert_refused("http.connect_timeout_ms=-5", "out of range");
    assert_refused("provider.yahoo.burst=0", "out of range");
    assert_refused("provider.polygon.max_pages=0", "out of range");
    assert_refused("http.backoff_ms=fast", "not an integer");
    /* a refused value leaves the setting as it was */
    assert_string_equal(sg_config_get("http.retries"), "4");
    assert_accepted("http.retries=0");
    assert_accepted("http.retries=100");
    assert_same(sg_config_number("http.retries"), 100);
    assert_accepted("http.backoff_ms=0");
    assert_accepted("provider.polygon.max_pages=3");
    assert_same(sg_config_number("provider.polygon.max_pages"), 3);
    sg_config_reset();
    assert_same(sg_config_number("http.retries"), 4);
}

static void test_positive_numbers(void **state)
{
    (void)state;
    sg_config_reset();
    /* a rate of 0 never refills the bucket: the fetch would hang after the burst */
    assert_refused("provider.yahoo.rate=0", "-X provider.yahoo.rate=0: out of range (allowed: a number > 0");
    assert_refused("provider.fmp.rate=-1", "out of range");
    assert_refused("provider.polygon.rate=nan", "not a number");
    assert_refused("provider.polygon.rate=inf", "not a number");
    assert_refused("provider.polygon.rate=1e999", "not a number");
    assert_refused("provider.yahoo.rate=5/s", "not a number");
    assert_refused("provider.yahoo.rate=1000001", "out of range");
    assert_accepted("provider.yahoo.rate=0.001");
    assert_accepted("provider.yahoo.rate=2.5");
    assert_same(sg_config_number("provider.yahoo.rate"), 2.5);
    sg_config_reset();
}

static void test_url_templates(void **state)
{
    (void)state;
    sg_config_reset();
    /* without {symbol} every symbol gets the same bars */
    assert_refused("provider.yahoo.url=http://h/chart/AAPL?period1={period1}", "no {symbol}");
    assert_refused("provider.fmp.url=file:///data/fmp.json", "no {symbol}");
    assert_refused("provider.polygon.url=https://h/{SYMBOL}", "no {symbol}");
    assert_refused("provider.polygon.url={symbol}", "not an http://, https:// or file:// URL");
    assert_refused("provider.fmp.url=ftp://h/{symbol}", "not an http://, https:// or file:// URL");
    assert_refused("provider.fmp.url=", "not an http");
    /* the refused template is not echoed: it might hold a pasted key */
    char err[512];
    assert_int_equal(set("provider.fmp.url=https://h/x?apikey=PASTEDKEY", err, sizeof err), -1);
    assert_null(strstr(err, "PASTEDKEY"));
    assert_contains(err, "provider.fmp.url");
    assert_accepted("provider.yahoo.url=file:///tmp/x/{symbol}.json");
    assert_accepted("provider.yahoo.url=HTTP://127.0.0.1:1/{symbol}");
    assert_accepted("provider.polygon.url=https://h/{symbol}/{from}/{to}?apiKey={apikey}");
    /* bulk templates: one request a market day, so {date} and never {symbol} */
    assert_refused("provider.polygon.bulk_url=https://h/grouped/2025-07-15", "no {date}");
    assert_refused("provider.fmp.bulk_url=https://h/{symbol}/{date}", "{symbol} in a bulk template");
    assert_refused("provider.fmp.bulk_url=ftp://h/{date}", "not an http://, https:// or file:// URL");
    assert_refused("provider.polygon.bulk_url=", "not an http");
    assert_accepted("provider.polygon.bulk_url=http://127.0.0.1:1/v2/aggs/grouped/locale/us/market/stocks/{date}");
    assert_accepted("provider.fmp.bulk_url=file:///tmp/eod/{date}.csv");
    assert_refused("provider.bulk=2", "out of range");
    assert_refused("provider.bulk_min_symbols=0", "out of range");
    assert_accepted("provider.bulk_min_symbols=1");
    sg_config_reset();
}

static void test_lists(void **state)
{
    (void)state;
    sg_config_reset();
    assert_refused("provider.order=", "an empty list");
    assert_refused("provider.order=yahoo,bing", "an unknown name");
    assert_refused("provider.order=yahoo,,fmp", "an empty name");
    assert_refused("provider.order=yahoo,", "an empty name");
    assert_refused("provider.order=yahoo,yahoo", "a name twice");
    assert_refused("provider.order=YAHOO", "an unknown name");
    assert_refused("provider.order=yah", "an unknown name");
    assert_refused("provider.order=yahoofmp", "an unknown name");
    assert_accepted("provider.order=polygon");
    assert_accepted("provider.order=fmp,yahoo");
    assert_accepted("provider.order=polygon,fmp,yahoo");
    sg_config_reset();
}

/* Values from the environment are checked too, naming the variable. */
static void test_environment(void **state)
{
    (void)state;
    char err[512];
    sg_config_reset();
    assert_int_equal(sg_config_check(err, sizeof err), 0); /* the defaults are valid */
    setenv("SIGMA_HTTP_RETRIES", "abc", 1);
    assert_int_equal(sg_config_check(err, sizeof err), -1);
    assert_string_equal(err, "http.retries (environment SIGMA_HTTP_RETRIES=abc): not an integer (allowed: an integer "
                             "from 0 to 100)");
    /* an -X override wins: the environment's value is then not used */
    assert_accepted("http.retries=2");
    assert_int_equal(sg_config_check(err, sizeof err), 0);
    sg_config_reset();
    unsetenv("SIGMA_HTTP_RETRIES");
    static const char *const bad[][2] = {
        {"SIGMA_YAHOO_RATE", "0"},          {"SIGMA_POLYGON_BURST", "-3"},   {"SIGMA_HTTP_PARALLEL", "many"},
        {"SIGMA_FMP_URL", "https://h/x"},   {"SIGMA_PROVIDERS", "yahoo,x"},  {"SIGMA_POLYGON_MAX_PAGES", "0"},
        {"SIGMA_HTTP_TIMEOUT_MS", "1.5"},   {"SIGMA_HTTP_RETRY_AFTER_MAX_MS", "-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        if (sg_config_check(err, sizeof err) == 0)
            fail_msg("%s=%s accepted", bad[i][0], bad[i][1]);
        assert_contains(err, bad[i][0]);
        unsetenv(bad[i][0]);
    }
    assert_int_equal(sg_config_check(err, sizeof err), 0);
}

/* The HTTP server's settings: an address literal (no host name: nothing to
 * resolve at start-up), a port from -1 (no HTTP) through 0 (any free port). */
static void test_serve(void **state)
{
    (void)state;
    char err[512];
    sg_config_reset();
    assert_string_equal(sg_config_get("serve.address"), "0.0.0.0");
    assert_same(sg_config_number("serve.port"), 0);
    assert_refused("serve.address=localhost", "-X serve.address=localhost: not an IPv4 or IPv6 address (allowed: ");
    assert_refused("serve.address=", "not an IPv4 or IPv6 address");
    assert_refused("serve.address=1.2.3", "not an IPv4 or IPv6 address");
    assert_refused("serve.address=256.0.0.1", "not an IPv4 or IPv6 address");
    assert_refused("serve.address=127.0.0.1:8480", "not an IPv4 or IPv6 address");
    assert_refused("serve.address=[::1]", "not an IPv4 or IPv6 address");
    assert_refused("serve.address= 127.0.0.1", "not an IPv4 or IPv6 address");
    assert_accepted("serve.address=127.0.0.1");
    assert_accepted("serve.address=::");
    assert_accepted("serve.address=::1");
    assert_accepted("serve.address=fd00::5");
    assert_accepted("serve.address=::ffff:10.0.0.1");
    assert_string_equal(sg_config_get("serve.address"), "::ffff:10.0.0.1");
    assert_refused("serve.port=-2", "-X serve.port=-2: out of range (allowed: an integer from -1 to 65535)");
    assert_refused("serve.port=65536", "out of range");
    assert_refused("serve.port=http", "not an integer");
    assert_accepted("serve.port=-1");
    assert_accepted("serve.port=65535");
    assert_accepted("serve.port=0");
    sg_config_reset();
    setenv("SIGMA_SERVE_ADDRESS", "example.org", 1);
    assert_int_equal(sg_config_check(err, sizeof err), -1);
    assert_contains(err, "serve.address (environment SIGMA_SERVE_ADDRESS=example.org): not an IPv4 or IPv6 address");
    unsetenv("SIGMA_SERVE_ADDRESS");
    setenv("SIGMA_SERVE_PORT", "8480", 1);
    assert_int_equal(sg_config_check(err, sizeof err), 0);
    assert_same(sg_config_number("serve.port"), 8480);
    unsetenv("SIGMA_SERVE_PORT");
}

/* -X list shows each setting's kind and marks a bad value. */
static void test_list(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    sg_config_reset();
    setenv("SIGMA_HTTP_RETRIES", "abc", 1);
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(sg_config_list(f), 1);
    fclose(f);
    assert_contains(text, "http.retries=abc\n");
    assert_contains(text, "INVALID: not an integer");
    assert_contains(text, "an integer from 0 to 100");
    free(text);
    unsetenv("SIGMA_HTTP_RETRIES");
}

/* Found writing tests/fuzz/fuzz_config.c: sg_config_number on a setting that
 * is no number (a URL template, a list) returned an uninitialized double. */
static void fuzz_number_of_no_number(void **state)
{
    (void)state;
    assert_true(isnan(sg_config_number("provider.yahoo.url")));
    assert_true(isnan(sg_config_number("provider.order")));
    assert_same(sg_config_number("no.such.setting"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),  cmocka_unit_test(test_positive_numbers), cmocka_unit_test(test_url_templates),
        cmocka_unit_test(test_lists),     cmocka_unit_test(test_environment),      cmocka_unit_test(test_list),
        cmocka_unit_test(test_serve),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(fuzz_number_of_no_number),
    };
    int failed = cmocka_run_group_tests_name("config", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("config regressions", bugs, NULL, NULL);
    sg_config_reset();
    return failed;
}
