/*
 * test_numfmt.c - numbers as Python and PostgreSQL write them (numfmt.h;
 * FACTOR_SPEC §8 and §11).
 *
 * Expectations were printed by /usr/bin/python3: repr(float) for the raw
 * format, str(Decimal(str(x)).quantize(Decimal(1).scaleb(-s), ROUND_HALF_UP))
 * for the NUMERIC format (oracle.py's db_numeric), Decimal(text) and
 * float(Decimal(text)) for parsing, and (Decimal(a) - Decimal(b)) / Decimal(b)
 * in the default context (28 digits, ROUND_HALF_EVEN) for sg_dec_return.
 */
#include <float.h>

#include "numfmt.h"
#include "sgtest.h"

static const char *repr(double x)
{
    static char buf[SG_NUM_LEN];
    int n = sg_fmt_repr(x, buf);
    assert_int_equal(n, (int)strlen(buf));
    return buf;
}

static void test_repr(void **state)
{
    (void)state;
    /* repr(x) in Python 3 */
    assert_string_equal(repr(0.1), "0.1");
    assert_string_equal(repr(1e-05), "1e-05");
    assert_string_equal(repr(-1e-05), "-1e-05");
    assert_string_equal(repr(0.0001), "0.0001"); /* the last exponent that stays fixed */
    assert_string_equal(repr(0.001), "0.001");
    assert_string_equal(repr(0.00012345), "0.00012345");
    assert_string_equal(repr(1e16), "1e+16"); /* the first that switches to exponent */
    assert_string_equal(repr(1e15), "1000000000000000.0");
    assert_string_equal(repr(1234567890123456.0), "1234567890123456.0");
    assert_string_equal(repr(9999999999999998.0), "9999999999999998.0");
    assert_string_equal(repr(9007199254740992.0), "9007199254740992.0"); /* 2**53 */
    assert_string_equal(repr(123456789012345678.0), "1.2345678901234568e+17");
    assert_string_equal(repr(12345678901234567890.0), "1.2345678901234567e+19");
    assert_string_equal(repr(1e22), "1e+22");
    assert_string_equal(repr(5.0), "5.0");
    assert_string_equal(repr(100.0), "100.0");
    assert_string_equal(repr(-2.5), "-2.5");
    assert_string_equal(repr(123.456), "123.456");
    assert_string_equal(repr(0.0), "0.0");
    assert_string_equal(repr(-0.0), "-0.0");
    assert_string_equal(repr(NAN), "nan");
    assert_string_equal(repr(-NAN), "nan");
    assert_string_equal(repr(INFINITY), "inf");
    assert_string_equal(repr(-INFINITY), "-inf");
    /* values that need 16 or 17 significant digits */
    assert_string_equal(repr(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(repr(1.0 / 3), "0.3333333333333333");
    assert_string_equal(repr(2.0 / 3), "0.6666666666666666");
    assert_string_equal(repr(1.0000000000000002), "1.0000000000000002");
    assert_string_equal(repr(0.1 * 3e-3), "0.00030000000000000003");
    assert_string_equal(repr(0.12345649999999998), "0.12345649999999998");
    assert_string_equal(repr(0.1234565), "0.1234565");
    assert_string_equal(repr(9.9999995), "9.9999995");
    /* extremes */
    assert_string_equal(repr(5e-324), "5e-324");
    assert_string_equal(repr(2.2250738585072014e-308), "2.2250738585072014e-308");
    assert_string_equal(repr(DBL_MAX), "1.7976931348623157e+308");
    assert_string_equal(repr(-DBL_MAX), "-1.7976931348623157e+308");
}

/* Property: repr is the shortest text that reads back as the same double.
 * glibc's printf/strtod are correctly rounded, so "%.*e" with one digit fewer
 * than repr's must not round-trip (the definition of Python's repr). */
static void test_repr_shortest_round_trip(void **state)
{
    (void)state;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double x;
        uint64_t bits = s ^ (s >> 29);
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x) || x == 0)
            continue;
        if (i % 2) /* also values of everyday size */
            x = (double)(int64_t)(bits >> 11) / 9007199254740992.0 * 1000.0;
        const char *t = repr(x);
        if (strtod(t, NULL) != x)
            fail_msg("repr %s does not read back as %.17g", t, x);
        sg_dec d;
        sg_dec_from_double(x, &d);
        assert_true(d.ndig >= 1 && d.ndig <= 17);
        assert_true(d.dig[0] != '0' && d.dig[d.ndig - 1] != '0');
        if (d.ndig > 1) {
            char shorter[64];
            snprintf(shorter, sizeof shorter, "%.*e", d.ndig - 2, x);
            if (strtod(shorter, NULL) == x)
                fail_msg("%.17g: repr %s has %d digits, but %s also round-trips", x, t, d.ndig, shorter);
        }
    }
}

