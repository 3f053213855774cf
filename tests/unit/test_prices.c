/*
 * test_prices.c - the in-memory price table and its CSV loader (prices.h).
 *
 * Expectations: market_data_cache semantics of FACTOR_SPEC §1.1/§2 (unique
 * (symbol, date): the last row written wins; close is NOT NULL) and the
 * validation contract of prices.h (finite, non-negative closes, real dates,
 * "path:line: reason" errors). Where oracle.py is more lenient (it drops a
 * non-numeric close silently and keeps negative ones), the C contract is the
 * reference and the test says so.
 */
#include "log.h"
#include "prices.h"
#include "sgtest.h"

static int add(sg_prices *p, const char *sym, sg_day day, const char *close, const char **why)
{
    *why = NULL;
    return sg_prices_add(p, sym, strlen(sym), day, close, strlen(close), why);
}

static void add_ok(sg_prices *p, const char *sym, sg_day day, const char *close)
{
    const char *why;
    if (add(p, sym, day, close, &why))
        fail_msg("add %s %d %s: %s", sym, day, close, why);
}

static double close_on(const sg_prices *p, const char *sym, sg_day day)
{
    long i = sg_prices_find(p, sym);
    assert_true(i >= 0);
    const sg_price *r = sg_prices_on(p, (size_t)i, day);
    assert_non_null(r);
    return r->close;
}

static void test_add_validation(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    assert_non_null(p);
    static const struct {
        const char *close, *why;
    } bad[] = {
        {"abc", "close is not a number"},
        {"", "close is not a number"},
        {"1.2.3", "close is not a number"},
        {"12,5", "close is not a number"},
        {"NaN", "close is not a number"},      /* Decimal('NaN') would parse; prices must be finite */
        {"nan", "close is not a number"},
        {"inf", "close is not a number"},
        {"Infinity", "close is not a number"},
        {"-Infinity", "close is not a number"},
        {"-1", "close is negative"},
        {"-0.0001", "close is negative"},
        {"-1e-5", "close is negative"},
        {"1234567890123456789", "close has more digits than a price can hold (18 significant)"},
        {"1e400", "close has more digits than a price can hold (18 significant)"},
        {"1e-31", "close has more digits than a price can hold (18 significant)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why;
        if (add(p, "A", DAY(2025, 7, 15), bad[i].close, &why) != -1)
            fail_msg("close '%s' accepted", bad[i].close);
        if (!why || strcmp(why, bad[i].why) != 0)
            fail_msg("close '%s': reason '%s', expected '%s'", bad[i].close, why ? why : "(null)", bad[i].why);
    }
    /* accepted: zero (the DB path sees zero closes, FACTOR_SPEC §2), "-0" as zero,
     * exponents, 18 significant digits */
    add_ok(p, "Z", DAY(2025, 7, 14), "0");
    add_ok(p, "Z", DAY(2025, 7, 15), "-0");
    add_ok(p, "E", DAY(2025, 7, 15), "1.5e2");
    add_ok(p, "L", DAY(2025, 7, 15), "123456789012345678");
    add_ok(p, "S", DAY(2025, 7, 15), "1e-30");
    assert_int_equal(sg_prices_finish(p), 0);
    assert_int_equal(sg_prices_count(p), 4); /* nothing of A was kept */
    assert_int_equal(sg_prices_find(p, "A"), -1);
    assert_same(close_on(p, "Z", DAY(2025, 7, 14)), 0.0);
    assert_same(close_on(p, "Z", DAY(2025, 7, 15)), 0.0); /* +0.0, not -0.0 */
    assert_same(close_on(p, "E", DAY(2025, 7, 15)), 150.0);
    assert_same(close_on(p, "L", DAY(2025, 7, 15)), 123456789012345678.0);
    assert_same(close_on(p, "S", DAY(2025, 7, 15)), 1e-30);
    sg_prices_free(p);
}

static void test_duplicates_last_wins(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    sg_day d = DAY(2025, 7, 15);
    add_ok(p, "A", d, "1");
    add_ok(p, "A", d, "2");
    add_ok(p, "B", d - 1, "5");
    add_ok(p, "A", d - 1, "7");
    add_ok(p, "B", d - 1, "6");
    add_ok(p, "A", d, "3"); /* not adjacent to the first two: still the last */
    assert_int_equal(sg_prices_finish(p), 0);
    size_t n;
    const sg_price *r = sg_prices_rows(p, (size_t)sg_prices_find(p, "A"), &n);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].day, d - 1);
    assert_same(r[0].close, 7.0);
    assert_int_equal(r[1].day, d);
    assert_same(r[1].close, 3.0);
    assert_same(close_on(p, "B", d - 1), 6.0);
    sg_prices_rows(p, (size_t)sg_prices_find(p, "B"), &n);
    assert_int_equal(n, 1);
    sg_prices_free(p);
}

