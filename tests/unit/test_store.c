/*
 * test_store.c - the store's pieces that need no database: the SQL/text
 * builder, the column limits and the screens of factor and metrics values
 * (issue 8). The writers themselves are tested against PostgreSQL in
 * tests/store/values_test.sh.
 */
#include "sgtest.h"
#include "store_io.h"

/* The builder grows: text far beyond any fixed buffer comes out whole. */
static void test_buf_printf(void **state)
{
    (void)state;
    sg_copybuf b = {0};
    size_t want = 0;
    for (int i = 0; i < 20000; i++) {
        sg_buf_printf(&b, "%scolumn_%d = EXCLUDED.column_%d", i ? ", " : "", i, i);
        want += (size_t)snprintf(NULL, 0, "%scolumn_%d = EXCLUDED.column_%d", i ? ", " : "", i, i);
    }
    const char *s = sg_buf_str(&b);
    assert_non_null(s);
    assert_int_equal(strlen(s), want);
    assert_int_equal(b.len, want);
    assert_true(strstr(s, "column_19999 = EXCLUDED.column_19999") != NULL);
    /* one piece longer than the formatter's own scratch space */
    char *big = malloc(100001);
    assert_non_null(big);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    sg_buf_printf(&b, "[%s]", big);
    s = sg_buf_str(&b);
    assert_int_equal(strlen(s), want + 100002);
    assert_int_equal(s[want], '[');
    assert_int_equal(s[want + 100001], ']');
    free(big);
    sg_copybuf_free(&b);
}

/* The limits are the schema's: every entry matches schemas/tables.sql. */
static void test_columns_match_schema(void **state)
{
    (void)state;
    FILE *f = fopen(SG_SOURCE_DIR "/schemas/tables.sql", "r");
    assert_non_null(f);
    static char sql[1 << 16];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    sql[n] = '\0';
    fclose(f);
    for (int k = 0; k < SG_NUMCOLS; k++) {
        const sg_numcol_def *c = &sg_numcols[k];
        char head[128], line[128];
        snprintf(head, sizeof head, "CREATE TABLE public.%s (", c->table);
        snprintf(line, sizeof line, "\n    %s numeric(%d,%d)", c->column, c->precision, c->scale);
        const char *t = strstr(sql, head);
        assert_non_null(t);
        const char *end = strstr(t, ");");
        const char *col = strstr(t, line);
        if (!col || col > end)
            fail_msg("%s.%s is not numeric(%d,%d) in schemas/tables.sql", c->table, c->column, c->precision,
                     c->scale);
    }
}

static void test_check_messages(void **state)
{
    (void)state;
    char why[256];
    assert_null(sg_numcol_check_double(SG_COL_METRICS_PE, 999999.9999, why, sizeof why));
    assert_string_equal(sg_numcol_check_double(SG_COL_METRICS_PE, 1250000, why, sizeof why),
                        "1250000.0 does not fit symbol_daily_metrics.pe_ratio NUMERIC(10,4) (|value| < 10^6)");
    sg_dec d;
    assert_int_equal(sg_dec_parse("1e300", 5, &d), 0);
    assert_string_equal(sg_numcol_check_dec(SG_COL_PROFILE_MARKET_CAP, &d, why, sizeof why),
                        "1e+300 does not fit company_profiles.market_cap NUMERIC(20,2) (|value| < 10^18)");
    assert_int_equal(sg_dec_parse("99999999.99995", 14, &d), 0);
    assert_string_equal(sg_numcol_check_dec(SG_COL_PRICE, &d, why, sizeof why),
                        "99999999.99995 does not fit market_data_cache.close NUMERIC(12,4) (|value| < 10^8)");
    assert_null(sg_numcol_check_double(SG_COL_EXPOSURE_R2, 0.9999, why, sizeof why));
    assert_non_null(sg_numcol_check_double(SG_COL_EXPOSURE_R2, 100, why, sizeof why));
    assert_non_null(sg_numcol_check_double(SG_COL_EXPOSURE_BETA, INFINITY, why, sizeof why));
}

/* A row that does not fit leaves the result as its symbol's failure; the
 * others stay, in order. */
