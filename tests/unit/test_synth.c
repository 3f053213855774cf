/*
 * test_synth.c - the synthetic market (common/synth.h) behind `sigmactl synth`.
 *
 * Expectations: trading days from the NYSE calendar (calendar.h, itself
 * tested against oracle.py); rounding against numfmt's sg_fmt_db (the app's
 * NUMERIC rounding, tested against Python's Decimal); UTC offsets against the
 * system's tzdata (America/New_York) and providers.c's sg_new_york_offset;
 * the Yahoo documents read back by providers.c's chart v8 parser. The pinned
 * bytes of test_golden come from this implementation (x86-64, gcc); they
 * differing anywhere else means the output is no longer machine-independent.
 */
#include <errno.h>
#include <time.h>

#include "numfmt.h"
#include "providers.h"
#include "sgtest.h"
/* <>: the quoted form would find this directory's synth.h, a test fixture */
#include "synth.h"

static const sg_day D = 20284; /* 2025-07-15, a Tuesday */

/* test_golden: seed 42, 20 stocks, 60 days ending on D */
#define GOLDEN_S0001 "S0001,2025-07-15,230.0387,231.4028,221.9869,222.9367,593337"
#define GOLDEN_HASH 0x33560274aeb0e817ull

static sg_synth *make(size_t nstocks, size_t ndays, sg_day end, uint64_t seed)
{
    sg_synth_opts o = {.nstocks = nstocks, .ndays = ndays, .end = end, .seed = seed};
    const char *why = NULL;
    sg_synth *u = sg_synth_new(&o, &why);
    if (!u)
        fail_msg("sg_synth_new: %s", why);
    return u;
}

static sg_synth_bar *bars_of(const sg_synth *u, size_t i, int64_t *prev)
{
    sg_synth_bar *b = malloc(sg_synth_ndays(u) * sizeof *b);
    assert_non_null(b);
    int64_t p = sg_synth_bars(u, i, b);
    if (prev)
        *prev = p;
    return b;
}

static long find(const sg_synth *u, const char *sym)
{
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++)
        if (strcmp(sg_synth_symbol(u, i), sym) == 0)
            return (long)i;
    fail_msg("no symbol %s", sym);
    return -1;
}

/* The whole prices.csv in memory (malloc'ed, NUL-terminated). */
static char *render_csv(const sg_synth *u, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(sg_synth_write_csv_header(f), 0);
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++) {
        sg_synth_bar *b = bars_of(u, i, NULL);
        assert_int_equal(sg_synth_write_csv(f, u, i, b), 0);
        free(b);
    }
    fclose(f);
    return buf;
}

static char *render_json(const sg_synth *u, size_t i, size_t *len)
{
    char *buf = NULL;
    int64_t prev;
    sg_synth_bar *b = bars_of(u, i, &prev);
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(sg_synth_write_yahoo(f, u, i, b, prev), 0);
    fclose(f);
    free(b);
    return buf;
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* FNV-1a of prices.csv followed by every chart document, in symbol order. */
static uint64_t universe_hash(const sg_synth *u)
{
    size_t len;
    char *csv = render_csv(u, &len);
    uint64_t h = fnv1a(csv, len, 1469598103934665603ull);
    free(csv);
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++) {
        char *js = render_json(u, i, &len);
        h = fnv1a(js, len, h);
        free(js);
    }
    return h;
}

/* ---- rounding and time ---------------------------------------------------------- */

static int64_t ticks_of_db(double x)
{
    char buf[SG_NUM_LEN];
    sg_fmt_db(x, 4, buf);
    bool neg = buf[0] == '-';
    int64_t v = 0;
    for (const char *p = buf + neg; *p; p++)
        if (*p != '.')
            v = v * 10 + (*p - '0');
    return neg ? -v : v;
}

