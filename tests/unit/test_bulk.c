/*
 * test_bulk.c - a market day in one request (bulk.h): Polygon's grouped
 * daily bars and FMP's bulk end-of-day CSV, every validation rule the
 * per-symbol path applies, answers that are unusable as a whole, the bulk
 * provider's choice, the bulk URLs, and the plan of a run.
 *
 * Bodies are written in each provider's documented shape. Polygon's t in the
 * grouped answer is the session's 16:00 New York in ms, computed with
 * Python's zoneinfo:
 *   int(datetime(2025, 7, 15, 16, tzinfo=ZoneInfo("America/New_York")).timestamp() * 1000) == 1752609600000
 */
#include <limits.h>

#include "bulk.h"
#include "config.h"
#include "sgtest.h"

#define T0715 "1752609600000" /* 2025-07-15 16:00 New York */
#define T0714 "1752523200000" /* 2025-07-14 16:00 New York */

typedef struct parsed {
    sg_answer a;
    sg_bulk b;
    char err[300];
} parsed;

static parsed parse(sg_provider p, const char *body, sg_day day)
{
    parsed r;
    memset(&r, 0, sizeof r);
    /* an exact-size copy: ASan sees any read past the end (the CSV parser reads bytes, not strings) */
    size_t len = strlen(body);
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, body, len);
    r.a = sg_bulk_parse(p, copy, len, day, &r.b, r.err, sizeof r.err);
    free(copy);
    return r;
}

static const sg_bulk_row *row(const parsed *r, const char *symbol)
{
    const sg_bulk_row *x = sg_bulk_find(&r->b, symbol);
    if (!x)
        fail_msg("no row for %s", symbol);
    return x;
}

static void assert_good(const parsed *r, const char *symbol, double o, double h, double l, double c, long long v)
{
    const sg_bulk_row *x = row(r, symbol);
    if (x->why[0])
        fail_msg("%s refused: %s", symbol, x->why);
    assert_same(x->bar.open, o);
    assert_same(x->bar.high, h);
    assert_same(x->bar.low, l);
    assert_same(x->bar.close, c);
    assert_int_equal(x->bar.volume, v);
}

static void assert_refused_row(const parsed *r, const char *symbol, const char *why)
{
    const sg_bulk_row *x = row(r, symbol);
    if (!strstr(x->why, why))
        fail_msg("%s: '%s', expected '%s'", symbol, x->why, why);
}

#define D0715 DAY(2025, 7, 15)

/* ---- Polygon grouped daily ------------------------------------------------------------ */

static void test_polygon_recorded(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_POLYGON,
                     "{\"queryCount\":4,\"resultsCount\":4,\"adjusted\":false,\"results\":["
                     "{\"T\":\"AAPL\",\"v\":4.4368556e+07,\"vw\":209.9121,\"o\":209.22,\"c\":209.11,\"h\":211.89,"
                     "\"l\":208.92,\"t\":" T0715 ",\"n\":556132},"
                     "{\"T\":\"BRK.B\",\"v\":3520744,\"vw\":472.3,\"o\":470.6,\"c\":473.01,\"h\":474.5,\"l\":469.33,"
                     "\"t\":" T0715 ",\"n\":80551},"
                     "{\"T\":\"abcd\",\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":" T0715 "},"
                     "{\"T\":\"ZVZZT\",\"v\":120,\"o\":10,\"c\":10.01,\"h\":10.01,\"l\":10,\"t\":" T0715 "}],"
                     "\"status\":\"OK\",\"request_id\":\"6a7e466379af0a71039d60cc78e72282\",\"count\":4}",
                     D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.rows, 4);
    assert_int_equal(r.b.n, 3); /* "abcd": no valid symbol, so no run holds it */
    assert_int_equal(r.b.not_symbols, 1);
    assert_int_equal(r.b.bad, 0);
    assert_good(&r, "AAPL", 209.22, 211.89, 208.92, 209.11, 44368556);
    assert_good(&r, "BRK.B", 470.6, 474.5, 469.33, 473.01, 3520744);
    assert_int_equal(row(&r, "AAPL")->bar.day, D0715);
    assert_null(sg_bulk_find(&r.b, "MSFT"));
    /* sorted by symbol, byte order */
    assert_string_equal(r.b.v[0].symbol, "AAPL");
    assert_string_equal(r.b.v[1].symbol, "BRK.B");
    assert_string_equal(r.b.v[2].symbol, "ZVZZT");
    sg_bulk_free(&r.b);
    /* a day without data yet: OK and empty (every symbol goes per symbol) */
    r = parse(SG_PROV_POLYGON, "{\"queryCount\":0,\"resultsCount\":0,\"adjusted\":false,\"status\":\"OK\"}", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.n, 0);
    r = parse(SG_PROV_POLYGON, "{\"status\":\"DELAYED\",\"adjusted\":false,\"results\":[]}", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
}

