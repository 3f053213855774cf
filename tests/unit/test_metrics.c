/*
 * test_metrics.c - symbol_daily_metrics rows (metrics.h; FACTOR_SPEC §11,
 * docs/engine.md "Metrics").
 *
 * Prices are hand-made so every reference close is a round number and every
 * return can be checked by hand. App mode values were also confirmed with
 * oracle.py --metrics-full on the same rows written as CSV (pipelines v1, v2,
 * onboarding); trading mode follows the table of docs/engine.md and
 * metrics.c (the last close > 0 on an NYSE day in the week up to each
 * reference day).
 */
#include "metrics.h"
#include "sgtest.h"

static const char *const syms[] = {"A", "B", "C", "Z"};

static void add(sg_prices *p, const char *sym, int y, int m, int d, const char *close)
{
    const char *why;
    if (sg_prices_add(p, sym, strlen(sym), DAY(y, m, d), close, strlen(close), &why))
        fail_msg("add: %s", why);
}

/* D = 2025-01-21, the Tuesday after MLK day (2025-01-20). */
static sg_prices *make_jan(void)
{
    sg_prices *p = sg_prices_new();
    add(p, "A", 2024, 1, 19, "45");
    add(p, "A", 2024, 1, 22, "50");   /* D-365 */
    add(p, "A", 2024, 10, 23, "55");  /* D-90 */
    add(p, "A", 2024, 12, 20, "80");  /* the Friday before D-30 */
    add(p, "A", 2024, 12, 22, "99");  /* D-30, a Sunday */
    add(p, "A", 2024, 12, 31, "88");  /* last close of 2024 */
    add(p, "A", 2025, 1, 2, "90");    /* first close of January */
    add(p, "A", 2025, 1, 17, "100");  /* the previous trading day */
    add(p, "A", 2025, 1, 21, "110");  /* D */
    add(p, "B", 2024, 1, 12, "40");   /* more than a week before D-365 */
    add(p, "B", 2024, 6, 3, "60");
    add(p, "B", 2024, 12, 30, "80");
    add(p, "B", 2024, 12, 31, "0");   /* zero closes are no reference */
    add(p, "B", 2025, 1, 16, "96");
    add(p, "B", 2025, 1, 17, "0");
    add(p, "B", 2025, 1, 21, "120");
    add(p, "C", 2025, 1, 17, "10");   /* no row on D */
    add(p, "Z", 2025, 1, 17, "10");
    add(p, "Z", 2025, 1, 21, "0");    /* a zero close on D */
    assert_int_equal(sg_prices_finish(p), 0);
    return p;
}

static const sg_factor_result no_factors = {0};

static sg_metrics_row *run(const sg_prices *px, const char *const *list, size_t n, sg_day calc,
                           sg_metrics_mode mode, sg_pipeline pl, const sg_factor_result *fr,
                           const sg_profiles *prof)
{
    sg_metrics_row *rows = sg_metrics_compute(px, list, n, calc, mode, pl, fr ? fr : &no_factors, prof);
    assert_non_null(rows);
    return rows;
}

/* A value as text: "NULL", the NUMERIC(.., 6) text of a Decimal prefixed
 * "D:", or the repr of a float prefixed "F:". */
static const char *num(const sg_num *v)
{
    static char buf[4][SG_NUM_LEN + 2];
    static int k;
    char *b = buf[k++ % 4];
    if (v->kind == SG_NUM_NULL)
        return "NULL";
    b[0] = v->kind == SG_NUM_DEC ? 'D' : 'F';
    b[1] = ':';
    if (v->kind == SG_NUM_DEC)
        sg_dec_format_fixed(&v->d, 6, b + 2);
    else
        sg_fmt_repr(v->f, b + 2);
    return b;
}

static void assert_returns(const sg_metrics_row *m, const char *cur, const char *r1d, const char *mtd,
                           const char *ytd, const char *r1m, const char *r3m, const char *r1y)
{
    const char *want[] = {r1d, mtd, ytd, r1m, r3m, r1y};
    assert_string_equal(num(&m->current_price), cur);
    for (int k = 0; k < SG_NRETURNS; k++)
        if (strcmp(num(&m->ret[k]), want[k]) != 0)
            fail_msg("%s: %s, expected %s", sg_metric_return_columns[k], num(&m->ret[k]), want[k]);
}

