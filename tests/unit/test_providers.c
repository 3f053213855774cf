/*
 * test_providers.c - the price providers' formats, validation, URLs and
 * redaction (providers.h).
 *
 * Bodies are written inline in each provider's recorded shape: Yahoo's chart
 * v8 (float32 prices such as 236.1699981689453, timestamps at the 09:30 New
 * York open), FMP's historical-price-full (newest first) and Polygon's
 * aggregates v2 (t = midnight New York in ms, next_url without the key).
 * Unix times were computed with Python's zoneinfo (America/New_York), e.g.
 *   int(datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("America/New_York")).timestamp()) == 1741613400
 * Day numbers are Python's (date - date(1970, 1, 1)).days.
 *
 * The "regressions" group keeps the bugs these tests found in common/, now fixed.
 */
#include <ctype.h>
#include <limits.h>

#include "config.h"
#include "providers.h"
#include "sgtest.h"

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct parsed {
    sg_answer a;
    sg_bars bars;
    char *next;
    char err[256];
} parsed;

static parsed parse(sg_provider p, const char *body, const char *symbol, sg_day from, sg_day to)
{
    parsed r = {0};
    r.a = sg_provider_parse_response(p, body, strlen(body), symbol, from, to, &r.bars, &r.next, r.err, sizeof r.err);
    return r;
}

static void parsed_free(parsed *r)
{
    sg_bars_free(&r->bars);
    free(r->next);
    r->next = NULL;
}

#define WIDE DAY(2000, 1, 1), DAY(2030, 12, 31)

static void assert_bar(const sg_bar *b, sg_day day, double o, double h, double l, double c, long long v)
{
    char got[SG_DATE_LEN], want[SG_DATE_LEN];
    if (b->day != day)
        fail_msg("bar day %s, expected %s", sg_day_format(b->day, got), sg_day_format(day, want));
    assert_same(b->open, o);
    assert_same(b->high, h);
    assert_same(b->low, l);
    assert_same(b->close, c);
    assert_int_equal(b->volume, v);
}

/* ---- names, order, New York offset --------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    sg_provider p;
    assert_string_equal(sg_provider_name(SG_PROV_YAHOO), "yahoo");
    assert_string_equal(sg_provider_name(SG_PROV_FMP), "fmp");
    assert_string_equal(sg_provider_name(SG_PROV_POLYGON), "polygon");
    /* market_data_cache.data_source, as the app writes it */
    assert_string_equal(sg_provider_data_source(SG_PROV_YAHOO), "yfinance");
    assert_string_equal(sg_provider_data_source(SG_PROV_FMP), "fmp");
    assert_string_equal(sg_provider_data_source(SG_PROV_POLYGON), "polygon");
    assert_int_equal(sg_provider_parse("polygon", &p), 0);
    assert_int_equal(p, SG_PROV_POLYGON);
    assert_int_equal(sg_provider_parse("yfinance", &p), -1);
    assert_int_equal(sg_provider_parse("Yahoo", &p), -1);
    assert_int_equal(sg_provider_parse("", &p), -1);
}

static void test_order(void **state)
{
    (void)state;
    sg_provider o[SG_NPROVIDERS];
    assert_int_equal(sg_provider_order("yahoo,fmp,polygon", o), 3); /* the default */
    assert_int_equal(o[0], SG_PROV_YAHOO);
    assert_int_equal(o[1], SG_PROV_FMP);
    assert_int_equal(o[2], SG_PROV_POLYGON);
    assert_int_equal(sg_provider_order("polygon,yahoo", o), 2);
    assert_int_equal(o[0], SG_PROV_POLYGON);
    assert_int_equal(o[1], SG_PROV_YAHOO);
    assert_int_equal(sg_provider_order("fmp", o), 1);
    assert_int_equal(o[0], SG_PROV_FMP);
    assert_int_equal(sg_provider_order("", o), 0); /* the caller refuses <= 0 */
    assert_int_equal(sg_provider_order("yahoo,,fmp", o), -1);
    assert_int_equal(sg_provider_order("yahoo,yahoo", o), -1);   /* twice */
    assert_int_equal(sg_provider_order("yahoo,bing", o), -1);    /* unknown */
    assert_int_equal(sg_provider_order("yahoo, fmp", o), -1);    /* no spaces */
    assert_int_equal(sg_provider_order("YAHOO", o), -1);
    assert_int_equal(sg_provider_order("averyveryverylongname", o), -1);
    assert_int_equal(sg_provider_order("yahoo,fmp,polygon,yahoo", o), -1);
}

static void test_new_york_offset(void **state)
{
    (void)state;
    const int est = -5 * 3600, edt = -4 * 3600;
    /* 2025: DST from Sunday March 9 to Sunday November 2 (zoneinfo America/New_York) */
    assert_int_equal(sg_new_york_offset(DAY(2025, 1, 15)), est);
    assert_int_equal(sg_new_york_offset(DAY(2025, 3, 7)), est);
    assert_int_equal(sg_new_york_offset(DAY(2025, 3, 8)), est);
    assert_int_equal(sg_new_york_offset(DAY(2025, 3, 9)), edt); /* from 03:00 on: the day's sessions are EDT */
    assert_int_equal(sg_new_york_offset(DAY(2025, 3, 10)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2025, 7, 15)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2025, 11, 1)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2025, 11, 2)), est);
    assert_int_equal(sg_new_york_offset(DAY(2025, 11, 3)), est);
    assert_int_equal(sg_new_york_offset(DAY(2025, 12, 31)), est);
    /* 2024: March 10, November 3 */
    assert_int_equal(sg_new_york_offset(DAY(2024, 3, 9)), est);
    assert_int_equal(sg_new_york_offset(DAY(2024, 3, 10)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2024, 11, 2)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2024, 11, 3)), est);
    /* 2026 and 2020: March 1 and November 1 are Sundays (second Sunday = March 8) */
    assert_int_equal(sg_new_york_offset(DAY(2026, 3, 1)), est);
    assert_int_equal(sg_new_york_offset(DAY(2026, 3, 7)), est);
    assert_int_equal(sg_new_york_offset(DAY(2026, 3, 8)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2026, 10, 31)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2026, 11, 1)), est);
    assert_int_equal(sg_new_york_offset(DAY(2020, 3, 8)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2020, 3, 7)), est);
    assert_int_equal(sg_new_york_offset(DAY(2020, 11, 1)), est);
    /* 2027: March 14, November 7 (the latest possible switches) */
    assert_int_equal(sg_new_york_offset(DAY(2027, 3, 13)), est);
    assert_int_equal(sg_new_york_offset(DAY(2027, 3, 14)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2027, 11, 6)), edt);
    assert_int_equal(sg_new_york_offset(DAY(2027, 11, 7)), est);
}

/* ---- Yahoo chart v8 ----------------------------------------------------------------------- */

/* query1.finance.yahoo.com/v8/finance/chart/AAPL?period1=1752451200&period2=1752624000&interval=1d,
 * trimmed meta; Yahoo's column order (open, high, volume, close, low). */
