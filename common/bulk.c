/*
 * bulk.c - see bulk.h.
 *
 * Formats, as the providers document them:
 *   Polygon grouped daily (GET /v2/aggs/grouped/locale/us/market/stocks/{date}
 *   ?adjusted=false): {"status":"OK","queryCount":N,"resultsCount":N,
 *   "adjusted":false,"results":[{"T":"AAPL","v":..,"vw":..,"o":..,"c":..,
 *   "h":..,"l":..,"t":ms,"n":..}, ...]}; t is a time on the session's day.
 *   FMP bulk end-of-day (GET /api/v4/batch-request-end-of-day-prices?date=):
 *   CSV with the header symbol,date,open,low,high,close,adjClose,volume; close
 *   is the unadjusted close (adjClose is dividend-adjusted: never stored).
 * Columns are found by the header's names, so another order is read the same.
 */
#include "bulk.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void sg_bulk_free(sg_bulk *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* ---- rows --------------------------------------------------------------------- */

static sg_bulk_row *new_row(sg_bulk *b, const char *symbol, size_t len)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        sg_bulk_row *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return NULL;
        b->v = v;
        b->cap = cap;
    }
    sg_bulk_row *r = &b->v[b->n++];
    memset(r, 0, sizeof *r);
    memcpy(r->symbol, symbol, len);
    r->symbol[len] = '\0';
    return r;
}

/* Keeps one row of the answer: a ticker that is no valid symbol is only
 * counted; the others are validated as the per-symbol path validates a bar. */
static int add_row(sg_bulk *b, const char *symbol, size_t len, sg_day asked, const sg_bar *bar, const char *why)
{
    b->rows++;
    if (len == 0 || len > SG_SYMBOL_MAX || sg_symbol_checkn(symbol, len, 0, NULL, 0)) {
        b->not_symbols++;
        return 0;
    }
    sg_bulk_row *r = new_row(b, symbol, len);
    if (!r)
        return -1;
    r->bar = *bar;
    char d[SG_DATE_LEN], a[SG_DATE_LEN];
    if (!why && bar->day != asked)
        snprintf(r->why, sizeof r->why, "dated %s, asked %s", sg_day_format(bar->day, d), sg_day_format(asked, a));
    else if (!why && !sg_nyse_is_trading_day(bar->day))
        why = "not an NYSE trading day";
    else if (!why)
        why = sg_bar_problem(bar);
    if (why)
        snprintf(r->why, sizeof r->why, "%s", why);
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const sg_bulk_row *)a)->symbol, ((const sg_bulk_row *)b)->symbol);
}

/* Sorted by symbol; a ticker the answer holds more than once is refused:
 * which of its rows is the bar cannot be told, and a wrong one is worse
 * than the per-symbol request that replaces it. */
static void finish(sg_bulk *b)
{
    if (b->n > 1)
        qsort(b->v, b->n, sizeof *b->v, cmp_row);
    size_t w = 0;
    for (size_t i = 0; i < b->n;) {
        size_t k = i + 1;
        while (k < b->n && strcmp(b->v[k].symbol, b->v[i].symbol) == 0)
            k++;
        b->v[w] = b->v[i];
        if (k - i > 1)
            snprintf(b->v[w].why, sizeof b->v[w].why, "appears %zu times in the answer", k - i);
        w++;
        i = k;
    }
    b->n = w;
    b->bad = 0;
    for (size_t i = 0; i < b->n; i++)
        b->bad += b->v[i].why[0] != '\0';
}

const sg_bulk_row *sg_bulk_find(const sg_bulk *b, const char *symbol)
{
    sg_bulk_row key;
    snprintf(key.symbol, sizeof key.symbol, "%s", symbol);
    return b->n ? bsearch(&key, b->v, b->n, sizeof *b->v, cmp_row) : NULL;
}