static void test_round4(void **state)
{
    (void)state;
    /* Python: Decimal(str(x)).quantize(Decimal("0.0001"), ROUND_HALF_UP) */
    assert_int_equal(sg_synth_round4(0.0), 0);
    assert_int_equal(sg_synth_round4(123.4567), 1234567);
    assert_int_equal(sg_synth_round4(0.03125), 313);     /* a true tie (1/32): away from zero */
    assert_int_equal(sg_synth_round4(-0.03125), -313);
    assert_int_equal(sg_synth_round4(1000.03125), 10000313);
    assert_int_equal(sg_synth_round4(0.00035), 4); /* binary value 0.000349999...: str() says 0.00035 */
    assert_int_equal(sg_synth_round4(0.00015), 2);
    assert_int_equal(sg_synth_round4(0.12345), 1235);
    assert_int_equal(sg_synth_round4(12.34564999), 123456);
    assert_int_equal(sg_synth_round4(99999999.99994), 999999999999);
    /* Near every tie k + 0.5 ticks, and at random: as the app rounds. */
    for (int k = 0; k < 200000; k++) {
        double x = (k + 0.5) / 1e4;
        const double xs[3] = {x, nextafter(x, 0), nextafter(x, 1e9)};
        for (int j = 0; j < 3; j++)
            if (sg_synth_round4(xs[j]) != ticks_of_db(xs[j]))
                fail_msg("%.17g: %lld, sg_fmt_db says %lld", xs[j], (long long)sg_synth_round4(xs[j]),
                         (long long)ticks_of_db(xs[j]));
    }
    uint64_t s = 7;
    for (int k = 0; k < 200000; k++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double x = ldexp((double)(s >> 11), -53) * pow(10, (int)(s % 9) - 2); /* 0.01 .. 10^6 */
        if (sg_synth_round4(x) != ticks_of_db(x))
            fail_msg("%.17g: %lld, sg_fmt_db says %lld", x, (long long)sg_synth_round4(x), (long long)ticks_of_db(x));
    }
}

static void test_utc_offset(void **state)
{
    (void)state;
    /* 2025: DST from Sunday March 9 to Sunday November 2 */
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 3, 7)), -18000);
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 3, 9)), -14400);
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 3, 10)), -14400);
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 10, 31)), -14400);
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 11, 2)), -18000);
    assert_int_equal(sg_synth_utc_offset(DAY(2025, 11, 3)), -18000);
    /* 2006, the 1987 rule: Sunday April 2 to Sunday October 29 */
    assert_int_equal(sg_synth_utc_offset(DAY(2006, 3, 31)), -18000);
    assert_int_equal(sg_synth_utc_offset(DAY(2006, 4, 3)), -14400);
    assert_int_equal(sg_synth_utc_offset(DAY(2006, 10, 27)), -14400);
    assert_int_equal(sg_synth_utc_offset(DAY(2006, 10, 30)), -18000);
    /* the session open: 09:30 EDT = 13:30 UTC, 09:30 EST = 14:30 UTC */
    assert_int_equal(sg_synth_session_open(D), 1752586200);
    assert_int_equal(sg_synth_session_open(DAY(2025, 1, 2)), 1735828200);
    assert_int_equal(sg_synth_session_open(DAY(1993, 1, 29)), 728317800); /* SPY's firstTradeDate */
    /* the providers' parser has the 2007 rule */
    for (sg_day d = DAY(2007, 1, 1); d <= DAY(2040, 12, 31); d++)
        if (sg_synth_utc_offset(d) != sg_new_york_offset(d))
            fail_msg("day %d: %d, sg_new_york_offset %d", d, sg_synth_utc_offset(d), sg_new_york_offset(d));
}