static void test_dec_from_double(void **state)
{
    (void)state;
    sg_dec d;
    sg_dec_from_double(0.1, &d); /* Decimal(str(0.1)) == Decimal('0.1') */
    assert_false(d.neg);
    assert_false(d.nan);
    assert_int_equal(d.ndig, 1);
    assert_int_equal(d.decpt, 0);
    assert_memory_equal(d.dig, "1", 1);
    sg_dec_from_double(-123.456, &d);
    assert_true(d.neg);
    assert_int_equal(d.ndig, 6);
    assert_int_equal(d.decpt, 3);
    assert_memory_equal(d.dig, "123456", 6);
    sg_dec_from_double(1e-05, &d);
    assert_int_equal(d.ndig, 1);
    assert_int_equal(d.decpt, -4);
    sg_dec_from_double(0.30000000000000004, &d);
    assert_int_equal(d.ndig, 17);
    assert_memory_equal(d.dig, "30000000000000004", 17);
    sg_dec_from_double(-0.0, &d);
    assert_int_equal(d.ndig, 0);
    assert_true(d.neg);
    sg_dec_from_double(NAN, &d);
    assert_true(d.nan);
}

static const char *db(double x, int scale)
{
    static char buf[SG_NUM_LEN];
    int n = sg_fmt_db(x, scale, buf);
    assert_int_equal(n, (int)strlen(buf));
    return buf;
}

static void test_numeric_rounding(void **state)
{
    (void)state;
    /* oracle.py db_numeric: Decimal(str(x)) quantized ROUND_HALF_UP (ties away from zero) */
    /* shortest-repr based: the double below 0.1234565 prints as 0.1234565 and rounds up;
     * printf("%.6f") would say 0.123456 */
    assert_string_equal(db(0.1234565, 6), "0.123457");
    assert_string_equal(db(0.12345649999999998, 6), "0.123456");
    assert_string_equal(db(1.005, 2), "1.01"); /* printf("%.2f") says 1.00 */
    assert_string_equal(db(0.045, 2), "0.05");
    assert_string_equal(db(0.0000005, 6), "0.000001");
    assert_string_equal(db(-0.0000005, 6), "-0.000001");
    assert_string_equal(db(4.9e-7, 6), "0.000000");
    assert_string_equal(db(1e-7, 6), "0.000000");
    assert_string_equal(db(-0.0000001, 6), "-0.000000"); /* the sign survives, as in Decimal */
    assert_string_equal(db(9.9999995, 6), "10.000000");
    assert_string_equal(db(-9.9999995, 6), "-10.000000");
    assert_string_equal(db(1.0000005, 6), "1.000001");
    assert_string_equal(db(0.0, 6), "0.000000");
    assert_string_equal(db(-0.0, 6), "-0.000000");
    assert_string_equal(db(NAN, 6), "NaN");
    assert_string_equal(db(NAN, 4), "NaN");
    assert_string_equal(db(1.0, 4), "1.0000");
    assert_string_equal(db(0.99995, 4), "1.0000");
    assert_string_equal(db(5e-05, 4), "0.0001");
    assert_string_equal(db(-5e-05, 4), "-0.0001");
    assert_string_equal(db(2.5, 0), "3");
    assert_string_equal(db(-2.5, 0), "-3");
    assert_string_equal(db(123.456, 2), "123.46");
    assert_string_equal(db(100.0, 2), "100.00");
    assert_string_equal(db(0.30000000000000004, 6), "0.300000");
    assert_string_equal(db(1e-20, 4), "0.0000");
    assert_string_equal(db(1e20, 6), "100000000000000000000.000000");
    assert_string_equal(db(5.0, 6), "5.000000");
    assert_string_equal(db(-5.0, 6), "-5.000000");
    assert_string_equal(db(0.9926522853558887, 4), "0.9927"); /* FACTOR_SPEC §15 sample (LEV6) */
    assert_string_equal(db(0.8032177764093256, 6), "0.803218"); /* FACTOR_SPEC §15 sample (S001) */
    assert_string_equal(db(0.1852671973767097, 4), "0.1853");
    assert_string_equal(db(30.0, 2), "30.00");
}

