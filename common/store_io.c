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

#include "log.h"
#include "providers.h"
#include "symbols.h"

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

int sg_store_symbol_list(sg_store *s, sg_day calc, char ***out, size_t *n, char ***refused, size_t *nrefused, char *err,
                         size_t errlen)
{
    *out = *refused = NULL;
    *n = *nrefused = 0;
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
    char **v = malloc(((size_t)PQntuples(r) + 1) * sizeof *v), **bad = malloc(((size_t)PQntuples(r) + 1) * sizeof *bad);
    for (int i = 0; v && bad && i < PQntuples(r); i++) {
        const char *sym = PQgetvalue(r, i, 0);
        char why[SG_SYMBOL_WHY_LEN];
        if (sg_symbol_excluded(sym, calc))
            continue;
        bool ok = sg_symbol_check(sym, why, sizeof why) == 0;
        char *copy = strdup(ok ? sym : why);
        if (!copy) {
            sg_strings_free(v, *n);
            sg_strings_free(bad, *nrefused);
            v = bad = NULL;
        } else if (ok) {
            v[(*n)++] = copy;
        } else {
            bad[(*nrefused)++] = copy;
        }
    }
    PQclear(r);
    if (!v || !bad) {
        free(v);
        free(bad);
        *n = *nrefused = 0;
        snprintf(err, errlen, "symbol list: out of memory");
        return -1;
    }
    *refused = bad;
    qsort(v, *n, sizeof *v, cmp_str); /* byte order, whatever the database's collation */
    *out = v;
    return 0;
}

/* ---- what fits the columns ----------------------------------------------------- */

const sg_numcol_def sg_numcols[SG_NUMCOLS] = {
    [SG_COL_EXPOSURE_BETA] = {"symbol_factor_exposures", "beta_value", 10, 6},
    [SG_COL_EXPOSURE_R2] = {"symbol_factor_exposures", "r_squared", 6, 4},
    [SG_COL_EXPOSURE_ALPHA] = {"symbol_factor_exposures", "regularization_alpha", 6, 4},
    [SG_COL_METRICS_PRICE] = {"symbol_daily_metrics", "current_price", 12, 4},
    [SG_COL_METRICS_RETURN] = {"symbol_daily_metrics", "return_1d", 10, 6}, /* every return_* */
    [SG_COL_METRICS_MARKET_CAP] = {"symbol_daily_metrics", "market_cap", 18, 2},
    [SG_COL_METRICS_PE] = {"symbol_daily_metrics", "pe_ratio", 10, 4},
    [SG_COL_METRICS_FACTOR] = {"symbol_daily_metrics", "factor_value", 10, 6}, /* every factor_* */
    [SG_COL_METRICS_QUALITY] = {"symbol_daily_metrics", "data_quality_score", 5, 2},
    [SG_COL_PROFILE_MARKET_CAP] = {"company_profiles", "market_cap", 20, 2},
    [SG_COL_PROFILE_PE] = {"company_profiles", "pe_ratio", 12, 4},
    [SG_COL_PROFILE_BETA] = {"company_profiles", "beta", 12, 6},
    [SG_COL_PRICE] = {"market_data_cache", "close", 12, 4}, /* and open, high, low */
};

/* A decimal for a message: plain when short, else d.ddde+N. */
static const char *dec_text(const sg_dec *d, char buf[SG_NUM_LEN])
{
    if (!d->nan && d->ndig > 0 && (d->decpt > 21 || d->decpt < -6)) {
        snprintf(buf, SG_NUM_LEN, "%s%c%s%.*se%+d", d->neg ? "-" : "", d->dig[0], d->ndig > 1 ? "." : "",
                 d->ndig - 1, d->dig + 1, d->decpt - 1);
        return buf;
    }
    int scale = d->ndig - d->decpt;
    sg_dec_format_fixed(d, scale > 0 ? scale : 0, buf); /* exact: nothing is cut */
    return buf;
}

static const char *misfit(sg_numcol col, const char *text, char *why, size_t whylen)
{
    const sg_numcol_def *c = &sg_numcols[col];
    snprintf(why, whylen, "%s does not fit %s.%s NUMERIC(%d,%d) (|value| < 10^%d)", text, c->table, c->column,
             c->precision, c->scale, c->precision - c->scale);
    return why;
}