/* Against the system's tz database, where it has America/New_York. */
static void test_utc_offset_tzdata(void **state)
{
    (void)state;
    if (access("/usr/share/zoneinfo/America/New_York", R_OK) != 0)
        skip();
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "America/New_York", 1);
    tzset();
    for (sg_day d = DAY(1970, 1, 1); d <= DAY(2037, 12, 31); d++) {
        time_t t = (time_t)sg_synth_session_open(d);
        struct tm tm;
        localtime_r(&t, &tm);
        if (tm.tm_gmtoff != sg_synth_utc_offset(d) || tm.tm_hour != 9 || tm.tm_min != 30)
            fail_msg("day %d: offset %d, tzdata %ld at %02d:%02d", d, sg_synth_utc_offset(d), tm.tm_gmtoff,
                     tm.tm_hour, tm.tm_min);
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    free(saved);
    tzset();
}

/* ---- the universe ------------------------------------------------------------------ */

static void test_trading_days(void **state)
{
    (void)state;
    static const struct {
        int y, m, d;    /* --end */
        int ly, lm, ld; /* the last trading day on or before it */
    } ends[] = {
        {2025, 7, 15, 2025, 7, 15}, /* a trading day */
        {2025, 7, 13, 2025, 7, 11}, /* Sunday */
        {2025, 7, 4, 2025, 7, 3},   /* Independence Day */
        {2025, 4, 20, 2025, 4, 17}, /* Easter Sunday, after Good Friday */
        {2001, 9, 14, 2001, 9, 10}, /* markets closed after 9/11 */
    };
    for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
        const size_t n = k == 0 ? 5000 : 250;
        sg_synth *u = make(3, n, DAY(ends[k].y, ends[k].m, ends[k].d), 42);
        const sg_day *days = sg_synth_days(u);
        assert_int_equal(sg_synth_ndays(u), n);
        assert_int_equal(days[n - 1], DAY(ends[k].ly, ends[k].lm, ends[k].ld));
        for (size_t t = 0; t < n; t++) {
            assert_true(sg_nyse_is_trading_day(days[t]));
            if (t) /* consecutive: no trading day left out */
                assert_int_equal(sg_nyse_prev_trading_day(days[t]), days[t - 1]);
        }
        sg_synth_free(u);
    }
    sg_synth *u = make(0, 2, D, 1); /* the smallest universe */
    assert_int_equal(sg_synth_nsymbols(u), 8);
    assert_int_equal(sg_synth_days(u)[0], DAY(2025, 7, 14));
    sg_synth_free(u);
}

static void test_bad_options(void **state)
{
    (void)state;
    const sg_synth_opts bad[] = {
        {.nstocks = 1, .ndays = 1, .end = D},
        {.nstocks = 1, .ndays = 5001, .end = D},
        {.nstocks = 100001, .ndays = 10, .end = D},
        {.nstocks = 1, .ndays = 5000, .end = DAY(20, 3, 4)}, /* would start before the year 1 */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *why = NULL;
        errno = 0;
        assert_null(sg_synth_new(&bad[k], &why));
        assert_non_null(why);
        assert_int_equal(errno, EINVAL);
    }
}

static void test_symbols(void **state)
{
    (void)state;
    static const char *const sorted[] = {"IWM", "MTUM", "QUAL", "S0001", "S0002", "S0003",
                                         "SPY", "TLT",  "USMV", "VTV",   "VUG"};
    sg_synth *u = make(3, 10, D, 42);
    assert_int_equal(sg_synth_nsymbols(u), 11);
    for (size_t i = 0; i < 11; i++) {
        assert_string_equal(sg_synth_symbol(u, i), sorted[i]);
        assert_int_equal(sg_synth_is_etf(u, i), sorted[i][0] != 'S' || sorted[i][1] == 'P');
    }
    sg_synth_free(u);
    /* zero-padded to the width of the largest number: byte order is number order */
    u = make(SG_SYNTH_MAX_STOCKS, 2, D, 42);
    assert_int_equal(sg_synth_nsymbols(u), 100008);
    assert_string_equal(sg_synth_symbol(u, 3), "S000001");
    assert_string_equal(sg_synth_symbol(u, 3 + 99999), "S100000");
    for (size_t i = 1; i < sg_synth_nsymbols(u); i++)
        assert_true(strcmp(sg_synth_symbol(u, i - 1), sg_synth_symbol(u, i)) < 0);
    sg_synth_free(u);
    u = make(10000, 2, D, 42);
    assert_string_equal(sg_synth_symbol(u, 3 + 9999), "S10000");
    sg_synth_free(u);
}

