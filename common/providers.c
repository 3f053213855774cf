/*
 * providers.c - see providers.h.
 *
 * Dates: Yahoo stamps a bar with the session's opening second and Polygon
 * with midnight New York time, both as Unix time; the trading date is that
 * instant in New York (US daylight saving rule), which is the response's own
 * exchange time zone. FMP gives the date as text.
 */
#include "providers.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "symbols.h"
#include "numfmt.h"

static const char *const names[SG_NPROVIDERS] = {"yahoo", "fmp", "polygon"};
static const char *const sources[SG_NPROVIDERS] = {"yfinance", "fmp", "polygon"};
static const char *const key_env[SG_NPROVIDERS] = {NULL, "FMP_API_KEY", "POLYGON_API_KEY"};

const char *sg_provider_name(sg_provider p)
{
    return names[p];
}

const char *sg_provider_data_source(sg_provider p)
{
    return sources[p];
}

int sg_provider_parse(const char *name, sg_provider *out)
{
    for (int i = 0; i < SG_NPROVIDERS; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (sg_provider)i;
            return 0;
        }
    return -1;
}

int sg_provider_order(const char *list, sg_provider order[SG_NPROVIDERS])
{
    int n = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[16];
        sg_provider pv;
        if (len == 0 || len >= sizeof name || n == SG_NPROVIDERS)
            return -1;
        memcpy(name, p, len);
        name[len] = '\0';
        if (sg_provider_parse(name, &pv))
            return -1;
        for (int i = 0; i < n; i++)
            if (order[i] == pv)
                return -1;
        order[n++] = pv;
        p += len;
        if (*p == ',' && *++p == '\0')
            return -1; /* a trailing comma */
    }
    return n;
}