static int parse(const char *s, sg_dec *d)
{
    return sg_dec_parse(s, strlen(s), d);
}

static void assert_dec(const char *text, bool neg, const char *digits, int decpt)
{
    sg_dec d;
    if (parse(text, &d) != 0)
        fail_msg("'%s' did not parse", text);
    if (d.neg != neg || d.ndig != (int)strlen(digits) || memcmp(d.dig, digits, strlen(digits)) != 0 ||
        (d.ndig && d.decpt != decpt))
        fail_msg("'%s' -> %s0.%.*se%d, expected %s0.%se%d", text, d.neg ? "-" : "", d.ndig, d.dig, d.decpt,
                 neg ? "-" : "", digits, decpt);
    assert_false(d.nan);
}

static void test_dec_parse(void **state)
{
    (void)state;
    /* Decimal(text): value = 0.digits * 10^decpt */
    assert_dec("42.4250", false, "42425", 2);
    assert_dec("0000123.4500", false, "12345", 3);
    assert_dec("1e3", false, "1", 4);
    assert_dec("1E+3", false, "1", 4);
    assert_dec("1.5E-3", false, "15", -2);
    assert_dec("+2.50", false, "25", 1);
    assert_dec("-2.50", true, "25", 1);
    assert_dec(".5", false, "5", 0);
    assert_dec("5.", false, "5", 1);
    assert_dec("0.0001", false, "1", -3);
    assert_dec("0", false, "", 0);
    assert_dec("0.0000", false, "", 0);
    assert_dec("-0", true, "", 0); /* Decimal('-0') keeps its sign */
    assert_dec("100", false, "1", 3);
    assert_dec("-1.5e+2", true, "15", 3);
}

static void test_dec_parse_limits(void **state)
{
    (void)state;
    sg_dec d;
    assert_int_equal(parse("1234567890123456789012345678901234567890", &d), 0);
    assert_int_equal(d.ndig, 39); /* the trailing zero is not significant */
    assert_int_equal(d.decpt, 40);
    assert_int_equal(parse("12345678901234567890123456789012345678900000", &d), 0);
    assert_int_equal(d.decpt, 44);
    assert_int_equal(parse("1234567890123456789012345678901234567891", &d), 0); /* exactly 40 */
    assert_int_equal(d.ndig, 40);
    /* 41 significant digits cannot be held exactly */
    assert_int_equal(parse("12345678901234567890123456789012345678901", &d), -1);
    assert_int_equal(parse("0.000012345678901234567890123456789012345678901", &d), -1);
}

static void test_dec_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "+", "-", ".", "e5", "1e", "1e+", "1e-", "abc", "1.2.3", "1,5", " 1", "1 ", "1_000",
        "0x10", "NaN", "nan", "Infinity", "inf", "-inf", "1e100000", "--1", "+-1", "1e5.5", "1..",
        "$5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_dec d;
        if (parse(bad[i], &d) != -1)
            fail_msg("'%s' parsed", bad[i]);
    }
    /* only len bytes are read */
    sg_dec d;
    assert_int_equal(sg_dec_parse("12.5abc", 4, &d), 0);
    assert_int_equal(d.ndig, 3);
}

static double to_double(const char *text)
{
    sg_dec d;
    if (parse(text, &d))
        fail_msg("'%s' did not parse", text);
    return sg_dec_to_double(&d);
}

