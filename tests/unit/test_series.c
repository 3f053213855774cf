/*
 * test_series.c - which stored rows each pipeline sees, and returns
 * (series.h; FACTOR_SPEC §1.1 and §2).
 *
 * Expectations: oracle.py's DataPath (cache_get, fetch_historical_prices,
 * get_returns) applied by hand to the small tables below, and pandas'
 * pct_change(fill_method=None).dropna() (NaN rows dropped, inf kept). Return
 * values were printed by Python (e.g. 6/5-1 == 0.19999999999999996).
 */
#include "series.h"
#include "sgtest.h"

static const sg_day D = 20284; /* 2025-07-15, a Tuesday */

static void add(sg_prices *p, const char *sym, sg_day day, const char *close)
{
    const char *why;
    if (sg_prices_add(p, sym, strlen(sym), day, close, strlen(close), &why))
        fail_msg("add: %s", why);
}

/* Symbol A: one row on each interesting day around the windows. */
static sg_prices *make_a(void)
{
    sg_prices *p = sg_prices_new();
    add(p, "A", DAY(2024, 7, 12), "1");  /* before D-366 (2024-07-14) */
    add(p, "A", DAY(2024, 7, 15), "2");  /* D-365: inside v1's cache, outside v2's */
    add(p, "A", DAY(2024, 12, 26), "3"); /* D-201: just outside v2's cache */
    add(p, "A", DAY(2024, 12, 27), "4"); /* D-200: the first day of v2's cache */
    add(p, "A", DAY(2025, 7, 3), "5");
    add(p, "A", DAY(2025, 7, 4), "6");   /* Independence Day: not an NYSE day */
    add(p, "A", DAY(2025, 7, 7), "0");   /* a zero close */
    add(p, "A", DAY(2025, 7, 8), "7");
    add(p, "A", DAY(2025, 7, 12), "8");  /* a Saturday */
    add(p, "A", D, "9");
    add(p, "A", D + 1, "10");            /* after the calculation date */
    add(p, "abc", D - 1, "1");           /* a lower-case symbol */
    add(p, "abc", D, "2");
    assert_int_equal(sg_prices_finish(p), 0);
    return p;
}

static void test_pipeline_names(void **state)
{
    (void)state;
    sg_pipeline pl;
    assert_int_equal(sg_pipeline_parse("v2", &pl), 0);
    assert_int_equal(pl, SG_PIPELINE_V2);
    assert_int_equal(sg_pipeline_parse("v1", &pl), 0);
    assert_int_equal(pl, SG_PIPELINE_V1);
    assert_int_equal(sg_pipeline_parse("onboarding", &pl), 0);
    assert_int_equal(pl, SG_PIPELINE_ONBOARDING);
    assert_int_equal(sg_pipeline_parse("V2", &pl), -1);
    assert_int_equal(sg_pipeline_parse("v3", &pl), -1);
    assert_int_equal(sg_pipeline_parse("", &pl), -1);
    assert_string_equal(sg_pipeline_name(SG_PIPELINE_V2), "v2");
    assert_string_equal(sg_pipeline_name(SG_PIPELINE_V1), "v1");
    assert_string_equal(sg_pipeline_name(SG_PIPELINE_ONBOARDING), "onboarding");
}

static void test_datapath_init(void **state)
{
    (void)state;
    sg_prices *p = make_a();
    sg_datapath dp;
    /* oracle.py PIPELINES: v2 ("cache", 200), v1 ("cache", 366), onboarding ("db", None) */
    sg_datapath_init(&dp, p, SG_PIPELINE_V2, D);
    assert_true(dp.cache);
    assert_int_equal(dp.cache_start, D - 200);
    sg_datapath_init(&dp, p, SG_PIPELINE_V1, D);
    assert_true(dp.cache);
    assert_int_equal(dp.cache_start, D - 366);
    sg_datapath_init(&dp, p, SG_PIPELINE_ONBOARDING, D);
    assert_false(dp.cache);
    sg_prices_free(p);
}