static void test_column_names(void **state)
{
    (void)state;
    /* symbol_daily_metrics columns (FACTOR_SPEC §12.5) */
    static const char *const rets[] = {"return_1d", "return_mtd", "return_ytd",
                                       "return_1m", "return_3m",  "return_1y"};
    for (int k = 0; k < SG_NRETURNS; k++)
        assert_string_equal(sg_metric_return_columns[k], rets[k]);
    static const char *const facs[] = {"factor_value",  "factor_growth",   "factor_momentum",
                                       "factor_quality", "factor_size",     "factor_low_vol",
                                       "factor_growth_value_spread", "factor_momentum_spread",
                                       "factor_size_spread", "factor_quality_spread"};
    for (int k = 0; k < SG_METRIC_FACTORS; k++)
        assert_string_equal(sg_metric_factor_columns[k], facs[k]);
}

/* App mode = oracle.py --metrics (v1, the default): exact-date lookups on the
 * previous weekday (2025-01-20: a holiday, no row), the 1st of the month and
 * January 1 (never trading days), D-30 (a Sunday: its row is found, the cache
 * does not check the calendar), D-90 and D-365. Values are Decimals. */
static void test_app_mode(void **state)
{
    (void)state;
    sg_prices *px = make_jan();
    sg_day D = DAY(2025, 1, 21);
    sg_metrics_row *m = run(px, syms, 4, D, SG_METRICS_APP, SG_PIPELINE_V1, NULL, NULL);
    /* oracle: A,110.0,,,,0.1111111111111111,1.0,1.2 */
    assert_returns(&m[0], "D:110.000000", "NULL", "NULL", "NULL", "D:0.111111", "D:1.000000", "D:1.200000");
    assert_same(sg_dec_to_double(&m[0].ret[SG_RET_1M].d), 0.1111111111111111);
    /* (110 - 99) / 99 at 28 digits: 0.1111111111111111111111111111 */
    assert_int_equal(m[0].ret[SG_RET_1M].d.ndig, 28);
    /* B: no exact hit but D */
    assert_returns(&m[1], "D:120.000000", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    /* C: no row on D; Z: a zero close on D (close > 0 lookups): no current
     * price, so every return is NULL */
    assert_returns(&m[2], "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    assert_returns(&m[3], "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    /* data_quality_score: 30 for a price, +30 for return_1d */
    assert_int_equal(m[0].data_quality_score, 30);
    assert_int_equal(m[2].data_quality_score, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(m[i].sym, i);
    free(m);
    /* v2's cache holds [D-200, D]: the 1y reference is out of it (oracle --pipeline v2) */
    m = run(px, syms, 1, D, SG_METRICS_APP, SG_PIPELINE_V2, NULL, NULL);
    assert_returns(&m[0], "D:110.000000", "NULL", "NULL", "NULL", "D:0.111111", "D:1.000000", "NULL");
    free(m);
    /* onboarding reads SQL floats (oracle --pipeline onboarding: 0.1111111111111111 as a float) */
    m = run(px, syms, 2, D, SG_METRICS_APP, SG_PIPELINE_ONBOARDING, NULL, NULL);
    assert_returns(&m[0], "F:110.0", "NULL", "NULL", "NULL", "F:0.1111111111111111", "F:1.0", "F:1.2");
    assert_returns(&m[1], "F:120.0", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    free(m);
    sg_prices_free(px);
}

/* Trading mode, by hand:
 *   A: 1d from Friday 2025-01-17 (Monday was MLK day): 110/100 - 1 = 0.1;
 *      MTD and YTD from 2024-12-31 (88): 0.25; 1m from the close on or before
 *      2024-12-22 on a trading day: Friday 2024-12-20 (80), the Sunday row is
 *      not a trading day: 0.375; 3m from 2024-10-23 (55): 1; 1y from
 *      2024-01-22 (50): 1.2.
 *   B: zero closes are skipped: 1d from 2025-01-16 (96): 0.25; MTD/YTD from
 *      2024-12-30 (80): 0.5; 1m and 3m: its closes before are 2024-06-03 and
 *      2024-01-12, more than a week before D-30 and D-90: stale, NULL; 1y: 2024-01-12 is
 *      10 days before D-365 (2024-01-22): NULL. */
static void test_trading_mode(void **state)
{
    (void)state;
    sg_prices *px = make_jan();
    sg_day D = DAY(2025, 1, 21);
    sg_metrics_row *m = run(px, syms, 4, D, SG_METRICS_TRADING, SG_PIPELINE_V2, NULL, NULL);
    assert_returns(&m[0], "D:110.000000", "D:0.100000", "D:0.250000", "D:0.250000", "D:0.375000",
                   "D:1.000000", "D:1.200000");
    assert_returns(&m[1], "D:120.000000", "D:0.250000", "D:0.500000", "D:0.500000", "NULL", "NULL",
                   "NULL");
    assert_returns(&m[2], "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    assert_returns(&m[3], "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    assert_int_equal(m[0].data_quality_score, 60);
    free(m);
    /* the pipeline does not change the price lookups of the trading mode */
    m = run(px, syms, 2, D, SG_METRICS_TRADING, SG_PIPELINE_ONBOARDING, NULL, NULL);
    assert_returns(&m[0], "D:110.000000", "D:0.100000", "D:0.250000", "D:0.250000", "D:0.375000",
                   "D:1.000000", "D:1.200000");
    free(m);
    sg_prices_free(px);
}

/* D = 2025-09-02, the Tuesday after Labor Day (2025-09-01).
 *   S: 1d and MTD from Friday 2025-08-29 (80): 0.25; YTD: its last close of
 *      2024 (2024-08-30) is months before 2024-12-31: stale, NULL; 1m: D-30 is
 *      Sunday 2025-08-03, so Friday 2025-08-01 (60): 2/3; 3m from 2025-06-04
 *      (50): 1; 1y: D-365 is Labor Day 2024, so Friday 2024-08-30 (40): 1.5.
 *   T: its only older close is 2024-08-26, exactly a week before D-365
 *      (2024-09-02), the oldest allowed: 1y = 100/20 - 1 = 4; every other
 *      reference has no close in its week: NULL (a year-old close is no
 *      "1-day" reference).
 *   U: its only older close is 2024-08-23, 10 days before D-365: NULL. */
static void test_trading_mode_labor_day(void **state)
{
    (void)state;
    sg_prices *p = sg_prices_new();
    add(p, "S", 2024, 8, 23, "10");
    add(p, "S", 2024, 8, 26, "20");
    add(p, "S", 2024, 8, 30, "40");
    add(p, "S", 2025, 6, 4, "50");
    add(p, "S", 2025, 8, 1, "60");
    add(p, "S", 2025, 8, 29, "80");
    add(p, "S", 2025, 9, 2, "100");
    add(p, "T", 2024, 8, 26, "20");
    add(p, "T", 2025, 9, 2, "100");
    add(p, "U", 2024, 8, 23, "10");
    add(p, "U", 2025, 9, 2, "100");
    assert_int_equal(sg_prices_finish(p), 0);
    sg_day D = DAY(2025, 9, 2);
    const char *const list[] = {"S", "T", "U"};
    sg_metrics_row *m = run(p, list, 3, D, SG_METRICS_TRADING, SG_PIPELINE_V2, NULL, NULL);
    assert_returns(&m[0], "D:100.000000", "D:0.250000", "D:0.250000", "NULL", "D:0.666667",
                   "D:1.000000", "D:1.500000");
    /* (100 - 60) / 60 = 0.6666666666666666666666666667 (28 digits, half even) */
    assert_same(sg_dec_to_double(&m[0].ret[SG_RET_1M].d), 0.6666666666666666);
    assert_returns(&m[1], "D:100.000000", "NULL", "NULL", "NULL", "NULL", "NULL", "D:4.000000");
    assert_returns(&m[2], "D:100.000000", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    assert_int_equal(m[1].data_quality_score, 30);
    free(m);
    /* the same day in app mode: previous weekday and the 1st are Labor Day,
     * D-30 a Sunday, D-365 Labor Day 2024; only D-90 has a row */
    m = run(p, list, 1, D, SG_METRICS_APP, SG_PIPELINE_V1, NULL, NULL);
    assert_returns(&m[0], "D:100.000000", "NULL", "NULL", "NULL", "NULL", "D:1.000000", "NULL");
    free(m);
    sg_prices_free(p);
}

/* Profile and factor columns, and the quality score (FACTOR_SPEC §11). */
static void test_profile_and_factor_columns(void **state)
{
    (void)state;
    sg_prices *px = make_jan();
    char path[600], err[256];
    snprintf(path, sizeof path, "%s",
             sgt_write_str("prof.csv", "symbol,company_name,sector,industry,market_cap,pe_ratio\n"
                                       "A,\"Acme, Inc.\",Tech,Software,1000000000,0\n"
                                       "B,,,,0,12.5\n"));
    sg_profiles *prof = sg_profiles_load_csv(path, err, sizeof err);
    if (!prof)
        fail_msg("%s", err);
    /* factor rows of A (index 0) and B (index 1), ordered by symbol */
    sg_factor_row rows[] = {
        {.sym = 0, .factor = SG_F_GV_SPREAD, .beta = -0.0000005, .observations = 134},
        {.sym = 0, .factor = SG_F_MARKET, .beta = 1.5, .observations = 82},
        {.sym = 0, .factor = SG_F_MOMENTUM, .beta = NAN, .observations = 82},
        {.sym = 0, .factor = SG_F_VALUE, .beta = 0.1234565, .observations = 82},
        {.sym = 1, .factor = SG_F_IR, .beta = 0.25, .observations = 82},
    };
    sg_factor_result fr = {.rows = rows, .nrows = 5};
    sg_metrics_row *m = run(px, syms, 3, DAY(2025, 1, 21), SG_METRICS_TRADING, SG_PIPELINE_V2, &fr, prof);
    /* A: `value or None` makes the zero P/E NULL; strings borrowed from the profile */
    assert_int_equal(m[0].market_cap.kind, SG_NUM_FLOAT);
    assert_same(m[0].market_cap.f, 1e9);
    assert_int_equal(m[0].pe_ratio.kind, SG_NUM_NULL);
    assert_string_equal(m[0].company_name, "Acme, Inc.");
    assert_string_equal(m[0].sector, "Tech");
    assert_string_equal(m[0].industry, "Software");
    /* factor columns: beta_value as stored, NUMERIC(10,6) (half away from zero);
     * market and IR betas are not copied */
    assert_string_equal(num(&m[0].factor[0]), "D:0.123457");  /* factor_value */
    assert_string_equal(num(&m[0].factor[6]), "D:-0.000001"); /* factor_growth_value_spread */
    assert_int_equal(m[0].factor[2].kind, SG_NUM_FLOAT);      /* factor_momentum: NaN stays a float */
    assert_is_nan(m[0].factor[2].f);
    for (int k = 0; k < SG_METRIC_FACTORS; k++)
        if (k != 0 && k != 2 && k != 6)
            assert_int_equal(m[0].factor[k].kind, SG_NUM_NULL);
    /* B: a zero market cap is NULL, the P/E kept; no text columns; only an IR
     * row: no factor column, but it counts as "a factor row exists" */
    assert_int_equal(m[1].market_cap.kind, SG_NUM_NULL);
    assert_same(m[1].pe_ratio.f, 12.5);
    assert_null(m[1].company_name);
    assert_null(m[1].sector);
    for (int k = 0; k < SG_METRIC_FACTORS; k++)
        assert_int_equal(m[1].factor[k].kind, SG_NUM_NULL);
    /* data_quality_score = 30 (price) + 30 (return_1d) + 20 (profile) + 20 (factor row) */
    assert_int_equal(m[0].data_quality_score, 100);
    assert_int_equal(m[1].data_quality_score, 100);
    assert_int_equal(m[2].data_quality_score, 0); /* C: nothing */
    free(m);
    /* app mode: no return_1d here (the previous weekday was a holiday) */
    m = run(px, syms, 1, DAY(2025, 1, 21), SG_METRICS_APP, SG_PIPELINE_V1, &fr, prof);
    assert_int_equal(m[0].data_quality_score, 70);
    free(m);
    sg_profiles_free(prof);
    sg_prices_free(px);
}

/* Symbols absent from the prices get a row of NULLs; an empty list works. */
static void test_absent_and_empty(void **state)
{
    (void)state;
    sg_prices *px = make_jan();
    const char *const list[] = {"NOPE"};
    sg_metrics_row *m = run(px, list, 1, DAY(2025, 1, 21), SG_METRICS_TRADING, SG_PIPELINE_V2, NULL, NULL);
    assert_returns(&m[0], "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL");
    assert_int_equal(m[0].market_cap.kind, SG_NUM_NULL);
    assert_int_equal(m[0].data_quality_score, 0);
    free(m);
    m = run(px, list, 0, DAY(2025, 1, 21), SG_METRICS_APP, SG_PIPELINE_V1, NULL, NULL);
    free(m);
    sg_prices_free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_names),
        cmocka_unit_test(test_app_mode),
        cmocka_unit_test(test_trading_mode),
        cmocka_unit_test(test_trading_mode_labor_day),
        cmocka_unit_test(test_profile_and_factor_columns),
        cmocka_unit_test(test_absent_and_empty),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, sgt_group_teardown);
}
