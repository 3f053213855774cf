/*
 * calendar.h - dates as day numbers, ISO-8601 text, and the NYSE calendar.
 *
 * Owns: the conversion between YYYY-MM-DD and an int day number (days since
 * 1970-01-01, so plain integer arithmetic is calendar arithmetic), and the NYSE
 * trading-day rule set of FACTOR_SPEC §2.1 (pandas_market_calendars' NYSE, as
 * oracle.py's nyse_holidays carries it).
 * Must not: know about prices, symbols or pipelines.
 */
#ifndef SG_CALENDAR_H
#define SG_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>

typedef int sg_day; /* days since 1970-01-01 */

#define SG_DATE_LEN 11 /* "YYYY-MM-DD" + NUL */

sg_day sg_day_from_ymd(int y, int m, int d);
void sg_day_to_ymd(sg_day day, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday, as Python's date.weekday(). */
int sg_day_weekday(sg_day day);

/* Parses exactly "YYYY-MM-DD" (len bytes, no NUL needed). Returns 0, or -1
 * with a reason ("month out of range", ...) in *why. */
int sg_day_parse(const char *s, size_t len, sg_day *out, const char **why);
/* Writes "YYYY-MM-DD" into buf (at least SG_DATE_LEN bytes). */
char *sg_day_format(sg_day day, char buf[SG_DATE_LEN]);

bool sg_nyse_is_holiday(sg_day day);
bool sg_nyse_is_trading_day(sg_day day);
/* The last NYSE trading day strictly before day. */
sg_day sg_nyse_prev_trading_day(sg_day day);

#endif