/* Closes of symbol A seen by a path from start, as "day:close" pairs. */
static const char *closes(sg_pipeline pl, const char *sym, sg_day start)
{
    static char out[1024];
    sg_prices *p = make_a();
    sg_datapath dp;
    sg_datapath_init(&dp, p, pl, D);
    size_t cap = (size_t)(D - start + 1);
    sg_day *days = malloc(cap * sizeof *days);
    double *cl = malloc(cap * sizeof *cl);
    size_t n = sg_path_closes(&dp, sg_prices_find(p, sym), start, days, cl);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char b[SG_DATE_LEN];
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s:%g", i ? " " : "", sg_day_format(days[i], b), cl[i]);
    }
    free(days);
    free(cl);
    sg_prices_free(p);
    return out;
}

static void test_cache_path_filters(void **state)
{
    (void)state;
    /* v2: close > 0, NYSE days, [D-200, D] whatever start is asked for */
    assert_string_equal(closes(SG_PIPELINE_V2, "A", D - 400),
                        "2024-12-27:4 2025-07-03:5 2025-07-08:7 2025-07-15:9");
    assert_string_equal(closes(SG_PIPELINE_V2, "A", D - 210),
                        "2024-12-27:4 2025-07-03:5 2025-07-08:7 2025-07-15:9");
    assert_string_equal(closes(SG_PIPELINE_V2, "A", D - 120), "2025-07-03:5 2025-07-08:7 2025-07-15:9");
    /* v1: the same rules over [D-366, D] */
    assert_string_equal(closes(SG_PIPELINE_V1, "A", D - 400),
                        "2024-07-15:2 2024-12-26:3 2024-12-27:4 2025-07-03:5 2025-07-08:7 2025-07-15:9");
    assert_string_equal(closes(SG_PIPELINE_V1, "A", D - 210),
                        "2024-12-26:3 2024-12-27:4 2025-07-03:5 2025-07-08:7 2025-07-15:9");
    /* the start day itself is included */
    assert_string_equal(closes(SG_PIPELINE_V1, "A", DAY(2025, 7, 8)), "2025-07-08:7 2025-07-15:9");
    /* symbols are matched exactly: a lower-case symbol is found on the cache path */
    assert_string_equal(closes(SG_PIPELINE_V2, "abc", D - 120), "2025-07-14:1 2025-07-15:2");
    assert_string_equal(closes(SG_PIPELINE_V2, "NONE", D - 120), "");
}

static void test_onboarding_path_keeps_everything(void **state)
{
    (void)state;
    /* every stored row in [start, D]: zero closes, the holiday and the Saturday kept */
    assert_string_equal(closes(SG_PIPELINE_ONBOARDING, "A", D - 400),
                        "2024-07-12:1 2024-07-15:2 2024-12-26:3 2024-12-27:4 2025-07-03:5 2025-07-04:6 "
                        "2025-07-07:0 2025-07-08:7 2025-07-12:8 2025-07-15:9");
    assert_string_equal(closes(SG_PIPELINE_ONBOARDING, "A", D - 120),
                        "2025-07-03:5 2025-07-04:6 2025-07-07:0 2025-07-08:7 2025-07-12:8 2025-07-15:9");
    /* the SQL asks for upper(symbol), then looks for the symbol as given: nothing */
    assert_string_equal(closes(SG_PIPELINE_ONBOARDING, "abc", D - 120), "");
}

