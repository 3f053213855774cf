/*
 * providers.h - daily bars from the price providers the app uses: Yahoo's
 * chart API v8 (yfinance), FMP's historical-price-full and Polygon's
 * aggregates v2.
 *
 * Owns: each provider's URL (a configurable template), its JSON format
 * (parsed with jansson), what its answers mean (served, unknown symbol, bad
 * response), the validation of every bar before anything is stored, and the
 * redaction of API keys from anything printed.
 * Must not: do I/O: transfers are fetcher.c's, storage is the store's.
 */
#ifndef SG_PROVIDERS_H
#define SG_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"

typedef enum sg_provider { SG_PROV_YAHOO, SG_PROV_FMP, SG_PROV_POLYGON, SG_NPROVIDERS } sg_provider;

const char *sg_provider_name(sg_provider p);        /* "yahoo" */
const char *sg_provider_data_source(sg_provider p); /* market_data_cache.data_source: "yfinance" */
int sg_provider_parse(const char *name, sg_provider *out);
/* "yahoo,fmp,polygon" -> order; returns the count, or -1 on an unknown name. */
int sg_provider_order(const char *list, sg_provider order[SG_NPROVIDERS]);

typedef struct sg_bar {
    sg_day day;
    double open, high, low, close; /* NAN when the provider gave none (open/high/low only) */
    long long volume;              /* -1 when none */
} sg_bar;

typedef struct sg_bars {
    sg_bar *v;
    size_t n, cap;
    size_t dropped;         /* bars that failed validation */
    char drop_reason[128];  /* the first one's reason, with its date */
} sg_bars;

void sg_bars_free(sg_bars *b);

/* What one response means. */
typedef enum sg_answer {
    SG_ANSWER_OK,          /* bars (possibly none in range) */
    SG_ANSWER_UNKNOWN,     /* the provider does not know the symbol: ask the next one */
    SG_ANSWER_BAD,         /* unusable response (HTML, truncated JSON, wrong symbol): ask the next one */
} sg_answer;

/* Parses one response body for symbol, keeping bars in [from, to] that pass
 * validation (finite prices > 0, high >= low, NYSE trading days, a volume that
 * fits INTEGER). *next_url receives Polygon's next page (malloc'ed) or NULL.
 * err says why for UNKNOWN and BAD. */
sg_answer sg_provider_parse_response(sg_provider p, const char *body, size_t len, const char *symbol,
                                     sg_day from, sg_day to, sg_bars *out, char **next_url, char *err,
                                     size_t errlen);

/* The request URL for symbol over [from, to] (malloc'ed), from the provider's
 * template in the settings and its API key from the environment. NULL when
 * out of memory or symbol is not valid (sg_symbol_check). */
char *sg_provider_url(sg_provider p, const char *symbol, sg_day from, sg_day to);
/* The URL of a page the provider pointed to (Polygon's next_url), with the
 * API key added back only when it points to the same origin (scheme, host,
 * port) as the current request; NULL unless it is an http(s) URL. */
char *sg_provider_follow_url(sg_provider p, const char *current_url, const char *next_url);

/* A URL safe to print: the values of apikey / apiKey / api_key / token
 * parameters, and the API keys themselves wherever they appear, replaced by
 * "***". Writes into buf. */
const char *sg_redact_url(const char *url, char *buf, size_t len);
/* Replaces every occurrence of an API key (as is, or URL-escaped) in text. */
void sg_redact_secrets(char *text, size_t cap);
/* A string from a response (a server may echo the request, key included),
 * safe to print: keys redacted in the whole string first, then cut to max
 * bytes (a key cut in two would not be found). Writes into buf. */
const char *sg_server_text(const char *s, size_t max, char *buf, size_t buflen);

/* Polygon's answers (aggregates and grouped daily) carry "status": true when it is OK or
 * DELAYED; otherwise err says the status and Polygon's error text (through sg_server_text). */
struct json_t;
bool sg_polygon_status_ok(const struct json_t *root, char *err, size_t errlen);

/* The UTC offset of New York on a day, in seconds (-14400 or -18000). */
int sg_new_york_offset(sg_day day);
/* The New York date of a Unix time in milliseconds (Polygon's t), checked
 * as a double first: -1 when outside 1900-01-01..2100-01-01. */
int sg_new_york_day_ms(double ms, sg_day *out);

/* Why a bar cannot be stored as market_data_cache holds it (NULL: it can):
 * a close that is not a finite price > 0, open/high/low present but not,
 * a price that does not fit NUMERIC(12,4) or rounds to 0 there, high below
 * low (as rounded), a negative volume or one that does not fit INTEGER.
 * The trading day is the caller's to check. The text is static. */
const char *sg_bar_problem(const sg_bar *b);
/* A volume from a provider's number: -1 for none (NAN), -2 when negative,
 * LLONG_MAX when huge: both refused by sg_bar_problem. */
long long sg_volume_of(double v);

/* ---- bulk endpoints (bulk.h parses their answers) ---- */

/* fmp and polygon have one: a market day's bars for every ticker. */
bool sg_provider_has_bulk(sg_provider p);
/* Its API key is set (non-empty) in the environment; yahoo needs none. */
bool sg_provider_has_key(sg_provider p);
/* The bulk request URL of day (malloc'ed) from provider.X.bulk_url ({date},
 * {apikey}); NULL when p has no bulk endpoint or out of memory. */
char *sg_provider_bulk_url(sg_provider p, sg_day day);

#endif