const char *sg_numcol_check_dec(sg_numcol col, const sg_dec *v, char *why, size_t whylen)
{
    char buf[SG_NUM_LEN];
    if (sg_dec_fits(v, sg_numcols[col].precision, sg_numcols[col].scale))
        return NULL;
    return misfit(col, dec_text(v, buf), why, whylen);
}

const char *sg_numcol_check_double(sg_numcol col, double v, char *why, size_t whylen)
{
    char buf[SG_NUM_LEN];
    if (sg_double_fits(v, sg_numcols[col].precision, sg_numcols[col].scale))
        return NULL;
    sg_fmt_repr(v, buf);
    return misfit(col, buf, why, whylen);
}

/* What the factor writer sends for a row's R-squared: NULL for 0.0 or none. */
static bool r2_stored(const sg_factor_row *r)
{
    return !r->r2_null && r->r2 != 0; /* `Decimal(str(r2)) if r2 else None` */
}

/* The first value of a factor row that does not fit, as a reason; NULL if none. */
static const char *factor_row_misfit(const sg_factor_row *r, char *why, size_t whylen)
{
    const sg_numcol_def *beta = &sg_numcols[SG_COL_EXPOSURE_BETA], *r2 = &sg_numcols[SG_COL_EXPOSURE_R2];
    const char *name = sg_factor_defs[r->factor].name;
    char v[SG_NUM_LEN];
    if (!sg_double_fits(r->beta, beta->precision, beta->scale)) {
        sg_fmt_repr(r->beta, v);
        snprintf(why, whylen, "%s: beta %.32s does not fit NUMERIC(%d,%d) (|beta| < 10^%d)", name, v,
                 beta->precision, beta->scale, beta->precision - beta->scale);
        return why;
    }
    if (r2_stored(r) && !sg_double_fits(r->r2, r2->precision, r2->scale)) {
        sg_fmt_repr(r->r2, v);
        snprintf(why, whylen, "%s: R-squared %.32s does not fit NUMERIC(%d,%d)", name, v, r2->precision, r2->scale);
        return why;
    }
    return NULL;
}

long sg_store_screen_factors(sg_factor_result *res, char *err, size_t errlen)
{
    char why[sizeof res->failures[0].reason];
    size_t bad = 0;
    for (size_t i = 0; i < res->nrows; i++)
        bad += factor_row_misfit(&res->rows[i], why, sizeof why) != NULL;
    if (bad == 0)
        return 0;
    sg_factor_failure *f = realloc(res->failures, (res->nfailures + bad) * sizeof *f);
    if (!f) {
        snprintf(err, errlen, "screen factor rows: out of memory");
        return -1;
    }
    res->failures = f;
    size_t kept = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        const sg_factor_row *r = &res->rows[i];
        if (!factor_row_misfit(r, why, sizeof why)) {
            res->rows[kept++] = *r; /* order kept: by symbol, then factor name */
            continue;
        }
        sg_factor_failure *x = &res->failures[res->nfailures++];
        x->sym = r->sym;
        x->step = (uint8_t)sg_factor_defs[r->factor].step;
        snprintf(x->reason, sizeof x->reason, "%s", why);
    }
    res->nrows = kept;
    return (long)bad;
}

/* Whether a metrics value fits col; NULL always does. */
static const char *num_misfit(sg_numcol col, const sg_num *v, char *why, size_t whylen)
{
    if (v->kind == SG_NUM_NULL)
        return NULL;
    return v->kind == SG_NUM_FLOAT ? sg_numcol_check_double(col, v->f, why, whylen)
                                   : sg_numcol_check_dec(col, &v->d, why, whylen);
}

/* Every NUMERIC value of a metrics row with its column, in one list. */
typedef struct metric_value {
    sg_num *v;
    sg_numcol col;
    const char *name;
} metric_value;

