/*
 * test_log.c - the log's three line formats (log.h), the context a line
 * carries, and the last guard against secrets in any line.
 */
#include <string.h>

#include "sgtest.h"
#include "log.h"

static char line[16384];

static const char *fmt(int level, const char *msg)
{
    sg_log_format(line, sizeof line, level, msg);
    return line;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" at p. */
static void assert_timestamp(const char *p)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd')
            assert_true(p[i] >= '0' && p[i] <= '9');
        else
            assert_int_equal(p[i], shape[i]);
}

static void test_cli(void **state)
{
    (void)state;
    sg_log_init("sigmactl", SG_LOG_WARN);
    sg_log_style(SG_LOG_CLI);
    sg_log_context("R1", "prices", "AAPL"); /* the CLI style never prints it */
    assert_string_equal(fmt(SG_LOG_ERROR, "p.csv:3: beta"), "% sigmactl: error: p.csv:3: beta");
    assert_string_equal(fmt(SG_LOG_WARN, "two\nlines"), "% sigmactl: warning: two lines");
    /* other control bytes are shown, never sent to the terminal (an escape sequence, a tab) */
    assert_string_equal(fmt(SG_LOG_WARN, "a\x1b[2Jb\tc\x7f"), "% sigmactl: warning: a\\x1B[2Jb\\x09c\\x7F");
    sg_log_context(NULL, NULL, NULL);
}

static void test_text(void **state)
{
    (void)state;
    sg_log_init("sigma-worker", SG_LOG_INFO);
    sg_log_style(SG_LOG_TEXT);
    sg_log_context("nightly-2025-07-15-r1", "prices", "BRK.B");
    fmt(SG_LOG_INFO, "failed: HTTP 500\r\nfrom yahoo");
    assert_timestamp(line);
    assert_string_equal(line + 24,
                        " info sigma-worker run=nightly-2025-07-15-r1 phase=prices symbol=BRK.B: failed: HTTP 500  from yahoo");
    sg_log_context(NULL, "factors", NULL);
    fmt(SG_LOG_DEBUG, "x");
    assert_string_equal(line + 24, " debug sigma-worker phase=factors: x");
    sg_log_context(NULL, NULL, NULL);
    fmt(SG_LOG_WARN, "y");
    assert_string_equal(line + 24, " warning sigma-worker: y");
}

static void test_json(void **state)
{
    (void)state;
    sg_log_init("sigma-coordinator", SG_LOG_INFO);
    sg_log_style(SG_LOG_JSON);
    sg_log_context("R\"1", NULL, "A");
    fmt(SG_LOG_ERROR, "quote \" back \\ tab \t bell \a utf8 \xc3\xa9 bad \xff end");
    assert_memory_equal(line, "{\"time\":\"", 9);
    assert_timestamp(line + 9);
    assert_string_equal(line + 33, "\",\"level\":\"error\",\"program\":\"sigma-coordinator\",\"run\":\"R\\\"1\","
                                   "\"symbol\":\"A\",\"message\":\"quote \\\" back \\\\ tab \\u0009 bell \\u0007 "
                                   "utf8 \xc3\xa9 bad \\ufffd end\"}");
    sg_log_context(NULL, NULL, NULL);
    /* Malformed UTF-8 a strict parser refuses: a surrogate, an overlong '/', a
     * cut sequence at the end: each byte replaced. */
    fmt(SG_LOG_ERROR, "s \xed\xa0\x80 o \xc0\xaf c \xe8\x8b");
    assert_non_null(strstr(line, "\"message\":\"s \\ufffd\\ufffd\\ufffd o \\ufffd\\ufffd c \\ufffd\\ufffd\"}"));
    /* The longest message is escaped whole: the line still closes. */
    char big[2048];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t n = sg_log_format(line, sizeof line, SG_LOG_INFO, big);
    assert_true(n < sizeof line - 1);
    assert_string_equal(line + n - 2, "\"}");
    sg_log_style(SG_LOG_CLI);
}

static void test_style_parse(void **state)
{
    (void)state;
    assert_int_equal(sg_log_style_parse("text"), SG_LOG_TEXT);
    assert_int_equal(sg_log_style_parse("json"), SG_LOG_JSON);
    assert_int_equal(sg_log_style_parse("JSON"), -1);
    assert_int_equal(sg_log_style_parse(""), -1);
    assert_int_equal(sg_log_style_parse(NULL), -1);
}

static const char *masked(const char *s)
{
    snprintf(line, sizeof line, "%s", s);
    sg_log_mask_secrets(line);
    return line;
}

static void test_secrets(void **state)
{
    (void)state;
    assert_string_equal(masked("connect host=db password=S3cret user=x"), "connect host=db password=****** user=x");
    assert_string_equal(masked("password='a b' x"), "password='***' x");
    assert_string_equal(masked("GET https://api.polygon.io/v2?adjusted=false&apiKey=ABC123&x=1"),
                        "GET https://api.polygon.io/v2?adjusted=false&apiKey=******&x=1");
    assert_string_equal(masked("apikey=K1 api_key=K2 token=T3 sasl.password=P4 secret=S5"),
                        "apikey=** api_key=** token=** sasl.password=** secret=**");
    assert_string_equal(masked("postgresql://batch:hunter2@db:5432/sigma failed"),
                        "postgresql://batch:*******@db:5432/sigma failed");
    assert_string_equal(masked("postgresql://b:p@ss@db/x"), "postgresql://b:****@db/x");
    assert_string_equal(masked("http://host:8080/path user@mail"), "http://host:8080/path user@mail");
    assert_string_equal(masked("nothing secret here"), "nothing secret here");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),    cmocka_unit_test(test_text),    cmocka_unit_test(test_json),
        cmocka_unit_test(test_style_parse), cmocka_unit_test(test_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
