/*
 * store_io.c - see store_io.h.
 *
 * Values go to NUMERIC columns as text, never as float8: the shortest
 * round-trip decimal of a double (what the app sends with Decimal(str(x))),
 * or the exact decimal of a Decimal value, so PostgreSQL's own rounding (half
 * away from zero) gives the app's stored value (DESIGN.md §8).
 */
#include "store_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers.h"

/* A statement whose result is not needed: 0, or -1 with err. */
static int run_sql(sg_store *s, const char *what, const char *sql, int nparams, const char *const *params, char *err,
                   size_t errlen)
{
    PGresult *r = sg_store_query(s, what, sql, nparams, params, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

/* ---- reading ----------------------------------------------------------------- */

static const char *day_text(sg_day d, char buf[SG_DATE_LEN])
{
    return sg_day_format(d, buf);
}

sg_prices *sg_store_load_prices(sg_store *s, const char *const *symbols, size_t n, sg_day from, sg_day to, char *err,
                                size_t errlen)
{
    char f[SG_DATE_LEN], t[SG_DATE_LEN];
    char *arr = sg_store_text_array(symbols, n);
    sg_prices *p = sg_prices_new();
    if (!arr || !p) {
        snprintf(err, errlen, "load prices: out of memory");
        free(arr);
        sg_prices_free(p);
        return NULL;
    }
    const char *params[3] = {arr, day_text(from, f), day_text(to, t)};
    int rc = sg_store_exec(s, "load prices", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen);
    PGresult *r = NULL;
    /* A cursor, fetched in blocks: one query, bounded memory for any universe. */
    if (rc == 0)
        rc = run_sql(s, "load prices",
                     "DECLARE sg_prices_cur NO SCROLL CURSOR FOR"
                     " SELECT symbol, to_char(date, 'YYYY-MM-DD'), close::text"
                     " FROM market_data_cache"
                     " WHERE symbol = ANY($1::text[]) AND date BETWEEN $2::date AND $3::date",
                     3, params, err, errlen);
    while (rc == 0) {
        r = sg_store_query(s, "load prices", "FETCH 50000 FROM sg_prices_cur", 0, NULL, err, errlen);
        if (!r) {
            rc = -1;
            break;
        }
        int nt = PQntuples(r);
        for (int i = 0; i < nt && rc == 0; i++) {
            const char *sym = PQgetvalue(r, i, 0), *date = PQgetvalue(r, i, 1), *close = PQgetvalue(r, i, 2);
            sg_day day;
            const char *why;
            if (sg_day_parse(date, strlen(date), &day, &why) ||
                sg_prices_add(p, sym, strlen(sym), day, close, strlen(close), &why)) {
                snprintf(err, errlen, "load prices: %s %s close %s: %s", sym, date, close, why);
                rc = -1;
            }
        }
        PQclear(r);
        if (nt == 0)
            break;
    }
    char ignored[64];
    (void)sg_store_exec(s, "load prices", rc == 0 ? "COMMIT" : "ROLLBACK", ignored, sizeof ignored);
    free(arr);
    if (rc == 0 && sg_prices_finish(p)) {
        snprintf(err, errlen, "load prices: out of memory");
        rc = -1;
    }
    if (rc) {
        sg_prices_free(p);
        return NULL;
    }
    return p;
}

sg_profiles *sg_store_load_profiles(sg_store *s, char *err, size_t errlen)
{
    PGresult *r = sg_store_query(s, "load company profiles",
                                 "SELECT symbol, company_name, sector, industry, market_cap::text,"
                                 " pe_ratio::text, beta::text FROM company_profiles",
                                 0, NULL, err, errlen);
    sg_profiles *ps = r ? sg_profiles_new() : NULL;
    if (r && !ps)
        snprintf(err, errlen, "load company profiles: out of memory");
    for (int i = 0; ps && i < PQntuples(r); i++) {
        sg_field f[SG_PROFILE_NCOLS];
        const char *why;
        for (int k = 0; k < SG_PROFILE_NCOLS; k++) {
            f[k].p = PQgetvalue(r, i, k);
            f[k].len = (size_t)PQgetlength(r, i, k); /* NULL reads as "" */
        }
        if (sg_profiles_add(ps, f, i + 1, &why)) {
            snprintf(err, errlen, "load company profiles: %s: %s", PQgetvalue(r, i, 0), why);
            sg_profiles_free(ps);
            ps = NULL;
        }
    }
    PQclear(r);
    if (ps)
        sg_profiles_finish(ps);
    return ps;
}

/* OCC option symbol: root (1-6 letters), YYMMDD, C or P, 8-digit strike. */
static bool occ_expired(const char *s, sg_day calc)
{
    size_t n = strlen(s), root = n >= 15 ? n - 15 : 0;
    if (n < 16 || n > 21)
        return false;
    for (size_t i = 0; i < root; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    const char *d = s + root;
    for (int i = 0; i < 15; i++)
        if (i == 6 ? (d[i] != 'C' && d[i] != 'P') : (d[i] < '0' || d[i] > '9'))
            return false;
    int y = 2000 + (d[0] - '0') * 10 + (d[1] - '0'), m = (d[2] - '0') * 10 + (d[3] - '0'),
        dd = (d[4] - '0') * 10 + (d[5] - '0');
    if (m < 1 || m > 12 || dd < 1 || dd > 31)
        return false;
    return sg_day_from_ymd(y, m, dd) < calc;
}

bool sg_symbol_excluded(const char *s, sg_day calc)
{
    if (strchr(s, '_'))
        return true;
    if (s[0] == 'E' && s[1] == 'Q') { /* ^EQ[A-F0-9]{8,}$ */
        size_t k = 2;
        while ((s[k] >= 'A' && s[k] <= 'F') || (s[k] >= '0' && s[k] <= '9'))
            k++;
        if (s[k] == '\0' && k - 2 >= 8)
            return true;
    }
    return occ_expired(s, calc);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sg_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int sg_store_symbol_list(sg_store *s, sg_day calc, char ***out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    PGresult *r = sg_store_query(
        s, "symbol list",
        "WITH candidates AS ("
        "  SELECT upper(p.symbol) AS symbol FROM positions p JOIN portfolios f ON f.id = p.portfolio_id"
        "   WHERE f.deleted_at IS NULL AND p.exit_date IS NULL"
        "     AND (p.investment_class IS NULL OR upper(p.investment_class) = 'PUBLIC')"
        "  UNION SELECT upper(symbol) FROM symbol_universe WHERE is_active)"
        " SELECT symbol FROM candidates c"
        "  WHERE NOT EXISTS (SELECT 1 FROM symbol_universe u WHERE upper(u.symbol) = c.symbol AND NOT u.is_active)"
        " UNION SELECT unnest(ARRAY['SPY', 'TLT', 'GLD', 'USO', 'UUP'])",
        0, NULL, err, errlen);
    if (!r)
        return -1;
    char **v = malloc(((size_t)PQntuples(r) + 1) * sizeof *v);
    for (int i = 0; v && i < PQntuples(r); i++) {
        const char *sym = PQgetvalue(r, i, 0);
        if (sg_symbol_excluded(sym, calc))
            continue;
        if (!(v[*n] = strdup(sym))) {
            sg_strings_free(v, *n);
            v = NULL;
        } else {
            (*n)++;
        }
    }
    PQclear(r);
    if (!v) {
        *n = 0;
        snprintf(err, errlen, "symbol list: out of memory");
        return -1;
    }
    qsort(v, *n, sizeof *v, cmp_str); /* byte order, whatever the database's collation */
    *out = v;
    return 0;
}

/* ---- writing ----------------------------------------------------------------- */

int sg_store_ensure_symbols(sg_store *s, const char *const *symbols, size_t n, sg_day calc, const char *added_source,
                            char *err, size_t errlen)
{
    char d[SG_DATE_LEN];
    char *arr = sg_store_text_array(symbols, n);
    if (!arr) {
        snprintf(err, errlen, "ensure symbols: out of memory");
        return -1;
    }
    const char *params[3] = {arr, day_text(calc, d), added_source};
    PGresult *r = sg_store_query(s, "ensure symbols in universe",
                                 "INSERT INTO symbol_universe (symbol, asset_type, first_seen_date, last_seen_date,"
                                 " is_active, added_source)"
                                 " SELECT symbol, 'equity', $2::date, $2::date, true, $3"
                                 " FROM (SELECT DISTINCT unnest($1::text[]) AS symbol) d ORDER BY symbol COLLATE \"C\""
                                 " ON CONFLICT (symbol) DO UPDATE SET last_seen_date = EXCLUDED.last_seen_date,"
                                 " updated_at = now()"
                                 " WHERE symbol_universe.last_seen_date IS DISTINCT FROM EXCLUDED.last_seen_date",
                                 3, params, err, errlen);
    free(arr);
    PQclear(r);
    return r ? 0 : -1;
}

static void copy_double(sg_copybuf *b, double x)
{
    char buf[SG_NUM_LEN];
    sg_fmt_repr(x, buf);
    sg_copy_field(b, strcmp(buf, "nan") == 0 ? "NaN" : buf);
}

static void copy_int(sg_copybuf *b, long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", v);
    sg_copy_field(b, buf);
}

int sg_store_write_factors(sg_store *s, const char *const *symbols, const sg_factor_result *res, sg_day calc,
                           double alpha, char *err, size_t errlen)
{
    sg_copybuf b = {0};
    for (size_t i = 0; i < res->nrows; i++) {
        const sg_factor_row *r = &res->rows[i];
        const sg_factor_def *def = &sg_factor_defs[r->factor];
        sg_copy_field(&b, symbols[r->sym]);
        sg_copy_sep(&b);
        sg_copy_field(&b, def->name);
        sg_copy_sep(&b);
        copy_double(&b, r->beta);
        sg_copy_sep(&b);
        if (r->r2_null || r->r2 == 0) /* `Decimal(str(r2)) if r2 else None` */
            sg_copy_field(&b, NULL);
        else
            copy_double(&b, r->r2);
        sg_copy_sep(&b);
        copy_int(&b, r->observations);
        sg_copy_sep(&b);
        sg_copy_field(&b, def->method);
        sg_copy_sep(&b);
        if (def->step == SG_STEP_RIDGE && alpha != 0)
            copy_double(&b, alpha);
        else
            sg_copy_field(&b, NULL);
        sg_copy_sep(&b);
        copy_int(&b, def->window_days);
        sg_copy_eol(&b);
    }
    char d[SG_DATE_LEN];
    const char *params[1] = {day_text(calc, d)};
    int rc = sg_store_exec(s, "write factor rows",
                           "CREATE TEMP TABLE IF NOT EXISTS sg_factor_in (symbol text, factor_name text,"
                           " beta numeric, r_squared numeric, observations int, method text, alpha numeric,"
                           " window_days int) ON COMMIT DELETE ROWS",
                           err, errlen);
    if (rc == 0)
        rc = sg_store_copy(s, "write factor rows", "COPY sg_factor_in FROM STDIN", &b, err, errlen);
    if (rc == 0)
        rc = run_sql(
            s, "write factor rows",
            "INSERT INTO symbol_factor_exposures AS e (symbol, factor_id, calculation_date, beta_value, r_squared,"
            " observations, quality_flag, calculation_method, regularization_alpha, regression_window_days)"
            " SELECT i.symbol, f.id, $1::date, i.beta, i.r_squared, i.observations, 'full_history', i.method,"
            " i.alpha, i.window_days FROM sg_factor_in i JOIN factor_definitions f ON f.name = i.factor_name"
            " ORDER BY i.symbol COLLATE \"C\", f.id"
            " ON CONFLICT (symbol, factor_id, calculation_date) DO UPDATE SET"
            " beta_value = EXCLUDED.beta_value, r_squared = EXCLUDED.r_squared,"
            " observations = EXCLUDED.observations, quality_flag = EXCLUDED.quality_flag,"
            " calculation_method = EXCLUDED.calculation_method,"
            " regularization_alpha = EXCLUDED.regularization_alpha,"
            " regression_window_days = EXCLUDED.regression_window_days"
            " WHERE (e.beta_value, e.r_squared, e.observations, e.quality_flag, e.calculation_method,"
            "        e.regularization_alpha, e.regression_window_days)"
            "   IS DISTINCT FROM (EXCLUDED.beta_value, EXCLUDED.r_squared, EXCLUDED.observations,"
            "        EXCLUDED.quality_flag, EXCLUDED.calculation_method, EXCLUDED.regularization_alpha,"
            "        EXCLUDED.regression_window_days)",
            1, params, err, errlen);
    if (rc == 0)
        rc = run_sql(s, "set last_factor_date",
                     "UPDATE symbol_universe u SET last_factor_date = $1::date, updated_at = now()"
                     " FROM (SELECT symbol FROM symbol_universe WHERE symbol IN (SELECT symbol FROM sg_factor_in)"
                     "   AND last_factor_date IS DISTINCT FROM $1::date"
                     "   ORDER BY symbol COLLATE \"C\" FOR UPDATE) l"
                     " WHERE u.symbol = l.symbol",
                     1, params, err, errlen);
    sg_copybuf_free(&b);
    return rc;
}

/* A metrics value as exact decimal text (NULL for NULL). */
static void copy_num(sg_copybuf *b, const sg_num *v)
{
    char buf[SG_NUM_LEN + SG_DEC_MAXDIG];
    if (v->kind == SG_NUM_NULL) {
        sg_copy_field(b, NULL);
    } else if (v->kind == SG_NUM_FLOAT) {
        copy_double(b, v->f);
    } else if (v->d.nan) {
        sg_copy_field(b, "NaN");
    } else {
        snprintf(buf, sizeof buf, "%s0.%.*se%d", v->d.neg ? "-" : "", v->d.ndig ? v->d.ndig : 1,
                 v->d.ndig ? v->d.dig : "0", v->d.decpt);
        sg_copy_field(b, buf);
    }
}

/* Appends open, then fmt for each column of the comma-separated list (fmt
 * may use the name twice; items after the first are joined by ", " unless fmt
 * starts with its own separator), then close. Returns the new length. */
static int append_each(char *sql, size_t cap, int len, const char *cols, const char *fmt, const char *open,
                       const char *close)
{
    char col[64];
    bool first = true;
    len += snprintf(sql + len, cap - (size_t)len, "%s", open);
    for (const char *c = cols; c && (size_t)len < cap; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL) {
        if (sscanf(c, " %63[a-z0-9_]", col) != 1)
            continue;
        if (!first && fmt[0] != ',')
            len += snprintf(sql + len, cap - (size_t)len, ", ");
        len += snprintf(sql + len, cap - (size_t)len, fmt, col, col);
        first = false;
    }
    return len + snprintf(sql + len, cap - (size_t)len, "%s", close);
}

int sg_store_write_metrics(sg_store *s, const char *const *symbols, size_t n, sg_day calc, const sg_metrics_row *rows,
                           char *err, size_t errlen)
{
    sg_copybuf b = {0};
    char d[SG_DATE_LEN];
    day_text(calc, d);
    for (size_t i = 0; i < n; i++) {
        const sg_metrics_row *m = &rows[i];
        sg_copy_field(&b, symbols[m->sym]);
        sg_copy_sep(&b);
        sg_copy_field(&b, d);
        sg_copy_sep(&b);
        copy_num(&b, &m->current_price);
        for (int k = 0; k < SG_NRETURNS; k++) {
            sg_copy_sep(&b);
            copy_num(&b, &m->ret[k]);
        }
        sg_copy_sep(&b);
        copy_num(&b, &m->market_cap);
        sg_copy_sep(&b);
        copy_num(&b, &m->pe_ratio);
        const char *text[3] = {m->sector, m->industry, m->company_name};
        for (int k = 0; k < 3; k++) {
            sg_copy_sep(&b);
            sg_copy_field(&b, text[k]);
        }
        for (int k = 0; k < SG_METRIC_FACTORS; k++) {
            sg_copy_sep(&b);
            copy_num(&b, &m->factor[k]);
        }
        sg_copy_sep(&b);
        copy_int(&b, m->data_quality_score);
        sg_copy_eol(&b);
    }
    static const char cols[] =
        "symbol, metrics_date, current_price, return_1d, return_mtd, return_ytd, return_1m, return_3m, return_1y,"
        " market_cap, pe_ratio, sector, industry, company_name, factor_value, factor_growth, factor_momentum,"
        " factor_quality, factor_size, factor_low_vol, factor_growth_value_spread, factor_momentum_spread,"
        " factor_size_spread, factor_quality_spread, data_quality_score";
    char sql[4096];
    int rc = sg_store_exec(s, "write metrics",
                           "CREATE TEMP TABLE IF NOT EXISTS sg_metrics_in"
                           " (LIKE symbol_daily_metrics INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                           err, errlen);
    snprintf(sql, sizeof sql, "COPY sg_metrics_in (%s) FROM STDIN", cols);
    if (rc == 0)
        rc = sg_store_copy(s, "write metrics", sql, &b, err, errlen);
    if (rc == 0) {
        /* Every column but the key is updated (the table holds the latest run
         * only), and only when a value changed, so a re-run leaves rows alone. */
        const char *values = strchr(cols, ',') + 1;
        int len = snprintf(sql, sizeof sql,
                           "INSERT INTO symbol_daily_metrics AS m (%s, updated_at) SELECT %s, now() FROM sg_metrics_in"
                           " ORDER BY symbol COLLATE \"C\""
                           " ON CONFLICT (symbol) DO UPDATE SET updated_at = now()",
                           cols, cols);
        len = append_each(sql, sizeof sql, len, values, ", %s = EXCLUDED.%s", "", "");
        len = append_each(sql, sizeof sql, len, values, "m.%s", " WHERE (", ")");
        append_each(sql, sizeof sql, len, values, "EXCLUDED.%s", " IS DISTINCT FROM (", ")");
        rc = sg_store_exec(s, "write metrics", sql, err, errlen);
    }
    sg_copybuf_free(&b);
    return rc;
}

/* ---- prices from providers ---------------------------------------------------------- */

#define FULL_HISTORY_DAYS 365
#define MIN_RECENT_ROWS 50

int sg_store_fetch_windows(sg_store *s, const char *const *symbols, size_t n, sg_day calc, sg_fetch_window *out,
                           char *err, size_t errlen)
{
    char d[SG_DATE_LEN];
    char *arr = sg_store_text_array(symbols, n);
    if (!arr) {
        snprintf(err, errlen, "fetch windows: out of memory");
        return -1;
    }
    const char *params[2] = {arr, day_text(calc, d)};
    PGresult *r = sg_store_query(s, "fetch windows",
                                 "SELECT count(m.date) FILTER (WHERE m.date > $2::date - 365),"
                                 " to_char(max(m.date), 'YYYY-MM-DD'), coalesce(bool_or(m.date = $2::date), false)"
                                 " FROM unnest($1::text[]) WITH ORDINALITY AS s(symbol, i)"
                                 " LEFT JOIN market_data_cache m ON m.symbol = s.symbol AND m.date <= $2::date"
                                 " GROUP BY s.i ORDER BY s.i",
                                 2, params, err, errlen);
    free(arr);
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sg_fetch_window *w = &out[i];
        const char *last = PQgetvalue(r, (int)i, 1), *why;
        sg_day last_day = 0;
        w->recent_rows = atol(PQgetvalue(r, (int)i, 0));
        w->skip = strcmp(PQgetvalue(r, (int)i, 2), "t") == 0;
        w->to = calc;
        if (w->recent_rows < MIN_RECENT_ROWS || sg_day_parse(last, strlen(last), &last_day, &why))
            w->from = calc - FULL_HISTORY_DAYS;
        else
            w->from = last_day; /* refetching the last day is harmless: the upsert absorbs it */
    }
    PQclear(r);
    return 0;
}

/* Appends one element to a PostgreSQL array literal being built in b. */
static void array_add(sg_copybuf *b, const char *text)
{
    sg_copy_fieldn(b, b->len ? "," : "{", 1);
    sg_copy_field(b, text ? text : "NULL"); /* elements here never need quoting */
}

static void array_add_price(sg_copybuf *b, double v)
{
    char buf[SG_NUM_LEN];
    if (!isnan(v))
        sg_fmt_repr(v, buf);
    array_add(b, isnan(v) ? NULL : buf);
}

static const char *array_end(sg_copybuf *b)
{
    sg_copy_fieldn(b, b->len ? "}" : "{}", b->len ? 2 : 3); /* with the NUL */
    return b->p;
}

int sg_store_write_bars(sg_store *s, const char *symbol, const struct sg_bars *bars, const char *data_source,
                        char *err, size_t errlen)
{
    enum { ID, DATE, OPEN, HIGH, LOW, CLOSE, VOLUME, NCOLS };
    sg_copybuf col[NCOLS] = {{0}};
    char d[SG_DATE_LEN], id[37], v[24];
    for (size_t i = 0; i < bars->n; i++) {
        const sg_bar *x = &bars->v[i];
        sg_store_new_id(id);
        array_add(&col[ID], id);
        array_add(&col[DATE], day_text(x->day, d));
        array_add_price(&col[OPEN], x->open);
        array_add_price(&col[HIGH], x->high);
        array_add_price(&col[LOW], x->low);
        array_add_price(&col[CLOSE], x->close);
        snprintf(v, sizeof v, "%lld", x->volume);
        array_add(&col[VOLUME], x->volume < 0 ? NULL : v);
    }
    const char *params[2 + NCOLS] = {symbol, data_source};
    int oom = 0;
    for (int k = 0; k < NCOLS; k++) {
        params[2 + k] = array_end(&col[k]);
        oom |= col[k].oom;
    }
    /* One statement, so one round trip and one transaction: the bars, the
     * universe row and last_price_date commit together or not at all. */
    int rc = oom ? -1
                 : run_sql(s, "write bars",
                           "WITH bars AS (SELECT * FROM unnest($3::uuid[], $4::date[], $5::numeric[], $6::numeric[],"
                           "   $7::numeric[], $8::numeric[], $9::int[]) AS b(id, date, open, high, low, close, volume)),"
                           " written AS (INSERT INTO market_data_cache AS m (id, symbol, date, open, high, low, close,"
                           "   volume, data_source) SELECT id, $1, date, open, high, low, close, volume, $2 FROM bars ORDER BY date"
                           "   ON CONFLICT (symbol, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,"
                           "   low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,"
                           "   data_source = EXCLUDED.data_source, updated_at = now()"
                           "   WHERE (m.open, m.high, m.low, m.close, m.volume, m.data_source) IS DISTINCT FROM"
                           "   (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,"
                           "   EXCLUDED.data_source))"
                           " INSERT INTO symbol_universe AS u (symbol, asset_type, first_seen_date, last_seen_date,"
                           "   is_active, added_source, last_price_date)"
                           " SELECT $1, 'equity', min(date), max(date), true, 'batch', max(date) FROM bars"
                           " HAVING count(*) > 0"
                           " ON CONFLICT (symbol) DO UPDATE SET"
                           "   last_price_date = GREATEST(u.last_price_date, EXCLUDED.last_price_date)"
                           " WHERE u.last_price_date IS DISTINCT FROM GREATEST(u.last_price_date, EXCLUDED.last_price_date)",
                           2 + NCOLS, params, err, errlen);
    if (oom)
        snprintf(err, errlen, "write bars: out of memory");
    for (int k = 0; k < NCOLS; k++)
        sg_copybuf_free(&col[k]);
    return rc;
}