static void test_dec_to_double(void **state)
{
    (void)state;
    /* float(Decimal(text)), correctly rounded */
    assert_same(to_double("0.1"), 0.1);
    assert_same(to_double("42.4250"), 42.425);
    assert_same(to_double("1e3"), 1000.0);
    assert_same(to_double("1.5E-3"), 0.0015);
    assert_same(to_double("-0"), -0.0);
    assert_same(to_double("0"), 0.0);
    assert_same(to_double("9007199254740993"), 9007199254740992.0); /* tie to even */
    assert_same(to_double("9007199254740995"), 9007199254740996.0);
    assert_same(to_double("123456789012345678901234567890"), 1.2345678901234568e+29);
    assert_same(to_double("1E+308"), 1e308);
    assert_same(to_double("1e-400"), 0.0);
    assert_same(to_double("2.4703282292062327e-324"), 0.0); /* just below half the smallest subnormal */
    assert_same(to_double("2.4703282292062328e-324"), 5e-324);
    assert_true(isinf(to_double("1e309")));
    sg_dec n = {.nan = true};
    assert_is_nan(sg_dec_to_double(&n));
    /* every repr reads back exactly */
    const double xs[] = {0.30000000000000004, 1.0 / 3, 5e-324, 1.7976931348623157e308, 123.456, -2.5e-7};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        assert_same(to_double(repr(xs[i])), xs[i]);
}

static const char *fixed(const char *text, int scale)
{
    static char buf[SG_NUM_LEN];
    sg_dec d;
    if (parse(text, &d))
        fail_msg("'%s' did not parse", text);
    int n = sg_dec_format_fixed(&d, scale, buf);
    assert_int_equal(n, (int)strlen(buf));
    return buf;
}

static void test_dec_format_fixed(void **state)
{
    (void)state;
    /* str(Decimal(text).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)) */
    assert_string_equal(fixed("2.5", 0), "3");
    assert_string_equal(fixed("-2.5", 0), "-3");
    assert_string_equal(fixed("1E+3", 2), "1000.00");
    assert_string_equal(fixed("-0", 2), "-0.00");
    assert_string_equal(fixed("0.0000", 2), "0.00");
    assert_string_equal(fixed("999.995", 2), "1000.00");
    assert_string_equal(fixed("-0.004", 2), "-0.00");
    assert_string_equal(fixed("0.05", 1), "0.1");
    assert_string_equal(fixed("123.4", 2), "123.40");
    assert_string_equal(fixed("-0.0000005", 6), "-0.000001");
    assert_string_equal(fixed("12345678901234567890.123456789", 6), "12345678901234567890.123457");
    assert_string_equal(fixed("0.00000000001", 4), "0.0000");
    assert_string_equal(fixed("42.4250", 4), "42.4250");
    sg_dec n = {.nan = true};
    char buf[SG_NUM_LEN];
    sg_dec_format_fixed(&n, 6, buf);
    assert_string_equal(buf, "NaN");
}

static const char *ret(const char *a, const char *b, int *rc)
{
    static char buf[80];
    sg_dec da, db_, q;
    if (parse(a, &da) || parse(b, &db_))
        fail_msg("bad operands");
    *rc = sg_dec_return(&da, &db_, &q);
    if (*rc)
        return "";
    /* scientific text of the quotient: sign, digits, decimal exponent of the first digit */
    snprintf(buf, sizeof buf, "%s%.1s.%.*sE%d", q.neg ? "-" : "", q.ndig ? q.dig : "0",
             q.ndig > 1 ? q.ndig - 1 : 0, q.dig + 1, q.ndig ? q.decpt - 1 : 0);
    return buf;
}

