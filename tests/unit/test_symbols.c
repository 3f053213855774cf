/*
 * test_symbols.c - the one validation of symbols (symbols.h).
 *
 * Good symbols are real tickers the app stores (FACTOR_SPEC §1.2: BRK.B and
 * BRK-B, Yahoo's ^VIX / EURUSD=X / GC=F, private PRIV_FUND and EQ..., OCC
 * options); bad ones are what issue 8 found (injection, lower case, non-ASCII,
 * paths, 21 and 300 characters), each with the reason a person reads.
 */
#include "sgtest.h"
#include "symbols.h"

static void test_good(void **state)
{
    (void)state;
    static const char *const good[] = {
        "A",
        "AAPL",
        "MSFT",
        "SPY",
        "BRK.B",
        "BRK-B",
        "BF.B",
        "^VIX",
        "^GSPC",
        "EURUSD=X",
        "GC=F",
        "PRIV_FUND",
        "_PRIVATE",
        "EQ0123ABCD",
        "AAPL251219C00150000",
        "AAPL240119C00150000",
        "S001",
        "3M",
        "ABCDEFGHIJKLMNOPQRST", /* 20: exactly fits VARCHAR(20) */
        "RDS-A",
        "A.B.C",
    };
    char why[SG_SYMBOL_WHY_LEN];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (sg_symbol_check(good[i], why, sizeof why))
            fail_msg("'%s' refused: %s", good[i], why);
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *sym, *why;
    } bad[] = {
        {"", "empty symbol"},
        {"A'B;DROP TABLE x",
         "symbol \"A'B;DROP TABLE x\": character ''' at position 2 is not allowed (A-Z 0-9 . - _ ^ = only)"},
        {"AAPL'); DELETE FROM positions; --",
         "symbol \"AAPL'); DELETE FROM posi...\" is 33 characters long; at most 20 fit"},
        {"A\"B", "symbol \"A\\\"B\": character '\\\"' at position 2 is not allowed"},
        {"A;B", "character ';' at position 2 is not allowed"},
        {"aapl", "symbol \"aapl\": lower-case 'a' at position 1 is not allowed (symbols are upper case"},
        {"Aapl", "lower-case 'a' at position 2"},
        {"\xC3\x84PFEL", "symbol \"\xC3\x84PFEL\": non-ASCII character '\xC3\x84' at position 1 is not allowed"},
        {"AB\xFF", "symbol \"AB\\xFF\": non-ASCII character '\\xFF' at position 3"},
        {"A B", "symbol \"A B\": a space at position 2 is not allowed"},
        {" AAPL", "a space at position 1"},
        {"AAPL ", "a space at position 5"},
        {"A\tB", "symbol \"A\\x09B\": control character \\x09 at position 2 is not allowed"},
        {"A\nB", "control character \\x0A at position 2"},
        {"../etc/passwd", "character '/' at position 3 is not allowed"},
        {"BRK/B", "character '/' at position 4 is not allowed"},
        {"..", "symbol \"..\" must start with a letter, a digit, '^' or '_', not '.'"},
        {"A..B", "symbol \"A..B\": \"..\" at position 2 is not allowed (a symbol is never a path)"},
        {"AB..", "\"..\" at position 3 is not allowed"},
        {".HIDDEN", "must start with a letter, a digit, '^' or '_', not '.'"},
        {"-X", "must start with a letter, a digit, '^' or '_', not '-'"},
        {"=X", "not '='"},
        {"A\\B", "character '\\\\' at position 2"},
        {"A%2FB", "character '%' at position 2"},
        {"A&apikey=x", "character '&' at position 2"},
        {"{symbol}", "character '{' at position 1"},
        {"AAPL  250117C00150000", "is 21 characters long; at most 20 fit (the symbol columns are VARCHAR(20))"},
        {"ABCDEFGHIJKLMNOPQRSTU", "is 21 characters long"},
        {"A*", "character '*' at position 2"},
        {"A,B", "character ',' at position 2"},
    };
    char why[SG_SYMBOL_WHY_LEN];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sg_symbol_check(bad[i].sym, why, sizeof why) != -1)
            fail_msg("'%s' accepted", bad[i].sym);
        if (!strstr(why, bad[i].why))
            fail_msg("'%s': reason '%s', expected it to contain '%s'", bad[i].sym, why, bad[i].why);
    }
    assert_int_equal(sg_symbol_check("A B", NULL, 0), -1); /* no reason wanted */
}