static const char yahoo_aapl[] =
    "{\"chart\":{\"result\":[{\"meta\":{\"currency\":\"USD\",\"symbol\":\"AAPL\",\"exchangeName\":\"NMS\","
    "\"fullExchangeName\":\"NasdaqGS\",\"instrumentType\":\"EQUITY\",\"firstTradeDate\":345479400,"
    "\"regularMarketTime\":1752609601,\"hasPrePostMarketData\":true,\"gmtoffset\":-14400,\"timezone\":\"EDT\","
    "\"exchangeTimezoneName\":\"America/New_York\",\"regularMarketPrice\":209.11,\"priceHint\":2,"
    "\"dataGranularity\":\"1d\",\"range\":\"\"},"
    "\"timestamp\":[1752240600,1752499800,1752586200],"
    "\"indicators\":{\"quote\":[{\"open\":[210.57000732421875,209.92999267578125,209.22000122070312],"
    "\"high\":[212.1300048828125,210.91000366210938,211.88999938964844],"
    "\"volume\":[39765800,38840100,42296300],"
    "\"close\":[211.16000366210938,208.6199951171875,209.11000061035156],"
    "\"low\":[209.86000061035156,207.5399932861328,208.9199981689453]}],"
    "\"adjclose\":[{\"adjclose\":[211.16000366210938,208.6199951171875,209.11000061035156]}]}}],"
    "\"error\":null}}";

static void test_yahoo_recorded(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_YAHOO, yahoo_aapl, "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_null(r.next);
    assert_int_equal(r.bars.n, 3);
    assert_int_equal(r.bars.dropped, 0);
    assert_bar(&r.bars.v[0], DAY(2025, 7, 11), 210.57000732421875, 212.1300048828125, 209.86000061035156,
               211.16000366210938, 39765800);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 14), 209.92999267578125, 210.91000366210938, 207.5399932861328,
               208.6199951171875, 38840100);
    assert_bar(&r.bars.v[2], DAY(2025, 7, 15), 209.22000122070312, 211.88999938964844, 208.9199981689453,
               209.11000061035156, 42296300);
    parsed_free(&r);
    /* lower case asked, upper case answered: the same symbol */
    r = parse(SG_PROV_YAHOO, yahoo_aapl, "aapl", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    parsed_free(&r);
    /* the window [from, to] keeps what is inside; the rest is not a dropped bar */
    r = parse(SG_PROV_YAHOO, yahoo_aapl, "AAPL", DAY(2025, 7, 14), DAY(2025, 7, 14));
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 1);
    assert_int_equal(r.bars.v[0].day, DAY(2025, 7, 14));
    assert_int_equal(r.bars.dropped, 0);
    parsed_free(&r);
}

/* Across both DST switches of 2025: 09:30 EST is 14:30 UTC, 09:30 EDT 13:30 UTC. */
static void test_yahoo_dst(void **state)
{
    (void)state;
    static const char body[] =
        "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"SPY\",\"gmtoffset\":-18000,"
        "\"exchangeTimezoneName\":\"America/New_York\"},"
        "\"timestamp\":[1741357800,1741613400,1761917400,1762180200],"
        "\"indicators\":{\"quote\":[{\"open\":[1,2,3,4],\"high\":[1,2,3,4],\"low\":[1,2,3,4],"
        "\"close\":[1,2,3,4],\"volume\":[1,2,3,4]}]}}],\"error\":null}}";
    parsed r = parse(SG_PROV_YAHOO, body, "SPY", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 4);
    assert_int_equal(r.bars.v[0].day, DAY(2025, 3, 7));   /* Friday, EST */
    assert_int_equal(r.bars.v[1].day, DAY(2025, 3, 10));  /* Monday, EDT */
    assert_int_equal(r.bars.v[2].day, DAY(2025, 10, 31)); /* Friday, EDT */
    assert_int_equal(r.bars.v[3].day, DAY(2025, 11, 3));  /* Monday, EST */
    assert_int_equal(r.bars.dropped, 0);
    parsed_free(&r);
}

/* Yahoo's gaps: a whole bar of nulls (dropped, with its reason), or a null volume / open only. */
static void test_yahoo_nulls(void **state)
{
    (void)state;
    static const char body[] =
        "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"NULLS\",\"exchangeTimezoneName\":\"America/New_York\","
        "\"gmtoffset\":-14400},\"timestamp\":[1752240600,1752499800,1752586200],"
        "\"indicators\":{\"quote\":[{\"open\":[null,null,10.5],\"high\":[null,11,11],\"volume\":[null,null,7],"
        "\"close\":[null,10.25,10.75],\"low\":[null,10,10]}],\"adjclose\":[{\"adjclose\":[null,10.25,10.75]}]}}],"
        "\"error\":null}}";
    parsed r = parse(SG_PROV_YAHOO, body, "NULLS", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 2);
    assert_int_equal(r.bars.dropped, 1);
    assert_string_equal(r.bars.drop_reason, "2025-07-11: null close");
    assert_int_equal(r.bars.v[0].day, DAY(2025, 7, 14));
    assert_is_nan(r.bars.v[0].open); /* stored as NULL */
    assert_same(r.bars.v[0].close, 10.25);
    assert_int_equal(r.bars.v[0].volume, -1);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 15), 10.5, 11, 10, 10.75, 7);
    parsed_free(&r);
    /* a null outside the window is not counted */
    r = parse(SG_PROV_YAHOO, body, "NULLS", DAY(2025, 7, 14), DAY(2025, 7, 15));
    assert_int_equal(r.bars.n, 2);
    assert_int_equal(r.bars.dropped, 0);
    parsed_free(&r);
}