static void test_price_on(void **state)
{
    (void)state;
    sg_prices *p = make_a();
    long a = sg_prices_find(p, "A");
    sg_datapath v2, v1, ob;
    sg_datapath_init(&v2, p, SG_PIPELINE_V2, D);
    sg_datapath_init(&v1, p, SG_PIPELINE_V1, D);
    sg_datapath_init(&ob, p, SG_PIPELINE_ONBOARDING, D);
    /* oracle.py cache_get: an exact hit with close > 0 inside [cache_start, D];
     * the calendar is not consulted (a Saturday row is found) */
    assert_same(sg_path_price_on(&v2, a, D)->close, 9.0);
    assert_same(sg_path_price_on(&v2, a, DAY(2025, 7, 12))->close, 8.0);
    assert_same(sg_path_price_on(&v2, a, DAY(2025, 7, 4))->close, 6.0);
    assert_null(sg_path_price_on(&v2, a, DAY(2025, 7, 7))); /* zero close */
    assert_null(sg_path_price_on(&v2, a, DAY(2025, 7, 9))); /* no row */
    assert_null(sg_path_price_on(&v2, a, D + 1));           /* after D */
    assert_null(sg_path_price_on(&v2, a, DAY(2024, 12, 26)));
    assert_same(sg_path_price_on(&v2, a, DAY(2024, 12, 27))->close, 4.0);
    assert_same(sg_path_price_on(&v1, a, DAY(2024, 12, 26))->close, 3.0);
    assert_same(sg_path_price_on(&v1, a, DAY(2024, 7, 15))->close, 2.0);
    assert_null(sg_path_price_on(&v1, a, DAY(2024, 7, 12)));
    assert_null(sg_path_price_on(&v2, -1, D));
    /* the DB path returns the stored row, zero close included */
    assert_same(sg_path_price_on(&ob, a, DAY(2025, 7, 7))->close, 0.0);
    assert_same(sg_path_price_on(&ob, a, DAY(2024, 7, 12))->close, 1.0);
    assert_null(sg_path_price_on(&ob, a, D + 1));
    assert_null(sg_path_price_on(&ob, sg_prices_find(p, "abc"), D));
    sg_prices_free(p);
}

static void test_returns(void **state)
{
    (void)state;
    /* pct_change then dropna: 0 -> 0 is NaN and dropped; x -> 0 is -1; 0 -> x is inf, kept */
    const sg_day days[] = {1, 2, 3, 4, 5, 6};
    const double cl[] = {10, 11, 0, 0, 5, 5.5};
    sg_day rd[6];
    double r[6];
    size_t n = sg_returns(days, cl, 6, rd, r);
    assert_int_equal(n, 4);
    assert_int_equal(rd[0], 2);
    assert_same(r[0], 0.10000000000000009); /* 11/10-1 in Python */
    assert_int_equal(rd[1], 3);
    assert_same(r[1], -1.0);
    assert_int_equal(rd[2], 5); /* day 4 (0 -> 0) is gone */
    assert_true(isinf(r[2]) && r[2] > 0);
    assert_int_equal(rd[3], 6);
    assert_same(r[3], 0.10000000000000009);
    /* fewer than two closes: no return */
    assert_int_equal(sg_returns(days, cl, 1, rd, r), 0);
    assert_int_equal(sg_returns(days, cl, 0, rd, r), 0);
    /* in place, as sg_path_returns uses it */
    sg_day d2[] = {1, 2, 3};
    double c2[] = {4, 5, 7};
    assert_int_equal(sg_returns(d2, c2, 3, d2, c2), 2);
    assert_int_equal(d2[0], 2);
    assert_same(c2[0], 0.25);
    assert_int_equal(d2[1], 3);
    assert_same(c2[1], 0.3999999999999999); /* 7/5-1 */
}