void sg_bars_free(sg_bars *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* ---- time ----------------------------------------------------------------------- */

/* US daylight saving time (since 2007): from the second Sunday of March to
 * the first Sunday of November. The switch happens at 02:00 local, long before
 * any session, so a per-day answer is exact for bar timestamps. */
int sg_new_york_offset(sg_day day)
{
    int y, m, d;
    sg_day_to_ymd(day, &y, &m, &d);
    sg_day mar1 = sg_day_from_ymd(y, 3, 1), nov1 = sg_day_from_ymd(y, 11, 1);
    sg_day start = mar1 + (7 - sg_day_weekday(mar1) + 6) % 7 + 7; /* second Sunday */
    sg_day end = nov1 + (7 - sg_day_weekday(nov1) + 6) % 7;       /* first Sunday */
    return day >= start && day < end ? -4 * 3600 : -5 * 3600;
}

/* Timestamps a provider may give, in seconds: 1900-01-01 to 2100-01-01.
 * Anything else is a broken answer; checking before any arithmetic keeps
 * the sums below far from overflow (and UBSan quiet). */
#define UNIX_MIN (-2208988800LL)
#define UNIX_MAX 4102444800LL
/* A UTC offset: at most 18 hours either way (ISO 8601). */
#define OFFSET_MAX (18 * 3600LL)

static long long floor_div(long long a, long long b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The New York date of a Unix time in [UNIX_MIN, UNIX_MAX]. */
static sg_day ny_day(long long unix_s)
{
    long long local = unix_s + sg_new_york_offset((sg_day)floor_div(unix_s, 86400));
    return (sg_day)floor_div(local, 86400);
}

int sg_new_york_day_ms(double ms, sg_day *out)
{
    if (!(ms >= UNIX_MIN * 1000.0 && ms <= UNIX_MAX * 1000.0)) /* NaN too; 1e300 is never converted */
        return -1;
    *out = ny_day((long long)floor(ms / 1000));
    return 0;
}

/* ---- validation ------------------------------------------------------------------- */

static void drop(sg_bars *out, sg_day day, const char *why)
{
    if (out->dropped++ == 0) {
        char d[SG_DATE_LEN];
        snprintf(out->drop_reason, sizeof out->drop_reason, "%s: %s", sg_day_format(day, d), why);
    }
}

/* A bar whose timestamp cannot be a date: counted, with its index. */
static void drop_undated(sg_bars *out, size_t i, const char *what, const char *value)
{
    if (out->dropped++ == 0)
        snprintf(out->drop_reason, sizeof out->drop_reason, "bar %zu: %s %.40s is out of range", i, what, value);
}

/* The value market_data_cache's NUMERIC(12,4) will hold: the store sends the
 * shortest decimal of the double and PostgreSQL rounds it to 4 places, half
 * away from zero. Validation judges that value, not the double: 0.00004 is
 * stored as 0.0000 and 99999999.99995 does not fit. */
static double numeric_12_4(double v, bool *fits)
{
    char text[SG_NUM_LEN];
    sg_fmt_db(v, 4, text);
    *fits = strcspn(text, ".") <= 8; /* 12 digits, 4 after the point (v > 0 here: no sign) */
    return strtod(text, NULL);
}

/* Why a price is not storable (NULL: it is); *rounded receives its NUMERIC value. */
static const char *price_problem(double v, bool required, const char *name, double *rounded)
{
    static char why[64];
    bool fits;
    *rounded = v;
    if (isnan(v))
        return required ? "close is missing" : NULL;
    if (!isfinite(v) || v <= 0)
        snprintf(why, sizeof why, "%s is not a finite price > 0", name);
    else if ((*rounded = numeric_12_4(v, &fits)), !fits)
        snprintf(why, sizeof why, "%s is too large for NUMERIC(12,4)", name);
    else if (*rounded <= 0)
        snprintf(why, sizeof why, "%s rounds to 0 in NUMERIC(12,4)", name);
    else
        return NULL;
    return why;
}

/* The first problem of a bar's prices, checked as they will be stored. */
const char *sg_bar_problem(const sg_bar *b)
{
    double c, o, h, l;
    const char *why;
    if ((why = price_problem(b->close, true, "close", &c)) || (why = price_problem(b->open, false, "open", &o)) ||
        (why = price_problem(b->high, false, "high", &h)) || (why = price_problem(b->low, false, "low", &l)))
        return why;
    if (!isnan(h) && !isnan(l) && h < l)
        return "high below low";
    if (b->volume < -1)
        return "volume is negative";
    if (b->volume > INT_MAX)
        return "volume does not fit market_data_cache.volume (INTEGER)";
    return NULL;
}

/* Keeps a bar that passes validation; bars outside [from, to] are ignored. */
static int add_bar(sg_bars *out, sg_bar b, sg_day from, sg_day to)
{
    if (b.day < from || b.day > to)
        return 0;
    const char *why = sg_nyse_is_trading_day(b.day) ? sg_bar_problem(&b) : "not an NYSE trading day";
    if (why) {
        drop(out, b.day, why);
        return 0;
    }
    if (out->n && out->v[out->n - 1].day == b.day) { /* a repeated date: the last wins */
        out->v[out->n - 1] = b;
        return 0;
    }
    if (out->n == out->cap) {
        size_t ncap = out->cap ? out->cap * 2 : 256;
        sg_bar *nv = realloc(out->v, ncap * sizeof *nv);
        if (!nv)
            return -1;
        out->v = nv;
        out->cap = ncap;
    }
    out->v[out->n++] = b;
    return 0;
}

static int cmp_bar(const void *a, const void *b)
{
    const sg_bar *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* Providers answer in date order (FMP newest first): sort, one bar a day. */
static void sort_bars(sg_bars *out)
{
    if (out->n < 2)
        return;
    qsort(out->v, out->n, sizeof *out->v, cmp_bar);
    size_t w = 1;
    for (size_t i = 1; i < out->n; i++) {
        if (out->v[i].day == out->v[w - 1].day)
            out->v[w - 1] = out->v[i];
        else
            out->v[w++] = out->v[i];
    }
    out->n = w;
}

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

long long sg_volume_of(double d)
{
    if (isnan(d))
        return -1;
    return d < 0 ? -2 : d < 9e18 ? (long long)llround(d) : LLONG_MAX;
}

/* -1 for none; a negative volume as -2 (dropped), a huge one as LLONG_MAX (dropped). */
static long long volume_of(json_t *v)
{
    return json_is_number(v) ? sg_volume_of(json_number_value(v)) : -1;
}

/* ---- server text in messages ------------------------------------------------------------ */

const char *sg_server_text(const char *s, size_t max, char *buf, size_t buflen)
{
    size_t n = strlen(s), cap = n + 4;
    char *full = malloc(cap);
    if (!full) {
        snprintf(buf, buflen, "?");
        return buf;
    }
    memcpy(full, s, n + 1);
    sg_redact_secrets(full, cap);
    snprintf(buf, buflen, "%.*s", (int)(max < buflen ? max : buflen - 1), full);
    free(full);
    return buf;
}

/* ---- Yahoo chart v8 ------------------------------------------------------------------ */

/* Yahoo's timestamps and gmtoffset, checked before any arithmetic. */
static bool unix_in_range(long long t)
{
    return t >= UNIX_MIN && t <= UNIX_MAX;
}

static sg_answer parse_yahoo(json_t *root, const char *symbol, sg_day from, sg_day to, sg_bars *out, char *err,
                             size_t errlen)
{
    json_t *chart = json_object_get(root, "chart");
    json_t *error = json_object_get(chart, "error");
    if (!json_is_object(chart)) {
        snprintf(err, errlen, "no 'chart' object");
        return SG_ANSWER_BAD;
    }
    if (json_is_object(error)) {
        const char *code = json_string_value(json_object_get(error, "code"));
        const char *desc = json_string_value(json_object_get(error, "description"));
        char c[64], d[256];
        snprintf(err, errlen, "%s: %s", sg_server_text(code ? code : "error", 60, c, sizeof c),
                 sg_server_text(desc ? desc : "", 250, d, sizeof d));
        return code && strcmp(code, "Not Found") == 0 ? SG_ANSWER_UNKNOWN : SG_ANSWER_BAD;
    }
    json_t *res = json_array_get(json_object_get(chart, "result"), 0);
    json_t *meta = json_object_get(res, "meta");
    const char *sym = json_string_value(json_object_get(meta, "symbol"));
    if (!json_is_object(res) || !sym) {
        snprintf(err, errlen, "no chart result");
        return SG_ANSWER_BAD;
    }
    char quoted[32];
    if (strcasecmp(sym, symbol) != 0) {
        snprintf(err, errlen, "answer is for symbol '%s'", sg_server_text(sym, 20, quoted, sizeof quoted));
        return SG_ANSWER_BAD;
    }
    const char *tz = json_string_value(json_object_get(meta, "exchangeTimezoneName"));
    json_t *gmt = json_object_get(meta, "gmtoffset");
    bool new_york = !tz || strcmp(tz, "America/New_York") == 0 || !json_is_integer(gmt);
    long long offset = json_is_integer(gmt) ? json_integer_value(gmt) : 0;
    if (offset < -OFFSET_MAX || offset > OFFSET_MAX) { /* every bar's date depends on it */
        snprintf(err, errlen, "gmtoffset %lld is out of range (|offset| <= %lld s)", offset, OFFSET_MAX);
        return SG_ANSWER_BAD;
    }
    json_t *ts = json_object_get(res, "timestamp");
    json_t *quote = json_array_get(json_object_get(json_object_get(res, "indicators"), "quote"), 0);
    if (!ts) /* no trading in the range: a valid, empty answer */
        return SG_ANSWER_OK;
    json_t *col[5];
    static const char *const keys[5] = {"open", "high", "low", "close", "volume"};
    size_t n = json_array_size(ts);
    for (int k = 0; k < 5; k++) {
        col[k] = json_object_get(quote, keys[k]);
        if (!json_is_array(ts) || !json_is_array(col[k]) || json_array_size(col[k]) != n) {
            snprintf(err, errlen, "quote array '%s' missing or not as long as the timestamps", keys[k]);
            return SG_ANSWER_BAD;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(ts, i);
        if (!json_is_integer(t)) {
            snprintf(err, errlen, "timestamp %zu is not an integer", i);
            return SG_ANSWER_BAD;
        }
        long long unix_s = json_integer_value(t);
        if (!unix_in_range(unix_s)) {
            char v[24];
            snprintf(v, sizeof v, "%lld", unix_s);
            drop_undated(out, i, "timestamp", v);
            continue;
        }
        sg_bar b = {.day = new_york ? ny_day(unix_s) : (sg_day)floor_div(unix_s + offset, 86400)};
        if (json_is_null(json_array_get(col[3], i))) { /* Yahoo's gaps are nulls */
            if (b.day >= from && b.day <= to)
                drop(out, b.day, "null close");
            continue;
        }
        b.open = num_or_nan(json_array_get(col[0], i));
        b.high = num_or_nan(json_array_get(col[1], i));
        b.low = num_or_nan(json_array_get(col[2], i));
        b.close = num_or_nan(json_array_get(col[3], i));
        b.volume = volume_of(json_array_get(col[4], i));
        if (add_bar(out, b, from, to))
            return SG_ANSWER_BAD;
    }
    return SG_ANSWER_OK;
}

/* ---- Polygon aggregates v2 ------------------------------------------------------------- */

bool sg_polygon_status_ok(const json_t *root, char *err, size_t errlen)
{
    const char *status = json_string_value(json_object_get(root, "status"));
    if (status && (strcmp(status, "OK") == 0 || strcmp(status, "DELAYED") == 0))
        return true;
    const char *e = json_string_value(json_object_get(root, "error"));
    if (!e)
        e = json_string_value(json_object_get(root, "message"));
    char st[40], text[256];
    snprintf(err, errlen, "status %s%s%s", status ? sg_server_text(status, 30, st, sizeof st) : "missing",
             e ? ": " : "", e ? sg_server_text(e, 250, text, sizeof text) : "");
    return false;
}

static sg_answer parse_polygon(json_t *root, const char *symbol, sg_day from, sg_day to, sg_bars *out,
                               char **next_url, char *err, size_t errlen)
{
    if (!sg_polygon_status_ok(root, err, errlen))
        return SG_ANSWER_BAD;
    /* Every page names its ticker: an answer that does not cannot be trusted to be ours. */
    const char *ticker = json_string_value(json_object_get(root, "ticker"));
    char quoted[32];
    if (!ticker) {
        snprintf(err, errlen, "answer names no ticker");
        return SG_ANSWER_BAD;
    }
    if (strcasecmp(ticker, symbol) != 0) {
        snprintf(err, errlen, "answer is for ticker '%s'", sg_server_text(ticker, 20, quoted, sizeof quoted));
        return SG_ANSWER_BAD;
    }
    json_t *results = json_object_get(root, "results");
    size_t n = json_array_size(results);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(results, i);
        json_t *t = json_object_get(r, "t");
        if (!json_is_number(t)) {
            snprintf(err, errlen, "result %zu has no timestamp", i);
            return SG_ANSWER_BAD;
        }
        double ms = json_number_value(t); /* checked as a double: converting 1e300 to an integer is undefined */
        if (!(ms >= UNIX_MIN * 1000.0 && ms <= UNIX_MAX * 1000.0)) {
            char v[32];
            snprintf(v, sizeof v, "%.15g", ms);
            drop_undated(out, i, "t", v);
            continue;
        }
        sg_bar b = {.day = ny_day((long long)floor(ms / 1000)),
                    .open = num_or_nan(json_object_get(r, "o")),
                    .high = num_or_nan(json_object_get(r, "h")),
                    .low = num_or_nan(json_object_get(r, "l")),
                    .close = num_or_nan(json_object_get(r, "c")),
                    .volume = volume_of(json_object_get(r, "v"))};
        if (add_bar(out, b, from, to))
            return SG_ANSWER_BAD;
    }
    const char *next = json_string_value(json_object_get(root, "next_url"));
    if (next && *next)
        *next_url = strdup(next);
    if (n == 0 && !*next_url && out->n == 0 && out->dropped == 0) {
        snprintf(err, errlen, "empty result");
        return SG_ANSWER_UNKNOWN;
    }
    return SG_ANSWER_OK;
}

/* ---- FMP historical-price-full ------------------------------------------------------------ */

static sg_answer parse_fmp(json_t *root, const char *symbol, sg_day from, sg_day to, sg_bars *out, char *err,
                           size_t errlen)
{
    if (json_is_object(root) && json_object_get(root, "Error Message")) {
        const char *m = json_string_value(json_object_get(root, "Error Message"));
        char text[256];
        snprintf(err, errlen, "%s", sg_server_text(m ? m : "error", 250, text, sizeof text));
        return SG_ANSWER_BAD;
    }
    json_t *hist = json_object_get(root, "historical");
    if (!json_is_object(root) || json_array_size(hist) == 0) { /* FMP answers {} or [] for unknown symbols */
        snprintf(err, errlen, "empty result");
        return SG_ANSWER_UNKNOWN;
    }
    const char *sym = json_string_value(json_object_get(root, "symbol"));
    char quoted[32];
    if (!sym) { /* without it, one symbol's bars could be stored under another */
        snprintf(err, errlen, "answer names no symbol");
        return SG_ANSWER_BAD;
    }
    if (strcasecmp(sym, symbol) != 0) {
        snprintf(err, errlen, "answer is for symbol '%s'", sg_server_text(sym, 20, quoted, sizeof quoted));
        return SG_ANSWER_BAD;
    }
    size_t n = json_array_size(hist);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(hist, i);
        const char *date = json_string_value(json_object_get(r, "date"));
        const char *why;
        sg_bar b;
        if (!date || sg_day_parse(date, strlen(date) >= 10 ? 10 : strlen(date), &b.day, &why)) {
            snprintf(err, errlen, "historical[%zu] has no valid date", i);
            return SG_ANSWER_BAD;
        }
        b.open = num_or_nan(json_object_get(r, "open"));
        b.high = num_or_nan(json_object_get(r, "high"));
        b.low = num_or_nan(json_object_get(r, "low"));
        b.close = num_or_nan(json_object_get(r, "close"));
        b.volume = volume_of(json_object_get(r, "volume"));
        if (add_bar(out, b, from, to))
            return SG_ANSWER_BAD;
    }
    return SG_ANSWER_OK;
}

sg_answer sg_provider_parse_response(sg_provider p, const char *body, size_t len, const char *symbol,
                                     sg_day from, sg_day to, sg_bars *out, char **next_url, char *err,
                                     size_t errlen)
{
    *next_url = NULL;
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root) {
        char text[JSON_ERROR_TEXT_LENGTH]; /* jansson quotes the input near the error: maybe a key */
        snprintf(err, errlen, "not JSON (%s at byte %d)", sg_server_text(je.text, sizeof text - 1, text, sizeof text),
                 je.position);
        return SG_ANSWER_BAD;
    }
    size_t before = out->n;
    sg_answer a = p == SG_PROV_YAHOO     ? parse_yahoo(root, symbol, from, to, out, err, errlen)
                  : p == SG_PROV_POLYGON ? parse_polygon(root, symbol, from, to, out, next_url, err, errlen)
                                         : parse_fmp(root, symbol, from, to, out, err, errlen);
    json_decref(root);
    if (a != SG_ANSWER_OK)
        out->n = before; /* a failed response adds nothing */
    else
        sort_bars(out);
    return a;
}

/* ---- URLs ------------------------------------------------------------------------------- */

/* Percent-encodes what is not unreserved in a URL path segment or query. */
static void append_escaped(char **w, char *end, const char *s)
{
    for (; *s && *w + 3 < end; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
            *(*w)++ = (char)c;
        else
            *w += snprintf(*w, (size_t)(end - *w), "%%%02X", c);
    }
}

char *sg_provider_url(sg_provider p, const char *symbol, sg_day from, sg_day to)
{
    static const char *const setting[SG_NPROVIDERS] = {"provider.yahoo.url", "provider.fmp.url",
                                                       "provider.polygon.url"};
    if (sg_symbol_check(symbol, NULL, 0))
        return NULL; /* never in a URL: '/', '..', '?', '&' would change what is read */
    const char *tpl = sg_config_get(setting[p]);
    const char *key = key_env[p] ? getenv(key_env[p]) : NULL;
    char f[SG_DATE_LEN], t[SG_DATE_LEN], p1[24], p2[24];
    sg_day_format(from, f);
    sg_day_format(to, t);
    snprintf(p1, sizeof p1, "%lld", (long long)from * 86400);
    snprintf(p2, sizeof p2, "%lld", ((long long)to + 1) * 86400); /* the end of day `to`, exclusive */
    size_t cap = strlen(tpl) * 3 + strlen(symbol) * 3 + (key ? strlen(key) * 3 : 0) + 128;
    char *url = malloc(cap), *w = url, *end = url + cap;
    if (!url)
        return NULL;
    for (const char *c = tpl; *c && w + 1 < end;) {
        const char *val = NULL;
        size_t skip = 0;
        if (strncmp(c, "{symbol}", 8) == 0)
            val = symbol, skip = 8;
        else if (strncmp(c, "{from}", 6) == 0)
            val = f, skip = 6;
        else if (strncmp(c, "{to}", 4) == 0)
            val = t, skip = 4;
        else if (strncmp(c, "{period1}", 9) == 0)
            val = p1, skip = 9;
        else if (strncmp(c, "{period2}", 9) == 0)
            val = p2, skip = 9;
        else if (strncmp(c, "{apikey}", 8) == 0)
            val = key ? key : "", skip = 8;
        if (skip) {
            append_escaped(&w, end, val);
            c += skip;
        } else {
            *w++ = *c++;
        }
    }
    *w = '\0';
    return url;
}

bool sg_provider_has_bulk(sg_provider p)
{
    return p == SG_PROV_FMP || p == SG_PROV_POLYGON;
}

bool sg_provider_has_key(sg_provider p)
{
    const char *key = key_env[p] ? getenv(key_env[p]) : NULL;
    return !key_env[p] || (key && *key);
}

char *sg_provider_bulk_url(sg_provider p, sg_day day)
{
    if (!sg_provider_has_bulk(p))
        return NULL;
    const char *tpl = sg_config_get(p == SG_PROV_FMP ? "provider.fmp.bulk_url" : "provider.polygon.bulk_url");
    const char *key = getenv(key_env[p]);
    char d[SG_DATE_LEN];
    sg_day_format(day, d);
    size_t cap = strlen(tpl) * 3 + (key ? strlen(key) * 3 : 0) + 64;
    char *url = malloc(cap), *w = url, *end = url + cap;
    if (!url)
        return NULL;
    for (const char *c = tpl; *c && w + 1 < end;) {
        if (strncmp(c, "{date}", 6) == 0) {
            append_escaped(&w, end, d);
            c += 6;
        } else if (strncmp(c, "{apikey}", 8) == 0) {
            append_escaped(&w, end, key ? key : "");
            c += 8;
        } else {
            *w++ = *c++;
        }
    }
    *w = '\0';
    return url;
}

/* Length of "scheme://host[:port]" of an http(s) URL, or 0. */
static size_t origin_len(const char *url)
{
    const char *rest = strncmp(url, "https://", 8) == 0 ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    return rest ? (size_t)(rest - url) + strcspn(rest, "/?#") : 0;
}

char *sg_provider_follow_url(sg_provider p, const char *current_url, const char *next_url)
{
    size_t on = origin_len(next_url), oc = origin_len(current_url);
    if (on == 0)
        return NULL;
    bool same_origin = on == oc && strncasecmp(next_url, current_url, on) == 0;
    const char *key = key_env[p] && same_origin ? getenv(key_env[p]) : NULL;
    size_t cap = strlen(next_url) + (key ? strlen(key) * 3 : 0) + 16;
    char *url = malloc(cap);
    if (!url)
        return NULL;
    char *w = url + snprintf(url, cap, "%s", next_url);
    if (key && *key && !strstr(next_url, "apiKey=")) {
        w += snprintf(w, cap - (size_t)(w - url), "%sapiKey=", strchr(next_url, '?') ? "&" : "?");
        append_escaped(&w, url + cap, key);
        *w = '\0';
    }
    return url;
}

/* Replaces every occurrence of needle in text (in place) by "***". */
static void replace_all(char *text, size_t cap, const char *needle)
{
    size_t n = strlen(needle);
    if (n < 4) /* a key that short would blank ordinary words; keys are long */
        return;
    for (char *hit = strstr(text, needle); hit; hit = strstr(hit + 3, needle)) {
        size_t tail = strlen(hit + n);
        if ((size_t)(hit - text) + 3 + tail + 1 > cap)
            break;
        memmove(hit + 3, hit + n, tail + 1);
        memcpy(hit, "***", 3);
    }
}

void sg_redact_secrets(char *text, size_t cap)
{
    for (int p = 0; p < SG_NPROVIDERS; p++) {
        const char *key = key_env[p] ? getenv(key_env[p]) : NULL;
        if (!key || !*key)
            continue;
        replace_all(text, cap, key);
        /* the escaped form, whole: a prefix of it would leave the rest printed */
        size_t ecap = strlen(key) * 3 + 4;
        char *esc = malloc(ecap), *w = esc;
        if (!esc) { /* cannot check the escaped form: print nothing rather than risk it */
            snprintf(text, cap, "***");
            return;
        }
        append_escaped(&w, esc + ecap, key);
        *w = '\0';
        if (strcmp(esc, key) != 0)
            replace_all(text, cap, esc);
        free(esc);
    }
}

/* Redacts secret parameters' values of the whole URL into out (at least
 * strlen(url) + 4 bytes per parameter; "apikey=" may grow to "apikey=***"). */
static void redact_params(const char *url, char *out)
{
    static const char *const secret[] = {"apikey=", "apiKey=", "api_key=", "token=", "key="};
    for (const char *c = url; *c;) {
        bool hit = false;
        if (c > url && (c[-1] == '?' || c[-1] == '&'))
            for (size_t k = 0; k < sizeof secret / sizeof secret[0] && !hit; k++) {
                size_t n = strlen(secret[k]);
                if (strncasecmp(c, secret[k], n) == 0) {
                    out += sprintf(out, "%.*s***", (int)n, c);
                    c += n;
                    c += strcspn(c, "&#");
                    hit = true;
                }
            }
        if (!hit)
            *out++ = *c++;
    }
    *out = '\0';
}

/* Redact the whole URL first, then cut it to the buffer: cutting first could
 * leave the start of a key that no longer matches the whole key. */
const char *sg_redact_url(const char *url, char *buf, size_t len)
{
    if (len == 0)
        return "";
    size_t cap = strlen(url) * 2 + 8; /* each secret parameter grows by at most 3 bytes */
    char *full = malloc(cap);
    if (!full) {
        snprintf(buf, len, "(URL not shown)");
        return buf;
    }
    redact_params(url, full);
    sg_redact_secrets(full, cap); /* keys in the path or under other names */
    snprintf(buf, len, "%s", full);
    free(full);
    return buf;
}