static void test_yahoo_answers(void **state)
{
    (void)state;
    /* unknown symbol: HTTP 404 with this body */
    parsed r = parse(SG_PROV_YAHOO,
                     "{\"chart\":{\"result\":null,\"error\":{\"code\":\"Not Found\","
                     "\"description\":\"No data found, symbol may be delisted\"}}}",
                     "NOSUCH", WIDE);
    assert_int_equal(r.a, SG_ANSWER_UNKNOWN);
    assert_string_equal(r.err, "Not Found: No data found, symbol may be delisted");
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
    /* another error: a bad answer, not an unknown symbol */
    r = parse(SG_PROV_YAHOO,
              "{\"chart\":{\"result\":null,\"error\":{\"code\":\"Bad Request\","
              "\"description\":\"Invalid input - start date cannot be after end date. startDate = 1752624000, "
              "endDate = 1721001600\"}}}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_contains(r.err, "Bad Request: Invalid input");
    parsed_free(&r);
    /* the answer for another symbol */
    r = parse(SG_PROV_YAHOO, yahoo_aapl, "MSFT", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "answer is for symbol 'AAPL'");
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
    /* nothing traded in the range: meta, no timestamps: served, no bars */
    r = parse(SG_PROV_YAHOO,
              "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"AAPL\",\"exchangeTimezoneName\":\"America/New_York\","
              "\"gmtoffset\":-14400},\"indicators\":{\"quote\":[{}],\"adjclose\":[{}]}}],\"error\":null}}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
    /* columns shorter than the timestamps */
    r = parse(SG_PROV_YAHOO,
              "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"AAPL\"},\"timestamp\":[1752240600,1752499800],"
              "\"indicators\":{\"quote\":[{\"open\":[1,2],\"high\":[1,2],\"low\":[1,2],\"close\":[1],"
              "\"volume\":[1,2]}]}}],\"error\":null}}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_contains(r.err, "'close'");
    parsed_free(&r);
    /* no result, no error */
    r = parse(SG_PROV_YAHOO, "{\"chart\":{\"result\":[],\"error\":null}}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    parsed_free(&r);
    r = parse(SG_PROV_YAHOO, "{\"finance\":{\"result\":null,\"error\":{\"code\":\"Unauthorized\"}}}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "no 'chart' object");
    parsed_free(&r);
}

/* Yahoo repeats the running session as a second bar of the same day (stamped
 * at the last trade): one bar a day, the last one wins. */
static void test_yahoo_duplicate_day(void **state)
{
    (void)state;
    static const char body[] =
        "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"AAPL\",\"exchangeTimezoneName\":\"America/New_York\","
        "\"gmtoffset\":-14400},\"timestamp\":[1752499800,1752586200,1752609601],"
        "\"indicators\":{\"quote\":[{\"open\":[1,2,2],\"high\":[1,2,3],\"low\":[1,2,2],\"close\":[1,2,2.5],"
        "\"volume\":[1,2,3]}]}}],\"error\":null}}";
    parsed r = parse(SG_PROV_YAHOO, body, "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 2);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 15), 2, 3, 2, 2.5, 3);
    parsed_free(&r);
}

/* ---- FMP historical-price-full --------------------------------------------------------------- */

static const char fmp_aapl[] =
    "{\n  \"symbol\" : \"AAPL\",\n  \"historical\" : [ {\n    \"date\" : \"2025-07-15\",\n    \"open\" : 209.22,\n"
    "    \"high\" : 211.89,\n    \"low\" : 208.92,\n    \"close\" : 209.11,\n    \"adjClose\" : 209.11,\n"
    "    \"volume\" : 42296300,\n    \"unadjustedVolume\" : 42296300,\n    \"change\" : -0.11,\n"
    "    \"changePercent\" : -0.05258,\n    \"vwap\" : 209.9775,\n    \"label\" : \"July 15, 25\",\n"
    "    \"changeOverTime\" : -0.0005258\n  }, {\n    \"date\" : \"2025-07-14\",\n    \"open\" : 209.93,\n"
    "    \"high\" : 210.91,\n    \"low\" : 207.54,\n    \"close\" : 208.62,\n    \"adjClose\" : 208.62,\n"
    "    \"volume\" : 38840111,\n    \"unadjustedVolume\" : 38840111,\n    \"change\" : -1.31,\n"
    "    \"changePercent\" : -0.62402,\n    \"vwap\" : 209.25,\n    \"label\" : \"July 14, 25\",\n"
    "    \"changeOverTime\" : -0.0062402\n  }, {\n    \"date\" : \"2025-07-11\",\n    \"open\" : 210.57,\n"
    "    \"high\" : 212.13,\n    \"low\" : 209.86,\n    \"close\" : 211.16,\n    \"adjClose\" : 211.16,\n"
    "    \"volume\" : 39765812,\n    \"unadjustedVolume\" : 39765812,\n    \"change\" : 0.59,\n"
    "    \"changePercent\" : 0.28019,\n    \"vwap\" : 210.93,\n    \"label\" : \"July 11, 25\",\n"
    "    \"changeOverTime\" : 0.0028019\n  } ]\n}";

static void test_fmp_recorded(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_FMP, fmp_aapl, "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 3);
    /* newest first in the body, oldest first out */
    assert_bar(&r.bars.v[0], DAY(2025, 7, 11), 210.57, 212.13, 209.86, 211.16, 39765812);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 14), 209.93, 210.91, 207.54, 208.62, 38840111);
    assert_bar(&r.bars.v[2], DAY(2025, 7, 15), 209.22, 211.89, 208.92, 209.11, 42296300);
    parsed_free(&r);
    r = parse(SG_PROV_FMP, fmp_aapl, "AAPL", DAY(2025, 7, 12), DAY(2025, 7, 14));
    assert_int_equal(r.bars.n, 1);
    assert_int_equal(r.bars.v[0].day, DAY(2025, 7, 14));
    parsed_free(&r);
    /* a date with a time (some FMP endpoints) */
    r = parse(SG_PROV_FMP,
              "{\"symbol\":\"AAPL\",\"historical\":[{\"date\":\"2025-07-15 00:00:00\",\"open\":1,\"high\":2,"
              "\"low\":0.5,\"close\":1.5,\"volume\":10}]}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_bar(&r.bars.v[0], DAY(2025, 7, 15), 1, 2, 0.5, 1.5, 10);
    parsed_free(&r);
}

static void test_fmp_answers(void **state)
{
    (void)state;
    /* unknown symbols: {} (and [] from older endpoints) */
    parsed r = parse(SG_PROV_FMP, "{}", "NOSUCH", WIDE);
    assert_int_equal(r.a, SG_ANSWER_UNKNOWN);
    assert_string_equal(r.err, "empty result");
    parsed_free(&r);
    r = parse(SG_PROV_FMP, "[]", "NOSUCH", WIDE);
    assert_int_equal(r.a, SG_ANSWER_UNKNOWN);
    parsed_free(&r);
    r = parse(SG_PROV_FMP, "{\"symbol\":\"NOSUCH\",\"historical\":[]}", "NOSUCH", WIDE);
    assert_int_equal(r.a, SG_ANSWER_UNKNOWN);
    parsed_free(&r);
    /* a refused key (HTTP 401 with this body, or 200 on some plans) */
    r = parse(SG_PROV_FMP,
              "{\n  \"Error Message\" : \"Invalid API KEY. Feel free to create a Free API Key or visit "
              "https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more "
              "information.\"\n}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_contains(r.err, "Invalid API KEY");
    parsed_free(&r);
    /* another symbol */
    r = parse(SG_PROV_FMP, fmp_aapl, "MSFT", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "answer is for symbol 'AAPL'");
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
    /* a date that is not one */
    r = parse(SG_PROV_FMP,
              "{\"symbol\":\"AAPL\",\"historical\":[{\"date\":\"2025-7-15\",\"open\":1,\"high\":2,\"low\":0.5,"
              "\"close\":1.5,\"volume\":10}]}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "historical[0] has no valid date");
    parsed_free(&r);
}

/* The same day twice: one bar, the later one in the body wins (adjacent or not). */
static void test_fmp_duplicate_days(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_FMP,
                     "{\"symbol\":\"AAPL\",\"historical\":["
                     "{\"date\":\"2025-07-15\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.5,\"volume\":10},"
                     "{\"date\":\"2025-07-15\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.75,\"volume\":11},"
                     "{\"date\":\"2025-07-14\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.25,\"volume\":12}]}",
                     "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 2);
    assert_bar(&r.bars.v[0], DAY(2025, 7, 14), 1, 2, 1, 1.25, 12);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 15), 1, 2, 1, 1.75, 11);
    parsed_free(&r);
    r = parse(SG_PROV_FMP,
              "{\"symbol\":\"AAPL\",\"historical\":["
              "{\"date\":\"2025-07-15\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.5,\"volume\":10},"
              "{\"date\":\"2025-07-14\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.25,\"volume\":12},"
              "{\"date\":\"2025-07-15\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.75,\"volume\":11}]}",
              "AAPL", WIDE);
    assert_int_equal(r.bars.n, 2);
    assert_int_equal(r.bars.v[1].day, DAY(2025, 7, 15));
    assert_same(r.bars.v[1].close, 1.75);
    parsed_free(&r);
}

/* Each validation rule, one bar at a time: its reason, with the date. */
static const char *drop_reason_of(const char *bar_json, size_t *kept)
{
    static char reason[128];
    char body[512];
    snprintf(body, sizeof body, "{\"symbol\":\"X\",\"historical\":[%s]}", bar_json);
    parsed r = parse(SG_PROV_FMP, body, "X", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    *kept = r.bars.n;
    snprintf(reason, sizeof reason, "%s", r.bars.dropped ? r.bars.drop_reason : "");
    assert_int_equal(r.bars.dropped, r.bars.n ? 0 : 1);
    parsed_free(&r);
    return reason;
}

static void test_dropped_reasons(void **state)
{
    (void)state;
    size_t kept;
#define BAR(date, o, h, l, c, v)                                                                                  \
    "{\"date\":\"" date "\",\"open\":" #o ",\"high\":" #h ",\"low\":" #l ",\"close\":" #c ",\"volume\":" #v "}"
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 10.5, 100), &kept), "");
    assert_int_equal(kept, 1);
    assert_string_equal(drop_reason_of(BAR("2025-07-12", 10, 11, 9, 10.5, 100), &kept),
                        "2025-07-12: not an NYSE trading day"); /* Saturday */
    assert_string_equal(drop_reason_of(BAR("2025-07-04", 10, 11, 9, 10.5, 100), &kept),
                        "2025-07-04: not an NYSE trading day"); /* Independence Day */
    assert_string_equal(drop_reason_of(BAR("2025-01-09", 10, 11, 9, 10.5, 100), &kept),
                        "2025-01-09: not an NYSE trading day"); /* national day of mourning */
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 0, 100), &kept),
                        "2025-07-14: close is not a finite price > 0");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, -3.5, 100), &kept),
                        "2025-07-14: close is not a finite price > 0");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, null, 100), &kept),
                        "2025-07-14: close is missing");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 100000000, 100), &kept),
                        "2025-07-14: close is too large for NUMERIC(12,4)"); /* it holds < 10^8 */
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 99999999.99996, 100), &kept),
                        "2025-07-14: close is too large for NUMERIC(12,4)"); /* rounds to 10^8 */
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 99999999.99, 100), &kept), "");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", -10, 11, 9, 10.5, 100), &kept),
                        "2025-07-14: open is not a finite price > 0");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 0, 10.5, 100), &kept),
                        "2025-07-14: low is not a finite price > 0");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 10.5, -5), &kept),
                        "2025-07-14: volume is negative");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 9, 11, 10.5, 100), &kept),
                        "2025-07-14: high below low");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 10.5, 2147483648), &kept),
                        "2025-07-14: volume does not fit market_data_cache.volume (INTEGER)");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 10.5, 2147483647), &kept), "");
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, 11, 9, 10.5, 1e300), &kept),
                        "2025-07-14: volume does not fit market_data_cache.volume (INTEGER)");
    /* open, high, low and volume may be missing: NULL in the table */
    assert_string_equal(drop_reason_of("{\"date\":\"2025-07-14\",\"close\":10.5}", &kept), "");
    assert_int_equal(kept, 1);
    assert_string_equal(drop_reason_of(BAR("2025-07-14", 10, null, 9, 10.5, null), &kept), "");