static void test_path_returns(void **state)
{
    (void)state;
    sg_prices *p = make_a();
    long a = sg_prices_find(p, "A");
    sg_datapath dp;
    sg_day rd[500];
    double r[500];
    /* v2: closes 4 (12-27), 5 (07-03), 7 (07-08), 9 (07-15): returns over the kept rows */
    sg_datapath_init(&dp, p, SG_PIPELINE_V2, D);
    size_t n = sg_path_returns(&dp, a, D - 400, rd, r);
    assert_int_equal(n, 3);
    assert_int_equal(rd[0], DAY(2025, 7, 3));
    assert_same(r[0], 0.25);
    assert_int_equal(rd[1], DAY(2025, 7, 8));
    assert_same(r[1], 0.3999999999999999);
    assert_int_equal(rd[2], D);
    assert_same(r[2], 9.0 / 7 - 1);
    /* onboarding from D-120: 5, 6, 0, 7, 8, 9 */
    sg_datapath_init(&dp, p, SG_PIPELINE_ONBOARDING, D);
    n = sg_path_returns(&dp, a, D - 120, rd, r);
    assert_int_equal(n, 5);
    assert_int_equal(rd[0], DAY(2025, 7, 4));
    assert_same(r[0], 0.19999999999999996); /* 6/5-1 */
    assert_int_equal(rd[1], DAY(2025, 7, 7));
    assert_same(r[1], -1.0);
    assert_int_equal(rd[2], DAY(2025, 7, 8));
    assert_true(isinf(r[2]));
    assert_int_equal(rd[3], DAY(2025, 7, 12)); /* the Saturday counts as a date */
    assert_same(r[3], 8.0 / 7 - 1);
    assert_int_equal(rd[4], D);
    assert_same(r[4], 0.125);
    /* an absent symbol has no returns */
    assert_int_equal(sg_path_returns(&dp, -1, D - 120, rd, r), 0);
    sg_prices_free(p);
}

/* X, Y on every NYSE day of [D-20, D]; G misses 2025-07-10; Z has a zero
 * close on 07-08 and 07-09 (0 -> 0 on 07-09). Close of X = 100 + i, Y = 50 +
 * 2i, G = 10 + i, Z = 20 + i, where i counts the trading days. */
static sg_prices *make_set(void)
{
    sg_prices *p = sg_prices_new();
    int i = 0;
    char b[32];
    for (sg_day d = D - 20; d <= D; d++) {
        if (!sg_nyse_is_trading_day(d))
            continue;
        snprintf(b, sizeof b, "%d", 100 + i);
        add(p, "X", d, b);
        snprintf(b, sizeof b, "%d", 50 + 2 * i);
        add(p, "Y", d, b);
        if (d != DAY(2025, 7, 10)) {
            snprintf(b, sizeof b, "%d", 10 + i);
            add(p, "G", d, b);
        }
        snprintf(b, sizeof b, "%d", d == DAY(2025, 7, 8) || d == DAY(2025, 7, 9) ? 0 : 20 + i);
        add(p, "Z", d, b);
        i++;
    }
    add(p, "EARLY", D - 300, "1"); /* rows only long before the window */
    add(p, "EARLY", D - 299, "2");
    assert_int_equal(sg_prices_finish(p), 0);
    return p;
}

static void test_retset_alignment(void **state)
{
    (void)state;
    sg_prices *p = make_set();
    sg_datapath dp;
    sg_datapath_init(&dp, p, SG_PIPELINE_V2, D);
    /* trading days of [2025-06-25, 2025-07-15]: 06-25..06-27, 06-30..07-03, 07-07..07-11,
     * 07-14, 07-15 = 14 days (07-04 is a holiday) */
    int ntd = 0;
    for (sg_day d = D - 20; d <= D; d++)
        ntd += sg_nyse_is_trading_day(d);
    assert_int_equal(ntd, 14);
    const char *const syms[] = {"X", "Y", "NONE", "G"};
    sg_retset rs;
    assert_int_equal(sg_retset_build(&dp, syms, 4, D - 20, &rs), 0);
    assert_int_equal(rs.k, 4);
    assert_true(rs.present[0] && rs.present[1] && rs.present[3]);
    assert_false(rs.present[2]); /* no rows at all: no column */
    assert_null(rs.r[2]);
    /* G's gap removes 07-10 for every column; 14 - 1 aligned dates, minus the first */
    assert_int_equal(rs.n, 12);
    assert_int_equal(rs.days[0], DAY(2025, 6, 26));
    for (size_t t = 0; t < rs.n; t++)
        assert_int_not_equal(rs.days[t], DAY(2025, 7, 10));
    /* on 07-11 every column has a 2-day return: 07-09 is i = 9, 07-11 is i = 11 */
    size_t t11 = 0;
    while (rs.days[t11] != DAY(2025, 7, 11))
        t11++;
    assert_same(rs.r[0][t11], 111.0 / 109 - 1);
    assert_same(rs.r[1][t11], 72.0 / 68 - 1);
    assert_same(rs.r[3][t11], 21.0 / 19 - 1);
    /* elsewhere a 1-day return */
    assert_same(rs.r[0][0], 101.0 / 100 - 1);
    assert_same(rs.r[3][rs.n - 1], 23.0 / 22 - 1);
    sg_retset_free(&rs);
    /* a single symbol's own returns keep the gap semantics too */
    sg_day rd[64];
    double r[64];
    size_t n = sg_path_returns(&dp, sg_prices_find(p, "G"), D - 20, rd, r);
    assert_int_equal(n, 12);
    sg_prices_free(p);
}

