/*
 * test_profiles.c - company_profiles rows from CSV (profiles.h; FACTOR_SPEC
 * §7 and §11).
 *
 * Expectations: oracle.py's load_profiles (pandas read_csv with dtype=str,
 * keep_default_na=False: empty text is NULL, symbols are not stripped, the last
 * row of a symbol wins) and the contract of profiles.h (numbers must be finite;
 * errors are "path:line: reason").
 */
#include "profiles.h"
#include "sgtest.h"

static sg_profiles *load(const char *name, const char *text, char *err, size_t errlen)
{
    char path[600];
    snprintf(path, sizeof path, "%s", sgt_write_str(name, text));
    err[0] = '\0';
    return sg_profiles_load_csv(path, err, errlen);
}

/* samples/profiles.csv, the local default's file */
static const char *const sample =
    "symbol,company_name,sector,industry,market_cap,pe_ratio,beta\n"
    "S001,\"Acme Widgets, Inc.\",Industrials,Machinery,15300000000,21.4,1.08\n"
    "S002,Borealis Health,Health Care,Pharmaceuticals,8200000000,17.9,0.71\n"
    "S005,Echo Retail,Consumer Discretionary,Broadline Retail,4100000000,0,1.15\n"
    "LEV6,Leveraged Market Fund,Financials,Asset Management,900000000,,\n"
    "FLAT,Flatline Trust,Financials,Trusts,50000000,,0\n"
    "SPY,SPDR S&P 500 ETF Trust,,,,,1.0\n";

static void test_sample(void **state)
{
    (void)state;
    char err[512];
    sg_profiles *ps = load("sample.csv", sample, err, sizeof err);
    if (!ps)
        fail_msg("%s", err);
    const sg_profile *p = sg_profiles_get(ps, "S001");
    assert_non_null(p);
    assert_string_equal(p->symbol, "S001");
    assert_string_equal(p->company_name, "Acme Widgets, Inc."); /* quoted comma */
    assert_string_equal(p->sector, "Industrials");
    assert_string_equal(p->industry, "Machinery");
    assert_true(p->has_market_cap && p->has_pe_ratio && p->has_beta);
    assert_same(p->market_cap, 15300000000.0);
    assert_same(p->pe_ratio, 21.4);
    assert_same(p->beta, 1.08);
    assert_int_equal(p->line, 2);
    /* a zero P/E is a value here; metrics turn it into NULL (`value or None`) */
    p = sg_profiles_get(ps, "S005");
    assert_true(p->has_pe_ratio);
    assert_same(p->pe_ratio, 0.0);
    /* empty numbers are NULL */
    p = sg_profiles_get(ps, "LEV6");
    assert_true(p->has_market_cap);
    assert_false(p->has_pe_ratio);
    assert_false(p->has_beta);
    /* a zero beta is a value (the provider step skips it, FACTOR_SPEC §7) */
    p = sg_profiles_get(ps, "FLAT");
    assert_true(p->has_beta);
    assert_same(p->beta, 0.0);
    /* empty text is NULL */
    p = sg_profiles_get(ps, "SPY");
    assert_string_equal(p->company_name, "SPDR S&P 500 ETF Trust");
    assert_null(p->sector);
    assert_null(p->industry);
    assert_false(p->has_market_cap);
    assert_same(p->beta, 1.0);
    assert_int_equal(p->line, 7);
    /* absent symbols; lookups are exact */
    assert_null(sg_profiles_get(ps, "S003"));
    assert_null(sg_profiles_get(ps, "s001"));
    assert_null(sg_profiles_get(ps, ""));
    assert_null(sg_profiles_get(NULL, "S001"));
    sg_profiles_free(ps);
    sg_profiles_free(NULL);
}

static void test_columns_order_duplicates(void **state)
{
    (void)state;
    char err[512];
    /* only some columns, in another order; symbols unsorted; a repeated symbol
     * (the last row wins); symbols kept as written; numbers trimmed */
    sg_profiles *ps = load("cols.csv",
                           "beta,symbol,other\n"
                           "1.5,ZZZ,x\n"
                           "0.5,AAA,x\n"
                           "2.5,ZZZ,x\n"
                           " 3.25 ,AAA,x\n"
                           "\n"
                           ",MMM,x\n",
                           err, sizeof err);
    if (!ps)
        fail_msg("%s", err);
    const sg_profile *p = sg_profiles_get(ps, "ZZZ");
    assert_same(p->beta, 2.5);
    assert_int_equal(p->line, 4);
    assert_null(p->company_name);
    assert_false(p->has_market_cap);
    assert_false(p->has_pe_ratio);
    assert_same(sg_profiles_get(ps, "AAA")->beta, 3.25); /* the last row wins */
    assert_false(sg_profiles_get(ps, "MMM")->has_beta);
    sg_profiles_free(ps);
}