/* Every rule of the per-symbol path, row by row: one bad row fails its symbol only. */
static void test_polygon_validation(void **state)
{
    (void)state;
    parsed r = parse(
        SG_PROV_POLYGON,
        "{\"status\":\"OK\",\"adjusted\":false,\"results\":["
        "{\"T\":\"GOOD\",\"o\":10,\"h\":11,\"l\":9,\"c\":10.5,\"v\":100,\"t\":" T0715 "},"
        "{\"T\":\"HILO\",\"o\":10,\"h\":9,\"l\":11,\"c\":10,\"v\":100,\"t\":" T0715 "},"
        "{\"T\":\"NEG\",\"o\":10,\"h\":11,\"l\":9,\"c\":-10,\"v\":100,\"t\":" T0715 "},"
        "{\"T\":\"ZERO\",\"o\":10,\"h\":11,\"l\":9,\"c\":0,\"v\":100,\"t\":" T0715 "},"
        "{\"T\":\"NOCLOSE\",\"o\":10,\"h\":11,\"l\":9,\"c\":null,\"v\":100,\"t\":" T0715 "},"
        "{\"T\":\"NOOPEN\",\"h\":11,\"l\":9,\"c\":10,\"t\":" T0715 "},"
        "{\"T\":\"BIG\",\"o\":99999999.99995,\"h\":99999999.99995,\"l\":99999999.99995,\"c\":99999999.99995,"
        "\"v\":1,\"t\":" T0715 "},"
        "{\"T\":\"MAXOK\",\"o\":99999999.99994999,\"h\":99999999.99994999,\"l\":99999999.99994999,"
        "\"c\":99999999.99994999,\"v\":1,\"t\":" T0715 "},"
        "{\"T\":\"TINY\",\"o\":0.00004,\"h\":0.00004,\"l\":0.00004,\"c\":0.00004,\"v\":1,\"t\":" T0715 "},"
        "{\"T\":\"ROUND\",\"o\":10.00005,\"h\":10.00005,\"l\":10.00006,\"c\":10.00005,\"v\":1,\"t\":" T0715 "},"
        "{\"T\":\"VNEG\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":-5,\"t\":" T0715 "},"
        "{\"T\":\"VBIG\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":2147483648,\"t\":" T0715 "},"
        "{\"T\":\"VMAX\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":2147483647,\"t\":" T0715 "},"
        "{\"T\":\"VHUGE\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1e300,\"t\":" T0715 "},"
        "{\"T\":\"OTHERDAY\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1,\"t\":" T0714 "},"
        "{\"T\":\"NOT\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1},"
        "{\"T\":\"TFAR\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1,\"t\":1e300},"
        "{\"T\":\"TWICE\",\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1,\"t\":" T0715 "},"
        "{\"T\":\"TWICE\",\"o\":10,\"h\":11,\"l\":9,\"c\":10.1,\"v\":1,\"t\":" T0715 "},"
        "{\"o\":10,\"h\":11,\"l\":9,\"c\":10,\"v\":1,\"t\":" T0715 "},"
        "17]}",
        D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.rows, 21);
    assert_int_equal(r.b.not_symbols, 2); /* no T; not an object */
    assert_good(&r, "GOOD", 10, 11, 9, 10.5, 100);
    assert_good(&r, "NOOPEN", NAN, 11, 9, 10, -1); /* open and volume may be absent, as per symbol */
    assert_good(&r, "MAXOK", 99999999.99994999, 99999999.99994999, 99999999.99994999, 99999999.99994999, 1);
    assert_good(&r, "ROUND", 10.00005, 10.00005, 10.00006, 10.00005, 1); /* high and low both hold 10.0001 */
    assert_good(&r, "VMAX", 10, 11, 9, 10, INT_MAX);
    assert_refused_row(&r, "HILO", "high below low");
    assert_refused_row(&r, "NEG", "close is not a finite price > 0");
    assert_refused_row(&r, "ZERO", "close is not a finite price > 0");
    assert_refused_row(&r, "NOCLOSE", "close is missing");
    assert_refused_row(&r, "BIG", "too large for NUMERIC(12,4)");
    assert_refused_row(&r, "TINY", "rounds to 0 in NUMERIC(12,4)");
    assert_refused_row(&r, "VNEG", "volume is negative");
    assert_refused_row(&r, "VBIG", "does not fit market_data_cache.volume (INTEGER)");
    assert_refused_row(&r, "VHUGE", "does not fit market_data_cache.volume (INTEGER)");
    assert_refused_row(&r, "OTHERDAY", "dated 2025-07-14, asked 2025-07-15");
    assert_refused_row(&r, "NOT", "no timestamp (t)");
    assert_refused_row(&r, "TFAR", "t 1e+300 is out of range");
    assert_refused_row(&r, "TWICE", "appears 2 times in the answer");
    assert_int_equal(r.b.bad, 13);
    sg_bulk_free(&r.b);
    /* the asked day is no trading day: every row refused (the plan never asks one) */
    r = parse(SG_PROV_POLYGON,
              "{\"status\":\"OK\",\"results\":[{\"T\":\"A\",\"c\":1,\"t\":1752350400000}]}", /* Sat 2025-07-12 16:00 */
              DAY(2025, 7, 12));
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_refused_row(&r, "A", "not an NYSE trading day");
    sg_bulk_free(&r.b);
}

