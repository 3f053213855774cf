/*
 * calendar.c - civil dates <-> day numbers, and NYSE holidays.
 *
 * Day numbers use Howard Hinnant's days_from_civil algorithm (proleptic
 * Gregorian), so there is no dependency on the C library's time zone handling.
 * Holidays are computed per year on demand and memoised in a small table; the
 * rules mirror oracle.py's nyse_holidays() line for line.
 */
#include "calendar.h"

#include <string.h>

sg_day sg_day_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int)doe - 719468;
}

void sg_day_to_ymd(sg_day day, int *y, int *m, int *d)
{
    int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

int sg_day_weekday(sg_day day)
{
    /* 1970-01-01 was a Thursday (3). */
    int w = (day + 3) % 7;
    return w < 0 ? w + 7 : w;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int sg_day_parse(const char *s, size_t len, sg_day *out, const char **why)
{
    if (len != 10 || s[4] != '-' || s[7] != '-') {
        *why = "expected YYYY-MM-DD";
        return -1;
    }
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 0 || d < 0) {
        *why = "expected YYYY-MM-DD";
        return -1;
    }
    if (y < 1) {
        *why = "year out of range";
        return -1;
    }
    if (m < 1 || m > 12) {
        *why = "month out of range";
        return -1;
    }
    if (d < 1 || d > days_in_month(y, m)) {
        *why = "day is out of range for month";
        return -1;
    }
    *out = sg_day_from_ymd(y, m, d);
    return 0;
}

char *sg_day_format(sg_day day, char buf[SG_DATE_LEN])
{
    int y, m, d;
    sg_day_to_ymd(day, &y, &m, &d);
    buf[0] = (char)('0' + y / 1000 % 10);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
    return buf;
}

/* ---- NYSE holiday rules ------------------------------------------------- */

static sg_day easter(int year) /* anonymous Gregorian algorithm, as oracle.py */
{
    int a = year % 19, b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31;
    int day = (h + l - 7 * m + 114) % 31 + 1;
    return sg_day_from_ymd(year, month, day);
}

static sg_day nth_weekday(int year, int month, int weekday, int n)
{
    sg_day d = sg_day_from_ymd(year, month, 1);
    d += ((weekday - sg_day_weekday(d)) % 7 + 7) % 7;
    return d + 7 * (n - 1);
}

static sg_day last_weekday(int year, int month, int weekday)
{
    sg_day d = month == 12 ? sg_day_from_ymd(year + 1, 1, 1) - 1
                           : sg_day_from_ymd(year, month + 1, 1) - 1;
    return d - ((sg_day_weekday(d) - weekday) % 7 + 7) % 7;
}

static sg_day nearest_workday(sg_day d)
{
    int w = sg_day_weekday(d);
    return w == 5 ? d - 1 : w == 6 ? d + 1 : d;
}

#define MAX_HOLIDAYS 16

struct year_holidays {
    int year; /* 0 = empty slot */
    int n;
    sg_day days[MAX_HOLIDAYS];
};

static const struct {
    int y, m, d;
} special_closures[] = {
    {2001, 9, 11}, {2001, 9, 12}, {2001, 9, 13}, {2001, 9, 14}, {2004, 6, 11},
    {2007, 1, 2},  {2012, 10, 29}, {2012, 10, 30}, {2018, 12, 5}, {2025, 1, 9},
};

static void compute_holidays(int year, struct year_holidays *h)
{
    h->year = year;
    h->n = 0;
    sg_day ny = sg_day_from_ymd(year, 1, 1);
    if (sg_day_weekday(ny) == 6)
        h->days[h->n++] = ny + 1;
    else if (sg_day_weekday(ny) < 5)
        h->days[h->n++] = ny;
    if (year >= 1998)
        h->days[h->n++] = nth_weekday(year, 1, 0, 3); /* MLK day */
    h->days[h->n++] = nth_weekday(year, 2, 0, 3);     /* Washington's birthday */
    h->days[h->n++] = easter(year) - 2;               /* Good Friday */
    h->days[h->n++] = last_weekday(year, 5, 0);       /* Memorial day */
    if (year >= 2022)
        h->days[h->n++] = nearest_workday(sg_day_from_ymd(year, 6, 19));
    h->days[h->n++] = nearest_workday(sg_day_from_ymd(year, 7, 4));
    h->days[h->n++] = nth_weekday(year, 9, 0, 1);  /* Labor day */
    h->days[h->n++] = nth_weekday(year, 11, 3, 4); /* Thanksgiving */
    h->days[h->n++] = nearest_workday(sg_day_from_ymd(year, 12, 25));
    for (size_t i = 0; i < sizeof special_closures / sizeof special_closures[0]; i++)
        if (special_closures[i].y == year && h->n < MAX_HOLIDAYS)
            h->days[h->n++] = sg_day_from_ymd(year, special_closures[i].m, special_closures[i].d);
}

/* Direct-mapped memo keyed by year: a handful of years are ever in play.
 * Not thread-safe by design: the engine is single-threaded per process. */
static struct year_holidays memo[64];

bool sg_nyse_is_holiday(sg_day day)
{
    int y, m, d;
    sg_day_to_ymd(day, &y, &m, &d);
    struct year_holidays *h = &memo[(unsigned)y % 64];
    if (h->year != y)
        compute_holidays(y, h);
    for (int i = 0; i < h->n; i++)
        if (h->days[i] == day)
            return true;
    return false;
}

bool sg_nyse_is_trading_day(sg_day day)
{
    return sg_day_weekday(day) < 5 && !sg_nyse_is_holiday(day);
}

sg_day sg_nyse_prev_trading_day(sg_day day)
{
    do
        day--;
    while (!sg_nyse_is_trading_day(day));
    return day;
}