static void test_unsorted_input(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    sg_day d0 = DAY(2025, 1, 1);
    /* days in a scrambled order, with a duplicate among them */
    static const int order[] = {9, 3, 7, 0, 5, 1, 8, 2, 6, 4, 3};
    char close[16];
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        snprintf(close, sizeof close, "%d.5", order[i] + (i == 10 ? 100 : 0));
        add_ok(p, "U", d0 + order[i], close);
    }
    assert_int_equal(sg_prices_finish(p), 0);
    size_t n;
    const sg_price *r = sg_prices_rows(p, 0, &n);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r[i].day, d0 + (sg_day)i);
        assert_same(r[i].close, i == 3 ? 103.5 : (double)i + 0.5); /* day 3: the last row (103.5) wins */
    }
    sg_prices_free(p);
}

static void test_symbols_and_lookup(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    sg_day d = DAY(2025, 7, 15);
    static const char *const names[] = {"b", "B", "a", "AA", "A", "SPY", "spy", "BRK.B"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        add_ok(p, names[i], d, "1");
    add_ok(p, "A", d - 3, "2");
    assert_int_equal(sg_prices_finish(p), 0);
    /* byte order (sorted() in Python): upper case before lower case */
    static const char *const sorted[] = {"A", "AA", "B", "BRK.B", "SPY", "a", "b", "spy"};
    assert_int_equal(sg_prices_count(p), 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(sg_prices_symbol(p, i), sorted[i]);
        assert_int_equal(sg_prices_find(p, sorted[i]), (long)i); /* exact, case-sensitive */
    }
    assert_int_equal(sg_prices_find(p, "MISSING"), -1);
    assert_int_equal(sg_prices_find(p, ""), -1);
    assert_int_equal(sg_prices_find(p, "Spy"), -1);
    /* sg_prices_on: exact date hits only */
    assert_non_null(sg_prices_on(p, 0, d));
    assert_non_null(sg_prices_on(p, 0, d - 3));
    assert_null(sg_prices_on(p, 0, d - 1));
    assert_null(sg_prices_on(p, 0, d + 1));
    assert_null(sg_prices_on(p, 0, d - 100));
    assert_same(sg_prices_on(p, 0, d - 3)->close, 2.0);
    assert_int_equal(sg_prices_skipped(p), 0);
    sg_prices_free(p);
}

static void test_empty_table(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    assert_int_equal(sg_prices_finish(p), 0);
    assert_int_equal(sg_prices_count(p), 0);
    assert_int_equal(sg_prices_find(p, "A"), -1);
    sg_prices_free(p);
    sg_prices_free(NULL);
}

/* 5000 symbols (the hash table grows past 1024 slots) and 10000 rows of one
 * symbol (the row array grows past 4096), in file order. */
static void test_many_symbols_and_rows(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    char sym[16], close[16];
    sg_day d0 = DAY(1990, 1, 1);
    for (int i = 0; i < 5000; i++) {
        snprintf(sym, sizeof sym, "S%05d", (i * 7919) % 5000);
        add_ok(p, sym, d0, "10");
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(close, sizeof close, "%d.25", i);
        add_ok(p, "ZZZ", d0 + i, close);
    }
    assert_int_equal(sg_prices_finish(p), 0);
    assert_int_equal(sg_prices_count(p), 5001);
    for (int i = 0; i < 5000; i++) {
        snprintf(sym, sizeof sym, "S%05d", i);
        assert_int_equal(sg_prices_find(p, sym), i);
    }
    size_t n;
    const sg_price *r = sg_prices_rows(p, 5000, &n);
    assert_int_equal(n, 10000);
    assert_same(r[9999].close, 9999.25);
    assert_same(sg_prices_on(p, 5000, d0 + 4321)->close, 4321.25);
    sg_prices_free(p);
}

static void assert_price_dec(const sg_prices *p, const char *sym, sg_day day, const char *digits, int decpt)
{
    long i = sg_prices_find(p, sym);
    const sg_price *r = sg_prices_on(p, (size_t)i, day);
    assert_non_null(r);
    sg_dec d;
    sg_price_dec(r, &d);
    if (d.ndig != (int)strlen(digits) || memcmp(d.dig, digits, strlen(digits)) || (d.ndig && d.decpt != decpt))
        fail_msg("%s: 0.%.*se%d, expected 0.%se%d", sym, d.ndig, d.dig, d.decpt, digits, decpt);
    assert_false(d.neg);
}

static void test_price_dec(void **state)
{
    (void)state;
    /* the exact Decimal(close text) the cache path divides (FACTOR_SPEC §11) */
    sg_prices *p = sg_prices_new();
    sg_day d = DAY(2025, 7, 15);
    add_ok(p, "A", d, "42.4250");
    add_ok(p, "B", d, "0");
    add_ok(p, "C", d, "1e3");
    add_ok(p, "D", d, "0.0001");
    add_ok(p, "E", d, "123456789012345678");
    add_ok(p, "F", d, "100.0000");
    assert_int_equal(sg_prices_finish(p), 0);
    assert_price_dec(p, "A", d, "42425", 2);
    assert_price_dec(p, "B", d, "", 0);
    assert_price_dec(p, "C", d, "1", 4);
    assert_price_dec(p, "D", d, "1", -3);
    assert_price_dec(p, "E", d, "123456789012345678", 18);
    assert_price_dec(p, "F", d, "1", 3);
    sg_prices_free(p);
}

/* ---- the CSV loader ------------------------------------------------------------ */

static sg_prices *load(const char *name, const char *text, char *err, size_t errlen)
{
    char path[600];
    snprintf(path, sizeof path, "%s", sgt_write_str(name, text));
    err[0] = '\0';
    return sg_prices_load_csv(path, err, errlen);
}

static void test_load_ok(void **state)
{
    (void)state;
    char err[512];
    /* columns in any order, extra columns, CRLF, a BOM, spaces around values,
     * timestamps, a duplicate, empty close and symbol rows skipped and counted */
    sg_prices *p = load("ok.csv",
                        "\xEF\xBB\xBF" "volume,close,extra,date,symbol\r\n"
                        "1, 10.5 ,x,2025-07-14, A \r\n"
                        "2,11,x,2025-07-15T00:00:00,A\r\n"
                        "3,,x,2025-07-16,A\r\n"          /* empty close: skipped */
                        "4,12,x,2025-07-16,\r\n"         /* empty symbol: skipped */
                        "\r\n"
                        "5,9,x,2025-07-14 00:00:00,B\r\n"
                        "6,13,x,2025-07-15,A\r\n"        /* duplicate: wins */
                        "7,8\r\n",                       /* short row: symbol and date missing */
                        err, sizeof err);
    if (!p)
        fail_msg("load: %s", err);
    assert_int_equal(sg_prices_count(p), 2);
    assert_string_equal(sg_prices_symbol(p, 0), "A"); /* trimmed */
    assert_same(close_on(p, "A", DAY(2025, 7, 14)), 10.5);
    assert_same(close_on(p, "A", DAY(2025, 7, 15)), 13.0);
    assert_null(sg_prices_on(p, 0, DAY(2025, 7, 16)));
    assert_same(close_on(p, "B", DAY(2025, 7, 14)), 9.0);
    assert_int_equal(sg_prices_skipped(p), 3);
    sg_prices_free(p);
    /* the header alone: no symbols, not an error */
    p = load("header.csv", "symbol,date,close\n", err, sizeof err);
    assert_non_null(p);
    assert_int_equal(sg_prices_count(p), 0);
    sg_prices_free(p);
}

static void test_load_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"", "e.csv: empty file: expected a header line"},
        {"\n\n", "e.csv: empty file: expected a header line"},
        {"symbol,date,open\nA,2025-07-15,1\n", "e.csv:1: header lacks column 'close'"},
        {"date,close\n", "e.csv:1: header lacks column 'symbol'"},
        {"\nsymbol,close\n", "e.csv:2: header lacks column 'date'"},
        {"Symbol,Date,Close\n", "e.csv:1: header lacks column 'symbol'"}, /* names are case-sensitive */
        {"symbol,date,close\nA,2025-07-15,1\nA,2025-02-30,1\n",
         "e.csv:3: bad date '2025-02-30': day is out of range for month"},
        {"symbol,date,close,note\n\nA,2025-07-15,1,\"x\ny\"\nA,2025-13-01,1,z\n",
         "e.csv:5: bad date '2025-13-01': month out of range"}, /* blank and quoted lines counted */
        /* symbols: the one validation (symbols.h), lower case allowed as in oracle.py */
        {"symbol,date,close\nA,2025-07-15,1\n../B,2025-07-15,1\n",
         "e.csv:3: symbol \"../B\": character '/' at position 3 is not allowed (A-Z 0-9 . - _ ^ = only)"},
        {"symbol,date,close\n\"A\nB\",2025-07-15,1\n", "e.csv:2: symbol \"A\\x0AB\": control character \\x0A"},
        {"symbol,date,close\nA'B;DROP TABLE x,2025-07-15,1\n", "e.csv:2: symbol \"A'B;DROP TABLE x\": character '''"},
        {"symbol,date,close\nABCDEFGHIJKLMNOPQRSTU,2025-07-15,1\n",
         "e.csv:2: symbol \"ABCDEFGHIJKLMNOPQRSTU\" is 21 characters long"},
        {"symbol,date,close\n\xC3\x84PFEL,2025-07-15,1\n", "e.csv:2: symbol \"\xC3\x84PFEL\": non-ASCII character"},
        {"symbol,date,close\nA,,1\n", "e.csv:2: bad date '': expected YYYY-MM-DD"},
        {"symbol,date,close\nA,07/15/2025,1\n", "e.csv:2: bad date '07/15/2025': expected YYYY-MM-DD"},
        {"symbol,date,close\nA,2025-07-15x,1\n", "e.csv:2: bad date '2025-07-15x': expected YYYY-MM-DD"},
        {"symbol,date,close\nA,2025-07-15,abc\n", "e.csv:2: bad close 'abc' for A: close is not a number"},
        {"symbol,date,close\nA,2025-07-15,-1.5\n", "e.csv:2: bad close '-1.5' for A: close is negative"},
        {"symbol,date,close\nA,2025-07-15,NaN\n", "e.csv:2: bad close 'NaN' for A: close is not a number"},
        {"symbol,date,close\nA,2025-07-15,inf\n", "e.csv:2: bad close 'inf' for A: close is not a number"},
        {"symbol,date,close\nA,2025-07-15,1,2\n", "e.csv:2: 4 fields, but the header has 3"},
        {"symbol,date,close\nA,2025-07-15,\"1\n", "e.csv:2: unterminated quoted field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512];
        sg_prices *p = load("e.csv", cases[i].text, err, sizeof err);
        if (p) {
            sg_prices_free(p);
            fail_msg("case %zu loaded", i);
        }
        if (!strstr(err, cases[i].err))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].err);
    }
    char err[512];
    char path[600];
    snprintf(path, sizeof path, "%s/nope.csv", sgt_tmpdir());
    assert_null(sg_prices_load_csv(path, err, sizeof err));
    assert_contains(err, "nope.csv: cannot open: No such file or directory");
}