static void test_polygon_unusable(void **state)
{
    (void)state;
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"{\"status\":\"ERROR\",\"request_id\":\"x\",\"error\":\"Unknown API Key\"}", "status ERROR: Unknown API Key"},
        {"{\"status\":\"NOT_AUTHORIZED\",\"message\":\"You are not entitled to this data.\"}",
         "status NOT_AUTHORIZED: You are not entitled to this data."},
        {"{\"results\":[]}", "status missing"},
        {"[]", "status missing"},
        {"{\"status\":\"OK\",\"adjusted\":true,\"results\":[]}", "an adjusted answer (asked adjusted=false)"},
        {"{\"status\":\"OK\",\"results\":{\"T\":\"A\"}}", "'results' is not an array"},
        {"{\"status\":\"OK\",\"resultsCount\":3,\"results\":[{\"T\":\"A\",\"c\":1,\"t\":" T0715 "}]}",
         "resultsCount 3 but 1 results (a cut answer)"},
        {"{\"status\":\"OK\",\"results\":[{\"T\":\"A\",\"c\":1", "not JSON"},
        {"<!DOCTYPE html><html><body>Bad gateway</body></html>", "not JSON"},
        {"", "not JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parsed r = parse(SG_PROV_POLYGON, cases[i].body, D0715);
        if (r.a != SG_ANSWER_BAD)
            fail_msg("case %zu accepted", i);
        assert_contains(r.err, cases[i].why);
        assert_int_equal(r.b.n, 0);
        assert_null(r.b.v);
    }
}

/* Polygon stamps a grouped bar at the session's close; the date is New York's, in both DST regimes. */
static void test_polygon_days(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_POLYGON,
                     "{\"status\":\"OK\",\"results\":[{\"T\":\"A\",\"c\":1,\"t\":1741636800000},"
                     "{\"T\":\"B\",\"c\":1,\"t\":1752634800000}]}", /* 2025-03-10 16:00 EDT; 2025-07-15 23:00 EDT */
                     DAY(2025, 3, 10));
    assert_int_equal(row(&r, "A")->why[0], 0);
    assert_refused_row(&r, "B", "dated 2025-07-15, asked 2025-03-10"); /* 03:00 UTC the next day: still the 15th */
    sg_bulk_free(&r.b);
    r = parse(SG_PROV_POLYGON, "{\"status\":\"OK\",\"results\":[{\"T\":\"A\",\"c\":1,\"t\":1736974800000}]}",
              DAY(2025, 1, 15)); /* EST */
    assert_int_equal(row(&r, "A")->why[0], 0);
    sg_bulk_free(&r.b);
}