static void test_determinism(void **state)
{
    (void)state;
    sg_synth *a = make(25, 120, D, 42), *b = make(25, 120, D, 42), *c = make(25, 120, D, 43);
    size_t la, lb, lc;
    char *ca = render_csv(a, &la), *cb = render_csv(b, &lb), *cc = render_csv(c, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(ca, cb, la);
    assert_true(la != lc || memcmp(ca, cc, la) != 0); /* another seed, another market */
    for (size_t i = 0; i < sg_synth_nsymbols(a); i++) {
        char *ja = render_json(a, i, &la), *jb = render_json(b, i, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(ja, jb, la);
        free(ja);
        free(jb);
    }
    free(ca);
    free(cb);
    free(cc);
    /* A stock's bars do not depend on how many stocks there are. */
    sg_synth *big = make(500, 120, D, 42);
    sg_synth_bar *x = bars_of(a, (size_t)find(a, "S0007"), NULL), *y = bars_of(big, (size_t)find(big, "S0007"), NULL);
    assert_memory_equal(x, y, 120 * sizeof *x);
    free(x);
    free(y);
    sg_synth_free(a);
    sg_synth_free(b);
    sg_synth_free(c);
    sg_synth_free(big);
}

/* The bytes themselves: a different hash on another machine or compiler is a
 * portability bug (FMA contraction, a libm call, x87 precision). */
static void test_golden(void **state)
{
    (void)state;
    sg_synth *u = make(20, 60, D, 42);
    size_t len;
    char *csv = render_csv(u, &len);
    const char *row = strstr(csv, "\nS0001,2025-07-15,");
    assert_non_null(row);
    const char *eol = strchr(row + 1, '\n');
    assert_non_null(eol);
    char line[128];
    snprintf(line, sizeof line, "%.*s", (int)(eol - row - 1), row + 1);
    assert_string_equal(line, GOLDEN_S0001);
    free(csv);
    uint64_t h = universe_hash(u);
    if (h != GOLDEN_HASH)
        fail_msg("universe hash %#llx, expected %#llx", (unsigned long long)h, (unsigned long long)GOLDEN_HASH);
    sg_synth_free(u);
}

static void test_ohlc(void **state)
{
    (void)state;
    sg_synth *u = make(300, 1000, D, 9);
    const size_t n = sg_synth_ndays(u);
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++) {
        int64_t prev;
        sg_synth_bar *b = bars_of(u, i, &prev);
        assert_true(prev > 0);
        for (size_t t = 0; t < n; t++) {
            const sg_synth_bar *r = &b[t];
            if (!(r->low > 0 && r->low <= r->open && r->low <= r->close && r->high >= r->open &&
                  r->high >= r->close && r->high < 1000000000000 && r->volume > 0 && r->volume < 2147483648))
                fail_msg("%s day %zu: o %lld h %lld l %lld c %lld v %lld", sg_synth_symbol(u, i), t,
                         (long long)r->open, (long long)r->high, (long long)r->low, (long long)r->close,
                         (long long)r->volume);
        }
        free(b);
    }
    sg_synth_free(u);
}

/* Every price in the CSV has exactly four decimals and is the bar's value. */
static void test_csv_text(void **state)
{
    (void)state;
    sg_synth *u = make(30, 50, D, 42);
    size_t len;
    char *csv = render_csv(u, &len);
    char *save = NULL, *ln = strtok_r(csv, "\n", &save);
    assert_string_equal(ln, "symbol,date,open,high,low,close,volume");
    size_t rows = 0, sym = 0, day = 0;
    sg_synth_bar *b = bars_of(u, 0, NULL);
    for (ln = strtok_r(NULL, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save), rows++) {
        if (day == sg_synth_ndays(u)) { /* sorted by symbol, then date */
            free(b);
            b = bars_of(u, ++sym, NULL);
            day = 0;
        }
        char date[SG_DATE_LEN], expect[160];
        snprintf(expect, sizeof expect, "%s,%s,%lld.%04lld,%lld.%04lld,%lld.%04lld,%lld.%04lld,%lld",
                 sg_synth_symbol(u, sym), sg_day_format(sg_synth_days(u)[day], date),
                 (long long)(b[day].open / 10000), (long long)(b[day].open % 10000),
                 (long long)(b[day].high / 10000), (long long)(b[day].high % 10000),
                 (long long)(b[day].low / 10000), (long long)(b[day].low % 10000),
                 (long long)(b[day].close / 10000), (long long)(b[day].close % 10000), (long long)b[day].volume);
        assert_string_equal(ln, expect);
        day++;
    }
    assert_int_equal(rows, 38 * 50);
    free(b);
    free(csv);
    sg_synth_free(u);
}

/* The chart documents, read back by the provider parser that reads Yahoo's. */
static void test_yahoo(void **state)
{
    (void)state;
    sg_synth *u = make(12, 80, DAY(2025, 3, 20), 42); /* across the switch to EDT on March 9 */
    const sg_day *days = sg_synth_days(u);
    const size_t n = sg_synth_ndays(u);
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++) {
        size_t len;
        char *js = render_json(u, i, &len);
        int64_t prev;
        sg_synth_bar *b = bars_of(u, i, &prev);
        sg_bars got = {0};
        char *next = NULL, err[256] = "";
        sg_answer a = sg_provider_parse_response(SG_PROV_YAHOO, js, len, sg_synth_symbol(u, i), days[0],
                                                 days[n - 1], &got, &next, err, sizeof err);
        if (a != SG_ANSWER_OK)
            fail_msg("%s: %s", sg_synth_symbol(u, i), err);
        assert_int_equal(got.n, n);
        assert_int_equal(got.dropped, 0);
        for (size_t t = 0; t < n; t++) {
            assert_int_equal(got.v[t].day, days[t]);
            assert_same(got.v[t].open, (double)b[t].open / 1e4); /* both the nearest double to the decimal */
            assert_same(got.v[t].high, (double)b[t].high / 1e4);
            assert_same(got.v[t].low, (double)b[t].low / 1e4);
            assert_same(got.v[t].close, (double)b[t].close / 1e4);
            assert_int_equal(got.v[t].volume, b[t].volume);
        }
        sg_bars_free(&got);
        free(b);
        free(js);
    }
    /* The shape, field by field as the API orders them. */
    size_t len;
    char *js = render_json(u, (size_t)find(u, "SPY"), &len);
    char head[512];
    snprintf(head, sizeof head,
             "{\"chart\":{\"result\":[{\"meta\":{\"currency\":\"USD\",\"symbol\":\"SPY\",\"exchangeName\":\"PCX\","
             "\"instrumentType\":\"ETF\",\"firstTradeDate\":%lld,\"regularMarketTime\":%lld,\"gmtoffset\":-14400,"
             "\"timezone\":\"EDT\",\"exchangeTimezoneName\":\"America/New_York\",\"regularMarketPrice\":",
             (long long)sg_synth_session_open(days[0]), (long long)sg_synth_session_open(days[n - 1]) + 23400);
    assert_true(strncmp(js, head, strlen(head)) == 0);
    assert_contains(js, ",\"chartPreviousClose\":520.0,\"priceHint\":2,\"dataGranularity\":\"1d\",\"range\":\"\","
                        "\"validRanges\":[\"1d\",\"5d\",\"1mo\",\"3mo\",\"6mo\",\"1y\",\"2y\",\"5y\",\"10y\","
                        "\"ytd\",\"max\"]},\"timestamp\":[");
    char ts[64];
    snprintf(ts, sizeof ts, "\"timestamp\":[%lld,%lld,", (long long)sg_synth_session_open(days[0]),
             (long long)sg_synth_session_open(days[1]));
    assert_contains(js, ts);
    assert_contains(js, "],\"indicators\":{\"quote\":[{\"open\":[");
    assert_contains(js, "],\"high\":[");
    assert_contains(js, "],\"volume\":[");
    assert_contains(js, "]}],\"adjclose\":[{\"adjclose\":[");
    assert_string_equal(js + len - 22, "]}]}}],\"error\":null}}\n");
    assert_null(strchr(js, ' '));
    assert_true(strchr(js, '\n') == js + len - 1); /* one line */
    free(js);
    sg_synth_free(u);
    /* in winter the meta says EST */
    u = make(0, 5, DAY(2025, 1, 10), 42);
    js = render_json(u, 0, &len);
    assert_contains(js, "\"gmtoffset\":-18000,\"timezone\":\"EST\",");
    free(js);
    sg_synth_free(u);
}