static size_t metric_values(sg_metrics_row *m, metric_value out[3 + SG_NRETURNS + SG_METRIC_FACTORS])
{
    size_t n = 0;
    out[n++] = (metric_value){&m->current_price, SG_COL_METRICS_PRICE, "current_price"};
    for (int k = 0; k < SG_NRETURNS; k++)
        out[n++] = (metric_value){&m->ret[k], SG_COL_METRICS_RETURN, sg_metric_return_columns[k]};
    out[n++] = (metric_value){&m->market_cap, SG_COL_METRICS_MARKET_CAP, "market_cap"};
    out[n++] = (metric_value){&m->pe_ratio, SG_COL_METRICS_PE, "pe_ratio"};
    for (int k = 0; k < SG_METRIC_FACTORS; k++)
        out[n++] = (metric_value){&m->factor[k], SG_COL_METRICS_FACTOR, sg_metric_factor_columns[k]};
    return n;
}

size_t sg_store_screen_metrics(const char *const *symbols, sg_metrics_row *rows, size_t n)
{
    size_t nulled = 0;
    for (size_t i = 0; i < n; i++) {
        metric_value mv[3 + SG_NRETURNS + SG_METRIC_FACTORS];
        size_t nv = metric_values(&rows[i], mv);
        for (size_t k = 0; k < nv; k++) {
            char why[256];
            if (!num_misfit(mv[k].col, mv[k].v, why, sizeof why))
                continue;
            sg_log(SG_LOG_WARN, "%s: %s: %s; stored as NULL", symbols[rows[i].sym], mv[k].name, why);
            if (mv[k].v == &rows[i].ret[SG_RET_1D])
                rows[i].data_quality_score -= 30; /* the score counts a stored return_1d */
            *mv[k].v = (sg_num){.kind = SG_NUM_NULL};
            nulled++;
        }
    }
    return nulled;
}

int sg_store_price_range(sg_store *s, const char *const *symbols, size_t n, long *rows, sg_day *first, sg_day *last,
                         char *err, size_t errlen)
{
    PGresult *r = sg_store_query_list(s, "stored price range",
                                 "SELECT count(*), coalesce(to_char(min(date), 'YYYY-MM-DD'), ''),"
                                 " coalesce(to_char(max(date), 'YYYY-MM-DD'), '')"
                                 " FROM market_data_cache WHERE symbol = ANY($1::text[])",
                                 symbols, n, 0, NULL, err, errlen);
    if (!r)
        return -1;
    const char *a = PQgetvalue(r, 0, 1), *b = PQgetvalue(r, 0, 2), *why;
    *rows = atol(PQgetvalue(r, 0, 0));
    *first = *last = 0;
    if (*rows > 0 && (sg_day_parse(a, strlen(a), first, &why) || sg_day_parse(b, strlen(b), last, &why)))
        *rows = 0;
    PQclear(r);
    return 0;
}

/* ---- writing ----------------------------------------------------------------- */

int sg_store_ensure_symbols(sg_store *s, const char *const *symbols, size_t n, sg_day calc, const char *added_source,
                            char *err, size_t errlen)
{
    char d[SG_DATE_LEN];
    const char *more[2] = {day_text(calc, d), added_source};
    PGresult *r = sg_store_query_list(s, "ensure symbols in universe",
                                 "INSERT INTO symbol_universe (symbol, asset_type, first_seen_date, last_seen_date,"
                                 " is_active, added_source)"
                                 " SELECT symbol, 'equity', $2::date, $2::date, true, $3"
                                 " FROM (SELECT DISTINCT unnest($1::text[]) AS symbol) d ORDER BY symbol COLLATE \"C\""
                                 " ON CONFLICT (symbol) DO UPDATE SET last_seen_date ="
                                 " GREATEST(symbol_universe.last_seen_date, EXCLUDED.last_seen_date), updated_at = now()"
                                 " WHERE symbol_universe.last_seen_date IS DISTINCT FROM"
                                 " GREATEST(symbol_universe.last_seen_date, EXCLUDED.last_seen_date)",
                                 symbols, n, 2, more, err, errlen);
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

/* factor_definitions ids of the factors that have rows, by sg_factor; a name
 * the table lacks is an error: its rows would be lost (the app skips them). */
static int factor_ids(sg_store *s, const sg_factor_result *res, char ids[SG_NFACTORS][37], char *err, size_t errlen)
{
    const char *names[SG_NFACTORS];
    size_t rows[SG_NFACTORS] = {0}, n = 0;
    for (size_t i = 0; i < res->nrows; i++)
        rows[res->rows[i].factor]++;
    for (int f = 0; f < SG_NFACTORS; f++)
        if (rows[f])
            names[n++] = sg_factor_defs[f].name;
    PGresult *r = sg_store_query_list(s, "write factor rows: read factor_definitions",
                                 "SELECT n.name, coalesce(f.id::text, '') FROM unnest($1::text[]) AS n(name)"
                                 " LEFT JOIN factor_definitions f ON f.name = n.name",
                                 names, n, 0, NULL, err, errlen);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *name = PQgetvalue(r, i, 0), *id = PQgetvalue(r, i, 1);
        for (int f = 0; f < SG_NFACTORS; f++) {
            if (strcmp(sg_factor_defs[f].name, name) != 0)
                continue;
            if (!*id || strlen(id) != 36) {
                snprintf(err, errlen,
                         "write factor rows: factor_definitions has no row named '%s' (detail: its %zu rows"
                         " would be lost; rows are joined to their definition by name; hint: `sigmactl migrate"
                         " up` seeds the app's definitions; a renamed definition must get its name back)",
                         name, rows[f]);
                rc = -1;
            } else {
                memcpy(ids[f], id, 37);
            }
        }
    }
    PQclear(r);
    return rc;
}