/* A 10 MB close field: refused with a short message (the field is quoted
 * with at most 40 bytes). */
static void test_load_huge_field(void **state)
{
    (void)state;
    size_t big = 10 * 1000 * 1000;
    char *text = malloc(big + 100);
    int o = sprintf(text, "symbol,date,close\nA,2025-07-15,");
    memset(text + o, '7', big);
    memcpy(text + o + big, "\n", 2);
    char err[512];
    sg_prices *p = load("huge.csv", text, err, sizeof err);
    free(text);
    assert_null(p);
    assert_contains(err, "huge.csv:2: bad close '7777777777777777777777777777777777777777...' for A: "
                         "close is not a number");
    assert_true(strlen(err) < 300);
}

/* ---- regressions: bugs found by these tests, now fixed ------- */

/* BUG: symbol_id() compares names with strncmp(name, sym, len) and then reads
 * name[len]. A symbol field with a NUL byte ("AB\0", len 3) after "AB" matches
 * "AB" under strncmp and reads one byte past the 3-byte allocation of "AB"
 * (AddressSanitizer: heap-buffer-overflow in symbol_id, prices.c:72). The same
 * bytes in a file reach it: printf 'symbol,date,close\nAB,2025-01-02,1\nAB\0,2025-01-03,1\n'.
 * PostgreSQL cannot store a NUL in VARCHAR, so the expected behaviour is a
 * refusal ("the app cannot store it"). */
static void bug_symbol_with_nul_byte(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    const char *why = NULL;
    assert_int_equal(sg_prices_add(p, "AB", 2, DAY(2025, 1, 2), "1", 1, &why), 0);
    int rc = sg_prices_add(p, "AB\0", 3, DAY(2025, 1, 3), "1", 1, &why);
    sg_prices_free(p);
    assert_int_equal(rc, -1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_validation),
        cmocka_unit_test(test_duplicates_last_wins),
        cmocka_unit_test(test_unsorted_input),
        cmocka_unit_test(test_symbols_and_lookup),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_many_symbols_and_rows),
        cmocka_unit_test(test_price_dec),
        cmocka_unit_test(test_load_ok),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_huge_field),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_symbol_with_nul_byte),
    };
    sg_log_init("test_prices", SG_LOG_ERROR); /* the skipped-row warnings are counted, not shown */
    (void)argc;
    (void)argv;
    int failed = cmocka_run_group_tests_name("prices", tests, NULL, sgt_group_teardown);
    return failed + cmocka_run_group_tests_name("prices regressions", bugs, NULL, sgt_group_teardown);
}