static void test_dec_return(void **state)
{
    (void)state;
    int rc;
    /* (Decimal(a) - Decimal(b)) / Decimal(b), written as d.ddd...E<exp> */
    assert_string_equal(ret("101.5", "100", &rc), "1.5E-2");              /* 0.015 */
    assert_string_equal(ret("110", "100", &rc), "1.E-1");                 /* 0.1 */
    assert_string_equal(ret("99", "100", &rc), "-1.E-2");                 /* -0.01 */
    assert_string_equal(ret("1", "3", &rc), "-6.666666666666666666666666667E-1");
    assert_string_equal(ret("2", "3", &rc), "-3.333333333333333333333333333E-1");
    assert_string_equal(ret("1", "7", &rc), "-8.571428571428571428571428571E-1");
    assert_string_equal(ret("123.4567", "98.7654", &rc), "2.499994937498354686965273264E-1");
    assert_string_equal(ret("42.4250", "41.5415", &rc), "2.126788873776825584054499717E-2");
    assert_string_equal(ret("0.0001", "1000000", &rc), "-9.999999999E-1");
    /* ties at the 29th digit go to the even 28th digit (ROUND_HALF_EVEN):
     * 1/2**41 = 4.5474735088646411895751953125E-13 exactly (29 digits) -> ...312 */
    assert_string_equal(ret("2199023255553", "2199023255552", &rc), "4.547473508864641189575195312E-13");
    /* 3/2**40 = 2.7284841053187847137451171875E-12 exactly -> ...188 */
    assert_string_equal(ret("1099511627779", "1099511627776", &rc), "2.728484105318784713745117188E-12");
    assert_int_equal(rc, 0);
    /* equal operands: zero (Decimal('0')) */
    sg_dec a, b, q;
    parse("100.0000", &a);
    parse("100", &b);
    assert_int_equal(sg_dec_return(&a, &b, &q), 0);
    assert_int_equal(q.ndig, 0);
    char buf[SG_NUM_LEN];
    sg_dec_format_fixed(&q, 6, buf);
    assert_string_equal(buf, "0.000000");
    /* and the NUMERIC(10,6) text of a return, as the metrics store it */
    parse("110.0000", &a);
    parse("98.0000", &b);
    assert_int_equal(sg_dec_return(&a, &b, &q), 0);
    sg_dec_format_fixed(&q, 6, buf);
    assert_string_equal(buf, "0.122449"); /* 12/98 = 0.1224489795918367346938775510 */
    assert_same(sg_dec_to_double(&q), 0.12244897959183673);
    /* a zero divisor (calculate_return returns None for ref == 0) and NaN fail */
    parse("0.0000", &b);
    assert_int_equal(sg_dec_return(&a, &b, &q), -1);
    sg_dec n = {.nan = true};
    assert_int_equal(sg_dec_return(&n, &a, &q), -1);
    assert_int_equal(sg_dec_return(&a, &n, &q), -1);
}

/* ---- regressions: bugs found by these tests, now fixed ------- */

/* BUG: a double whose shortest round-trip text has exactly 15 significant
 * digits is printed with 14 (a different number). sg_dec_from_double tries
 * 17, 16, 15 digits, then counts up from 1 while p < 15: when none of 1..14
 * round-trips the loop ends with the 14-digit text of its last attempt still
 * in tmp. About 7% of doubles in [0, 1000) are affected (Python: repr of
 * random.random()*1000). Visible in `sigmactl metrics samples/universe.csv
 * --date 2025-07-15 --mode app`: S003's return_1d prints -0.0063274451115071
 * where oracle.py --metrics prints -0.00632744511150712. Values from repr()
 * in Python. */
static void bug_repr_15_digits(void **state)
{
    (void)state;
    assert_string_equal(repr(0.551302601600801), "0.551302601600801");
    assert_string_equal(repr(352.872558853387), "352.872558853387");
    assert_string_equal(repr(0.123456789012345), "0.123456789012345");
    assert_string_equal(repr(-0.00632744511150712), "-0.00632744511150712");
    assert_string_equal(db(0.123456789012345, 14), "0.12345678901235"); /* Decimal digits too */
    sg_dec d;
    sg_dec_from_double(1.23456789012345, &d);
    assert_int_equal(d.ndig, 15);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) { /* every finite double reads back */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double x = (double)(int64_t)(s >> 11) / 9007199254740992.0 * 1000.0;
        const char *t = repr(x);
        if (strtod(t, NULL) != x)
            fail_msg("repr %s does not read back as %.17g", t, x);
    }
}

/* BUG: sg_fmt_db / sg_dec_format_fixed write past the SG_NUM_LEN buffer the
 * header promises is enough, for any value of 10^41 or more (1e300 at scale 2
 * is 304 bytes). Reachable from `sigmactl metrics --full --db-round` with a
 * profile market_cap or pe_ratio of 1e300, or a close of 999999999999999999e30
 * (current_price at scale 4). A larger buffer here keeps the test from
 * corrupting its own stack; it checks the length written. */
static void bug_fmt_db_overflows_num_len(void **state)
{
    (void)state;
    char *buf = calloc(1, 4096);
    assert_non_null(buf);
    sg_fmt_db(1e300, 2, buf);
    size_t n1 = strlen(buf);
    sg_dec d;
    assert_int_equal(parse("999999999999999999e30", &d), 0);
    sg_dec_format_fixed(&d, 4, buf);
    size_t n2 = strlen(buf);
    free(buf);
    if (n1 >= SG_NUM_LEN || n2 >= SG_NUM_LEN)
        fail_msg("wrote %zu and %zu bytes (+NUL) for a buffer of SG_NUM_LEN = %d", n1, n2, SG_NUM_LEN);
}