static void test_errors(void **state)
{
    (void)state;
    /* (the reason, then the message must contain both parts: the offending
     * value may or may not be quoted between them) */
    static const struct {
        const char *text, *where, *why;
    } cases[] = {
        {"", "p.csv: empty file: expected a header line", ""},
        {"company_name,beta\nX,1\n", "p.csv:1: header lacks column 'symbol'", ""},
        {"symbol,beta\nA,1\nB,abc\n", "p.csv:3: beta", "is not a finite number"},
        {"symbol,beta\nA,inf\n", "p.csv:2: beta", "is not a finite number"}, /* Python's float() would take it */
        {"symbol,beta\nA,nan\n", "p.csv:2: beta", "is not a finite number"},
        {"symbol,market_cap\nA,1e999\n", "p.csv:2: market_cap", "is not a finite number"},
        {"symbol,pe_ratio\nA,12x\n", "p.csv:2: pe_ratio", "is not a finite number"},
        {"symbol,pe_ratio\nA,1 2\n", "p.csv:2: pe_ratio", "is not a finite number"},
        {"symbol,beta\nA,1,2\n", "p.csv:2: 3 fields, but the header has 2", ""},
        {"symbol,beta\n\"A,1\n", "p.csv:2: unterminated quoted field", ""},
        /* symbols as written, checked by symbols.h (pandas keeps " AAA", which then matches nothing) */
        {"symbol,beta\nA,1\n AAA,1\n", "p.csv:3: symbol \" AAA\": a space at position 1", ""},
        {"symbol,beta\n,1\n", "p.csv:2: empty symbol", ""},
        {"symbol,beta\nA/../B,1\n", "p.csv:2: symbol \"A/../B\": character '/' at position 2", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512];
        sg_profiles *ps = load("p.csv", cases[i].text, err, sizeof err);
        if (ps) {
            sg_profiles_free(ps);
            fail_msg("case %zu loaded", i);
        }
        const char *at = strstr(err, cases[i].where);
        if (!at || !strstr(at + strlen(cases[i].where), cases[i].why))
            fail_msg("case %zu: '%s' does not contain '%s' ... '%s'", i, err, cases[i].where, cases[i].why);
    }
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/none.csv", sgt_tmpdir());
    assert_null(sg_profiles_load_csv(path, err, sizeof err));
    assert_contains(err, "none.csv: cannot open: No such file or directory");
}

/* Building without a file (the store's path): fields in sg_profile_columns
 * order, then finish. */
static void test_add_and_finish(void **state)
{
    (void)state;
    static const char *const cols[] = {"symbol", "company_name", "sector", "industry",
                                       "market_cap", "pe_ratio", "beta"};
    for (int k = 0; k < SG_PROFILE_NCOLS; k++)
        assert_string_equal(sg_profile_columns[k], cols[k]);
    sg_profiles *ps = sg_profiles_new();
    assert_non_null(ps);
    sg_field f[SG_PROFILE_NCOLS];
    const char *why = NULL;
#define SET(k, s) (f[k].p = (s), f[k].len = strlen(s))
    for (int k = 0; k < SG_PROFILE_NCOLS; k++)
        SET(k, "");
    SET(SG_PROFILE_SYMBOL, "BBB");
    SET(SG_PROFILE_BETA, "1.25");
    assert_int_equal(sg_profiles_add(ps, f, 10, &why), 0);
    SET(SG_PROFILE_SYMBOL, "AAA");
    SET(SG_PROFILE_SECTOR, "Energy");
    SET(SG_PROFILE_MARKET_CAP, " 5e9 ");
    assert_int_equal(sg_profiles_add(ps, f, 11, &why), 0);
    SET(SG_PROFILE_SYMBOL, "BBB");
    SET(SG_PROFILE_BETA, "");
    assert_int_equal(sg_profiles_add(ps, f, 12, &why), 0); /* a later row of BBB */
    SET(SG_PROFILE_PE_RATIO, "n/a");
    assert_int_equal(sg_profiles_add(ps, f, 13, &why), -1);
    assert_non_null(why);
    assert_contains(why, "pe_ratio");
    sg_profiles_finish(ps);
    const sg_profile *p = sg_profiles_get(ps, "AAA");
    assert_non_null(p);
    assert_string_equal(p->sector, "Energy");
    assert_null(p->company_name);
    assert_same(p->market_cap, 5e9);
    p = sg_profiles_get(ps, "BBB");
    assert_int_equal(p->line, 12); /* the last row wins: its beta is NULL */
    assert_false(p->has_beta);
#undef SET
    sg_profiles_free(ps);
}

/* ---- regressions: bugs found by these tests, now fixed ------- */

/* BUG (UB): a profiles file with a header and no rows calls
 * qsort(ps->v = NULL, 0, ...) (profiles.c:162); passing NULL to qsort is
 * undefined even for 0 elements, and -fsanitize=undefined aborts:
 * "null pointer passed as argument 1, which is declared to never be null".
 * Reproducer: sigmactl factors samples/universe.csv --date 2025-07-15
 * --profiles <(printf 'symbol,beta\n') in the SG_SANITIZE build.
 * Passes in a normal build; fails in the sanitizer build. */
static void bug_header_only_file(void **state)
{
    (void)state;
    char err[512];
    sg_profiles *ps = load("hdr.csv", "symbol,beta\n", err, sizeof err);
    assert_non_null(ps);
    assert_null(sg_profiles_get(ps, "A"));
    sg_profiles_free(ps);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_columns_order_duplicates),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_add_and_finish),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_header_only_file),
    };
    (void)argc;
    (void)argv;
    int failed = cmocka_run_group_tests_name("profiles", tests, NULL, sgt_group_teardown);
    return failed + cmocka_run_group_tests_name("profiles regressions", bugs, NULL, sgt_group_teardown);
}