/* ---- FMP bulk end-of-day CSV ----------------------------------------------------------------- */

static void test_fmp_recorded(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_FMP,
                     "symbol,date,open,low,high,close,adjClose,volume\n"
                     "AAPL,2025-07-15,209.22,208.92,211.89,209.11,208.86,44368556\n"
                     "BRK-B,2025-07-15,470.6,469.33,474.5,473.01,473.01,3520744.0\n"
                     "0001.HK,2025-07-15,50.3,50.0,51.2,51.0,51.0,1.2E7\n"
                     "ABCD.TO,2025-07-15,1,1,1,1,1,\n"
                     "abc,2025-07-15,1,1,1,1,1,1\n",
                     D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.rows, 5);
    assert_int_equal(r.b.not_symbols, 1);
    assert_int_equal(r.b.bad, 0);
    /* the unadjusted close, never adjClose; columns by name (FMP's order is open,low,high) */
    assert_good(&r, "AAPL", 209.22, 211.89, 208.92, 209.11, 44368556);
    assert_good(&r, "BRK-B", 470.6, 474.5, 469.33, 473.01, 3520744);
    assert_good(&r, "0001.HK", 50.3, 51.2, 50.0, 51.0, 12000000);
    assert_good(&r, "ABCD.TO", 1, 1, 1, 1, -1); /* an empty volume: none, as per symbol */
    sg_bulk_free(&r.b);
    /* CRLF line ends, a byte order mark, quoted fields, another column order, blank lines */
    r = parse(SG_PROV_FMP,
              "\xef\xbb\xbf\"date\",\"symbol\",\"close\",\"volume\",\"high\",\"low\",\"open\",\"adjClose\"\r\n"
              "\"2025-07-15\",\"MSFT\",\"503.02\",\"12345\",\"505\",\"500.1\",\"501\",\"500\"\r\n"
              "\r\n"
              "2025-07-15, SPY ,622.14,100,623.0,619.5,620.0,620.0\r\n",
              D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_good(&r, "MSFT", 501, 505, 500.1, 503.02, 12345);
    assert_good(&r, "SPY", 620, 623, 619.5, 622.14, 100);
    sg_bulk_free(&r.b);
    /* only the required columns: open, high, low and volume absent */
    r = parse(SG_PROV_FMP, "symbol,date,close\nIBM,2025-07-15,282.5\n", D0715);
    assert_good(&r, "IBM", NAN, NAN, NAN, 282.5, -1);
    sg_bulk_free(&r.b);
    /* nothing for the day: an empty body or an empty JSON list */
    r = parse(SG_PROV_FMP, "", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.n, 0);
    r = parse(SG_PROV_FMP, " \r\n", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    r = parse(SG_PROV_FMP, "[]", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    r = parse(SG_PROV_FMP, "symbol,date,open,low,high,close,adjClose,volume\n", D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.rows, 0);
}

static void test_fmp_validation(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_FMP,
                     "symbol,date,open,low,high,close,adjClose,volume\n"
                     "GOOD,2025-07-15,10,9,11,10.5,10.4,100\n"
                     "HILO,2025-07-15,10,11,9,10,10,100\n"
                     "NEG,2025-07-15,10,9,11,-10,10,100\n"
                     "NOCLOSE,2025-07-15,10,9,11,,10,100\n"
                     "TEXT,2025-07-15,10,9,11,10.5x,10,100\n"
                     "NANV,2025-07-15,10,9,11,nan,10,100\n"
                     "BIG,2025-07-15,99999999.99995,99999999.99995,99999999.99995,99999999.99995,1,1\n"
                     "TINY,2025-07-15,0.00004,0.00004,0.00004,0.00004,1,1\n"
                     "VNEG,2025-07-15,10,9,11,10,10,-1\n"
                     "VBIG,2025-07-15,10,9,11,10,10,3000000000\n"
                     "OTHERDAY,2025-07-14,10,9,11,10,10,1\n"
                     "BADDATE,2025-7-15,10,9,11,10,10,1\n"
                     "SHORT,2025-07-15,10,9\n"
                     "TWICE,2025-07-15,10,9,11,10,10,1\n"
                     "TWICE,2025-07-15,10,9,11,10,10,1\n"
                     "\"QUO\"\"TE\",2025-07-15,10,9,11,10,10,1\n"
                     ",2025-07-15,10,9,11,10,10,1\n"
                     "CUT,2025-07-15,10,9,11,10.",
                     D0715);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.b.rows, 18);
    assert_int_equal(r.b.not_symbols, 2); /* a quote in the ticker; an empty ticker */
    assert_good(&r, "GOOD", 10, 11, 9, 10.5, 100);
    assert_refused_row(&r, "HILO", "high below low");
    assert_refused_row(&r, "NEG", "close is not a finite price > 0");
    assert_refused_row(&r, "NOCLOSE", "close is missing");
    assert_refused_row(&r, "TEXT", "close '10.5x' is not a number");
    assert_refused_row(&r, "NANV", "close 'nan' is not a number");
    assert_refused_row(&r, "BIG", "too large for NUMERIC(12,4)");
    assert_refused_row(&r, "TINY", "rounds to 0 in NUMERIC(12,4)");
    assert_refused_row(&r, "VNEG", "volume is negative");
    assert_refused_row(&r, "VBIG", "does not fit market_data_cache.volume (INTEGER)");
    assert_refused_row(&r, "OTHERDAY", "dated 2025-07-14, asked 2025-07-15");
    assert_refused_row(&r, "BADDATE", "date '2025-7-15' is not YYYY-MM-DD");
    assert_refused_row(&r, "SHORT", "4 fields, the header needs 8");
    assert_refused_row(&r, "TWICE", "appears 2 times in the answer");
    /* a body that ends inside a row may have cut a number short (10.5 -> 10.): never stored */
    assert_refused_row(&r, "CUT", "the body ends inside this row");
    assert_int_equal(r.b.bad, 14);
    sg_bulk_free(&r.b);
}