/* NUMERIC(p,s) holds |value rounded to s digits| < 10^(p-s): the limits every
 * writer checks before a row goes to PostgreSQL (issue 8). */
static bool fits(const char *text, int p, int s)
{
    sg_dec d;
    assert_int_equal(parse(text, &d), 0);
    return sg_dec_fits(&d, p, s);
}

static void test_numeric_fits(void **state)
{
    (void)state;
    /* symbol_daily_metrics.pe_ratio NUMERIC(10,4): below 10^6 */
    assert_true(fits("999999.9999", 10, 4));
    assert_true(fits("-999999.99994", 10, 4));
    assert_false(fits("999999.99995", 10, 4)); /* rounds up to 1000000.0000 */
    assert_false(fits("1250000", 10, 4));
    assert_false(fits("-1000000", 10, 4));
    /* returns NUMERIC(10,6): a return of 10^4 or more does not fit */
    assert_true(fits("9999.9999994", 10, 6));
    assert_false(fits("9999.9999995", 10, 6));
    assert_false(fits("10000", 10, 6));
    assert_false(fits("99999", 10, 6));
    /* prices NUMERIC(12,4): 99999999.99995 passes a digit count, not the column */
    assert_true(fits("99999999.9999", 12, 4));
    assert_false(fits("99999999.99995", 12, 4));
    /* market caps: NUMERIC(18,2) and NUMERIC(20,2) */
    assert_true(fits("9999999999999999.99", 18, 2));
    assert_false(fits("1e16", 18, 2));
    assert_true(fits("1e16", 20, 2));
    assert_false(fits("1e300", 20, 2));
    assert_false(fits("1e99999", 20, 2)); /* no text is built: no overflow */
    /* tiny values round to zero and fit; zero and NaN fit */
    assert_true(fits("1e-99999", 6, 4));
    assert_true(fits("0", 6, 4));
    sg_dec n = {.nan = true};
    assert_true(sg_dec_fits(&n, 6, 4));
    /* doubles as the app sends them, Decimal(str(x)) */
    assert_true(sg_double_fits(5.0, 10, 6));
    assert_true(sg_double_fits(9999.9999994, 10, 6));
    assert_false(sg_double_fits(1e4, 10, 6));
    assert_false(sg_double_fits(-1e4, 10, 6));
    assert_false(sg_double_fits(1.0, 6, 4) && sg_double_fits(100.0, 6, 4));
    assert_false(sg_double_fits(INFINITY, 10, 6));
    assert_false(sg_double_fits(-INFINITY, 10, 6));
    assert_true(sg_double_fits(NAN, 10, 6));
    /* rounding to zero at a scale: close > 0 after rounding */
    sg_dec d;
    parse("0.00004", &d);
    assert_true(sg_dec_rounds_to_zero(&d, 4));
    parse("0.00005", &d);
    assert_false(sg_dec_rounds_to_zero(&d, 4));
    parse("0.0001", &d);
    assert_false(sg_dec_rounds_to_zero(&d, 4));
    parse("0", &d);
    assert_true(sg_dec_rounds_to_zero(&d, 4));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repr),
        cmocka_unit_test(test_repr_shortest_round_trip),
        cmocka_unit_test(test_dec_from_double),
        cmocka_unit_test(test_numeric_rounding),
        cmocka_unit_test(test_dec_parse),
        cmocka_unit_test(test_dec_parse_limits),
        cmocka_unit_test(test_dec_parse_errors),
        cmocka_unit_test(test_dec_to_double),
        cmocka_unit_test(test_dec_format_fixed),
        cmocka_unit_test(test_dec_return),
        cmocka_unit_test(test_numeric_fits),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_repr_15_digits),
        cmocka_unit_test(bug_fmt_db_overflows_num_len),
    };
    (void)argc;
    (void)argv;
    int failed = cmocka_run_group_tests_name("numfmt", tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("numfmt regressions", bugs, NULL, NULL);
}
