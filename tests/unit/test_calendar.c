/*
 * test_calendar.c - day numbers, ISO dates and the NYSE calendar (calendar.h;
 * FACTOR_SPEC §2.1).
 *
 * Expectations come from Python's datetime (day numbers, weekdays, what
 * date.fromisoformat accepts) and from oracle.py's nyse_holidays() /
 * nyse_trading_days(), which stand in for pandas_market_calendars' NYSE.
 */
#include "sgtest.h"

/* ---- day numbers ----------------------------------------------------------- */

static void test_day_anchors(void **state)
{
    (void)state;
    /* (date(y,m,d) - date(1970,1,1)).days in Python */
    assert_int_equal(sg_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(sg_day_from_ymd(1969, 12, 31), -1);
    assert_int_equal(sg_day_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(sg_day_from_ymd(2025, 7, 15), 20284);
    assert_int_equal(sg_day_from_ymd(1, 1, 1), -719162);
    assert_int_equal(sg_day_from_ymd(9999, 12, 31), 2932896);
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walks every day from 1800-01-01 to 2200-12-31 and checks that the day
 * number advances by one per civil day, in both directions. */
static void test_day_round_trip(void **state)
{
    (void)state;
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    sg_day expect = sg_day_from_ymd(1800, 1, 1);
    for (int y = 1800; y <= 2200; y++)
        for (int m = 1; m <= 12; m++) {
            int n = dim[m - 1] + (m == 2 && is_leap(y));
            for (int d = 1; d <= n; d++, expect++) {
                int yy, mm, dd;
                if (sg_day_from_ymd(y, m, d) != expect)
                    fail_msg("%04d-%02d-%02d -> %d, expected %d", y, m, d, sg_day_from_ymd(y, m, d),
                             expect);
                sg_day_to_ymd(expect, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("%d -> %04d-%02d-%02d, expected %04d-%02d-%02d", expect, yy, mm, dd, y, m, d);
            }
        }
    /* 401 years, 97 of them leap (1800, 1900, 2100 and 2200 are not; 2000 is) */
    assert_int_equal(expect - sg_day_from_ymd(1800, 1, 1), 146462);
}

static void test_weekday(void **state)
{
    (void)state;
    /* date.weekday(): Monday = 0 */
    assert_int_equal(sg_day_weekday(DAY(1970, 1, 1)), 3);   /* Thursday */
    assert_int_equal(sg_day_weekday(DAY(1969, 12, 31)), 2); /* Wednesday, a negative day number */
    assert_int_equal(sg_day_weekday(DAY(1900, 1, 1)), 0);   /* Monday */
    assert_int_equal(sg_day_weekday(DAY(2025, 7, 15)), 1);  /* Tuesday */
    assert_int_equal(sg_day_weekday(DAY(2025, 7, 12)), 5);  /* Saturday */
    assert_int_equal(sg_day_weekday(DAY(2025, 7, 13)), 6);  /* Sunday */
    assert_int_equal(sg_day_weekday(DAY(1, 1, 1)), 0);      /* date(1,1,1).weekday() == 0 */
    /* seven consecutive days cover every weekday once */
    for (sg_day d = DAY(1850, 6, 2); d < DAY(1850, 6, 2) + 7000; d++)
        assert_int_equal(sg_day_weekday(d + 1), (sg_day_weekday(d) + 1) % 7);
}

static void test_format(void **state)
{
    (void)state;
    char buf[SG_DATE_LEN];
    assert_string_equal(sg_day_format(0, buf), "1970-01-01");
    assert_string_equal(sg_day_format(DAY(2025, 7, 15), buf), "2025-07-15");
    assert_string_equal(sg_day_format(DAY(1, 1, 1), buf), "0001-01-01");
    assert_string_equal(sg_day_format(DAY(9999, 12, 31), buf), "9999-12-31");
    assert_ptr_equal(sg_day_format(0, buf), buf);
}

/* ---- parsing ------------------------------------------------------------------ */

static int parse(const char *s, sg_day *out, const char **why)
{
    *why = NULL;
    return sg_day_parse(s, strlen(s), out, why);
}

static void test_parse_ok(void **state)
{
    (void)state;
    sg_day d;
    const char *why;
    assert_int_equal(parse("2025-07-15", &d, &why), 0);
    assert_int_equal(d, 20284);
    assert_int_equal(parse("2024-02-29", &d, &why), 0); /* 2024 is a leap year */
    assert_int_equal(d, DAY(2024, 2, 29));
    assert_int_equal(parse("2000-02-29", &d, &why), 0); /* divisible by 400 */
    assert_int_equal(parse("0001-01-01", &d, &why), 0); /* date.min */
    assert_int_equal(d, -719162);
    assert_int_equal(parse("9999-12-31", &d, &why), 0); /* date.max */
    /* only len bytes are read: the date part of a longer buffer */
    assert_int_equal(sg_day_parse("2025-07-15T00:00:00", 10, &d, &why), 0);
    assert_int_equal(d, 20284);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        /* date.fromisoformat refuses all of these; the reasons are calendar.c's */
        {"2025-13-01", "month out of range"},
        {"2025-00-10", "month out of range"},
        {"2025-02-30", "day is out of range for month"},
        {"2023-02-29", "day is out of range for month"}, /* 2023 is not a leap year */
        {"1900-02-29", "day is out of range for month"}, /* divisible by 100, not by 400 */
        {"2025-04-31", "day is out of range for month"},
        {"2025-07-00", "day is out of range for month"},
        {"2025-07-32", "day is out of range for month"},
        {"0000-01-01", "year out of range"},
        {"2025-7-15", "expected YYYY-MM-DD"},
        {"2025-07-1", "expected YYYY-MM-DD"},
        {"20250715", "expected YYYY-MM-DD"},
        {"2025/07/15", "expected YYYY-MM-DD"},
        {"2025-07-15 ", "expected YYYY-MM-DD"},
        {" 2025-07-15", "expected YYYY-MM-DD"},
        {"", "expected YYYY-MM-DD"},
        {"yyyy-mm-dd", "expected YYYY-MM-DD"},
        {"2025-0a-15", "expected YYYY-MM-DD"},
        {"+025-07-15", "expected YYYY-MM-DD"},
        {"2025-07--1", "expected YYYY-MM-DD"},
        {"2025-07-15T00:00", "expected YYYY-MM-DD"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_day d = 12345;
        const char *why;
        if (parse(bad[i].text, &d, &why) != -1)
            fail_msg("'%s' parsed", bad[i].text);
        assert_non_null(why);
        if (strcmp(why, bad[i].why) != 0)
            fail_msg("'%s': reason '%s', expected '%s'", bad[i].text, why, bad[i].why);
        assert_int_equal(d, 12345); /* the output is left alone */
    }
}

/* ---- NYSE calendar ------------------------------------------------------------ */

static void assert_holiday(int y, int m, int d, bool expect)
{
    if (sg_nyse_is_holiday(DAY(y, m, d)) != expect)
        fail_msg("%04d-%02d-%02d: holiday %d, expected %d", y, m, d, !expect, expect);
}

static void assert_trading(int y, int m, int d, bool expect)
{
    if (sg_nyse_is_trading_day(DAY(y, m, d)) != expect)
        fail_msg("%04d-%02d-%02d: trading day %d, expected %d", y, m, d, !expect, expect);
}

static void test_holiday_rules(void **state)
{
    (void)state;
    /* New Year's Day: a Sunday moves to Monday; a Saturday is not observed */
    assert_holiday(2025, 1, 1, true);   /* Wednesday */
    assert_holiday(2023, 1, 2, true);   /* Jan 1 2023 was a Sunday */
    assert_holiday(2017, 1, 2, true);   /* Jan 1 2017 was a Sunday */
    assert_trading(2021, 12, 31, true); /* Jan 1 2022 was a Saturday: not moved to Friday */
    assert_trading(2022, 1, 3, true);   /* ... nor to Monday */
    assert_trading(2011, 1, 3, true);   /* Jan 1 2011, Saturday */
    assert_trading(2010, 12, 31, true);
    /* MLK day (3rd Monday of January), only from 1998 */
    assert_holiday(2025, 1, 20, true);
    assert_holiday(1998, 1, 19, true);
    assert_trading(1997, 1, 20, true);
    /* Washington's birthday (3rd Monday of February) */
    assert_holiday(2025, 2, 17, true);
    assert_holiday(1990, 2, 19, true);
    /* Good Friday: Easter Sunday - 2 */
    assert_holiday(2025, 4, 18, true);
    assert_holiday(2024, 3, 29, true);
    assert_holiday(2019, 4, 19, true);
    assert_holiday(2000, 4, 21, true);
    assert_holiday(2027, 3, 26, true);
    assert_trading(2025, 4, 21, true); /* Easter Monday is a trading day */
    /* Memorial day (last Monday of May) */
    assert_holiday(2025, 5, 26, true);
    assert_holiday(2021, 5, 31, true);
    /* Juneteenth, only from 2022; Saturday -> Friday, Sunday -> Monday */
    assert_trading(2021, 6, 18, true); /* June 19 2021 was a Saturday: no holiday yet */
    assert_trading(2021, 6, 21, true);
    assert_holiday(2022, 6, 20, true); /* June 19 2022 was a Sunday */
    assert_holiday(2023, 6, 19, true);
    assert_holiday(2024, 6, 19, true);
    assert_holiday(2027, 6, 18, true); /* June 19 2027 is a Saturday */
    /* Independence day: Saturday -> Friday, Sunday -> Monday */
    assert_holiday(2025, 7, 4, true);
    assert_holiday(2020, 7, 3, true);
    assert_holiday(2021, 7, 5, true);
    assert_trading(2020, 7, 6, true);
    /* Labor day (1st Monday of September), Thanksgiving (4th Thursday of November) */
    assert_holiday(2025, 9, 1, true);
    assert_holiday(2025, 11, 27, true);
    assert_trading(2025, 11, 28, true); /* the day after Thanksgiving is open (early close) */
    assert_holiday(2018, 11, 22, true);
    /* Christmas: Saturday -> Friday, Sunday -> Monday */
    assert_holiday(2025, 12, 25, true);
    assert_holiday(2021, 12, 24, true);
    assert_holiday(2022, 12, 26, true);
    assert_trading(2025, 12, 24, true);
    assert_trading(2025, 12, 26, true);
    /* special closures of oracle.py's _SPECIAL_CLOSURES */
    assert_holiday(2025, 1, 9, true);  /* President Carter's funeral */
    assert_holiday(2018, 12, 5, true); /* President G.H.W. Bush's funeral */
    assert_holiday(2012, 10, 29, true);
    assert_holiday(2012, 10, 30, true);
    assert_holiday(2001, 9, 11, true);
    assert_holiday(2001, 9, 14, true);
    assert_trading(2001, 9, 17, true);
    assert_holiday(2004, 6, 11, true);
    assert_holiday(2007, 1, 2, true);
    assert_trading(2025, 1, 8, true);
    assert_trading(2025, 1, 10, true);
    /* weekends are not holidays, but are not trading days */
    assert_holiday(2025, 7, 12, false);
    assert_trading(2025, 7, 12, false);
    assert_trading(2025, 7, 13, false);
    assert_trading(2025, 7, 15, true);
}

/* Every holiday of 2018-2027, as printed by sorted(oracle.nyse_holidays(y)). */
static const char *const holidays_2018_2027[] = {
    "2018-01-01", "2018-01-15", "2018-02-19", "2018-03-30", "2018-05-28", "2018-07-04", "2018-09-03",
    "2018-11-22", "2018-12-05", "2018-12-25",
    "2019-01-01", "2019-01-21", "2019-02-18", "2019-04-19", "2019-05-27", "2019-07-04", "2019-09-02",
    "2019-11-28", "2019-12-25",
    "2020-01-01", "2020-01-20", "2020-02-17", "2020-04-10", "2020-05-25", "2020-07-03", "2020-09-07",
    "2020-11-26", "2020-12-25",
    "2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05", "2021-09-06",
    "2021-11-25", "2021-12-24",
    "2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05",
    "2022-11-24", "2022-12-26",
    "2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19", "2023-07-04",
    "2023-09-04", "2023-11-23", "2023-12-25",
    "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04",
    "2024-09-02", "2024-11-28", "2024-12-25",
    "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19",
    "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03",
    "2026-09-07", "2026-11-26", "2026-12-25",
    "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05",
    "2027-09-06", "2027-11-25", "2027-12-24",
};

static void test_holiday_table(void **state)
{
    (void)state;
    size_t nh = sizeof holidays_2018_2027 / sizeof holidays_2018_2027[0], next = 0;
    for (sg_day d = DAY(2018, 1, 1); d <= DAY(2027, 12, 31); d++) {
        char buf[SG_DATE_LEN];
        sg_day_format(d, buf);
        bool listed = next < nh && strcmp(buf, holidays_2018_2027[next]) == 0;
        if (listed)
            next++;
        if (sg_nyse_is_holiday(d) != listed)
            fail_msg("%s: holiday %d, oracle says %d", buf, !listed, listed);
    }
    assert_int_equal(next, nh);
}

/* len(oracle.nyse_trading_days(date(y,1,1), date(y,12,31))) for 1990..2035. */
static const int trading_days_per_year[] = {
    253, 253, 254, 253, 253, 252, 254, 253, 252, 252, 252, 248, 252, 252, 252, 252,
    251, 251, 253, 252, 252, 252, 250, 252, 252, 252, 252, 251, 251, 252, 253, 252,
    251, 250, 252, 250, 251, 251, 251, 251, 251, 251, 252, 251, 250, 251,
};

static void test_trading_days_per_year(void **state)
{
    (void)state;
    for (int y = 1990; y <= 2035; y++) {
        int n = 0;
        for (sg_day d = DAY(y, 1, 1); d <= DAY(y, 12, 31); d++)
            n += sg_nyse_is_trading_day(d);
        if (n != trading_days_per_year[y - 1990])
            fail_msg("%d: %d trading days, oracle counts %d", y, n, trading_days_per_year[y - 1990]);
    }
}

/* The holiday memo is keyed by year % 64: years that share a slot must not
 * see each other's holidays (1990 and 2054, per oracle.nyse_holidays). */
static void test_holiday_memo_collisions(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        assert_holiday(1990, 4, 13, true);  /* Good Friday 1990 */
        assert_holiday(2054, 3, 27, true);  /* Good Friday 2054 */
        assert_holiday(1990, 3, 27, false);
        assert_holiday(2054, 4, 13, false);
        assert_holiday(1990, 1, 15, false); /* no MLK day before 1998 */
        assert_holiday(2054, 1, 19, true);
        assert_holiday(2054, 7, 3, true);   /* July 4 2054 is a Saturday */
        assert_holiday(1990, 7, 4, true);
    }
}

static void test_prev_trading_day(void **state)
{
    (void)state;
    /* strictly before; skips weekends, holidays and special closures */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 7, 15)), DAY(2025, 7, 14));
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 7, 14)), DAY(2025, 7, 11)); /* Monday */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 1, 21)), DAY(2025, 1, 17)); /* after MLK */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 1, 10)), DAY(2025, 1, 8));  /* Jan 9 closed */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 7, 7)), DAY(2025, 7, 3));   /* July 4 Fri */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 1, 2)), DAY(2024, 12, 31));
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 4, 21)), DAY(2025, 4, 17)); /* Good Friday */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2025, 7, 13)), DAY(2025, 7, 11)); /* from a Sunday */
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2001, 9, 17)), DAY(2001, 9, 10));
    assert_int_equal(sg_nyse_prev_trading_day(DAY(2012, 10, 31)), DAY(2012, 10, 26));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_anchors),
        cmocka_unit_test(test_day_round_trip),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_holiday_rules),
        cmocka_unit_test(test_holiday_table),
        cmocka_unit_test(test_trading_days_per_year),
        cmocka_unit_test(test_holiday_memo_collisions),
        cmocka_unit_test(test_prev_trading_day),
    };
    return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