#undef BAR
    /* several: all counted, the first one's reason kept; the good bars stay */
    parsed r = parse(SG_PROV_FMP,
                     "{\"symbol\":\"X\",\"historical\":["
                     "{\"date\":\"2025-07-15\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.5,\"volume\":1},"
                     "{\"date\":\"2025-07-14\",\"open\":1,\"high\":1,\"low\":2,\"close\":1.5,\"volume\":1},"
                     "{\"date\":\"2025-07-12\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.5,\"volume\":1},"
                     "{\"date\":\"2025-07-11\",\"open\":1,\"high\":2,\"low\":1,\"close\":-1.5,\"volume\":1},"
                     "{\"date\":\"2025-07-10\",\"open\":1,\"high\":2,\"low\":1,\"close\":1.5,\"volume\":1}]}",
                     "X", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 2);
    assert_int_equal(r.bars.dropped, 3);
    assert_string_equal(r.bars.drop_reason, "2025-07-14: high below low");
    assert_int_equal(r.bars.v[0].day, DAY(2025, 7, 10));
    assert_int_equal(r.bars.v[1].day, DAY(2025, 7, 15));
    parsed_free(&r);
}

/* ---- Polygon aggregates v2 ------------------------------------------------------------------ */

static const char polygon_page1[] =
    "{\"ticker\":\"AAPL\",\"queryCount\":2,\"resultsCount\":2,\"adjusted\":false,\"results\":["
    "{\"v\":3.9765812e+07,\"vw\":210.9123,\"o\":210.565,\"c\":211.16,\"h\":212.13,\"l\":209.86,\"t\":1752206400000,"
    "\"n\":512345},"
    "{\"v\":38840111.0,\"vw\":209.25,\"o\":209.925,\"c\":208.62,\"h\":210.91,\"l\":207.54,\"t\":1752465600000,"
    "\"n\":498765}],"
    "\"status\":\"OK\",\"request_id\":\"6a7e466379af0a71039d60cc78e72282\",\"count\":2,"
    "\"next_url\":\"https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1752552000000/2025-07-15"
    "?cursor=bGltaXQ9MiZzb3J0PWFzYw\"}";

static const char polygon_page2[] =
    "{\"ticker\":\"AAPL\",\"queryCount\":1,\"resultsCount\":1,\"adjusted\":false,\"results\":["
    "{\"v\":42296300,\"vw\":209.9775,\"o\":209.22,\"c\":209.11,\"h\":211.89,\"l\":208.92,\"t\":1752552000000,"
    "\"n\":501234}],"
    "\"status\":\"OK\",\"request_id\":\"0b2fd2e3b4e64b1f8d6b8c7a6e5d4c3b\",\"count\":1}";

static void test_polygon_pages(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_POLYGON, polygon_page1, "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_non_null(r.next);
    assert_string_equal(r.next, "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1752552000000/2025-07-15"
                                "?cursor=bGltaXQ9MiZzb3J0PWFzYw");
    assert_int_equal(r.bars.n, 2);
    /* t = midnight New York (04:00 UTC in July) */
    assert_bar(&r.bars.v[0], DAY(2025, 7, 11), 210.565, 212.13, 209.86, 211.16, 39765812);
    assert_bar(&r.bars.v[1], DAY(2025, 7, 14), 209.925, 210.91, 207.54, 208.62, 38840111);
    /* the next page accumulates into the same bars */
    char *next2 = NULL, err[128];
    assert_int_equal(sg_provider_parse_response(SG_PROV_POLYGON, polygon_page2, strlen(polygon_page2), "AAPL", WIDE,
                                                &r.bars, &next2, err, sizeof err),
                     SG_ANSWER_OK);
    assert_null(next2);
    assert_int_equal(r.bars.n, 3);
    assert_bar(&r.bars.v[2], DAY(2025, 7, 15), 209.22, 211.89, 208.92, 209.11, 42296300);
    /* a bad third page adds nothing and leaves what was there */
    assert_int_equal(sg_provider_parse_response(SG_PROV_POLYGON, polygon_page2, 40, "AAPL", WIDE, &r.bars, &next2,
                                                err, sizeof err),
                     SG_ANSWER_BAD);
    assert_null(next2);
    assert_int_equal(r.bars.n, 3);
    parsed_free(&r);
}

/* Midnight New York around both switches: 05:00 UTC in winter, 04:00 UTC in summer. A
 * fixed offset would put the summer bars on the Sunday before. */
static void test_polygon_dst(void **state)
{
    (void)state;
    static const char body[] =
        "{\"ticker\":\"SPY\",\"resultsCount\":6,\"adjusted\":false,\"results\":["
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1709874000000},"  /* 2024-03-08 00:00 EST */
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1710129600000},"  /* 2024-03-11 00:00 EDT */
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1741323600000},"  /* 2025-03-07 00:00 EST */
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1741579200000},"  /* 2025-03-10 00:00 EDT */
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1761883200000},"  /* 2025-10-31 00:00 EDT */
        "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1762146000000}]," /* 2025-11-03 00:00 EST */
        "\"status\":\"OK\",\"request_id\":\"x\",\"count\":6}";
    parsed r = parse(SG_PROV_POLYGON, body, "SPY", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.dropped, 0);
    assert_int_equal(r.bars.n, 6);
    assert_int_equal(r.bars.v[0].day, DAY(2024, 3, 8));
    assert_int_equal(r.bars.v[1].day, DAY(2024, 3, 11));
    assert_int_equal(r.bars.v[2].day, DAY(2025, 3, 7));
    assert_int_equal(r.bars.v[3].day, DAY(2025, 3, 10));
    assert_int_equal(r.bars.v[4].day, DAY(2025, 10, 31));
    assert_int_equal(r.bars.v[5].day, DAY(2025, 11, 3));
    parsed_free(&r);
}