static void test_screen_factors(void **state)
{
    (void)state;
    sg_factor_result res = {0};
    res.nrows = 6;
    res.rows = calloc(res.nrows, sizeof *res.rows);
    res.nfailures = 1;
    res.failures = calloc(1, sizeof *res.failures);
    assert_true(res.rows && res.failures);
    const double beta[6] = {1.0, 1e4, -2.5, -9999.9999995, 9999.9999994, 0.5};
    for (size_t i = 0; i < res.nrows; i++)
        res.rows[i] = (sg_factor_row){.sym = (uint32_t)i, .factor = SG_F_PROVIDER, .r2_null = true, .beta = beta[i]};
    res.rows[5].factor = SG_F_MARKET;
    res.rows[5].r2_null = false;
    res.rows[5].r2 = 250.0; /* an R-squared NUMERIC(6,4) cannot hold */
    char err[128];
    assert_int_equal(sg_store_screen_factors(&res, err, sizeof err), 3);
    assert_int_equal(res.nrows, 3);
    assert_int_equal(res.rows[0].sym, 0);
    assert_int_equal(res.rows[1].sym, 2);
    assert_int_equal(res.rows[2].sym, 4);
    assert_int_equal(res.nfailures, 4);
    assert_int_equal(res.failures[1].sym, 1);
    assert_int_equal(res.failures[1].step, SG_STEP_PROVIDER);
    assert_string_equal(res.failures[1].reason,
                        "Provider Beta (1Y): beta 10000.0 does not fit NUMERIC(10,6) (|beta| < 10^4)");
    assert_int_equal(res.failures[2].sym, 3);
    assert_int_equal(res.failures[3].sym, 5);
    assert_int_equal(res.failures[3].step, SG_STEP_MARKET);
    assert_string_equal(res.failures[3].reason, "Market Beta (90D): R-squared 250.0 does not fit NUMERIC(6,4)");
    assert_int_equal(sg_store_screen_factors(&res, err, sizeof err), 0); /* nothing left to drop */
    sg_factor_result_free(&res);
}

/* A metrics value that does not fit becomes NULL; the rest of the row stays. */
static void test_screen_metrics(void **state)
{
    (void)state;
    sg_metrics_row rows[2];
    memset(rows, 0, sizeof rows);
    const char *symbols[2] = {"AAA", "BBB"};
    for (int i = 0; i < 2; i++) {
        rows[i].sym = (uint32_t)i;
        rows[i].data_quality_score = 100;
        rows[i].current_price = (sg_num){.kind = SG_NUM_FLOAT, .f = 10.0};
        for (int k = 0; k < SG_NRETURNS; k++)
            rows[i].ret[k] = (sg_num){.kind = SG_NUM_FLOAT, .f = 0.01};
    }
    rows[0].ret[SG_RET_1D].f = 99999.0; /* a previous close of 0.0001 */
    rows[0].pe_ratio = (sg_num){.kind = SG_NUM_FLOAT, .f = 1250000.0};
    rows[0].market_cap = (sg_num){.kind = SG_NUM_FLOAT, .f = 1e17};
    rows[1].pe_ratio = (sg_num){.kind = SG_NUM_FLOAT, .f = 999999.9999};
    rows[1].market_cap = (sg_num){.kind = SG_NUM_FLOAT, .f = 9e15};
    assert_int_equal(sg_dec_parse("10000.0000005", 13, &rows[1].ret[SG_RET_1Y].d), 0);
    rows[1].ret[SG_RET_1Y].kind = SG_NUM_DEC;
    assert_int_equal(sg_store_screen_metrics(symbols, rows, 2), 4);
    assert_int_equal(rows[0].ret[SG_RET_1D].kind, SG_NUM_NULL);
    assert_int_equal(rows[0].pe_ratio.kind, SG_NUM_NULL);
    assert_int_equal(rows[0].market_cap.kind, SG_NUM_NULL);
    assert_int_equal(rows[0].ret[SG_RET_MTD].kind, SG_NUM_FLOAT);
    assert_int_equal(rows[0].data_quality_score, 70); /* return_1d no longer counts */
    assert_int_equal(rows[1].ret[SG_RET_1Y].kind, SG_NUM_NULL);
    assert_int_equal(rows[1].pe_ratio.kind, SG_NUM_FLOAT);
    assert_int_equal(rows[1].market_cap.kind, SG_NUM_FLOAT);
    assert_int_equal(rows[1].data_quality_score, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_columns_match_schema),
        cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_screen_factors),
        cmocka_unit_test(test_screen_metrics),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