static void test_retset_zero_closes_and_empty(void **state)
{
    (void)state;
    sg_prices *p = make_set();
    sg_datapath dp;
    /* onboarding: Z's 0 -> 0 on 07-09 is NaN: that row goes for every column;
     * x -> 0 (07-08) is -1 and 0 -> x (07-10) is inf, both kept */
    sg_datapath_init(&dp, p, SG_PIPELINE_ONBOARDING, D);
    const char *const syms[] = {"X", "Z"};
    sg_retset rs;
    assert_int_equal(sg_retset_build(&dp, syms, 2, D - 20, &rs), 0);
    assert_int_equal(rs.n, 12); /* 13 returns of 14 days, minus 07-09 */
    size_t t = 0;
    while (rs.days[t] != DAY(2025, 7, 8))
        t++;
    assert_same(rs.r[1][t], -1.0);
    assert_int_equal(rs.days[t + 1], DAY(2025, 7, 10));
    assert_true(isinf(rs.r[1][t + 1]));
    assert_same(rs.r[0][t + 1], 110.0 / 109 - 1); /* X: a 1-day return, 07-09 stays a row */
    sg_retset_free(&rs);
    /* v2: the zero closes are not in the cache, so Z has a 3-day gap there */
    sg_datapath_init(&dp, p, SG_PIPELINE_V2, D);
    assert_int_equal(sg_retset_build(&dp, syms, 2, D - 20, &rs), 0);
    assert_int_equal(rs.n, 11);
    sg_retset_free(&rs);
    /* nothing present: empty, not an error */
    const char *const none[] = {"NONE", "EARLY"};
    assert_int_equal(sg_retset_build(&dp, none, 2, D - 20, &rs), 0);
    assert_int_equal(rs.n, 0);
    assert_false(rs.present[0]);
    assert_false(rs.present[1]);
    sg_retset_free(&rs);
    /* present columns without a common date: empty */
    sg_datapath_init(&dp, p, SG_PIPELINE_ONBOARDING, D);
    const char *const disjoint[] = {"X", "EARLY"};
    assert_int_equal(sg_retset_build(&dp, disjoint, 2, D - 400, &rs), 0);
    assert_true(rs.present[0] && rs.present[1]);
    assert_int_equal(rs.n, 0);
    sg_retset_free(&rs);
    sg_prices_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_names),
        cmocka_unit_test(test_datapath_init),
        cmocka_unit_test(test_cache_path_filters),
        cmocka_unit_test(test_onboarding_path_keeps_everything),
        cmocka_unit_test(test_price_on),
        cmocka_unit_test(test_returns),
        cmocka_unit_test(test_path_returns),
        cmocka_unit_test(test_retset_alignment),
        cmocka_unit_test(test_retset_zero_closes_and_empty),
    };
    return cmocka_run_group_tests_name("series", tests, NULL, NULL);
}
