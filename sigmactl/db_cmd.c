/*
 * db_cmd.c - the database-backed commands of sigmactl.
 *
 *   sigmactl import-prices FILE.csv [-d CONNINFO]     validated bars into market_data_cache
 *   sigmactl import-profiles FILE.csv [-d CONNINFO]   validated rows into company_profiles
 *   sigmactl compute --date D [--pipeline P] [--symbols A,B] [--metrics-mode trading|app] [-d CONNINFO]
 *
 * Imports validate the whole file first: any bad row rejects it, every bad
 * row is reported (file:line: reason, the first 20), and nothing is written.
 * A valid file goes in as one transaction: COPY into a temporary table, one
 * upsert, and the symbols registered in symbol_universe (added_source 'admin').
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "csvfile.h"
#include "job.h"
#include "log.h"
#include "store_io.h"

#define MAX_REPORTED 20

typedef struct db_opts {
    const char *conninfo;
    const char *file;
    const char *date;
    const char *pipeline;
    char *symbols;
    const char *metrics_mode;
} db_opts;

static int usage_error(const char *cmd, const char *usage, const char *msg, const char *arg)
{
    fprintf(stderr, "sigmactl %s: ", cmd);
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\nusage: %s\n", usage);
    return 2;
}

/* Parses the options every database command shares; 0, or an exit code. */
static int parse(int argc, char **argv, const char *cmd, const char *usage, bool wants_file, db_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},      {"date", required_argument, NULL, 'D'},
        {"pipeline", required_argument, NULL, 'p'}, {"symbols", required_argument, NULL, 's'},
        {"metrics-mode", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {"verbose", no_argument, NULL, 'v'},        {NULL, 0, NULL, 0}};
    int opt;
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":d:v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': o->conninfo = optarg; break;
        case 'v': sg_log_init("sigmactl", SG_LOG_INFO); break;
        case 'D': o->date = optarg; break;
        case 'p': o->pipeline = optarg; break;
        case 's': o->symbols = optarg; break;
        case 'm': o->metrics_mode = optarg; break;
        case 'h': printf("usage: %s\n", usage); return -1;
        case ':': return usage_error(cmd, usage, "option '%s' needs a value", argv[optind - 1]);
        default: return usage_error(cmd, usage, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (wants_file && optind != argc - 1)
        return usage_error(cmd, usage, "%s", "expected one FILE.csv argument");
    if (!wants_file && optind != argc)
        return usage_error(cmd, usage, "unexpected argument '%s'", argv[optind]);
    if (wants_file && (o->date || o->pipeline || o->symbols || o->metrics_mode))
        return usage_error(cmd, usage, "%s", "--date, --pipeline, --symbols and --metrics-mode are options of compute");
    o->file = wants_file ? argv[optind] : NULL;
    return 0;
}

/* ---- validation of imported fields ------------------------------------------- */

static const char *check_symbol(sg_field f)
{
    return sg_ticker_problem(f.p, f.len);
}

/* A price for NUMERIC(12,4): a finite decimal > 0 and below 10^8. */
static const char *check_price(sg_field f, const char *name, bool required, char *why, size_t whylen)
{
    sg_dec d;
    if (f.len == 0) {
        if (!required)
            return NULL;
        snprintf(why, whylen, "empty %s", name);
        return why;
    }
    if (sg_dec_parse(f.p, f.len, &d))
        snprintf(why, whylen, "%s is not a number", name);
    else if (d.neg || d.ndig == 0)
        snprintf(why, whylen, "%s must be positive", name);
    else if (d.decpt > 8)
        snprintf(why, whylen, "%s is too large for NUMERIC(12,4)", name);
    else
        return NULL;
    return why;
}

static const char *check_volume(sg_field f)
{
    if (f.len == 0)
        return NULL;
    long long v = 0;
    for (size_t i = 0; i < f.len; i++) {
        if (f.p[i] < '0' || f.p[i] > '9')
            return "volume is not a whole number >= 0";
        v = v * 10 + (f.p[i] - '0');
        if (v > 2147483647LL)
            return "volume does not fit market_data_cache.volume (INTEGER)";
    }
    return NULL;
}

