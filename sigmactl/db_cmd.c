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
 * compute refuses a date without data (exit 1, "nothing to compute"), and
 * turns values that do not fit their columns into failures or NULLs, so one
 * absurd value never sinks the run (docs/store.md).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "csvfile.h"
#include "compute.h"
#include "log.h"
#include "store_io.h"
#include "symbols.h"

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

/* What goes into the database is upper case (sg_symbol_check's strict rule). */
static const char *check_symbol(sg_field f, char *why, size_t whylen)
{
    return sg_symbol_checkn(f.p, f.len, 0, why, whylen) ? why : NULL;
}

/* A price for market_data_cache (NUMERIC(12,4)): a finite decimal that is
 * still > 0 once rounded to the column's scale, and fits the column. */
static const char *check_price(sg_field f, const char *name, bool required, char *why, size_t whylen)
{
    const sg_numcol_def *col = &sg_numcols[SG_COL_PRICE];
    char inner[200];
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
    else if (sg_dec_rounds_to_zero(&d, col->scale))
        snprintf(why, whylen, "%s must be positive: %.*s rounds to 0 at NUMERIC(%d,%d)", name, (int)f.len, f.p,
                 col->precision, col->scale);
    else if (sg_numcol_check_dec(SG_COL_PRICE, &d, inner, sizeof inner))
        snprintf(why, whylen, "%s is too large: %.200s", name, inner);
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

/* Validates the file into COPY text (sg_import_prices_rows); -1 when rejected. */
static long prices_to_copy(const char *path, sg_copybuf *b, bool bulk, bool *sorted)
{
    char err[512];
    sg_csv c;
    if (sg_csv_open(&c, path, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    long rows = sg_import_prices_rows(&c, b, bulk, sorted);
    sg_csv_close(&c);
    return rows;
}

long sg_import_prices_rows(sg_csv *c, sg_copybuf *b, bool bulk, bool *sorted)
{
    char err[512], why[320];
    const char *path = c->path;
    static const int order[P_NCOLS] = {P_SYMBOL, P_DATE, P_CLOSE, P_OPEN, P_HIGH, P_LOW, P_VOLUME};
    const char *names[P_NCOLS];
    int idx[P_NCOLS], at[P_NCOLS], rc;
    for (int k = 0; k < P_NCOLS; k++)
        names[k] = price_cols[order[k]];
    if (sg_csv_header(c, names, P_NCOLS, 3, at, "symbol,date,open,high,low,close,volume", err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    for (int k = 0; k < P_NCOLS; k++)
        idx[order[k]] = at[k];
    size_t nbad = 0, skipped = 0;
    long rows = 0;
    sg_field prev_sym = {"", 0};
    sg_day prev_day = 0;
    *sorted = true;
    while ((rc = sg_csv_next(c, err, sizeof err)) == 1) {
        sg_field f[P_NCOLS];
        for (int k = 0; k < P_NCOLS; k++)
            f[k] = sg_field_trim(sg_csv_col(c, idx[k]));
        if (f[P_CLOSE].len == 0) { /* as the engine's reader: the app cannot store it */
            if (skipped++ < 5)
                sg_log(SG_LOG_WARN, "%s:%ld: empty close; row skipped", path, c->line);
            continue;
        }
        sg_day day;
        const char *bad = check_symbol(f[P_SYMBOL], why, sizeof why);
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
            report_bad(path, c->line, bad, &nbad);
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
        snprintf(line, sizeof line, "%ld", c->line);
        sg_copy_field(b, bulk ? "csv_import" : line);
        sg_copy_eol(b);
        rows++;
    }
    if (rc < 0)
        report_bad(path, c->line, strchr(err, ' ') ? strchr(err, ' ') + 1 : err, &nbad);
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

/* company_profiles' limits: characters of the text columns, NUMERIC columns. */
static const int profile_text_max[SG_PROFILE_NCOLS] = {
    [SG_PROFILE_COMPANY_NAME] = 255, [SG_PROFILE_SECTOR] = 100, [SG_PROFILE_INDUSTRY] = 100};
static const sg_numcol profile_numcol[SG_PROFILE_NCOLS] = {[SG_PROFILE_MARKET_CAP] = SG_COL_PROFILE_MARKET_CAP,
                                                           [SG_PROFILE_PE_RATIO] = SG_COL_PROFILE_PE,
                                                           [SG_PROFILE_BETA] = SG_COL_PROFILE_BETA};

static size_t utf8_chars(sg_field f)
{
    size_t n = 0;
    for (size_t i = 0; i < f.len; i++)
        n += ((unsigned char)f.p[i] & 0xC0) != 0x80;
    return n;
}

/* NULL when field k fits its company_profiles column (an empty one is NULL). */
static const char *check_profile_field(int k, sg_field f, char *why, size_t whylen)
{
    sg_dec d;
    if (f.len == 0)
        return NULL;
    if (profile_text_max[k] && utf8_chars(f) > (size_t)profile_text_max[k]) {
        snprintf(why, whylen, "%s has %zu characters; company_profiles.%s holds %d", sg_profile_columns[k],
                 utf8_chars(f), sg_profile_columns[k], profile_text_max[k]);
        return why;
    }
    if (k < SG_PROFILE_MARKET_CAP)
        return NULL;
    if (sg_dec_parse(f.p, f.len, &d)) { /* sg_profiles_load_csv has refused it already */
        snprintf(why, whylen, "%s is not a finite number", sg_profile_columns[k]);
        return why;
    }
    char inner[200];
    if (!sg_numcol_check_dec(profile_numcol[k], &d, inner, sizeof inner))
        return NULL;
    snprintf(why, whylen, "%s %s", sg_profile_columns[k], inner);
    return why;
}

/* The file's profile columns (idx >= 0) as "a, b, c" built by fmt (may use the
 * name twice); the builder grows, so it cannot overrun. */
static void profile_cols(sg_copybuf *sql, const int *idx, const char *fmt)
{
    bool first = true;
    for (int k = SG_PROFILE_COMPANY_NAME; k < SG_PROFILE_NCOLS; k++) {
        if (idx[k] < 0)
            continue;
        sg_buf_printf(sql, "%s", first ? "" : ", ");
        sg_buf_printf(sql, fmt, sg_profile_columns[k], sg_profile_columns[k]);
        first = false;
    }
}

/* The upsert of the columns the file has: a column absent from the file keeps
 * its stored values (an empty field in a present column stores NULL). */
static const char *profiles_upsert_sql(sg_copybuf *sql, const int *idx)
{
    sg_buf_printf(sql, "INSERT INTO company_profiles AS p (symbol, ");
    profile_cols(sql, idx, "%s");
    sg_buf_printf(sql, ") SELECT DISTINCT ON (symbol COLLATE \"C\") symbol, ");
    profile_cols(sql, idx, "%s");
    sg_buf_printf(sql, " FROM sg_profiles_in ORDER BY symbol COLLATE \"C\", line DESC ON CONFLICT (symbol) DO UPDATE SET ");
    profile_cols(sql, idx, "%s = EXCLUDED.%s");
    sg_buf_printf(sql, ", updated_at = now() WHERE (");
    profile_cols(sql, idx, "p.%s");
    sg_buf_printf(sql, ") IS DISTINCT FROM (");
    profile_cols(sql, idx, "EXCLUDED.%s");
    sg_buf_printf(sql, ")");
    return sg_buf_str(sql);
}

/* A database error of the COPY names the file's line: "COPY sg_profiles_in,
 * line K" is the K-th row sent, lines[K-1] in the file. */
static void log_import_error(const char *path, const char *err, const long *lines, long nrows)
{
    const char *at = strstr(err, "COPY sg_profiles_in, line ");
    long k = at ? strtol(at + strlen("COPY sg_profiles_in, line "), NULL, 10) : 0;
    if (k >= 1 && k <= nrows)
        sg_log(SG_LOG_ERROR, "%s:%ld: %s; nothing was written", path, lines[k - 1], err);
    else
        sg_log(SG_LOG_ERROR, "%s: %s; nothing was written", path, err);
}

long sg_import_profiles_rows(sg_csv *c, const int *idx, sg_copybuf *b, long **lines)
{
    const char *path = c->path;
    char err[512], why[320], num[24];
    size_t nbad = 0, cap = 0;
    long rows = 0;
    int rc;
    while ((rc = sg_csv_next(c, err, sizeof err)) == 1) {
        sg_field f[SG_PROFILE_NCOLS];
        f[SG_PROFILE_SYMBOL] = sg_field_trim(sg_csv_col(c, idx[SG_PROFILE_SYMBOL]));
        const char *bad = check_symbol(f[SG_PROFILE_SYMBOL], why, sizeof why);
        for (int k = SG_PROFILE_COMPANY_NAME; k < SG_PROFILE_NCOLS; k++) {
            f[k] = sg_csv_col(c, idx[k]);
            if (k >= SG_PROFILE_MARKET_CAP)
                f[k] = sg_field_trim(f[k]);
            if (!bad && idx[k] >= 0)
                bad = check_profile_field(k, f[k], why, sizeof why);
        }
        if (bad) {
            report_bad(path, c->line, bad, &nbad);
            continue;
        }
        if ((size_t)rows == cap) {
            long *nl = realloc(*lines, (cap = cap ? 2 * cap : 1024) * sizeof *nl);
            if (!nl) {
                sg_log(SG_LOG_ERROR, "%s: out of memory", path);
                return -1;
            }
            *lines = nl;
        }
        (*lines)[rows++] = c->line;
        snprintf(num, sizeof num, "%ld", c->line);
        sg_copy_field(b, num);
        for (int k = 0; k < SG_PROFILE_NCOLS; k++) {
            if (k != SG_PROFILE_SYMBOL && idx[k] < 0)
                continue;
            sg_copy_sep(b);
            if (f[k].len)
                sg_copy_fieldn(b, f[k].p, f[k].len);
            else
                sg_copy_field(b, NULL);
        }
        sg_copy_eol(b);
    }
    if (rc < 0)
        report_bad(path, c->line, strchr(err, ' ') ? strchr(err, ' ') + 1 : err, &nbad);
    if (nbad) {
        sg_log(SG_LOG_ERROR, "%s: rejected (%zu bad rows); nothing was written", path, nbad);
        return -1;
    }
    return rows;
}

/* Opens the file and reads its header (sg_import_profiles_header). */
static int profiles_header(const char *path, sg_csv *c, int *idx)
{
    char err[512];
    if (sg_csv_open(c, path, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s; nothing was written", err);
        return -1;
    }
    return sg_import_profiles_header(c, idx);
}

int sg_import_profiles_header(sg_csv *c, int *idx)
{
    const char *path = c->path;
    char err[512];
    if (sg_csv_header(c, sg_profile_columns, SG_PROFILE_NCOLS, 1, idx,
                      "symbol,company_name,sector,industry,market_cap,pe_ratio,beta", err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s; nothing was written", err);
        return -1;
    }
    for (int k = SG_PROFILE_COMPANY_NAME; k < SG_PROFILE_NCOLS; k++)
        if (idx[k] >= 0)
            return 0;
    sg_log(SG_LOG_ERROR,
           "%s:1: no profile column; nothing was written (detail: a profiles file has symbol and at least one"
           " of company_name, sector, industry, market_cap, pe_ratio, beta; hint: is this a prices file?"
           " Use import-prices)",
           path);
    return -1;
}

int sg_cmd_import_profiles(int argc, char **argv)
{
    const char *usage = "sigmactl import-profiles FILE.csv [-d CONNINFO]";
    db_opts o;
    int prc = parse(argc, argv, "import-profiles", usage, true, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char err[1024];
    sg_csv c;
    int idx[SG_PROFILE_NCOLS];
    if (profiles_header(o.file, &c, idx)) {
        sg_csv_close(&c);
        return 1;
    }
    sg_csv_close(&c);
    sg_profiles *ps = sg_profiles_load_csv(o.file, err, sizeof err); /* the engine's own checks first */
    if (!ps) {
        sg_log(SG_LOG_ERROR, "%s; nothing was written", err);
        return 1;
    }
    sg_profiles_free(ps);
    /* Re-read as text for COPY: the values go in as the file spells them. */
    sg_copybuf b = {0}, copy = {0}, upsert = {0};
    long *lines = NULL, rows = -1;
    if (profiles_header(o.file, &c, idx) == 0)
        rows = sg_import_profiles_rows(&c, idx, &b, &lines);
    sg_csv_close(&c);
    sg_store *s = rows < 0 ? NULL : sg_store_connect(o.conninfo, err, sizeof err);
    if (rows >= 0 && !s)
        sg_log(SG_LOG_ERROR, "%s", err);
    int rc = 1;
    if (s) {
        /* The temporary table has company_profiles' own types: a value the
         * database refuses fails in the COPY, which names the row. */
        static const char *const before[] = {
            "CREATE TEMP TABLE sg_profiles_in (LIKE company_profiles) ON COMMIT DROP",
            "ALTER TABLE sg_profiles_in ADD COLUMN line bigint"};
        sg_buf_printf(&copy, "COPY sg_profiles_in (line, symbol%s", "");
        for (int k = SG_PROFILE_COMPANY_NAME; k < SG_PROFILE_NCOLS; k++)
            if (idx[k] >= 0)
                sg_buf_printf(&copy, ", %s", sg_profile_columns[k]);
        sg_buf_printf(&copy, ") FROM STDIN");
        const char *after[2] = {
            profiles_upsert_sql(&upsert, idx),
            "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source)"
            " SELECT DISTINCT symbol COLLATE \"C\", 'equity', true, 'admin' FROM sg_profiles_in ORDER BY 1"
            " ON CONFLICT (symbol) DO NOTHING"};
        const char *copy_sql = sg_buf_str(&copy);
        if (!after[0] || !copy_sql)
            sg_log(SG_LOG_ERROR, "import-profiles: out of memory");
        else {
            copy_unit u = {before, after, 2, 2, copy_sql, &b};
            if (sg_store_unit(s, "import", copy_statements, &u, err, sizeof err))
                log_import_error(o.file, err, lines, rows);
            else
                rc = 0;
        }
    }
    if (rc == 0)
        printf("imported %ld profiles from %s\n", rows, o.file);
    sg_store_close(s);
    free(lines);
    sg_copybuf_free(&b);
    sg_copybuf_free(&copy);
    sg_copybuf_free(&upsert);
    return rc;
}

/* ---- compute -------------------------------------------------------------------- */

/* --symbols of compute: 0 with the valid symbols (strdup'ed, sorted, unique),
 * 1 with the reason when the list is empty or an item is not a valid symbol
 * (upper case only: these names go into the database), -1 out of memory. */
static int parse_symbols_option(char *arg, char ***out, size_t *n, char *why, size_t whylen)
{
    const char **names = malloc((strlen(arg) / 2 + 1) * sizeof *names);
    if (!names)
        return -1;
    long k = sg_symbol_list_parse(arg, 0, names, why, whylen);
    if (k <= 0) {
        if (k == 0)
            snprintf(why, whylen, "the list is empty (leave --symbols out for the run's symbol list)");
        free(names);
        return 1;
    }
    char **v = calloc((size_t)k, sizeof *v);
    size_t i = 0;
    while (v && i < (size_t)k && (v[i] = strdup(names[i])))
        i++;
    free(names);
    if (!v || i < (size_t)k) {
        sg_strings_free(v, i);
        return -1;
    }
    *out = v;
    *n = i;
    return 0;
}

/* Takes the --symbols without a stored price in the loaded window out of the
 * list, each reported: computing them would only register the name in
 * symbol_universe for good, with an all-NULL metrics row (and `fetch --all`
 * would ask providers for it every night). Returns how many were dropped. */
static size_t drop_unpriced(char **list, size_t *n, const sg_prices *px, sg_day calc)
{
    char from[SG_DATE_LEN], to[SG_DATE_LEN];
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < *n; i++) {
        if (sg_prices_find(px, list[i]) >= 0) {
            list[kept++] = list[i];
            continue;
        }
        sg_log(SG_LOG_ERROR,
               "%s: no stored prices from %s to %s (market_data_cache); not computed and not "
               "registered (import-prices or fetch it first)",
               list[i], sg_day_format(calc - SG_LOOKBACK_MAX, from), sg_day_format(calc, to));
        free(list[i]);
        dropped++;
    }
    *n = kept;
    return dropped;
}

/* A date outside the data would replace every symbol's metrics with NULLs:
 * refused, naming the date and the stored range. 0 when D has data. */
static int refuse_date_without_data(sg_store *s, const sg_compute *c, const char *const *want, size_t nwant,
                                    sg_day calc)
{
    if (sg_compute_has_data(c, calc))
        return 0;
    char err[1024], d[SG_DATE_LEN], a[SG_DATE_LEN], b[SG_DATE_LEN];
    long rows;
    sg_day first, last;
    sg_day_format(calc, d);
    if (sg_store_price_range(s, want, nwant, &rows, &first, &last, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    if (rows == 0)
        sg_log(SG_LOG_ERROR,
               "nothing to compute for %s: no stored prices for any of the %zu symbols of the run"
               " (detail: market_data_cache has no row for them; hint: import-prices or fetch first)",
               d, nwant);
    else
        sg_log(SG_LOG_ERROR,
               "nothing to compute for %s: no stored close in the %d days up to it for any of the %zu symbols"
               " of the run (detail: their stored closes run from %s to %s; hint: pick a date in that range)",
               d, SG_COMPUTE_RECENT_DAYS, nwant, sg_day_format(first, a), sg_day_format(last, b));
    return -1;
}

/* What compute writes, as one unit of work (sg_store_unit may run it again):
 * the universe bookkeeping, factor rows and metrics commit together. */
typedef struct compute_unit {
    const sg_compute *c;
    sg_day calc;
    size_t *kept_newer; /* metrics rows left alone: the stored date is later */
} compute_unit;

static int write_computed(sg_store *s, void *arg, char *err, size_t errlen)
{
    const compute_unit *u = arg;
    if (sg_compute_write_factors(s, u->c, u->calc, err, errlen))
        return -1;
    return sg_compute_write_metrics(s, u->c, u->calc, u->kept_newer, err, errlen);
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
    char **list = NULL;
    size_t nlist = 0;
    if (o.symbols) {
        char why_sym[SG_SYMBOL_WHY_LEN];
        int urc = parse_symbols_option(o.symbols, &list, &nlist, why_sym, sizeof why_sym);
        if (urc < 0) {
            sg_log(SG_LOG_ERROR, "out of memory");
            return 1;
        }
        if (urc > 0)
            return usage_error("compute", usage, "--symbols: %s", why_sym);
    }
    char err[1024];
    double t0 = sg_clock_ms();
    sg_store *s = sg_store_connect(o.conninfo, err, sizeof err);
    if (!s) {
        sg_log(SG_LOG_ERROR, "%s", err);
        sg_strings_free(list, nlist);
        return 1;
    }
    sg_compute job;
    memset(&job, 0, sizeof job);
    char **refused = NULL;
    size_t nrefused = 0, nmissing = 0;
    int rc = 1;
    if (!o.symbols && sg_store_symbol_list(s, calc, &list, &nlist, &refused, &nrefused, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    for (size_t i = 0; i < nrefused; i++) /* an invalid symbol in the database fails alone */
        sg_log(SG_LOG_WARN, "symbol list: %s; not computed", refused[i]);
    if (nlist == 0) {
        sg_log(SG_LOG_ERROR, "nothing to compute: the run's symbol list is empty");
        goto out;
    }
    if (sg_compute_load(&job, s, (const char *const *)list, nlist, calc, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    if (o.symbols && (nmissing = drop_unpriced(list, &nlist, job.px, calc)) > 0 && nlist == 0) {
        sg_log(SG_LOG_ERROR, "none of the --symbols has stored prices; nothing was computed or registered");
        goto out;
    }
    job.nsym = nlist; /* drop_unpriced compacted the list */
    {
        const char **want = malloc((nlist + 8) * sizeof *want);
        if (!want)
            goto out;
        memcpy(want, list, nlist * sizeof *want);
        memcpy(want + nlist, sg_factor_etfs, 8 * sizeof *want);
        int no_data = refuse_date_without_data(s, &job, want, nlist + 8, calc);
        free(want);
        if (no_data)
            goto out;
    }
    double t1 = sg_clock_ms();
    /* Values that do not fit their columns: a factor row becomes its symbol's
     * failure, a metrics value NULL; every other row is written. */
    if (sg_compute_factors(&job, calc, pipeline, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    size_t engine_failures = job.res.nfailures - (size_t)job.misfits;
    for (size_t i = 0; i < engine_failures; i++)
        sg_log(SG_LOG_INFO, "%s %s: %s", sg_step_name(job.res.failures[i].step), job.symbols[job.res.failures[i].sym],
               job.res.failures[i].reason);
    if (sg_compute_metrics(&job, calc, mode, pipeline, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    long misfits = job.misfits;
    for (size_t i = engine_failures; i < job.res.nfailures; i++)
        sg_log(SG_LOG_WARN, "%s %s: %s; no row written", sg_step_name(job.res.failures[i].step),
               job.symbols[job.res.failures[i].sym], job.res.failures[i].reason);
    size_t nulled = job.nulled, kept_newer = 0;
    double t2 = sg_clock_ms();
    compute_unit u = {&job, calc, &kept_newer};
    rc = sg_store_unit(s, "compute", write_computed, &u, err, sizeof err);
    if (rc) {
        sg_log(SG_LOG_ERROR, "%s", err);
        rc = 1;
    } else {
        printf("computed %s (%s pipeline): %zu symbols, %zu factor rows, %zu metrics rows, %zu (symbol, step) "
               "without a row",
               o.date, sg_pipeline_name(pipeline), job.nsym, job.res.nrows, job.nsym - kept_newer,
               job.res.nfailures);
        if (nrefused)
            printf("; %zu invalid symbol%s in the database not computed", nrefused, nrefused == 1 ? "" : "s");
        if (nmissing)
            printf("; %zu of --symbols without stored prices not computed", nmissing);
        printf("\n");
        if (kept_newer)
            printf("kept %zu newer metrics rows: symbol_daily_metrics holds each symbol's latest date only\n",
                   kept_newer);
        if (misfits || nulled)
            printf("values that do not fit their columns: %ld factor rows not written, %zu metrics values stored"
                   " as NULL (see the warnings)\n",
                   misfits, nulled);
        rc = nmissing ? 1 : 0; /* a symbol asked for by name could not be computed */
        double t3 = sg_clock_ms();
        sg_log(SG_LOG_INFO, "timing: read %.0f ms (%zu price rows), compute %.0f ms, write %.0f ms (%.0f factor rows/s)",
               t1 - t0, sg_prices_rows_total(job.px), t2 - t1, t3 - t2, job.res.nrows / ((t3 - t2) / 1e3));
    }
out:
    sg_compute_free(&job);
    sg_strings_free(list, nlist);
    sg_strings_free(refused, nrefused);
    sg_store_close(s);
    return rc;
}