/* A 300-character symbol: our message, cut, never PostgreSQL's. */
static void test_overlong(void **state)
{
    (void)state;
    char s[301], why[SG_SYMBOL_WHY_LEN];
    memset(s, 'A', 300);
    s[300] = '\0';
    assert_int_equal(sg_symbol_check(s, why, sizeof why), -1);
    assert_string_equal(why, "symbol \"AAAAAAAAAAAAAAAAAAAAAAAA...\" is 300 characters long; at most 20 fit (the "
                             "symbol columns are VARCHAR(20))");
    /* a reason always fits SG_SYMBOL_WHY_LEN, whatever the symbol */
    memset(s, '\x01', 300);
    assert_int_equal(sg_symbol_checkn(s, 20, 0, why, sizeof why), -1);
    assert_true(strlen(why) < sizeof why - 1);
    char small[12];
    assert_int_equal(sg_symbol_check("A'B", small, sizeof small), -1);
    assert_string_equal(small, "symbol \"A'B");
}

/* Bytes with a NUL inside (a CSV field) are refused, not cut at the NUL. */
static void test_nul(void **state)
{
    (void)state;
    char why[SG_SYMBOL_WHY_LEN];
    assert_int_equal(sg_symbol_checkn("AB\0C", 4, 0, why, sizeof why), -1);
    assert_string_equal(why, "symbol \"AB\\x00C\": control character \\x00 at position 3 is not allowed (A-Z 0-9 . - _ "
                             "^ = only)");
    assert_int_equal(sg_symbol_checkn("AB", 2, 0, why, sizeof why), 0);
}

/* The engine's files keep the oracle's lower-case symbols; nothing else changes. */
static void test_lower_ok(void **state)
{
    (void)state;
    char why[SG_SYMBOL_WHY_LEN];
    assert_int_equal(sg_symbol_checkn("s003", 4, SG_SYMBOL_LOWER_OK, why, sizeof why), 0);
    assert_int_equal(sg_symbol_checkn("brk.b", 5, SG_SYMBOL_LOWER_OK, why, sizeof why), 0);
    assert_int_equal(sg_symbol_checkn("a/b", 3, SG_SYMBOL_LOWER_OK, why, sizeof why), -1);
    assert_int_equal(sg_symbol_checkn("a..b", 4, SG_SYMBOL_LOWER_OK, why, sizeof why), -1);
    assert_int_equal(sg_symbol_checkn("abcdefghijklmnopqrstu", 21, SG_SYMBOL_LOWER_OK, why, sizeof why), -1);
    assert_int_equal(sg_symbol_check("s003", why, sizeof why), -1);
}

static void test_list(void **state)
{
    (void)state;
    char why[SG_SYMBOL_WHY_LEN];
    const char *out[16];
    char l1[] = " S001,NOPE,FLAT,,S001 ,\tSPY,";
    assert_int_equal(sg_symbol_list_parse(l1, 0, out, why, sizeof why), 4);
    assert_string_equal(out[0], "FLAT");
    assert_string_equal(out[1], "NOPE");
    assert_string_equal(out[2], "S001");
    assert_string_equal(out[3], "SPY");
    char l2[] = "";
    assert_int_equal(sg_symbol_list_parse(l2, 0, out, why, sizeof why), 0);
    char l3[] = " , ,";
    assert_int_equal(sg_symbol_list_parse(l3, 0, out, why, sizeof why), 0);
    char l4[] = "AAPL,A'B;DROP TABLE x";
    assert_int_equal(sg_symbol_list_parse(l4, 0, out, why, sizeof why), -1);
    assert_string_equal(why, "symbol \"A'B;DROP TABLE x\": character ''' at position 2 is not allowed (A-Z 0-9 . - _ ^ "
                             "= only)");
    char l5[] = "AAPL,aapl";
    assert_int_equal(sg_symbol_list_parse(l5, 0, out, why, sizeof why), -1);
    char l6[] = "AAPL,s003";
    assert_int_equal(sg_symbol_list_parse(l6, SG_SYMBOL_LOWER_OK, out, why, sizeof why), 2);
    char l7[] = "A B,C";
    assert_int_equal(sg_symbol_list_parse(l7, 0, out, why, sizeof why), -1);
    assert_non_null(strstr(why, "a space at position 2"));
}