static void test_fmp_unusable(void **state)
{
    (void)state;
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"{\n  \"Error Message\" : \"Invalid API KEY. Feel free to create a Free API Key.\"\n}",
         "Invalid API KEY. Feel free to create a Free API Key."},
        {"{\"Error Message\":\"Exclusive Endpoint : This endpoint is not available under your current subscription\"}",
         "Exclusive Endpoint"},
        {"[{\"symbol\":\"AAPL\",\"close\":1}]", "JSON, not FMP's bulk CSV"},
        {"{\"symbol\":\"AAPL\"", "JSON, not FMP's bulk CSV"},
        {"<!DOCTYPE html><html><body>Service Unavailable</body></html>\n", "not FMP's bulk CSV: no 'symbol' column"},
        {"symbol,date,open,low,high,adjClose,volume\nA,2025-07-15,1,1,1,1,1\n",
         "not FMP's bulk CSV: no 'close' column in the header 'symbol,date,open,low,high,adjClose,volume'"},
        {"ticker,date,close\r\nA,2025-07-15,1\r\n", "no 'symbol' column in the header 'ticker,date,close'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parsed r = parse(SG_PROV_FMP, cases[i].body, D0715);
        if (r.a != SG_ANSWER_BAD)
            fail_msg("case %zu accepted", i);
        assert_contains(r.err, cases[i].why);
        assert_int_equal(r.b.n, 0);
    }
    parsed r = parse(SG_PROV_YAHOO, "{}", D0715);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "yahoo has no bulk endpoint");
}