/* ---- Polygon grouped daily ----------------------------------------------------------- */

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static sg_answer parse_polygon(json_t *root, sg_day day, sg_bulk *out, char *err, size_t errlen)
{
    if (!sg_polygon_status_ok(root, err, errlen)) /* json_object_get: NULL for a non-object */
        return SG_ANSWER_BAD;
    if (json_is_true(json_object_get(root, "adjusted"))) { /* split-adjusted closes are not the app's */
        snprintf(err, errlen, "an adjusted answer (asked adjusted=false)");
        return SG_ANSWER_BAD;
    }
    json_t *results = json_object_get(root, "results"), *count = json_object_get(root, "resultsCount");
    if (results && !json_is_array(results)) {
        snprintf(err, errlen, "'results' is not an array");
        return SG_ANSWER_BAD;
    }
    size_t n = json_array_size(results);
    if (json_is_integer(count) && json_integer_value(count) != (json_int_t)n) {
        snprintf(err, errlen, "resultsCount %lld but %zu results (a cut answer)", (long long)json_integer_value(count), n);
        return SG_ANSWER_BAD;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(results, i), *t = json_object_get(r, "t");
        const char *ticker = json_string_value(json_object_get(r, "T"));
        sg_bar bar = {.day = day,
                      .open = num_or_nan(json_object_get(r, "o")),
                      .high = num_or_nan(json_object_get(r, "h")),
                      .low = num_or_nan(json_object_get(r, "l")),
                      .close = num_or_nan(json_object_get(r, "c")),
                      .volume = json_is_number(json_object_get(r, "v"))
                                    ? sg_volume_of(json_number_value(json_object_get(r, "v")))
                                    : -1};
        const char *why = NULL;
        char text[64];
        if (!json_is_number(t))
            why = "no timestamp (t)";
        else if (sg_new_york_day_ms(json_number_value(t), &bar.day)) {
            snprintf(text, sizeof text, "t %.15g is out of range", json_number_value(t));
            why = text;
        }
        if (add_row(out, ticker ? ticker : "", ticker ? strlen(ticker) : 0, day, &bar, why))
            goto oom;
    }
    return SG_ANSWER_OK;
oom:
    snprintf(err, errlen, "out of memory for %zu rows", n);
    return SG_ANSWER_BAD;
}

/* ---- FMP bulk end-of-day CSV ----------------------------------------------------------- */

enum { C_SYMBOL, C_DATE, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOLUME, NCOLS };
static const char *const col_names[NCOLS] = {"symbol", "date", "open", "high", "low", "close", "volume"};
#define MAXFIELDS 32

typedef struct field {
    const char *p;
    size_t len;
} field;

/* Splits one line (no line end) into fields: commas, optional double quotes
 * around a field ("" inside is a quote: such a field is refused below, no
 * number or symbol holds one). Returns the count, at most MAXFIELDS. */