int sg_store_write_factors(sg_store *s, const char *const *symbols, const sg_factor_result *res, sg_day calc,
                           double alpha, char *err, size_t errlen)
{
    char ids[SG_NFACTORS][37], why[256];
    if (res->nrows == 0)
        return 0;
    if (factor_ids(s, res, ids, err, errlen))
        return -1;
    if (sg_numcol_check_double(SG_COL_EXPOSURE_ALPHA, alpha, why, sizeof why)) {
        snprintf(err, errlen, "write factor rows: alpha %s", why);
        return -1;
    }
    sg_copybuf b = {0};
    for (size_t i = 0; i < res->nrows; i++) {
        const sg_factor_row *r = &res->rows[i];
        const sg_factor_def *def = &sg_factor_defs[r->factor];
        if (factor_row_misfit(r, why, sizeof why)) { /* sg_store_screen_factors drops these */
            snprintf(err, errlen, "write factor rows: %s %s", symbols[r->sym], why);
            sg_copybuf_free(&b);
            return -1;
        }
        sg_copy_field(&b, symbols[r->sym]);
        sg_copy_sep(&b);
        sg_copy_field(&b, ids[r->factor]);
        sg_copy_sep(&b);
        copy_double(&b, r->beta);
        sg_copy_sep(&b);
        if (r2_stored(r))
            copy_double(&b, r->r2);
        else
            sg_copy_field(&b, NULL);
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
                           "CREATE TEMP TABLE IF NOT EXISTS sg_factor_rows (symbol text, factor_id uuid,"
                           " beta numeric, r_squared numeric, observations int, method text, alpha numeric,"
                           " window_days int) ON COMMIT DELETE ROWS",
                           err, errlen);
    if (rc == 0)
        rc = sg_store_copy(s, "write factor rows", "COPY sg_factor_rows FROM STDIN", &b, err, errlen);
    if (rc == 0)
        rc = run_sql(
            s, "write factor rows",
            "INSERT INTO symbol_factor_exposures AS e (symbol, factor_id, calculation_date, beta_value, r_squared,"
            " observations, quality_flag, calculation_method, regularization_alpha, regression_window_days)"
            " SELECT i.symbol, i.factor_id, $1::date, i.beta, i.r_squared, i.observations, 'full_history', i.method,"
            " i.alpha, i.window_days FROM sg_factor_rows i"
            " ORDER BY i.symbol COLLATE \"C\", i.factor_id"
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
    /* Rows reported written are rows that are there: counted back, not assumed. */
    PGresult *r = rc ? NULL
                     : sg_store_query(s, "write factor rows: count",
                                      "SELECT count(*) FROM sg_factor_rows i JOIN symbol_factor_exposures e"
                                      " ON e.symbol = i.symbol AND e.factor_id = i.factor_id"
                                      " AND e.calculation_date = $1::date",
                                      1, params, err, errlen);
    if (rc == 0 && !r)
        rc = -1;
    if (r && strtoul(PQgetvalue(r, 0, 0), NULL, 10) != res->nrows) {
        snprintf(err, errlen, "write factor rows: %s of %zu rows found after the upsert", PQgetvalue(r, 0, 0),
                 res->nrows);
        rc = -1;
    }
    PQclear(r);
    if (rc == 0)
        rc = run_sql(s, "set last_factor_date",
                     "UPDATE symbol_universe u SET last_factor_date = GREATEST(u.last_factor_date, $1::date),"
                     " updated_at = now()"
                     " FROM (SELECT symbol FROM symbol_universe WHERE symbol IN (SELECT symbol FROM sg_factor_rows)"
                     "   AND last_factor_date IS DISTINCT FROM GREATEST(last_factor_date, $1::date)"
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
 * starts with its own separator), then close. The buffer grows: a longer list
 * can never overrun it. */
static void append_each(sg_copybuf *sql, const char *cols, const char *fmt, const char *open, const char *close)
{
    char col[64];
    bool first = true;
    sg_buf_printf(sql, "%s", open);
    for (const char *c = cols; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL) {
        if (sscanf(c, " %63[a-z0-9_]", col) != 1)
            continue;
        if (!first && fmt[0] != ',')
            sg_buf_printf(sql, ", ");
        sg_buf_printf(sql, fmt, col, col);
        first = false;
    }
    sg_buf_printf(sql, "%s", close);
}

/* The COPY text of one metrics row; -1 with err when a value does not fit
 * (sg_store_screen_metrics makes those NULL first). */
static int copy_metrics_row(sg_copybuf *b, const char *symbol, const char *date, const sg_metrics_row *row,
                            char *err, size_t errlen)
{
    sg_metrics_row m = *row;
    metric_value mv[3 + SG_NRETURNS + SG_METRIC_FACTORS];
    size_t nv = metric_values(&m, mv);
    char why[256];
    for (size_t k = 0; k < nv; k++)
        if (num_misfit(mv[k].col, mv[k].v, why, sizeof why)) {
            snprintf(err, errlen, "write metrics: %s %s: %s", symbol, mv[k].name, why);
            return -1;
        }
    sg_copy_field(b, symbol);
    sg_copy_sep(b);
    sg_copy_field(b, date);
    sg_copy_sep(b);
    copy_num(b, &m.current_price);
    for (int k = 0; k < SG_NRETURNS; k++) {
        sg_copy_sep(b);
        copy_num(b, &m.ret[k]);
    }
    sg_copy_sep(b);
    copy_num(b, &m.market_cap);
    sg_copy_sep(b);
    copy_num(b, &m.pe_ratio);
    const char *text[3] = {m.sector, m.industry, m.company_name};
    for (int k = 0; k < 3; k++) {
        sg_copy_sep(b);
        sg_copy_field(b, text[k]);
    }
    for (int k = 0; k < SG_METRIC_FACTORS; k++) {
        sg_copy_sep(b);
        copy_num(b, &m.factor[k]);
    }
    sg_copy_sep(b);
    copy_int(b, m.data_quality_score);
    sg_copy_eol(b);
    return 0;
}

int sg_store_write_metrics(sg_store *s, const char *const *symbols, size_t n, sg_day calc, const sg_metrics_row *rows,
                           size_t *kept_newer, char *err, size_t errlen)
{
    sg_copybuf b = {0}, sql = {0};
    char d[SG_DATE_LEN];
    day_text(calc, d);
    if (kept_newer)
        *kept_newer = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = copy_metrics_row(&b, symbols[rows[i].sym], d, &rows[i], err, errlen);
    static const char cols[] =
        "symbol, metrics_date, current_price, return_1d, return_mtd, return_ytd, return_1m, return_3m, return_1y,"
        " market_cap, pe_ratio, sector, industry, company_name, factor_value, factor_growth, factor_momentum,"
        " factor_quality, factor_size, factor_low_vol, factor_growth_value_spread, factor_momentum_spread,"
        " factor_size_spread, factor_quality_spread, data_quality_score";
    if (rc == 0)
        rc = sg_store_exec(s, "write metrics",
                           "CREATE TEMP TABLE IF NOT EXISTS sg_metrics_in"
                           " (LIKE symbol_daily_metrics INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                           err, errlen);
    sg_buf_printf(&sql, "COPY sg_metrics_in (%s) FROM STDIN", cols);
    const char *text = sg_buf_str(&sql);
    if (rc == 0 && !text) {
        snprintf(err, errlen, "write metrics: out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = sg_store_copy(s, "write metrics", text, &b, err, errlen);
    PGresult *r = NULL;
    if (rc == 0 && !(r = sg_store_query(s, "write metrics",
                                        "SELECT count(*) FROM symbol_daily_metrics m JOIN sg_metrics_in i"
                                        " USING (symbol) WHERE m.metrics_date > i.metrics_date",
                                        0, NULL, err, errlen)))
        rc = -1;
    if (r && kept_newer)
        *kept_newer = strtoul(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (rc == 0) {
        /* Every column but the key is updated (the table holds the latest run
         * only), never by an older date, and only when a value changed, so a
         * re-run leaves rows alone. */
        const char *values = strchr(cols, ',') + 1;
        sql.len = 0;
        sg_buf_printf(&sql,
                      "INSERT INTO symbol_daily_metrics AS m (%s, updated_at) SELECT %s, now() FROM sg_metrics_in"
                      " ORDER BY symbol COLLATE \"C\""
                      " ON CONFLICT (symbol) DO UPDATE SET updated_at = now()",
                      cols, cols);
        append_each(&sql, values, ", %s = EXCLUDED.%s", "", "");
        append_each(&sql, values, "m.%s", " WHERE m.metrics_date <= EXCLUDED.metrics_date AND (", ")");
        append_each(&sql, values, "EXCLUDED.%s", " IS DISTINCT FROM (", ")");
        if (!(text = sg_buf_str(&sql))) {
            snprintf(err, errlen, "write metrics: out of memory");
            rc = -1;
        } else {
            rc = sg_store_exec(s, "write metrics", text, err, errlen);
        }
    }
    sg_copybuf_free(&sql);
    sg_copybuf_free(&b);
    return rc;
}

/* ---- prices from providers ---------------------------------------------------------- */

#define FULL_HISTORY_DAYS 365
#define MIN_RECENT_ROWS 50
#define SG_XSTR(x) #x
#define SG_STR(x) SG_XSTR(x)

int sg_store_fetch_windows(sg_store *s, const char *const *symbols, size_t n, sg_day calc, sg_fetch_window *out,
                           char *err, size_t errlen)
{
    char d[SG_DATE_LEN];
    const char *more[1] = {day_text(calc, d)};
    /* Per symbol, two index probes on (symbol, date): its last stored day up to
     * D, and its rows in (D-365, D] counted up to the 50 the rule needs (a
     * whole universe's history is never read: 10,000 symbols in ~0.2 s). */
    PGresult *r = sg_store_query_list(s, "fetch windows",
                                 "SELECT coalesce(c.n, 0), to_char(l.last, 'YYYY-MM-DD'), coalesce(l.last = $2::date, false)"
                                 " FROM unnest($1::text[]) WITH ORDINALITY AS s(symbol, i)"
                                 " LEFT JOIN LATERAL (SELECT max(m.date) AS last FROM market_data_cache m"
                                 "  WHERE m.symbol = s.symbol AND m.date <= $2::date) l ON true"
                                 " LEFT JOIN LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM market_data_cache m"
                                 "  WHERE m.symbol = s.symbol AND m.date > $2::date - 365 AND m.date <= $2::date"
                                 "  LIMIT " SG_STR(MIN_RECENT_ROWS) ") x) c ON true"
                                 " ORDER BY s.i",
                                 symbols, n, 1, more, err, errlen);
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sg_fetch_window *w = &out[i];
        const char *last = PQgetvalue(r, (int)i, 1), *why;
        sg_day last_day = 0;
        w->recent_rows = atol(PQgetvalue(r, (int)i, 0));
        w->skip = strcmp(PQgetvalue(r, (int)i, 2), "t") == 0;
        w->to = calc;
        w->incremental = false;
        if (w->recent_rows < MIN_RECENT_ROWS || sg_day_parse(last, strlen(last), &last_day, &why))
            w->from = calc - FULL_HISTORY_DAYS;
        else {
            w->from = last_day; /* refetching the last day is harmless: the upsert absorbs it */
            w->incremental = !w->skip;
        }
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

/* The bars' upsert rules, one text for the per-symbol and the bulk writes: a
 * bar is rewritten only when a value or its source changed, and a symbol's
 * last_price_date only moves forward. */
#define BARS_ON_CONFLICT                                                                                           \
    "   ON CONFLICT (symbol, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,"                      \
    "   low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,"                                     \
    "   data_source = EXCLUDED.data_source, updated_at = now()"                                                    \
    "   WHERE (m.open, m.high, m.low, m.close, m.volume, m.data_source) IS DISTINCT FROM"                          \
    "   (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,"                             \
    "   EXCLUDED.data_source))"
#define UNIVERSE_ON_CONFLICT                                                                                       \
    " ON CONFLICT (symbol) DO UPDATE SET"                                                                          \
    "   last_price_date = GREATEST(u.last_price_date, EXCLUDED.last_price_date)"                                   \
    " WHERE u.last_price_date IS DISTINCT FROM GREATEST(u.last_price_date, EXCLUDED.last_price_date)"

int sg_store_write_bars(sg_store *s, const char *symbol, const struct sg_bars *bars, const char *data_source,
                        char *err, size_t errlen)
{
    enum { ID, DATE, OPEN, HIGH, LOW, CLOSE, VOLUME, NCOLS };
    sg_copybuf col[NCOLS] = {{0}};
    char d[SG_DATE_LEN], id[37], v[24], why[256];
    for (size_t i = 0; i < bars->n; i++) { /* the symbol's error, not PostgreSQL's overflow */
        const sg_bar *x = &bars->v[i];
        const double px[4] = {x->open, x->high, x->low, x->close};
        for (int k = 0; k < 4; k++)
            if (!isnan(px[k]) && sg_numcol_check_double(SG_COL_PRICE, px[k], why, sizeof why)) {
                snprintf(err, errlen, "write bars: %s %s %s %s", symbol, day_text(x->day, d),
                         (const char *const[]){"open", "high", "low", "close"}[k], why);
                return -1;
            }
    }
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
                           BARS_ON_CONFLICT
                           " INSERT INTO symbol_universe AS u (symbol, asset_type, first_seen_date, last_seen_date,"
                           "   is_active, added_source, last_price_date)"
                           " SELECT $1, 'equity', min(date), max(date), true, 'batch', max(date) FROM bars"
                           " HAVING count(*) > 0"
                           UNIVERSE_ON_CONFLICT,
                           2 + NCOLS, params, err, errlen);
    if (oom)
        snprintf(err, errlen, "write bars: out of memory");
    for (int k = 0; k < NCOLS; k++)
        sg_copybuf_free(&col[k]);
    return rc;
}

int sg_store_write_bar_rows(sg_store *s, const char *const *symbols, const struct sg_bar *bars, size_t n,
                            const char *data_source, char *err, size_t errlen)
{
    sg_copybuf b = {0};
    char d[SG_DATE_LEN], id[37], v[24], why[256], num[SG_NUM_LEN];
    for (size_t i = 0; i < n; i++) {
        const sg_bar *x = &bars[i];
        const double px[4] = {x->open, x->high, x->low, x->close};
        for (int k = 0; k < 4; k++) /* the symbol's error, not PostgreSQL's overflow */
            if (!isnan(px[k]) && sg_numcol_check_double(SG_COL_PRICE, px[k], why, sizeof why)) {
                snprintf(err, errlen, "write bars: %s %s %s %s", symbols[i], day_text(x->day, d),
                         (const char *const[]){"open", "high", "low", "close"}[k], why);
                sg_copybuf_free(&b);
                return -1;
            }
        sg_store_new_id(id);
        sg_copy_field(&b, id);
        sg_copy_sep(&b);
        sg_copy_field(&b, symbols[i]);
        sg_copy_sep(&b);
        sg_copy_field(&b, day_text(x->day, d));
        for (int k = 0; k < 4; k++) { /* open, high, low, close: the shortest decimal, as sg_store_write_bars */
            sg_copy_sep(&b);
            if (!isnan(px[k]))
                sg_fmt_repr(px[k], num);
            sg_copy_field(&b, isnan(px[k]) ? NULL : num);
        }
        sg_copy_sep(&b);
        snprintf(v, sizeof v, "%lld", x->volume);
        sg_copy_field(&b, x->volume < 0 ? NULL : v);
        sg_copy_eol(&b);
    }
    int rc = b.oom ? -1 : 0;
    if (rc)
        snprintf(err, errlen, "write bars: out of memory for %zu rows", n);
    if (rc == 0)
        rc = sg_store_exec(s, "write bars",
                           "CREATE TEMP TABLE IF NOT EXISTS sg_bars_in (id uuid, symbol text, date date, open numeric,"
                           " high numeric, low numeric, close numeric, volume integer) ON COMMIT DELETE ROWS",
                           err, errlen);
    if (rc == 0 && n)
        rc = sg_store_copy(s, "write bars", "COPY sg_bars_in FROM STDIN", &b, err, errlen);
    /* The statement of sg_store_write_bars, for a set: market_data_cache upserted
     * (nothing unchanged rewritten), symbol_universe registered and its
     * last_price_date moved forward, both in (symbol, date) order. */
    if (rc == 0 && n)
        rc = run_sql(s, "write bars",
                     "WITH written AS (INSERT INTO market_data_cache AS m (id, symbol, date, open, high, low, close,"
                     "   volume, data_source) SELECT id, symbol, date, open, high, low, close, volume, $1 FROM sg_bars_in"
                     "   ORDER BY symbol COLLATE \"C\", date"
                     BARS_ON_CONFLICT
                     " INSERT INTO symbol_universe AS u (symbol, asset_type, first_seen_date, last_seen_date,"
                     "   is_active, added_source, last_price_date)"
                     " SELECT symbol, 'equity', min(date), max(date), true, 'batch', max(date) FROM sg_bars_in"
                     "   GROUP BY symbol ORDER BY symbol COLLATE \"C\""
                     UNIVERSE_ON_CONFLICT,
                     1, &data_source, err, errlen);
    sg_copybuf_free(&b);
    return rc;
}

int sg_store_days_complete(sg_store *s, const char *const *symbols, const sg_day *from, size_t n, sg_day calc,
                           bool *complete, char *err, size_t errlen)
{
    char (*f)[SG_DATE_LEN] = calloc(n + 1, sizeof *f);
    const char **fp = calloc(n + 1, sizeof *fp);
    long *stored = calloc(n + 1, sizeof *stored);
    char *arr = NULL, c[SG_DATE_LEN];
    int rc = -1;
    for (size_t i = 0; f && fp && i < n; i++)
        fp[i] = day_text(from[i], f[i]);
    if (!f || !fp || !stored || !(arr = sg_store_text_array(fp, n))) {
        snprintf(err, errlen, "planned windows: out of memory");
        goto out;
    }
    const char *more[2] = {arr, day_text(calc, c)};
    PGresult *r = sg_store_query_list(s, "planned windows",
                                      "SELECT s.i - 1, m.date::text FROM unnest($1::text[], $2::date[]) WITH ORDINALITY"
                                      " AS s(symbol, f, i) JOIN market_data_cache m ON m.symbol = s.symbol"
                                      " AND m.date > s.f AND m.date <= $3::date",
                                      symbols, n, 2, more, err, errlen);
    if (!r)
        goto out;
    for (int k = 0; k < PQntuples(r); k++) {
        size_t i = (size_t)atol(PQgetvalue(r, k, 0));
        sg_day day;
        const char *why, *t = PQgetvalue(r, k, 1);
        if (i < n && sg_day_parse(t, strlen(t), &day, &why) == 0 && sg_nyse_is_trading_day(day))
            stored[i]++;
    }
    PQclear(r);
    for (size_t i = 0; i < n; i++) {
        long need = 0;
        for (sg_day d = from[i] + 1; d <= calc; d++)
            need += sg_nyse_is_trading_day(d);
        complete[i] = stored[i] >= need;
    }
    rc = 0;
out:
    free(arr);
    free(f);
    free(fp);
    free(stored);
    return rc;
}