static void test_polygon_answers(void **state)
{
    (void)state;
    /* unknown ticker: OK with no results */
    parsed r = parse(SG_PROV_POLYGON,
                     "{\"ticker\":\"NOSUCH\",\"queryCount\":0,\"resultsCount\":0,\"adjusted\":false,"
                     "\"status\":\"OK\",\"request_id\":\"x\",\"count\":0}",
                     "NOSUCH", WIDE);
    assert_int_equal(r.a, SG_ANSWER_UNKNOWN);
    assert_string_equal(r.err, "empty result");
    parsed_free(&r);
    /* DELAYED (free plans) is data */
    r = parse(SG_PROV_POLYGON,
              "{\"ticker\":\"AAPL\",\"resultsCount\":1,\"results\":[{\"v\":5,\"o\":1,\"c\":1,\"h\":1,\"l\":1,"
              "\"t\":1752552000000}],\"status\":\"DELAYED\",\"request_id\":\"x\",\"count\":1}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 1);
    parsed_free(&r);
    /* errors: the key refused, the plan not entitled */
    r = parse(SG_PROV_POLYGON, "{\"status\":\"ERROR\",\"request_id\":\"x\",\"error\":\"Unknown API Key\"}", "AAPL",
              WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "status ERROR: Unknown API Key");
    parsed_free(&r);
    r = parse(SG_PROV_POLYGON,
              "{\"status\":\"NOT_AUTHORIZED\",\"request_id\":\"x\",\"message\":\"You are not entitled to this data. "
              "Please upgrade your plan at https://polygon.io/pricing\"}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_contains(r.err, "status NOT_AUTHORIZED: You are not entitled");
    parsed_free(&r);
    /* another ticker */
    r = parse(SG_PROV_POLYGON, polygon_page2, "MSFT", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "answer is for ticker 'AAPL'");
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
    /* a result without its timestamp */
    r = parse(SG_PROV_POLYGON,
              "{\"ticker\":\"AAPL\",\"results\":[{\"v\":5,\"o\":1,\"c\":1,\"h\":1,\"l\":1}],\"status\":\"OK\"}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "result 0 has no timestamp");
    parsed_free(&r);
    /* results all outside the window: served, no bars */
    r = parse(SG_PROV_POLYGON, polygon_page2, "AAPL", DAY(2025, 7, 1), DAY(2025, 7, 14));
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.n, 0);
    parsed_free(&r);
}

/* ---- bodies that are not the provider's JSON: bad for every provider -------------------------------- */

static void test_bad_bodies(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body>Will be right back</body></html>",
        "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"AAPL\"},\"timestamp\":[1752240600,17524", /* truncated */
        "{\"symbol\":\"AAPL\",\"historical\":[{\"date\":\"2025-07-15\",\"open\":209.2",
        "{\"ticker\":\"AAPL\",\"results\":[{\"v\":1,",
        "",
        "upstream connect error or disconnect/reset before headers",
        "null",
        "\"AAPL\"",
        "{\"status\":\"OK\"} trailing",
    };
    for (int p = 0; p < SG_NPROVIDERS; p++)
        for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
            sg_bars bars = {0};
            sg_bar keep = {.day = DAY(2025, 7, 10), .close = 1, .volume = 1};
            bars.v = malloc(sizeof keep);
            bars.v[0] = keep;
            bars.n = bars.cap = 1;
            char *next = (char *)"untouched", err[256] = "";
            sg_answer a = sg_provider_parse_response((sg_provider)p, bodies[i], strlen(bodies[i]), "AAPL", WIDE,
                                                     &bars, &next, err, sizeof err);
            if (a != SG_ANSWER_BAD)
                fail_msg("%s: body %zu: answer %d, expected BAD", sg_provider_name((sg_provider)p), i, (int)a);
            assert_null(next);
            assert_true(err[0] != '\0');
            assert_int_equal(bars.n, 1); /* a bad response adds nothing */
            if (i <= 5)
                assert_contains(err, "not JSON");
            sg_bars_free(&bars);
        }
}

/* ---- URLs ------------------------------------------------------------------------------------- */

static void test_url_defaults(void **state)
{
    (void)state;
    sg_config_reset();
    setenv("FMP_API_KEY", "fmpKEY123", 1);
    setenv("POLYGON_API_KEY", "polyKEY456", 1);
    unsetenv("SIGMA_YAHOO_URL");
    unsetenv("SIGMA_FMP_URL");
    unsetenv("SIGMA_POLYGON_URL");
    sg_day from = DAY(2024, 7, 15), to = DAY(2025, 7, 15);
    char *u = sg_provider_url(SG_PROV_YAHOO, "AAPL", from, to);
    /* period1 = midnight UTC of from; period2 = midnight UTC after to (exclusive) */
    assert_string_equal(u, "https://query1.finance.yahoo.com/v8/finance/chart/AAPL?period1=1721001600"
                           "&period2=1752624000&interval=1d&events=history");
    free(u);
    u = sg_provider_url(SG_PROV_FMP, "AAPL", from, to);
    assert_string_equal(u, "https://financialmodelingprep.com/api/v3/historical-price-full/AAPL?from=2024-07-15"
                           "&to=2025-07-15&apikey=fmpKEY123");
    free(u);
    u = sg_provider_url(SG_PROV_POLYGON, "AAPL", from, to);
    assert_string_equal(u, "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-07-15/2025-07-15"
                           "?adjusted=false&sort=asc&limit=50000&apiKey=polyKEY456");
    free(u);
}

static void test_url_templates_and_escaping(void **state)
{
    (void)state;
    char err[128];
    sg_config_reset();
    setenv("FMP_API_KEY", "a b&c=d+e/f?#%", 1);
    assert_int_equal(sg_config_set("provider.fmp.url=http://127.0.0.1:1/x/{symbol}/{from}/{to}"
                                   "?p1={period1}&p2={period2}&apikey={apikey}&again={symbol}&unknown={nope}",
                                   err, sizeof err),
                     0);
    char *u = sg_provider_url(SG_PROV_FMP, "^GSPC", DAY(2025, 1, 2), DAY(2025, 1, 3));
    assert_string_equal(u, "http://127.0.0.1:1/x/%5EGSPC/2025-01-02/2025-01-03?p1=1735776000&p2=1735948800"
                           "&apikey=a%20b%26c%3Dd%2Be%2Ff%3F%23%25&again=%5EGSPC&unknown={nope}");
    free(u);
    /* an invalid symbol (symbols.h) gets no URL at all */
    assert_null(sg_provider_url(SG_PROV_FMP, "BRK/B", DAY(2025, 1, 2), DAY(2025, 1, 2)));
    assert_null(sg_provider_url(SG_PROV_FMP, "../etc", DAY(2025, 1, 2), DAY(2025, 1, 2)));
    u = sg_provider_url(SG_PROV_FMP, "BRK.B", DAY(2025, 1, 2), DAY(2025, 1, 2));
    assert_contains(u, "/x/BRK.B/"); /* unreserved: as is */
    free(u);
    /* no key in the environment: an empty value, never "(null)" */
    unsetenv("FMP_API_KEY");
    u = sg_provider_url(SG_PROV_FMP, "AAPL", DAY(2025, 1, 2), DAY(2025, 1, 2));
    assert_contains(u, "&apikey=&again=AAPL");
    free(u);
    /* Yahoo has no key: {apikey} is empty there */
    assert_int_equal(sg_config_set("provider.yahoo.url=http://h/{symbol}?k={apikey}", err, sizeof err), 0);
    setenv("FMP_API_KEY", "fmpKEY123", 1);
    u = sg_provider_url(SG_PROV_YAHOO, "AAPL", DAY(2025, 1, 2), DAY(2025, 1, 2));
    assert_string_equal(u, "http://h/AAPL?k=");
    free(u);
    /* the environment variable, when no -X */
    sg_config_reset();
    setenv("SIGMA_POLYGON_URL", "http://127.0.0.1:9/{symbol}?apiKey={apikey}", 1);
    setenv("POLYGON_API_KEY", "k", 1);
    u = sg_provider_url(SG_PROV_POLYGON, "AAPL", DAY(2025, 1, 2), DAY(2025, 1, 2));
    assert_string_equal(u, "http://127.0.0.1:9/AAPL?apiKey=k");
    free(u);
    unsetenv("SIGMA_POLYGON_URL");
    /* a long symbol and a long key in a template that repeats them: nothing overflows */
    static char longkey[600];
    memset(longkey, '/', sizeof longkey - 1);
    setenv("POLYGON_API_KEY", longkey, 1);
    assert_int_equal(sg_config_set("provider.polygon.url=http://h/{apikey}{apikey}{symbol}{symbol}{symbol}{symbol}", err,
                                   sizeof err),
                     0);
    u = sg_provider_url(SG_PROV_POLYGON, "^^^^^^^^^^^^^^^^^^^^", DAY(2025, 1, 2), DAY(2025, 1, 2));
    assert_non_null(u);
    assert_true(strlen(u) > 0);
    free(u);
    sg_config_reset();
}