static int split(const char *p, size_t len, field *f)
{
    int n = 0;
    size_t i = 0;
    for (;;) {
        if (n == MAXFIELDS)
            return n;
        if (i < len && p[i] == '"') {
            size_t s = ++i;
            while (i < len && !(p[i] == '"' && (i + 1 == len || p[i + 1] != '"')))
                i += p[i] == '"' ? 2 : 1;
            f[n++] = (field){p + s, (i < len ? i : len) - s};
            i = i < len ? i + 1 : len;
            while (i < len && p[i] != ',')
                i++;
        } else {
            size_t s = i;
            while (i < len && p[i] != ',')
                i++;
            f[n++] = (field){p + s, i - s};
        }
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

/* A field quoted in a message, safe to print (providers.h, sg_server_text):
 * a server may echo the request, key included, anywhere in its answer. */
static const char *quote(field f, size_t max, char *buf, size_t buflen)
{
    char *s = malloc(f.len + 1);
    if (!s) {
        snprintf(buf, buflen, "?");
        return buf;
    }
    memcpy(s, f.p, f.len);
    s[f.len] = '\0';
    sg_server_text(s, max, buf, buflen);
    free(s);
    return buf;
}

static field trim(field f)
{
    while (f.len && (f.p[0] == ' ' || f.p[0] == '\t'))
        f.p++, f.len--;
    while (f.len && (f.p[f.len - 1] == ' ' || f.p[f.len - 1] == '\t'))
        f.len--;
    return f;
}

/* A number field: NAN when empty; -1 when it is not wholly a decimal number
 * (strtod would also take "nan", "inf" and hexadecimal). */
static int number(field f, double *out)
{
    char buf[64], *end;
    f = trim(f);
    if (f.len == 0) {
        *out = NAN;
        return 0;
    }
    if (f.len >= sizeof buf)
        return -1;
    for (size_t i = 0; i < f.len; i++)
        if (!strchr("0123456789+-.eE", f.p[i]))
            return -1;
    memcpy(buf, f.p, f.len);
    buf[f.len] = '\0';
    *out = strtod(buf, &end);
    return *end || end == buf ? -1 : 0;
}

/* The header: where each column is (-1: absent). symbol, date and close are required. */
static int header(const char *p, size_t len, int at[NCOLS], char *err, size_t errlen)
{
    field f[MAXFIELDS];
    int n = split(p, len, f);
    for (int k = 0; k < NCOLS; k++) {
        at[k] = -1;
        for (int i = 0; i < n; i++) {
            field t = trim(f[i]);
            if (t.len == strlen(col_names[k]) && memcmp(t.p, col_names[k], t.len) == 0)
                at[k] = i;
        }
    }
    static const int required[] = {C_SYMBOL, C_DATE, C_CLOSE};
    char q[96];
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (at[required[k]] < 0) {
            snprintf(err, errlen, "not FMP's bulk CSV: no '%s' column in the header '%s'", col_names[required[k]],
                     quote((field){p, len}, 80, q, sizeof q));
            return -1;
        }
    return 0;
}

/* One data line. complete: it ended with a line end (else the body may be cut inside it). */
static int csv_row(sg_bulk *out, const char *p, size_t len, const int at[NCOLS], sg_day day, bool complete)
{
    field f[MAXFIELDS];
    int n = split(p, len, f);
    field sym = trim(at[C_SYMBOL] < n ? f[at[C_SYMBOL]] : (field){"", 0});
    sg_bar bar = {.day = day, .open = NAN, .high = NAN, .low = NAN, .close = NAN, .volume = -1};
    char text[96], q[32];
    const char *why = NULL;
    int need = 0;
    for (int k = 0; k < NCOLS; k++)
        need = at[k] >= need ? at[k] + 1 : need;
    if (!complete)
        why = "the body ends inside this row (no line end: it may be cut)";
    else if (n < need) {
        snprintf(text, sizeof text, "%d fields, the header needs %d", n, need);
        why = text;
    }
    field date = at[C_DATE] < n ? trim(f[at[C_DATE]]) : (field){"", 0};
    const char *dwhy;
    if (!why && (date.len != 10 || sg_day_parse(date.p, 10, &bar.day, &dwhy))) {
        snprintf(text, sizeof text, "date '%s' is not YYYY-MM-DD", quote(date, 20, q, sizeof q));
        why = text;
    }
    double *dst[5] = {&bar.open, &bar.high, &bar.low, &bar.close, NULL};
    double vol = NAN;
    dst[4] = &vol;
    for (int k = C_OPEN; !why && k <= C_VOLUME; k++) {
        if (at[k] < 0)
            continue;
        if (number(f[at[k]], dst[k - C_OPEN])) {
            field t = trim(f[at[k]]);
            snprintf(text, sizeof text, "%s '%s' is not a number", col_names[k], quote(t, 24, q, sizeof q));
            why = text;
        }
    }
    bar.volume = sg_volume_of(vol);
    return add_row(out, sym.p, sym.len, day, &bar, why);
}

static sg_answer parse_fmp(const char *body, size_t len, sg_day day, sg_bulk *out, char *err, size_t errlen)
{
    const char *p = body, *end = body + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a UTF-8 byte order mark */
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p == end) /* nothing for the day (yet) */
        return SG_ANSWER_OK;
    if (*p == '{' || *p == '[') { /* JSON: FMP's error ({"Error Message": ...}) or an empty list */
        json_error_t je;
        json_t *root = json_loadb(p, (size_t)(end - p), 0, &je);
        char q[256];
        const char *m = json_string_value(json_object_get(root, "Error Message"));
        sg_answer a = json_is_array(root) && json_array_size(root) == 0 ? SG_ANSWER_OK : SG_ANSWER_BAD;
        if (a == SG_ANSWER_BAD)
            snprintf(err, errlen, "%s", m ? sg_server_text(m, 250, q, sizeof q) : "JSON, not FMP's bulk CSV");
        json_decref(root);
        return a;
    }
    int at[NCOLS];
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t hlen = (size_t)((nl ? nl : end) - p);
    if (hlen && p[hlen - 1] == '\r')
        hlen--;
    if (header(p, hlen, at, err, errlen))
        return SG_ANSWER_BAD;
    for (p = nl ? nl + 1 : end; p < end;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);
        if (l && p[l - 1] == '\r')
            l--;
        if (l && csv_row(out, p, l, at, day, nl != NULL)) {
            snprintf(err, errlen, "out of memory for %zu rows", out->rows);
            return SG_ANSWER_BAD;
        }
        p = nl ? nl + 1 : end;
    }
    return SG_ANSWER_OK;
}