static const char *check_date(sg_field f, sg_day *day)
{
    const char *why;
    if (sg_day_parse(f.p, f.len, day, &why))
        return why;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (*day < sg_day_from_ymd(1900, 1, 1) || *day > sg_day_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) + 1)
        return "date out of range (1900-01-01 to tomorrow)";
    return NULL;
}

static void report_bad(const char *path, long line, const char *why, size_t *nbad)
{
    if ((*nbad)++ < MAX_REPORTED)
        sg_log(SG_LOG_ERROR, "%s:%ld: %s", path, line, why);
}

/* ---- import-prices -------------------------------------------------------------- */

enum { P_SYMBOL, P_DATE, P_OPEN, P_HIGH, P_LOW, P_CLOSE, P_VOLUME, P_NCOLS };
static const char *const price_cols[P_NCOLS] = {"symbol", "date", "open", "high", "low", "close", "volume"};

/* Validates the file into COPY text (id, symbol, date, open, high, low, close,
 * volume, then the line number, or the data source when `bulk`); returns the
 * row count or -1 when rejected. *sorted tells whether (symbol, date) strictly
 * increases, which rules out duplicates. */
static long prices_to_copy(const char *path, sg_copybuf *b, bool bulk, bool *sorted)
{
    char err[512], why[128];
    sg_csv c;
    static const int order[P_NCOLS] = {P_SYMBOL, P_DATE, P_CLOSE, P_OPEN, P_HIGH, P_LOW, P_VOLUME};
    const char *names[P_NCOLS];
    int idx[P_NCOLS], at[P_NCOLS], rc;
    for (int k = 0; k < P_NCOLS; k++)
        names[k] = price_cols[order[k]];
    if (sg_csv_open(&c, path, err, sizeof err) ||
        sg_csv_header(&c, names, P_NCOLS, 3, at, "symbol,date,open,high,low,close,volume", err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        sg_csv_close(&c);
        return -1;
    }
    for (int k = 0; k < P_NCOLS; k++)
        idx[order[k]] = at[k];
    size_t nbad = 0, skipped = 0;
    long rows = 0;
    sg_field prev_sym = {"", 0};
    sg_day prev_day = 0;
    *sorted = true;
    while ((rc = sg_csv_next(&c, err, sizeof err)) == 1) {
        sg_field f[P_NCOLS];
        for (int k = 0; k < P_NCOLS; k++)
            f[k] = sg_field_trim(sg_csv_col(&c, idx[k]));
        if (f[P_CLOSE].len == 0) { /* as the engine's reader: the app cannot store it */
            if (skipped++ < 5)
                sg_log(SG_LOG_WARN, "%s:%ld: empty close; row skipped", path, c.line);
            continue;
        }
        sg_day day;
        const char *bad = check_symbol(f[P_SYMBOL]);
        if (!bad && (bad = check_date(f[P_DATE], &day)) != NULL) {
            char q[64];
            snprintf(why, sizeof why, "bad date '%s': %s", sg_field_quote(f[P_DATE], q), bad);
            bad = why;
        }
        for (int k = P_OPEN; !bad && k <= P_CLOSE; k++)
            bad = check_price(f[k], price_cols[k], k == P_CLOSE, why, sizeof why);
        if (!bad)
            bad = check_volume(f[P_VOLUME]);
        if (bad) {
            report_bad(path, c.line, bad, &nbad);
            continue;
        }
        int order_cmp = memcmp(prev_sym.p, f[P_SYMBOL].p, prev_sym.len < f[P_SYMBOL].len ? prev_sym.len : f[P_SYMBOL].len);
        if (order_cmp == 0)
            order_cmp = (prev_sym.len > f[P_SYMBOL].len) - (prev_sym.len < f[P_SYMBOL].len);
        if (rows > 0 && (order_cmp > 0 || (order_cmp == 0 && prev_day >= day)))
            *sorted = false;
        prev_sym = f[P_SYMBOL];
        prev_day = day;
        char id[37];
        sg_store_new_id(id);
        sg_copy_field(b, id);
        sg_copy_sep(b);
        for (int k = 0; k < P_NCOLS; k++) {
            if (f[k].len)
                sg_copy_fieldn(b, f[k].p, f[k].len);
            else
                sg_copy_field(b, NULL);
            sg_copy_sep(b);
        }
        char line[24];
        snprintf(line, sizeof line, "%ld", c.line);
        sg_copy_field(b, bulk ? "csv_import" : line);
        sg_copy_eol(b);
        rows++;
    }
    if (rc < 0)
        report_bad(path, c.line, strchr(err, ' ') ? strchr(err, ' ') + 1 : err, &nbad);
    sg_csv_close(&c);
    if (skipped > 5)
        sg_log(SG_LOG_WARN, "%s: %zu rows with an empty close skipped", path, skipped);
    if (nbad) {
        if (nbad > MAX_REPORTED)
            sg_log(SG_LOG_ERROR, "%s: ... %zu bad rows in all", path, nbad);
        sg_log(SG_LOG_ERROR, "%s: rejected (%zu bad rows); nothing was written", path, nbad);
        return -1;
    }
    return rows;
}

/* The statements before, the COPY of b, the statements after: one unit of
 * work (sg_store_unit commits it, or rolls it back and maybe runs it again). */
typedef struct copy_unit {
    const char *const *before, *const *after;
    int nbefore, nafter;
    const char *copy_sql;
    sg_copybuf *b;
} copy_unit;

static int copy_statements(sg_store *s, void *arg, char *err, size_t errlen)
{
    const copy_unit *u = arg;
    int rc = 0;
    for (int i = 0; rc == 0 && i < u->nbefore; i++)
        rc = sg_store_exec(s, "import", u->before[i], err, errlen);
    if (rc == 0)
        rc = sg_store_copy(s, "import", u->copy_sql, u->b, err, errlen);
    for (int i = 0; rc == 0 && i < u->nafter; i++)
        rc = sg_store_exec(s, "import", u->after[i], err, errlen);
    return rc;
}

/* An initial load (an empty market_data_cache) of a large sorted file takes
 * the bulk path: the table's indexes and key constraints are dropped, the rows
 * copied straight in, and every index rebuilt from its own definition, all in
 * the one transaction (DDL is transactional: a failure restores them). Building
 * an index once is several times cheaper than maintaining it row by row. */
#define BULK_MIN_ROWS 100000

static const char *const prices_tx_begin[] = {
    "LOCK TABLE market_data_cache IN SHARE ROW EXCLUSIVE MODE",
    "CREATE TEMP TABLE sg_prices_in (id uuid, symbol text, date date, open numeric, high numeric, low numeric,"
    " close numeric, volume integer, line bigint) ON COMMIT DROP"};
static const char *const prices_tx_upsert[] = {
    /* The last row of a (symbol, date) wins, as in the engine's reader. */
    "INSERT INTO market_data_cache AS m (id, symbol, date, open, high, low, close, volume, data_source)"
    " SELECT DISTINCT ON (symbol COLLATE \"C\", date) id, symbol, date, open, high, low, close, volume, 'csv_import'"
    " FROM sg_prices_in ORDER BY symbol COLLATE \"C\", date, line DESC"
    " ON CONFLICT (symbol, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,"
    " low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,"
    " data_source = EXCLUDED.data_source, updated_at = now()"
    " WHERE (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM"
    " (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)",
    "INSERT INTO sg_prices_seen SELECT symbol, min(date), max(date) FROM sg_prices_in GROUP BY symbol"};
static const char *const prices_tx_register =
    "INSERT INTO symbol_universe AS u (symbol, asset_type, first_seen_date, last_seen_date, is_active,"
    " added_source, last_price_date)"
    " SELECT symbol, 'equity', first_date, last_date, true, 'admin', last_date FROM sg_prices_seen"
    " ORDER BY symbol COLLATE \"C\""
    " ON CONFLICT (symbol) DO UPDATE SET last_price_date = GREATEST(u.last_price_date, EXCLUDED.last_price_date)"
    " WHERE u.last_price_date IS DISTINCT FROM GREATEST(u.last_price_date, EXCLUDED.last_price_date)";

/* Drops market_data_cache's indexes and key constraints, returning the SQL
 * that recreates them (NULL-terminated, malloc'ed). */
static char **drop_indexes(sg_store *s, char *err, size_t errlen)
{
    PGresult *r = sg_store_query(
        s, "bulk load: read index definitions",
        "SELECT 'ALTER TABLE market_data_cache ADD CONSTRAINT ' || quote_ident(conname) || ' ' ||"
        "  pg_get_constraintdef(oid), 'ALTER TABLE market_data_cache DROP CONSTRAINT ' || quote_ident(conname)"
        " FROM pg_constraint WHERE conrelid = 'market_data_cache'::regclass AND contype IN ('p', 'u')"
        " UNION ALL SELECT pg_get_indexdef(i.indexrelid), 'DROP INDEX ' || i.indexrelid::regclass::text"
        " FROM pg_index i WHERE i.indrelid = 'market_data_cache'::regclass"
        "  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        0, NULL, err, errlen);
    if (!r)
        return NULL;
    int n = PQntuples(r), rc = 0;
    char **create = calloc((size_t)n + 1, sizeof *create);
    for (int i = 0; create && i < n && rc == 0; i++) {
        create[i] = strdup(PQgetvalue(r, i, 0));
        rc = create[i] ? sg_store_exec(s, "bulk load: drop index", PQgetvalue(r, i, 1), err, errlen) : -1;
    }
    PQclear(r);
    if (!create || rc) {
        for (int i = 0; create && i < n; i++)
            free(create[i]);
        free(create);
        if (!create)
            snprintf(err, errlen, "bulk load: out of memory");
        return NULL;
    }
    return create;
}

static int bulk_load(sg_store *s, sg_copybuf *b, char *err, size_t errlen)
{
    char **create = drop_indexes(s, err, errlen);
    if (!create)
        return -1;
    /* The table is empty: truncating it in this transaction lets COPY FREEZE
     * write frozen rows, and skip WAL on a wal_level=minimal server. */
    int rc = sg_store_exec(s, "bulk load", "TRUNCATE market_data_cache", err, errlen);
    if (rc == 0)
        rc = sg_store_copy(s, "bulk load",
                           "COPY market_data_cache (id, symbol, date, open, high, low, close, volume, data_source)"
                           " FROM STDIN (FREEZE)",
                           b, err, errlen);
    if (rc == 0)
        rc = sg_store_exec(s, "bulk load", "SET LOCAL maintenance_work_mem = '512MB'", err, errlen);
    for (int i = 0; create[i]; i++) {
        if (rc == 0)
            rc = sg_store_exec(s, "bulk load: rebuild index", create[i], err, errlen);
        free(create[i]);
    }
    free(create);
    if (rc == 0)
        rc = sg_store_exec(s, "bulk load",
                           "INSERT INTO sg_prices_seen SELECT symbol, min(date), max(date) FROM market_data_cache"
                           " GROUP BY symbol",
                           err, errlen);
    return rc;
}

/* The file, read once per format it is needed in (a retried unit reuses it). */
typedef struct prices_unit {
    const char *file;
    sg_copybuf rows, bulk_rows; /* for sg_prices_in (with line numbers), and for COPY FREEZE */
    long nrows;
    bool have_rows, have_bulk_rows, sorted, bulk;
} prices_unit;

/* One unit of work: the checks and the rows, all or nothing. Writers wait
 * while it runs (readers do not), so the emptiness seen here still holds
 * when the rows go in. */
static int import_prices_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    prices_unit *u = arg;
    int rc = 0;
    for (int i = 0; rc == 0 && i < 2; i++)
        rc = sg_store_exec(s, "import", prices_tx_begin[i], err, errlen);
    if (rc == 0)
        rc = sg_store_exec(s, "import",
                           "CREATE TEMP TABLE sg_prices_seen (symbol text, first_date date, last_date date)"
                           " ON COMMIT DROP",
                           err, errlen);
    PGresult *r = NULL;
    if (rc == 0 && !(r = sg_store_query(s, "import", "SELECT NOT EXISTS (SELECT 1 FROM market_data_cache)", 0,
                                        NULL, err, errlen)))
        return -1;
    bool empty = rc == 0 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (rc)
        return rc;
    if (empty && !u->have_bulk_rows) {
        u->have_bulk_rows = true;
        u->nrows = prices_to_copy(u->file, &u->bulk_rows, true, &u->sorted);
    }
    u->bulk = empty && u->sorted && u->nrows >= BULK_MIN_ROWS;
    if (!u->bulk && !u->have_rows) {
        u->have_rows = true;
        u->nrows = prices_to_copy(u->file, &u->rows, false, &u->sorted);
    }
    if (u->nrows < 0) {
        err[0] = '\0'; /* already reported, row by row */
        return -1;
    }
    if (u->bulk) {
        rc = bulk_load(s, &u->bulk_rows, err, errlen);
    } else {
        rc = sg_store_copy(s, "import", "COPY sg_prices_in FROM STDIN", &u->rows, err, errlen);
        for (int i = 0; rc == 0 && i < 2; i++)
            rc = sg_store_exec(s, "import", prices_tx_upsert[i], err, errlen);
    }
    if (rc == 0)
        rc = sg_store_exec(s, "import", prices_tx_register, err, errlen);
    return rc;
}

int sg_cmd_import_prices(int argc, char **argv)
{
    const char *usage = "sigmactl import-prices FILE.csv [-d CONNINFO]";
    db_opts o;
    int prc = parse(argc, argv, "import-prices", usage, true, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char err[1024];
    sg_store *s = sg_store_connect(o.conninfo, err, sizeof err);
    if (!s) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return 1;
    }
    prices_unit u = {.file = o.file};
    int rc = sg_store_unit(s, "import", import_prices_unit, &u, err, sizeof err);
    if (rc && err[0])
        sg_log(SG_LOG_ERROR, "%s", err);
    else if (rc == 0)
        printf("imported %ld price rows from %s%s\n", u.nrows, o.file, u.bulk ? " (bulk load into an empty table)" : "");
    sg_store_close(s);
    sg_copybuf_free(&u.rows);
    sg_copybuf_free(&u.bulk_rows);
    return rc ? 1 : 0;
}

/* ---- import-profiles ------------------------------------------------------------ */

int sg_cmd_import_profiles(int argc, char **argv)
{
    const char *usage = "sigmactl import-profiles FILE.csv [-d CONNINFO]";
    db_opts o;
    int prc = parse(argc, argv, "import-profiles", usage, true, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char err[1024];
    sg_profiles *ps = sg_profiles_load_csv(o.file, err, sizeof err);
    if (!ps) {
        sg_log(SG_LOG_ERROR, "%s; nothing was written", err);
        return 1;
    }
    /* Re-read as text for COPY: the values go in as the file spells them. */
    sg_csv c;
    int idx[SG_PROFILE_NCOLS], rc;
    sg_copybuf b = {0};
    size_t nbad = 0;
    long rows = 0;
    if (sg_csv_open(&c, o.file, err, sizeof err) ||
        sg_csv_header(&c, sg_profile_columns, SG_PROFILE_NCOLS, 1, idx, "symbol,...", err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        sg_csv_close(&c);
        sg_profiles_free(ps);
        return 1;
    }
    char line[24];
    while ((rc = sg_csv_next(&c, err, sizeof err)) == 1) {
        sg_field sym = sg_field_trim(sg_csv_col(&c, idx[SG_PROFILE_SYMBOL]));
        const char *bad = check_symbol(sym);
        if (bad) {
            report_bad(o.file, c.line, bad, &nbad);
            continue;
        }
        snprintf(line, sizeof line, "%ld", c.line);
        sg_copy_field(&b, line);
        for (int k = 0; k < SG_PROFILE_NCOLS; k++) {
            sg_field f = k == SG_PROFILE_SYMBOL ? sym : sg_csv_col(&c, idx[k]);
            sg_copy_sep(&b);
            if (k >= SG_PROFILE_MARKET_CAP)
                f = sg_field_trim(f);
            if (f.len)
                sg_copy_fieldn(&b, f.p, f.len);
            else
                sg_copy_field(&b, NULL);
        }
        sg_copy_eol(&b);
        rows++;
    }
    sg_csv_close(&c);
    sg_profiles_free(ps);
    if (nbad) {
        sg_log(SG_LOG_ERROR, "%s: rejected (%zu bad rows); nothing was written", o.file, nbad);
        sg_copybuf_free(&b);
        return 1;
    }
    sg_store *s = sg_store_connect(o.conninfo, err, sizeof err);
    if (!s) {
        sg_log(SG_LOG_ERROR, "%s", err);
        sg_copybuf_free(&b);
        return 1;
    }
    static const char *const before[] = {
        "CREATE TEMP TABLE sg_profiles_in (line bigint, symbol text, company_name text, sector text,"
        " industry text, market_cap numeric, pe_ratio numeric, beta numeric) ON COMMIT DROP"};
    static const char *const after[] = {
        "INSERT INTO company_profiles AS p (symbol, company_name, sector, industry, market_cap, pe_ratio, beta)"
        " SELECT DISTINCT ON (symbol COLLATE \"C\") symbol, company_name, sector, industry, market_cap, pe_ratio, beta"
        " FROM sg_profiles_in ORDER BY symbol COLLATE \"C\", line DESC"
        " ON CONFLICT (symbol) DO UPDATE SET company_name = EXCLUDED.company_name, sector = EXCLUDED.sector,"
        " industry = EXCLUDED.industry, market_cap = EXCLUDED.market_cap, pe_ratio = EXCLUDED.pe_ratio,"
        " beta = EXCLUDED.beta, updated_at = now()"
        " WHERE (p.company_name, p.sector, p.industry, p.market_cap, p.pe_ratio, p.beta) IS DISTINCT FROM"
        " (EXCLUDED.company_name, EXCLUDED.sector, EXCLUDED.industry, EXCLUDED.market_cap, EXCLUDED.pe_ratio,"
        " EXCLUDED.beta)",
        "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source)"
        " SELECT DISTINCT symbol COLLATE \"C\", 'equity', true, 'admin' FROM sg_profiles_in ORDER BY 1"
        " ON CONFLICT (symbol) DO NOTHING"};
    copy_unit u = {before, after, 1, 2, "COPY sg_profiles_in FROM STDIN", &b};
    rc = sg_store_unit(s, "import", copy_statements, &u, err, sizeof err);
    if (rc)
        sg_log(SG_LOG_ERROR, "%s", err);
    else
        printf("imported %ld profiles from %s\n", rows, o.file);
    sg_store_close(s);
    sg_copybuf_free(&b);
    return rc ? 1 : 0;
}

/* ---- compute -------------------------------------------------------------------- */

/* What compute writes, as one unit of work (sg_store_unit may run it again). */
typedef struct compute_unit {
    const sg_job *job;
    sg_day calc;
    double alpha;
} compute_unit;

static int write_computed(sg_store *s, void *arg, char *err, size_t errlen)
{
    const compute_unit *u = arg;
    const sg_job *j = u->job;
    if (sg_store_ensure_symbols(s, j->symbols, j->nsym, u->calc, "batch", err, errlen) ||
        sg_store_write_factors(s, j->symbols, &j->res, u->calc, u->alpha, err, errlen))
        return -1;
    return sg_store_write_metrics(s, j->symbols, j->nsym, u->calc, j->mrows, err, errlen);
}

int sg_cmd_compute_db(int argc, char **argv)
{
    const char *usage = "sigmactl compute --date YYYY-MM-DD [--pipeline v2|v1|onboarding] [--symbols A,B]\n"
                        "                        [--metrics-mode trading|app] [-d CONNINFO]";
    db_opts o;
    int prc = parse(argc, argv, "compute", usage, false, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    sg_day calc;
    const char *why;
    sg_pipeline pipeline = SG_PIPELINE_V2;
    sg_metrics_mode mode = SG_METRICS_TRADING;
    if (!o.date || sg_day_parse(o.date, strlen(o.date), &calc, &why))
        return usage_error("compute", usage, "%s", o.date ? "--date: expected YYYY-MM-DD" : "--date is required");
    if (o.pipeline && sg_pipeline_parse(o.pipeline, &pipeline))
        return usage_error("compute", usage, "--pipeline: '%s' is not one of v2, v1, onboarding", o.pipeline);
    if (o.metrics_mode && strcmp(o.metrics_mode, "trading") != 0) {
        if (strcmp(o.metrics_mode, "app") != 0)
            return usage_error("compute", usage, "--metrics-mode: '%s' is not one of trading, app", o.metrics_mode);
        mode = SG_METRICS_APP;
    }
    char err[1024];
    double t0 = sg_clock_ms();
    sg_store *s = sg_store_connect(o.conninfo, err, sizeof err);
    if (!s) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return 1;
    }
    sg_job job;
    memset(&job, 0, sizeof job);
    char **list = NULL;
    size_t nlist = 0;
    int rc = 1;
    if (o.symbols) {
        const char **names = malloc((strlen(o.symbols) / 2 + 1) * sizeof *names);
        size_t n = names ? sg_parse_symbols(o.symbols, names) : 0;
        list = names ? calloc(n + 1, sizeof *list) : NULL;
        for (nlist = 0; list && nlist < n; nlist++)
            if (!(list[nlist] = strdup(names[nlist])))
                break;
        free(names);
        if (!list || nlist < n) {
            sg_log(SG_LOG_ERROR, "out of memory");
            goto out;
        }
    } else if (sg_store_symbol_list(s, calc, &list, &nlist, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    /* The symbols, and the factor ETFs every regression needs, over the
     * longest lookback (v1's 366 days, the metrics' 372). */
    const char **want = malloc((nlist + 8) * sizeof *want);
    if (!want)
        goto out;
    memcpy(want, list, nlist * sizeof *want);
    memcpy(want + nlist, sg_factor_etfs, 8 * sizeof *want);
    job.px = sg_store_load_prices(s, want, nlist + 8, calc - SG_LOOKBACK_MAX, calc, err, sizeof err);
    free(want);
    if (!job.px || !(job.prof = sg_store_load_profiles(s, err, sizeof err))) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    job.symbols = (const char **)list;
    job.nsym = nlist;
    double t1 = sg_clock_ms();
    sg_factor_opts fo = {.pipeline = pipeline, .alpha = 1.0};
    if (sg_job_factors(&job, calc, &fo) || sg_job_metrics(&job, calc, mode, pipeline))
        goto out_keep_list;
    /* One unit of work: the universe bookkeeping, factor rows and metrics commit together. */
    double t2 = sg_clock_ms();
    compute_unit u = {&job, calc, fo.alpha};
    rc = sg_store_unit(s, "compute", write_computed, &u, err, sizeof err);
    if (rc) {
        sg_log(SG_LOG_ERROR, "%s", err);
        rc = 1;
    } else {
        printf("computed %s (%s pipeline): %zu symbols, %zu factor rows, %zu metrics rows, %zu (symbol, step) "
               "without a row\n",
               o.date, sg_pipeline_name(pipeline), job.nsym, job.res.nrows, job.nsym, job.res.nfailures);
        double t3 = sg_clock_ms();
        sg_log(SG_LOG_INFO, "timing: read %.0f ms (%zu price rows), compute %.0f ms, write %.0f ms (%.0f factor rows/s)",
               t1 - t0, sg_prices_rows_total(job.px), t2 - t1, t3 - t2, job.res.nrows / ((t3 - t2) / 1e3));
    }
out_keep_list:
    job.symbols = NULL; /* owned by list */
out:
    sg_job_free(&job);
    sg_strings_free(list, nlist);
    sg_store_close(s);
    return rc;
}
