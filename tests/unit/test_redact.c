/*
 * test_redact.c - the redaction of
 * passwords from connection errors (sg_redact_conninfo). The messages are
 * libpq 15's own, as printed for these connection strings.
 */
#include "sgtest.h"
#include "redact.h"

/* Redacts msg for conninfo into a buffer of cap bytes; returns it (static). */
static const char *redact(const char *conninfo, const char *msg, size_t cap)
{
    static char buf[512];
    assert_true(cap <= sizeof buf);
    snprintf(buf, cap, "%s", msg);
    sg_redact_conninfo(conninfo, buf);
    return buf;
}

static void test_malformed_uri(void **state)
{
    (void)state;
    /* The example: libpq quotes the whole password. */
    assert_string_equal(redact("postgresql://batch:S3cr%t-pass@host/db",
                               "connect: invalid percent-encoded token: \"S3cr%t-pass\"", 512),
                        "connect: invalid percent-encoded token: \"***\"");
    /* A raw '/' ends libpq's user:password part early: it reads "Pa" as a port. */
    assert_string_equal(redact("postgresql://batch:Pa/ss@wd@host/db",
                               "connect: invalid integer value \"Pa\" for connection option \"port\"", 512),
                        "connect: invalid integer value \"**\" for connection option \"port\"");
    /* In a URI's query. */
    assert_string_equal(redact("postgresql:///db?host=/x&password=Qz%zz9&user=u",
                               "connect: invalid percent-encoded token: \"Qz%zz9\"", 512),
                        "connect: invalid percent-encoded token: \"***\"");
}

static void test_keyword_values(void **state)
{
    (void)state;
    /* libpq splits an unquoted value at a space and quotes the rest. */
    assert_string_equal(redact("host=/x password=Xy7Secret Tail9Word",
                               "connect: missing \"=\" after \"Tail9Word\" in connection info string", 512),
                        "connect: missing \"=\" after \"***\" in connection info string");
    /* Quoted, with an escaped quote; decoded and raw forms both masked. */
    assert_string_equal(redact("password='a\\'b%41cd' host=/x", "x a\\'b%41cd y ab%41cd", 512), "x *** y ab%41cd");
    assert_string_equal(redact("postgresql://u:p%41ss@h/db", "pAss p%41ss", 512), "*** ***");
    /* Quoted words that are not the password stay. */
    assert_string_equal(redact("host=/x password=Secret99", "connect: \"host\" and \"port\"", 512),
                        "connect: \"host\" and \"port\"");
    /* No password: nothing changes. */
    assert_string_equal(redact("host=/x", "connect: \"/x\" failed", 512), "connect: \"/x\" failed");
    assert_string_equal(redact(NULL, "connect: failed", 512), "connect: failed");
}

/* A password that decodes to nothing ("%00...", which libpq refuses) once made
 * an empty secret, found everywhere: the redaction never ended (fuzz_redact). */
static void test_empty_decoded(void **state)
{
    (void)state;
    assert_string_equal(redact("postgresql://u:%00x@h/db", "connect: \"%00x\" and %00x", 512),
                        "connect: \"***\" and ***");
    assert_string_equal(redact("host=/x password=%00", "invalid connection option \"h\"", 512),
                        "invalid connection option \"h\"");
}

static void test_environment(void **state)
{
    (void)state;
    setenv("PGPASSWORD", "EnvSecret42", 1);
    assert_string_equal(redact("host=/x", "value \"EnvSecret42\" and EnvSecret42", 512), "value \"***\" and ***");
    unsetenv("PGPASSWORD");
}

static void test_never_grows(void **state)
{
    (void)state;
    /* A full buffer stays full: short passwords become as many stars. */
    assert_string_equal(redact("password=ab", "ab ab ab ab ab ab", 18), "** ** ** ** ** **");
    assert_string_equal(redact("password=a", "a\"a\"", 5), "*\"*\"");
    assert_string_equal(redact("password=***", "x *** y", 8), "x *** y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_uri),
        cmocka_unit_test(test_keyword_values),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_empty_decoded),
        cmocka_unit_test(test_never_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