sg_answer sg_bulk_parse(sg_provider p, const char *body, size_t len, sg_day day, sg_bulk *out, char *err,
                        size_t errlen)
{
    sg_answer a;
    sg_bulk_free(out);
    if (p == SG_PROV_POLYGON) {
        json_error_t je;
        json_t *root = json_loadb(body, len, 0, &je);
        if (!root) {
            char text[JSON_ERROR_TEXT_LENGTH]; /* jansson quotes the input near the error: maybe a key */
            snprintf(err, errlen, "not JSON (%s at byte %d)", sg_server_text(je.text, sizeof text - 1, text, sizeof text),
                     je.position);
            return SG_ANSWER_BAD;
        }
        a = parse_polygon(root, day, out, err, errlen);
        json_decref(root);
    } else if (p == SG_PROV_FMP) {
        a = parse_fmp(body, len, day, out, err, errlen);
    } else {
        snprintf(err, errlen, "%s has no bulk endpoint", sg_provider_name(p));
        a = SG_ANSWER_BAD;
    }
    if (a != SG_ANSWER_OK)
        sg_bulk_free(out);
    else
        finish(out);
    return a;
}

/* ---- the provider ---------------------------------------------------------------- */

bool sg_bulk_provider(const sg_provider *order, int norder, sg_provider *out)
{
    if (sg_config_number("provider.bulk") == 0)
        return false;
    for (int i = 0; i < norder; i++)
        if (sg_provider_has_bulk(order[i]) && sg_provider_has_key(order[i])) {
            *out = order[i];
            return true;
        }
    return false;
}

const char *sg_bulk_none_reason(const sg_provider *order, int norder, char *buf, size_t len)
{
    if (sg_config_number("provider.bulk") == 0) {
        snprintf(buf, len, "provider.bulk is 0");
        return buf;
    }
    int w = snprintf(buf, len, "no provider of provider.order (");
    for (int i = 0; i < norder && w > 0 && (size_t)w < len; i++)
        w += snprintf(buf + w, len - (size_t)w, "%s%s", i ? "," : "", sg_provider_name(order[i]));
    if (w > 0 && (size_t)w < len)
        snprintf(buf + w, len - (size_t)w,
                 ") has a bulk endpoint and an API key (fmp: FMP_API_KEY, polygon: POLYGON_API_KEY)");
    return buf;
}

/* ---- the plan ---------------------------------------------------------------------- */

#define HORIZON SG_BULK_HORIZON

static bool plans(const sg_bulk_need *x, sg_day base, sg_day calc)
{
    return x->incremental && x->last >= base && x->last < calc;
}

/* Whether the symbol misses a trading day, and only days in bulk[]. */
static bool only_bulk_days(const sg_bulk_need *x, sg_day base, sg_day calc, const bool *bulk)
{
    bool any = false;
    for (sg_day d = x->last + 1; d <= calc; d++)
        if (sg_nyse_is_trading_day(d)) {
            if (!bulk[d - base])
                return false;
            any = true;
        }
    return any;
}

/* A day is a bulk day when at least min_symbols of the symbols that would
 * wait for it miss it: first every day enough symbols miss; then, as long as
 * some day is left with too few waiting for it (its other symbols miss a day
 * nobody else does, and go alone), that day is dropped and the waits redone.
 * Days only ever leave, so this ends. */
int sg_bulk_plan_make(const sg_bulk_need *need, size_t n, sg_day calc, long min_symbols, sg_bulk_plan *out)
{
    memset(out, 0, sizeof *out);
    long count[HORIZON + 1];
    bool bulk[HORIZON + 1] = {false};
    sg_day base = calc - HORIZON;
    out->waits = calloc(n ? n : 1, sizeof *out->waits);
    out->days = calloc(HORIZON + 1, sizeof *out->days);
    if (!out->waits || !out->days) {
        sg_bulk_plan_free(out);
        return -1;
    }
    for (bool first = true, changed = true; changed; first = false) {
        changed = false;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) {
            out->waits[i] = plans(&need[i], base, calc) && (first || only_bulk_days(&need[i], base, calc, bulk));
            for (sg_day d = need[i].last + 1; out->waits[i] && d <= calc; d++)
                count[d - base] += sg_nyse_is_trading_day(d);
        }
        for (sg_day d = base; d <= calc; d++) {
            bool keep = count[d - base] >= min_symbols && sg_nyse_is_trading_day(d);
            if (!first && bulk[d - base] && !keep)
                changed = true;
            bulk[d - base] = keep && (first || bulk[d - base]);
        }
        if (first)
            changed = true; /* the waits of the first round counted every missing symbol */
    }
    out->nwaiting = 0;
    for (size_t i = 0; i < n; i++)
        out->nwaiting += out->waits[i];
    for (sg_day d = base; d <= calc; d++)
        if (bulk[d - base])
            out->days[out->ndays++] = d;
    return 0;
}

void sg_bulk_plan_free(sg_bulk_plan *p)
{
    free(p->days);
    free(p->waits);
    memset(p, 0, sizeof *p);
}