/* 10,000 rows and more, in one pass: every one found again. */
static void test_large(void **state)
{
    (void)state;
    size_t n = 12000, cap = n * 80 + 200, len = 0;
    char *csv = malloc(cap), *json = malloc(cap * 2);
    assert_non_null(csv);
    assert_non_null(json);
    len += (size_t)snprintf(csv + len, cap - len, "symbol,date,open,low,high,close,adjClose,volume\n");
    size_t jl = (size_t)snprintf(json, cap * 2, "{\"status\":\"OK\",\"adjusted\":false,\"resultsCount\":%zu,\"results\":[", n);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(csv + len, cap - len, "S%05zu,2025-07-15,%zu.25,%zu.0,%zu.5,%zu.75,1,%zu\n", i, i + 1,
                                i + 1, i + 2, i + 1, i * 10);
        jl += (size_t)snprintf(json + jl, cap * 2 - jl,
                               "%s{\"T\":\"S%05zu\",\"v\":%zu,\"o\":%zu.25,\"c\":%zu.75,\"h\":%zu.5,\"l\":%zu,\"t\":" T0715 "}",
                               i ? "," : "", i, i * 10, i + 1, i + 1, i + 2, i + 1);
    }
    snprintf(json + jl, cap * 2 - jl, "]}");
    parsed f = parse(SG_PROV_FMP, csv, D0715), p = parse(SG_PROV_POLYGON, json, D0715);
    assert_int_equal(f.a, SG_ANSWER_OK);
    assert_int_equal(p.a, SG_ANSWER_OK);
    assert_int_equal(f.b.n, n);
    assert_int_equal(p.b.n, n);
    assert_int_equal(f.b.bad + p.b.bad, 0);
    for (size_t i = 0; i < n; i += 997) {
        char s[16];
        snprintf(s, sizeof s, "S%05zu", i);
        assert_good(&f, s, (double)i + 1.25, (double)i + 2.5, (double)i + 1, (double)i + 1.75, (long long)i * 10);
        assert_good(&p, s, (double)i + 1.25, (double)i + 2.5, (double)i + 1, (double)i + 1.75, (long long)i * 10);
    }
    sg_bulk_free(&f.b);
    sg_bulk_free(&p.b);
    free(csv);
    free(json);
}

/* ---- the provider and its URL ------------------------------------------------------------------ */

static void test_provider_choice(void **state)
{
    (void)state;
    char why[256], err[256];
    sg_provider p, order[3] = {SG_PROV_YAHOO, SG_PROV_FMP, SG_PROV_POLYGON};
    unsetenv("FMP_API_KEY");
    unsetenv("POLYGON_API_KEY");
    assert_false(sg_bulk_provider(order, 3, &p)); /* yahoo has no bulk endpoint, the others no key */
    assert_string_equal(sg_bulk_none_reason(order, 3, why, sizeof why),
                        "no provider of provider.order (yahoo,fmp,polygon) has a bulk endpoint and an API key"
                        " (fmp: FMP_API_KEY, polygon: POLYGON_API_KEY)");
    setenv("POLYGON_API_KEY", "", 1); /* empty is no key */
    assert_false(sg_bulk_provider(order, 3, &p));
    setenv("POLYGON_API_KEY", "pk", 1);
    assert_true(sg_bulk_provider(order, 3, &p));
    assert_int_equal(p, SG_PROV_POLYGON);
    setenv("FMP_API_KEY", "fk", 1);
    assert_true(sg_bulk_provider(order, 3, &p));
    assert_int_equal(p, SG_PROV_FMP); /* the first of provider.order that has both */
    assert_false(sg_bulk_provider(order, 1, &p)); /* provider.order=yahoo */
    assert_int_equal(sg_config_set("provider.bulk=0", err, sizeof err), 0);
    assert_false(sg_bulk_provider(order, 3, &p));
    assert_string_equal(sg_bulk_none_reason(order, 3, why, sizeof why), "provider.bulk is 0");
    sg_config_reset();
    unsetenv("FMP_API_KEY");
    unsetenv("POLYGON_API_KEY");
}

static void test_urls(void **state)
{
    (void)state;
    char err[256];
    setenv("POLYGON_API_KEY", "pk+/=", 1);
    setenv("FMP_API_KEY", "fk", 1);
    char *u = sg_provider_bulk_url(SG_PROV_POLYGON, D0715);
    assert_string_equal(u, "https://api.polygon.io/v2/aggs/grouped/locale/us/market/stocks/2025-07-15?adjusted=false"
                           "&apiKey=pk%2B%2F%3D");
    free(u);
    u = sg_provider_bulk_url(SG_PROV_FMP, D0715);
    assert_string_equal(u, "https://financialmodelingprep.com/api/v4/batch-request-end-of-day-prices?date=2025-07-15"
                           "&apikey=fk");
    free(u);
    assert_null(sg_provider_bulk_url(SG_PROV_YAHOO, D0715));
    assert_int_equal(sg_config_set("provider.fmp.bulk_url=http://127.0.0.1:9/eod/{date}/{date}.csv", err, sizeof err), 0);
    u = sg_provider_bulk_url(SG_PROV_FMP, DAY(2024, 2, 29));
    assert_string_equal(u, "http://127.0.0.1:9/eod/2024-02-29/2024-02-29.csv");
    free(u);
    sg_config_reset();
    unsetenv("FMP_API_KEY");
    unsetenv("POLYGON_API_KEY");
}