static void test_follow_url(void **state)
{
    (void)state;
    setenv("POLYGON_API_KEY", "pk+/=", 1);
    const char *polygon = "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-07-15/2025-07-15?apiKey=k", *local = "http://127.0.0.1:9/first";
    char *u = sg_provider_follow_url(
        SG_PROV_POLYGON, polygon,
        "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1752552000000/2025-07-15"
        "?cursor=bGltaXQ9MiZzb3J0PWFzYw");
    assert_string_equal(u, "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1752552000000/2025-07-15"
                           "?cursor=bGltaXQ9MiZzb3J0PWFzYw&apiKey=pk%2B%2F%3D");
    free(u);
    u = sg_provider_follow_url(SG_PROV_POLYGON, local, "http://127.0.0.1:9/next");
    assert_string_equal(u, "http://127.0.0.1:9/next?apiKey=pk%2B%2F%3D");
    free(u);
    /* a next_url that carries the key already is left alone */
    u = sg_provider_follow_url(SG_PROV_POLYGON, local, "http://127.0.0.1:9/next?cursor=1&apiKey=other");
    assert_string_equal(u, "http://127.0.0.1:9/next?cursor=1&apiKey=other");
    free(u);
    /* no key: unchanged */
    unsetenv("POLYGON_API_KEY");
    u = sg_provider_follow_url(SG_PROV_POLYGON, local, "http://127.0.0.1:9/next?cursor=1");
    assert_string_equal(u, "http://127.0.0.1:9/next?cursor=1");
    free(u);
    setenv("POLYGON_API_KEY", "", 1);
    u = sg_provider_follow_url(SG_PROV_POLYGON, local, "http://127.0.0.1:9/next?cursor=1");
    assert_string_equal(u, "http://127.0.0.1:9/next?cursor=1");
    free(u);
    /* Yahoo has no key */
    u = sg_provider_follow_url(SG_PROV_YAHOO, local, "http://127.0.0.1:9/next?cursor=1");
    assert_string_equal(u, "http://127.0.0.1:9/next?cursor=1");
    free(u);
    /* only http(s) pages are followed */
    assert_null(sg_provider_follow_url(SG_PROV_POLYGON, local, "file:///etc/passwd"));
    assert_null(sg_provider_follow_url(SG_PROV_POLYGON, local, "next?cursor=1"));
}

static void test_redact(void **state)
{
    (void)state;
    char buf[512];
    assert_string_equal(sg_redact_url("https://x/p?from=1&apikey=SECRET&to=2", buf, sizeof buf),
                        "https://x/p?from=1&apikey=***&to=2");
    assert_string_equal(sg_redact_url("https://x/p?apiKey=SECRET", buf, sizeof buf), "https://x/p?apiKey=***");
    assert_string_equal(sg_redact_url("https://x/p?a=1&api_key=S&token=T&key=K&b=2", buf, sizeof buf),
                        "https://x/p?a=1&api_key=***&token=***&key=***&b=2");
    assert_string_equal(sg_redact_url("https://x/p?APIKEY=SECRET#frag", buf, sizeof buf), "https://x/p?APIKEY=***#frag");
    assert_string_equal(sg_redact_url("https://x/p?apikey=", buf, sizeof buf), "https://x/p?apikey=***");
    /* names that only end like a secret are not secrets; nothing else changes */
    assert_string_equal(sg_redact_url("https://x/monkey=1?turkey=2&keyboard=3", buf, sizeof buf),
                        "https://x/monkey=1?turkey=2&keyboard=3");
    assert_string_equal(sg_redact_url("", buf, sizeof buf), "");
    /* a small buffer: truncated, terminated, and never the key */
    for (size_t len = 1; len < 60; len++) {
        char small[64];
        memset(small, 'Z', sizeof small);
        sg_redact_url("https://api.polygon.io/v2?apiKey=SECRETSECRET&cursor=abc", small, len);
        assert_true(strlen(small) < len);
        assert_null(strstr(small, "SECR"));
        assert_int_equal(small[len], 'Z'); /* nothing written past len */
    }
}

/* Every URL the client builds or follows, redacted, holds no trace of the keys. */
static void test_no_key_survives(void **state)
{
    (void)state;
    static const char *const keys[] = {"k3y-VALUE_0123", "a&b=c", "x y+z/%", "sk_live.Zq8+Wp3/Kf9=Lm2"};
    char buf[1024], esc[128];
    sg_config_reset();
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        setenv("FMP_API_KEY", keys[k], 1);
        setenv("POLYGON_API_KEY", keys[k], 1);
        /* the escaped form, as it travels in the URL */
        char *w = esc;
        for (const char *c = keys[k]; *c; c++)
            w += (strchr("-._~", *c) || (*c >= '0' && *c <= '9') || ((*c | 32) >= 'a' && (*c | 32) <= 'z'))
                     ? sprintf(w, "%c", *c)
                     : sprintf(w, "%%%02X", (unsigned char)*c);
        for (int p = 0; p < SG_NPROVIDERS; p++) {
            char *u = sg_provider_url((sg_provider)p, "AAPL", DAY(2024, 7, 15), DAY(2025, 7, 15));
            if (p != SG_PROV_YAHOO)
                assert_contains(u, esc);
            sg_redact_url(u, buf, sizeof buf);
            assert_null(strstr(buf, esc));
            assert_null(strstr(buf, keys[k]));
            free(u);
        }
        char *u = sg_provider_follow_url(SG_PROV_POLYGON, "https://api.polygon.io/v2/aggs?x=1",
                                         "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/"
                                         "1752552000000/2025-07-15?cursor=abc");
        assert_contains(u, esc);
        sg_redact_url(u, buf, sizeof buf);
        assert_null(strstr(buf, esc));
        free(u);
    }
    unsetenv("FMP_API_KEY");
    unsetenv("POLYGON_API_KEY");
}

/* ---- regressions: bugs these tests found, now fixed ------------------------------------------------ */