/* Invisible and reordering characters are shown as bytes: a person reading the
 * reason sees that something is there, and where. */
static void test_invisible(void **state)
{
    (void)state;
    char why[SG_SYMBOL_WHY_LEN];
    assert_int_equal(sg_symbol_check("A\xe2\x80\x8b" "B", why, sizeof why), -1);
    assert_string_equal(why, "symbol \"A\\xE2\\x80\\x8BB\": non-ASCII character '\\xE2' at position 2 is not allowed "
                             "(A-Z 0-9 . - _ ^ = only)");
    assert_int_equal(sg_symbol_check("A\xe2\x80\xaeLPAA", why, sizeof why), -1); /* right-to-left override */
    assert_non_null(strstr(why, "\"A\\xE2\\x80\\xAELPAA\""));
    assert_int_equal(sg_symbol_check("\xc2\x85X", why, sizeof why), -1); /* NEL, a C1 line break */
    assert_non_null(strstr(why, "\"\\xC2\\x85X\""));
    assert_int_equal(sg_symbol_check("\xc3\x84PFEL", why, sizeof why), -1); /* visible: shown as itself */
    assert_non_null(strstr(why, "\"\xc3\x84PFEL\""));
    assert_int_equal(sg_utf8_visible((const unsigned char *)"\xef\xbb\xbf", 3), 0); /* BOM */
    assert_int_equal(sg_utf8_visible((const unsigned char *)"\xe8\x8b\xb9", 3), 3);
}

/* Malformed UTF-8 is shown as bytes, never as a character: an overlong '/'
 * or NUL, a surrogate, a code point past U+10FFFF, a cut sequence. */
static void test_malformed_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len, visible;
    } cases[] = {
        {"\xc0\xaf", 2, 0},         {"\xc1\xbf", 2, 0},         {"\xe0\x80\xaf", 3, 0},
        {"\xe0\x9f\xbf", 3, 0},    {"\xed\xa0\x80", 3, 0},    {"\xed\xbf\xbf", 3, 0},
        {"\xf0\x80\x80\xaf", 4, 0}, {"\xf0\x8f\xbf\xbf", 4, 0}, {"\xf4\x90\x80\x80", 4, 0},
        {"\xf5\x80\x80\x80", 4, 0}, {"\xe8\x8b", 2, 0},         {"\xe8\x8b\x41", 3, 0},
        {"\xc2\xa9", 2, 2},         {"\xe0\xa0\x80", 3, 3},    {"\xed\x9f\xbf", 3, 3},
        {"\xf0\x90\x80\x80", 4, 4}, {"\xf4\x8f\xbf\xbf", 4, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = sg_utf8_visible((const unsigned char *)cases[i].bytes, cases[i].len);
        if (got != cases[i].visible)
            fail_msg("case %zu: visible %zu, expected %zu", i, got, cases[i].visible);
    }
    char why[SG_SYMBOL_WHY_LEN];
    assert_int_equal(sg_symbol_check("A\xed\xa0\x80", why, sizeof why), -1);
    assert_non_null(strstr(why, "\"A\\xED\\xA0\\x80\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good), cmocka_unit_test(test_bad),      cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_nul),  cmocka_unit_test(test_lower_ok), cmocka_unit_test(test_list),
        cmocka_unit_test(test_invisible), cmocka_unit_test(test_malformed_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