/* ---- co-movement ------------------------------------------------------------------------ */

static void returns(const sg_synth *u, size_t i, double *r)
{
    sg_synth_bar *b = bars_of(u, i, NULL);
    for (size_t t = 1; t < sg_synth_ndays(u); t++)
        r[t - 1] = (double)b[t].close / (double)b[t - 1].close - 1;
    free(b);
}

static double corr(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t t = 0; t < n; t++) {
        mx += x[t] / (double)n;
        my += y[t] / (double)n;
    }
    for (size_t t = 0; t < n; t++) {
        sxy += (x[t] - mx) * (y[t] - my);
        sxx += (x[t] - mx) * (x[t] - mx);
        syy += (y[t] - my) * (y[t] - my);
    }
    return sxy / sqrt(sxx * syy);
}

static void test_comovement(void **state)
{
    (void)state;
    enum { N = 250, STOCKS = 200 };
    sg_synth *u = make(STOCKS, N, D, 42);
    double spy[N - 1], r[N - 1];
    returns(u, (size_t)find(u, "SPY"), spy);
    /* make_prices.py's model: VUG = 1.08 mkt + growth + noise gives corr ~0.93 */
    static const char *const style_etfs[] = {"VTV", "VUG", "MTUM", "QUAL", "IWM", "USMV"};
    for (size_t k = 0; k < 6; k++) {
        returns(u, (size_t)find(u, style_etfs[k]), r);
        double c = corr(r, spy, N - 1);
        if (!(c > 0.8))
            fail_msg("corr(%s, SPY) = %.3f", style_etfs[k], c);
    }
    returns(u, (size_t)find(u, "TLT"), r); /* rates, and -0.15 of the market */
    assert_true(corr(r, spy, N - 1) < 0.2);
    double sum = 0;
    int positive = 0;
    for (size_t i = 0; i < sg_synth_nsymbols(u); i++) {
        if (sg_synth_is_etf(u, i))
            continue;
        returns(u, i, r);
        double c = corr(r, spy, N - 1);
        sum += c;
        positive += c > 0;
    }
    if (!(sum / STOCKS > 0.3 && positive >= STOCKS * 9 / 10))
        fail_msg("stocks: mean corr with SPY %.3f, %d of %d positive", sum / STOCKS, positive, STOCKS);
    sg_synth_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round4),      cmocka_unit_test(test_utc_offset),
        cmocka_unit_test(test_utc_offset_tzdata), cmocka_unit_test(test_trading_days),
        cmocka_unit_test(test_bad_options), cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_determinism), cmocka_unit_test(test_golden),
        cmocka_unit_test(test_ohlc),        cmocka_unit_test(test_csv_text),
        cmocka_unit_test(test_yahoo),       cmocka_unit_test(test_comovement),
    };
    return cmocka_run_group_tests_name("synth", tests, NULL, NULL);
}