/* sg_redact_url redacts by parameter name: a template that carries the key
 * under another name, or in the path, prints the key in every retry line (-v). */
static void bug_redact_by_name_only(void **state)
{
    (void)state;
    char err[128], buf[512];
    setenv("FMP_API_KEY", "SECRETVALUE", 1);
    assert_int_equal(sg_config_set("provider.fmp.url=https://proxy.internal/fmp/{symbol}?from={from}&to={to}"
                                   "&access_key={apikey}",
                                   err, sizeof err),
                     0);
    char *u = sg_provider_url(SG_PROV_FMP, "AAPL", DAY(2025, 7, 1), DAY(2025, 7, 15));
    sg_redact_url(u, buf, sizeof buf);
    free(u);
    sg_config_reset();
    assert_null(strstr(buf, "SECRETVALUE"));
}

/* sg_provider_follow_url adds the key to whatever next_url says, whatever its host. */
static void bug_follow_url_any_host(void **state)
{
    (void)state;
    setenv("POLYGON_API_KEY", "SECRETVALUE", 1);
    char *u = sg_provider_follow_url(SG_PROV_POLYGON, "https://api.polygon.io/v2/aggs/ticker/AAPL?apiKey=x",
                                     "http://elsewhere.example/v2/aggs?cursor=1");
    bool leaked = strstr(u, "SECRETVALUE") != NULL;
    free(u);
    assert_false(leaked);
}

/* price_ok accepts v < 10^8, but NUMERIC(12,4) stores round(v, 4): 99999999.99996 passes
 * validation, then the symbol's whole transaction fails with "numeric field overflow". */
static void bug_price_rounds_past_numeric(void **state)
{
    (void)state;
    size_t kept;
    const char *why = drop_reason_of("{\"date\":\"2025-07-14\",\"open\":10,\"high\":99999999.99996,\"low\":9,"
                                     "\"close\":99999999.99996,\"volume\":1}",
                                     &kept);
    assert_int_equal(kept, 0);
    assert_contains(why, "2025-07-14: ");
}

/* ---- issue 8: the classes, each with several values ------------------------------------------------ */

/* Prices are judged as NUMERIC(12,4) will hold them: rounded half away from zero to 4 places. */
static void issue8_prices_as_stored(void **state)
{
    (void)state;
    size_t kept;
#define BAR(o, h, l, c) "{\"date\":\"2025-07-14\",\"open\":" #o ",\"high\":" #h ",\"low\":" #l ",\"close\":" #c ",\"volume\":1}"
    static const struct {
        const char *bar, *why;
    } cases[] = {
        {BAR(1, 1, 1, 0.00004), "2025-07-14: close rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 1, 1, 0.000049999), "2025-07-14: close rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 1, 1, 1e-300), "2025-07-14: close rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 1, 1, 0.00005), ""}, /* 0.0001 */
        {BAR(1, 1, 1, 0.0001), ""},
        {BAR(0.00001, 1, 1, 1), "2025-07-14: open rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 0.00004, 1, 1), "2025-07-14: high rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 1, 0.00004999, 1), "2025-07-14: low rounds to 0 in NUMERIC(12,4)"},
        {BAR(1, 1, 1, 99999999.99995), "2025-07-14: close is too large for NUMERIC(12,4)"},
        {BAR(1, 1, 1, 99999999.99996), "2025-07-14: close is too large for NUMERIC(12,4)"},
        {BAR(1, 99999999.99995, 1, 1), "2025-07-14: high is too large for NUMERIC(12,4)"},
        {BAR(99999999.99995, 1, 1, 1), "2025-07-14: open is too large for NUMERIC(12,4)"},
        {BAR(1, 1, 1e300, 1), "2025-07-14: low is too large for NUMERIC(12,4)"},
        {BAR(1, 1, 1, 99999999.9999), ""},
        {BAR(1, 1, 1, 99999999.99994999), ""}, /* rounds down to 99999999.9999 */
        /* high and low compared as stored: 10.00005 and 10.00006 both hold 10.0001 */
        {BAR(10, 10.00005, 10.00006, 10), ""},
        {BAR(10, 10.00004, 10.00005, 10), "2025-07-14: high below low"}, /* 10.0000 < 10.0001 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = drop_reason_of(cases[i].bar, &kept);
        if (strcmp(why, cases[i].why) != 0)
            fail_msg("%s: reason '%s', expected '%s'", cases[i].bar, why, cases[i].why);
    }
#undef BAR
}

static const char *yahoo_with(const char *meta, const char *timestamps, char *buf, size_t len)
{
    snprintf(buf, len,
             "{\"chart\":{\"result\":[{\"meta\":{\"symbol\":\"X\"%s},\"timestamp\":[%s],"
             "\"indicators\":{\"quote\":[{\"open\":[1,1],\"high\":[1,1],\"low\":[1,1],\"close\":[1,1],"
             "\"volume\":[1,1]}]}}],\"error\":null}}",
             meta, timestamps);
    return buf;
}

/* Timestamps and offsets out of range, before any arithmetic (UBSan aborts on the overflow). */
static void issue8_yahoo_times(void **state)
{
    (void)state;
    char body[1024];
    static const char *const bad_ts[] = {"9223372036854775807", "-9223372036854775808", "4102444801",
                                         "-2208988801", "1752240600000" /* milliseconds given as seconds */};
    for (size_t i = 0; i < sizeof bad_ts / sizeof bad_ts[0]; i++) {
        char ts[64], want[96];
        snprintf(ts, sizeof ts, "1752499800,%s", bad_ts[i]);
        parsed r = parse(SG_PROV_YAHOO, yahoo_with(",\"exchangeTimezoneName\":\"America/New_York\"", ts, body,
                                                   sizeof body),
                         "X", WIDE);
        assert_int_equal(r.a, SG_ANSWER_OK);
        assert_int_equal(r.bars.n, 1);
        assert_int_equal(r.bars.dropped, 1);
        snprintf(want, sizeof want, "bar 1: timestamp %s is out of range", bad_ts[i]);
        assert_string_equal(r.bars.drop_reason, want);
        parsed_free(&r);
    }
    /* the same through another exchange's gmtoffset */
    parsed r = parse(SG_PROV_YAHOO,
                     yahoo_with(",\"exchangeTimezoneName\":\"Europe/London\",\"gmtoffset\":3600",
                                "1752499800,9223372036854775807", body, sizeof body),
                     "X", WIDE);
    assert_int_equal(r.bars.n, 1);
    assert_int_equal(r.bars.v[0].day, DAY(2025, 7, 14));
    assert_int_equal(r.bars.dropped, 1);
    parsed_free(&r);
    /* an offset no time zone has: the whole answer is unusable */
    static const char *const bad_off[] = {"9223372036854775807", "-9223372036854775808", "64801", "-86400"};
    for (size_t i = 0; i < sizeof bad_off / sizeof bad_off[0]; i++) {
        char meta[128], want[96];
        snprintf(meta, sizeof meta, ",\"exchangeTimezoneName\":\"Asia/Tokyo\",\"gmtoffset\":%s", bad_off[i]);
        r = parse(SG_PROV_YAHOO, yahoo_with(meta, "1752499800,1752586200", body, sizeof body), "X", WIDE);
        assert_int_equal(r.a, SG_ANSWER_BAD);
        snprintf(want, sizeof want, "gmtoffset %s is out of range", bad_off[i]);
        assert_contains(r.err, want);
        parsed_free(&r);
    }
    /* limits that are fine: 1900 and 2099 stamps (outside the window: not bars, not drops), +-18 h */
    r = parse(SG_PROV_YAHOO,
              yahoo_with(",\"exchangeTimezoneName\":\"Pacific/Kiritimati\",\"gmtoffset\":64800",
                         "-2208988800,4102444799", body, sizeof body),
              "X", WIDE);
    assert_int_equal(r.a, SG_ANSWER_OK);
    assert_int_equal(r.bars.dropped, 0);
    parsed_free(&r);
}

static void issue8_polygon_times(void **state)
{
    (void)state;
    static const char *const bad_t[] = {"1e300", "-1e300", "9223372036854775807", "4102444800001",
                                        "-2208988800001", "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof bad_t / sizeof bad_t[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"ticker\":\"X\",\"results\":[{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":%s},"
                 "{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1752552000000}],\"status\":\"OK\"}",
                 bad_t[i]);
        parsed r = parse(SG_PROV_POLYGON, body, "X", WIDE);
        assert_int_equal(r.a, SG_ANSWER_OK);
        assert_int_equal(r.bars.n, 1);
        assert_int_equal(r.bars.dropped, 1);
        assert_contains(r.bars.drop_reason, "bar 0: t ");
        assert_contains(r.bars.drop_reason, " is out of range");
        parsed_free(&r);
    }
}