/* ---- the plan ---------------------------------------------------------------------------------------- */

static void assert_days(const sg_bulk_plan *p, const char *want)
{
    char got[512] = "", d[SG_DATE_LEN];
    for (size_t i = 0; i < p->ndays; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", sg_day_format(p->days[i], d));
    assert_string_equal(got, want);
}

static void test_plan(void **state)
{
    (void)state;
    sg_bulk_plan p;
    sg_day D = D0715; /* a Tuesday */
    sg_bulk_need need[8];
    /* a night: every symbol stored up to Monday needs Tuesday only */
    for (int i = 0; i < 8; i++)
        need[i] = (sg_bulk_need){true, DAY(2025, 7, 14)};
    assert_int_equal(sg_bulk_plan_make(need, 8, D, 3, &p), 0);
    assert_days(&p, "2025-07-15");
    assert_int_equal(p.nwaiting, 8);
    sg_bulk_plan_free(&p);
    /* fewer symbols than the threshold: no bulk at all */
    assert_int_equal(sg_bulk_plan_make(need, 8, D, 9, &p), 0);
    assert_int_equal(p.ndays, 0);
    assert_int_equal(p.nwaiting, 0);
    sg_bulk_plan_free(&p);
    /* a three-day outage (stored up to Thursday: Friday, Monday, Tuesday), an isolated gap, a new
     * symbol (a year to fetch), a symbol that holds D, and one whose gap reaches back past the
     * bulk days (it misses Thursday too, which only it misses: fetched alone, whole window) */
    need[0] = need[1] = need[2] = (sg_bulk_need){true, DAY(2025, 7, 10)};
    need[3] = (sg_bulk_need){true, DAY(2025, 7, 9)};
    need[4] = (sg_bulk_need){false, 0};
    need[5] = (sg_bulk_need){false, D};
    need[6] = (sg_bulk_need){true, DAY(2025, 7, 14)};
    need[7] = (sg_bulk_need){true, DAY(2025, 7, 11)}; /* Friday stored: Monday and Tuesday */
    assert_int_equal(sg_bulk_plan_make(need, 8, D, 3, &p), 0);
    assert_days(&p, "2025-07-11 2025-07-14 2025-07-15"); /* waiting for Friday: 3 symbols, Monday 4, Tuesday 5 */
    bool want[8] = {true, true, true, false, false, false, true, true};
    for (int i = 0; i < 8; i++)
        if (p.waits[i] != want[i])
            fail_msg("symbol %d waits %d", i, p.waits[i]);
    assert_int_equal(p.nwaiting, 5);
    sg_bulk_plan_free(&p);
    /* days NYSE does not trade are never asked: stored up to Thursday 2025-07-03, D Monday 2025-07-07
     * (the 4th a holiday, then a weekend) */
    for (int i = 0; i < 4; i++)
        need[i] = (sg_bulk_need){true, DAY(2025, 7, 3)};
    assert_int_equal(sg_bulk_plan_make(need, 4, DAY(2025, 7, 7), 4, &p), 0);
    assert_days(&p, "2025-07-07");
    assert_int_equal(p.nwaiting, 4);
    sg_bulk_plan_free(&p);
    /* D on a Saturday, stored up to Friday: nothing is missing (no bulk; the per-symbol rule as ever) */
    for (int i = 0; i < 4; i++)
        need[i] = (sg_bulk_need){true, DAY(2025, 7, 11)};
    assert_int_equal(sg_bulk_plan_make(need, 4, DAY(2025, 7, 12), 1, &p), 0);
    assert_int_equal(p.ndays, 0);
    assert_int_equal(p.nwaiting, 0);
    sg_bulk_plan_free(&p);
    /* the threshold counts the symbols that would wait: Tuesday is missed by three, but two of them
     * also miss Monday, which only they miss (they go alone, whole window); one waiting symbol is
     * no reason for a bulk request, so there is no bulk day at all */
    need[0] = need[1] = (sg_bulk_need){true, DAY(2025, 7, 11)};
    need[2] = (sg_bulk_need){true, DAY(2025, 7, 14)};
    assert_int_equal(sg_bulk_plan_make(need, 3, D, 3, &p), 0);
    assert_int_equal(p.ndays, 0);
    assert_int_equal(p.nwaiting, 0);
    assert_false(p.waits[2]);
    sg_bulk_plan_free(&p);
    /* ... and with two more symbols that miss only Tuesday, Tuesday has its three */
    need[3] = (sg_bulk_need){true, DAY(2025, 7, 14)};
    need[4] = (sg_bulk_need){true, DAY(2025, 7, 14)};
    assert_int_equal(sg_bulk_plan_make(need, 5, D, 3, &p), 0);
    assert_days(&p, "2025-07-15");
    assert_int_equal(p.nwaiting, 3);
    assert_false(p.waits[0]);
    assert_true(p.waits[2] && p.waits[3] && p.waits[4]);
    sg_bulk_plan_free(&p);
    /* nothing to plan */
    assert_int_equal(sg_bulk_plan_make(NULL, 0, D, 1, &p), 0);
    assert_int_equal(p.ndays, 0);
    sg_bulk_plan_free(&p);
}

/* ---- regressions: bugs tests/fuzz found, now fixed -------------------------------------------- */

/* fuzz_bulk_polygon, fuzz_bulk_fmp: text of the answer went into messages
 * as it was (cut, but not redacted, unlike the per-symbol parsers'): a
 * server echoing the request put the API key in a message. */
static void fuzz_key_in_messages(void **state)
{
    (void)state;
    static const char *const polygon[] = {
        "{\"status\":\"ERROR\",\"error\":\"bad query: apiKey=SECRETKEY123456789\"}",
        "{\"status\":\"SECRETKEY123456789\"}",
        "{\"__SECRETKEY123456789\xff\":0}", /* not JSON: jansson quotes the input near the error */
    };
    static const char *const fmp[] = {
        "{\"Error Message\":\"Invalid API KEY SECRETKEY123456789. Please retry\"}",
        "SECRETKEY123456789,date,close\n",                                          /* the header quoted */
        "symbol,date,close\nAAPL,SECRETKEY123456789,1\n",                          /* a date quoted */
        "symbol,date,close,volume\nAAPL,2025-07-15,1,SECRETKEY123456789\n",        /* a number quoted */
    };
    setenv("POLYGON_API_KEY", "SECRETKEY123456789", 1);
    for (size_t i = 0; i < sizeof polygon / sizeof polygon[0]; i++) {
        parsed r = parse(SG_PROV_POLYGON, polygon[i], DAY(2025, 7, 15));
        assert_int_equal(r.a, SG_ANSWER_BAD);
        assert_null(strstr(r.err, "SECRETK"));
        sg_bulk_free(&r.b);
    }
    unsetenv("POLYGON_API_KEY");
    setenv("FMP_API_KEY", "SECRETKEY123456789", 1);
    for (size_t i = 0; i < sizeof fmp / sizeof fmp[0]; i++) {
        parsed r = parse(SG_PROV_FMP, fmp[i], DAY(2025, 7, 15));
        assert_null(strstr(r.err, "SECRETK"));
        for (size_t k = 0; k < r.b.n; k++) {
            assert_non_null(strstr(r.b.v[k].why, "***")); /* refused, and says so without the key */
            assert_null(strstr(r.b.v[k].why, "SECRETK"));
        }
        assert_true(r.a == SG_ANSWER_BAD || r.b.n == 1);
        sg_bulk_free(&r.b);
    }
    unsetenv("FMP_API_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polygon_recorded), cmocka_unit_test(test_polygon_validation),
        cmocka_unit_test(test_polygon_unusable), cmocka_unit_test(test_polygon_days),
        cmocka_unit_test(test_fmp_recorded),     cmocka_unit_test(test_fmp_validation),
        cmocka_unit_test(test_fmp_unusable),     cmocka_unit_test(test_large),
        cmocka_unit_test(test_provider_choice),  cmocka_unit_test(test_urls),
        cmocka_unit_test(test_plan),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(fuzz_key_in_messages),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("bulk regressions", bugs, NULL, NULL);
}