/* An answer must name the symbol asked for, in every provider's format. */
static void issue8_answer_names_symbol(void **state)
{
    (void)state;
    parsed r = parse(SG_PROV_FMP, "{\"historical\":[{\"date\":\"2025-07-14\",\"close\":1}]}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "answer names no symbol");
    parsed_free(&r);
    r = parse(SG_PROV_FMP, "{\"symbol\":7,\"historical\":[{\"date\":\"2025-07-14\",\"close\":1}]}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    parsed_free(&r);
    r = parse(SG_PROV_POLYGON, "{\"results\":[{\"v\":1,\"o\":1,\"c\":1,\"h\":1,\"l\":1,\"t\":1752552000000}],"
                               "\"status\":\"OK\"}",
              "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    assert_string_equal(r.err, "answer names no ticker");
    parsed_free(&r);
    r = parse(SG_PROV_POLYGON, "{\"ticker\":\"MSFT\",\"status\":\"OK\",\"resultsCount\":0}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    parsed_free(&r);
    r = parse(SG_PROV_YAHOO, "{\"chart\":{\"result\":[{\"meta\":{}}],\"error\":null}}", "AAPL", WIDE);
    assert_int_equal(r.a, SG_ANSWER_BAD);
    parsed_free(&r);
}

/* A long URL with the key in its path and its query: redacted whole, then cut. */
static void issue8_redact_then_cut(void **state)
{
    (void)state;
    static const char *const keys[] = {"sk_live.Zq8+Wp3/Kf9=Lm2", "0123456789abcdefABCDEF", "k/e/y/k/e/y"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        setenv("FMP_API_KEY", keys[k], 1);
        char esc[128], *w = esc;
        for (const char *c = keys[k]; *c; c++)
            w += strchr("-._~", *c) || isalnum((unsigned char)*c) ? sprintf(w, "%c", *c)
                                                                   : sprintf(w, "%%%02X", (unsigned char)*c);
        /* the key straddles the 512-byte cut at every offset around it */
        for (size_t at = 480; at < 512; at += 3) {
            char url[2048], buf[512], probe[9];
            size_t n = (size_t)snprintf(url, sizeof url, "https://proxy.internal/");
            while (n < at)
                url[n++] = 'p';
            snprintf(url + n, sizeof url - n, "/%s/AAPL?from=2025-01-01&apikey=%s", esc, esc);
            sg_redact_url(url, buf, sizeof buf);
            snprintf(probe, sizeof probe, "%.8s", esc + 3); /* any 8 characters of the key */
            if (strstr(buf, probe))
                fail_msg("key at %zu: '%s' printed in ...%s", at, probe, buf + 470);
        }
    }
    /* a very long key: its escaped form is longer than any fixed buffer */
    static char longkey[700];
    memset(longkey, '/', sizeof longkey - 1);
    setenv("FMP_API_KEY", longkey, 1);
    char *big = malloc(8192), buf[4096];
    snprintf(big, 8192, "https://h/x?token=1&k=");
    for (size_t i = 0; i < sizeof longkey - 1; i++)
        strcat(big, "%2F");
    sg_redact_url(big, buf, sizeof buf);
    assert_null(strstr(buf, "%2F%2F"));
    free(big);
    unsetenv("FMP_API_KEY");
}

/* Server text quoted in a reason is redacted before it is cut. */
static void issue8_server_text(void **state)
{
    (void)state;
    setenv("POLYGON_API_KEY", "SECRETKEY123456789", 1);
    char body[512];
    for (int pad = 0; pad < 30; pad += 4) {
        snprintf(body, sizeof body, "{\"ticker\":\"%.*sSECRETKEY123456789\",\"status\":\"OK\"}", pad,
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        parsed r = parse(SG_PROV_POLYGON, body, "AAPL", WIDE);
        assert_int_equal(r.a, SG_ANSWER_BAD);
        assert_null(strstr(r.err, "SECRETK"));
        parsed_free(&r);
    }
    unsetenv("POLYGON_API_KEY");
}

/* Found by tests/fuzz (fuzz_yahoo, fuzz_fmp, fuzz_polygon): a body that is
 * not JSON was reported with jansson's error text, which quotes the input
 * near the error: a key the server echoed there reached the message. */
static void fuzz_key_in_json_error(void **state)
{
    (void)state;
    setenv("FMP_API_KEY", "SECRETKEY123456789", 1);
    for (int p = 0; p < SG_NPROVIDERS; p++) {
        parsed r = parse((sg_provider)p, "{\"cSECRETKEY123456789\nll}", "AAPL", WIDE);
        assert_int_equal(r.a, SG_ANSWER_BAD);
        assert_non_null(strstr(r.err, "not JSON ("));
        assert_null(strstr(r.err, "SECRETK"));
        parsed_free(&r);
    }
    unsetenv("FMP_API_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_new_york_offset),
        cmocka_unit_test(test_yahoo_recorded),
        cmocka_unit_test(test_yahoo_dst),
        cmocka_unit_test(test_yahoo_nulls),
        cmocka_unit_test(test_yahoo_answers),
        cmocka_unit_test(test_yahoo_duplicate_day),
        cmocka_unit_test(test_fmp_recorded),
        cmocka_unit_test(test_fmp_answers),
        cmocka_unit_test(test_fmp_duplicate_days),
        cmocka_unit_test(test_dropped_reasons),
        cmocka_unit_test(test_polygon_pages),
        cmocka_unit_test(test_polygon_dst),
        cmocka_unit_test(test_polygon_answers),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_url_defaults),
        cmocka_unit_test(test_url_templates_and_escaping),
        cmocka_unit_test(test_follow_url),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_no_key_survives),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_redact_by_name_only),
        cmocka_unit_test(bug_follow_url_any_host),
        cmocka_unit_test(bug_price_rounds_past_numeric),
        cmocka_unit_test(fuzz_key_in_json_error),
    };
    const struct CMUnitTest issue8[] = {
        cmocka_unit_test(issue8_prices_as_stored),    cmocka_unit_test(issue8_yahoo_times),
        cmocka_unit_test(issue8_polygon_times),       cmocka_unit_test(issue8_answer_names_symbol),
        cmocka_unit_test(issue8_redact_then_cut),     cmocka_unit_test(issue8_server_text),
    };
    int failed = cmocka_run_group_tests_name("providers", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("providers issue 8", issue8, NULL, NULL);
    failed += cmocka_run_group_tests_name("providers regressions", bugs, NULL, NULL);
    sg_config_reset();
    return failed;
}
