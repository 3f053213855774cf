/*
 * test_factors.c - the factor engine on a synthetic in-memory universe
 * (factors.h; FACTOR_SPEC §3-§8, §13).
 *
 * The universe is synth.h's (8 ETFs and FULL, GAP, FLAT, IPO45, IPO20, LEV,
 * WKND, ZERO, calculation date 2025-07-15), added row by row with
 * sg_prices_add. The expected rows below were computed by oracle.py on the
 * same universe written as CSV (sgt_universe -> symbol,date,close), with the
 * options named above each table; values agree to 1e-12 (FACTOR_SPEC §15).
 * Observation counts follow from the calendar: [D-120, D] holds 83 NYSE days
 * (82 returns), [D-200, D] 135 (134), [D-210, D] 142 (141).
 * Where sigmabatch departs from the app on purpose (docs/engine.md,
 * "Departures"), the test says so and checks the departure.
 */
#include "factors.h"
#include "log.h"
#include "sgtest.h"
#include "sgt_universe.h"

static const sg_day D = 20284; /* 2025-07-15 */

typedef struct expected_row {
    const char *sym;
    sg_factor factor;
    double beta, r2;
    int obs;
} expected_row;

#define NULL_R2 (-999.0) /* provider rows: r_squared is NULL */

/* exp_v2: oracle.py U.csv --date 2025-07-15 --profiles P.csv (P: the profiles() below) */
static const expected_row exp_v2[] = {
    {"FULL", SG_F_GROWTH, 0.33181179968834995, 0.37531212249355994, 82},
    {"FULL", SG_F_GV_SPREAD, 0.6776188207285728, 0.04931307845054142, 134},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_LOW_VOL, -0.0738823842413132, 0.37531212249355994, 82},
    {"FULL", SG_F_MARKET, 1.0048498199075695, 0.25535965484083334, 82},
    {"FULL", SG_F_MOMENTUM, 0.05369661668291557, 0.37531212249355994, 82},
    {"FULL", SG_F_MOM_SPREAD, 0.45209257363149774, 0.04931307845054142, 134},
    {"FULL", SG_F_PROVIDER, 1.08, NULL_R2, 252},
    {"FULL", SG_F_QUALITY, 0.17231906940612937, 0.37531212249355994, 82},
    {"FULL", SG_F_QUAL_SPREAD, 0.34593956776214996, 0.04931307845054142, 134},
    {"FULL", SG_F_SIZE, 0.8489925424318513, 0.37531212249355994, 82},
    {"FULL", SG_F_SIZE_SPREAD, 0.970209182307822, 0.04931307845054142, 134},
    {"FULL", SG_F_VALUE, -0.5118049152584814, 0.37531212249355994, 82},
    {"GAP", SG_F_GROWTH, -0.2585127458274983, 0.2515361179086041, 81},
    {"GAP", SG_F_GV_SPREAD, 0.12571071415018586, 0.006759066244458184, 133},
    {"GAP", SG_F_IR, -0.8998513838280717, 0.06848576572594023, 81},
    {"GAP", SG_F_LOW_VOL, 0.16412778134298908, 0.2515361179086041, 81},
    {"GAP", SG_F_MARKET, 0.9036286064904927, 0.30770586942769773, 81},
    {"GAP", SG_F_MOMENTUM, -0.08219595177175973, 0.2515361179086041, 81},
    {"GAP", SG_F_MOM_SPREAD, -0.18782562197826888, 0.006759066244458184, 133},
    {"GAP", SG_F_PROVIDER, -0.5, NULL_R2, 252},
    {"GAP", SG_F_QUALITY, 0.5495382851494416, 0.2515361179086041, 81},
    {"GAP", SG_F_QUAL_SPREAD, -0.2858644410580035, 0.006759066244458184, 133},
    {"GAP", SG_F_SIZE, 0.1682647760114377, 0.2515361179086041, 81},
    {"GAP", SG_F_SIZE_SPREAD, 0.23692841463307862, 0.006759066244458184, 133},
    {"GAP", SG_F_VALUE, 0.2816295503147926, 0.2515361179086041, 81},
    {"IPO45", SG_F_GROWTH, 0.10913147386423191, 0.23564015696726348, 44},
    {"IPO45", SG_F_IR, -0.17338270345265513, 0.0024677118299505363, 44},
    {"IPO45", SG_F_LOW_VOL, 0.6391531039604891, 0.23564015696726348, 44},
    {"IPO45", SG_F_MARKET, 0.8825378512792312, 0.2419373126080241, 44},
    {"IPO45", SG_F_MOMENTUM, 0.1487736771400073, 0.23564015696726348, 44},
    {"IPO45", SG_F_QUALITY, 0.14383883979877352, 0.23564015696726348, 44},
    {"IPO45", SG_F_SIZE, 0.1618852136814055, 0.23564015696726348, 44},
    {"IPO45", SG_F_VALUE, -0.24352455522576277, 0.23564015696726348, 44},
    {"LEV", SG_F_GROWTH, 1.1039803312253371, 0.9586289182584452, 82},
    {"LEV", SG_F_GV_SPREAD, 2.4500709632962985, 0.06333935321478953, 134},
    {"LEV", SG_F_IR, -5.0, 0.3005577303963105, 82},
    {"LEV", SG_F_LOW_VOL, 1.4608366480822388, 0.9586289182584452, 82},
    {"LEV", SG_F_MARKET, 5.0, 0.8712235568282714, 82},
    {"LEV", SG_F_MOMENTUM, 0.7320680082870374, 0.9586289182584452, 82},
    {"LEV", SG_F_MOM_SPREAD, 1.9421314176185112, 0.06333935321478953, 134},
    {"LEV", SG_F_QUALITY, 1.0269093691040765, 0.9586289182584452, 82},
    {"LEV", SG_F_QUAL_SPREAD, 0.3434477944717834, 0.06333935321478953, 134},
    {"LEV", SG_F_SIZE, 1.7343614798391545, 0.9586289182584452, 82},
    {"LEV", SG_F_SIZE_SPREAD, 4.469747503219638, 0.06333935321478953, 134},
    {"LEV", SG_F_VALUE, 0.8234101225093095, 0.9586289182584452, 82},
    {"SPY", SG_F_GROWTH, 0.15897475704395192, 0.8582032907904097, 82},
    {"SPY", SG_F_GV_SPREAD, 0.2800339492664782, 0.02762359149669827, 134},
    {"SPY", SG_F_IR, -1.019814961642384, 0.24357840323718138, 82},
    {"SPY", SG_F_LOW_VOL, 0.12109580194224077, 0.8582032907904097, 82},
    {"SPY", SG_F_MARKET, 1.0000000000000002, 1.0, 82},
    {"SPY", SG_F_MOMENTUM, 0.048069093921756366, 0.8582032907904097, 82},
    {"SPY", SG_F_MOM_SPREAD, -0.05986469569117933, 0.02762359149669827, 134},
    {"SPY", SG_F_QUALITY, 0.17410617239115697, 0.8582032907904097, 82},
    {"SPY", SG_F_QUAL_SPREAD, -0.3279948390986626, 0.02762359149669827, 134},
    {"SPY", SG_F_SIZE, 0.1861078544805697, 0.8582032907904097, 82},
    {"SPY", SG_F_SIZE_SPREAD, 0.26722164212775656, 0.02762359149669827, 134},
    {"SPY", SG_F_VALUE, 0.24063932385834433, 0.8582032907904097, 82},
    {"TLT", SG_F_GROWTH, -0.00014341200079627344, 0.33942347692989505, 82},
    {"TLT", SG_F_GV_SPREAD, -0.1355704586972782, 0.028561513399360305, 134},
    {"TLT", SG_F_IR, 1.0000000000000002, 1.0, 82},
    {"TLT", SG_F_LOW_VOL, -0.058788371744933315, 0.33942347692989505, 82},
    {"TLT", SG_F_MARKET, -0.23884568514753415, 0.2435784032371815, 82},
    {"TLT", SG_F_MOMENTUM, -0.0933147933482729, 0.33942347692989505, 82},
    {"TLT", SG_F_MOM_SPREAD, -0.10559667576374704, 0.028561513399360305, 134},
    {"TLT", SG_F_QUALITY, -0.15016215626924936, 0.33942347692989505, 82},
    {"TLT", SG_F_QUAL_SPREAD, -0.09983108674518552, 0.028561513399360305, 134},
    {"TLT", SG_F_SIZE, 0.012290878250210325, 0.33942347692989505, 82},
    {"TLT", SG_F_SIZE_SPREAD, -0.1347022424259071, 0.028561513399360305, 134},
    {"TLT", SG_F_VALUE, 0.01625415852033252, 0.33942347692989505, 82},
    {"WKND", SG_F_GROWTH, 0.11056888939479421, 0.2568849214520932, 82},
    {"WKND", SG_F_GV_SPREAD, 0.3135851345646975, 0.03154179479391478, 134},
    {"WKND", SG_F_IR, -0.593797319477614, 0.050778307853932114, 82},
    {"WKND", SG_F_LOW_VOL, 0.2209963840442934, 0.2568849214520932, 82},
    {"WKND", SG_F_MARKET, 0.5477938674564743, 0.18451856565832814, 82},
    {"WKND", SG_F_MOMENTUM, 0.3228987502473897, 0.2568849214520932, 82},
    {"WKND", SG_F_MOM_SPREAD, 0.38778565884861593, 0.03154179479391478, 134},
    {"WKND", SG_F_QUALITY, 0.024160199124120776, 0.2568849214520932, 82},
    {"WKND", SG_F_QUAL_SPREAD, 0.16239366481141065, 0.03154179479391478, 134},
    {"WKND", SG_F_SIZE, 0.1493327236486753, 0.2568849214520932, 82},
    {"WKND", SG_F_SIZE_SPREAD, 0.4388988308099617, 0.03154179479391478, 134},
    {"WKND", SG_F_VALUE, -0.26035035344206847, 0.2568849214520932, 82},
    {"ZERO", SG_F_GROWTH, 0.237587971850377, 0.40653475236036907, 81},
    {"ZERO", SG_F_GV_SPREAD, 0.4128968044657985, 0.05839219331909182, 133},
    {"ZERO", SG_F_IR, -1.224480436121101, 0.14836140958044985, 81},
    {"ZERO", SG_F_LOW_VOL, 0.21848667340627445, 0.40653475236036907, 81},
    {"ZERO", SG_F_MARKET, 0.8253335100063867, 0.29435662050325717, 81},
    {"ZERO", SG_F_MOMENTUM, 0.0865054747739104, 0.40653475236036907, 81},
    {"ZERO", SG_F_MOM_SPREAD, 0.43914551063421875, 0.05839219331909182, 133},
    {"ZERO", SG_F_QUALITY, 0.032867637324132934, 0.40653475236036907, 81},
    {"ZERO", SG_F_QUAL_SPREAD, 0.1351545337955499, 0.05839219331909182, 133},
    {"ZERO", SG_F_SIZE, 0.5739434659160323, 0.40653475236036907, 81},
    {"ZERO", SG_F_SIZE_SPREAD, 0.8389724290598503, 0.05839219331909182, 133},
    {"ZERO", SG_F_VALUE, -0.3286579929507276, 0.40653475236036907, 81},
};
/* exp_v1: oracle.py U.csv --date 2025-07-15 --pipeline v1 */
static const expected_row exp_v1[] = {
    {"FULL", SG_F_GROWTH, 0.33181179968834995, 0.37531212249355994, 82},
    {"FULL", SG_F_GV_SPREAD, 0.6898504184342911, 0.04997291726006381, 141},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_LOW_VOL, -0.0738823842413132, 0.37531212249355994, 82},
    {"FULL", SG_F_MARKET, 1.0048498199075695, 0.25535965484083334, 82},
    {"FULL", SG_F_MOMENTUM, 0.05369661668291557, 0.37531212249355994, 82},
    {"FULL", SG_F_MOM_SPREAD, 0.457066985655722, 0.04997291726006381, 141},
    {"FULL", SG_F_QUALITY, 0.17231906940612937, 0.37531212249355994, 82},
    {"FULL", SG_F_QUAL_SPREAD, 0.31304726043415, 0.04997291726006381, 141},
    {"FULL", SG_F_SIZE, 0.8489925424318513, 0.37531212249355994, 82},
    {"FULL", SG_F_SIZE_SPREAD, 1.0050869679400996, 0.04997291726006381, 141},
    {"FULL", SG_F_VALUE, -0.5118049152584814, 0.37531212249355994, 82},
    {"GAP", SG_F_GROWTH, -0.2585127458274983, 0.2515361179086041, 81},
    {"GAP", SG_F_GV_SPREAD, 0.1349018874494694, 0.007704012803215227, 140},
    {"GAP", SG_F_IR, -0.8998513838280717, 0.06848576572594023, 81},
    {"GAP", SG_F_LOW_VOL, 0.16412778134298908, 0.2515361179086041, 81},
    {"GAP", SG_F_MARKET, 0.9036286064904927, 0.30770586942769773, 81},
    {"GAP", SG_F_MOMENTUM, -0.08219595177175973, 0.2515361179086041, 81},
    {"GAP", SG_F_MOM_SPREAD, -0.1802810703592037, 0.007704012803215227, 140},
    {"GAP", SG_F_QUALITY, 0.5495382851494416, 0.2515361179086041, 81},
    {"GAP", SG_F_QUAL_SPREAD, -0.31701142942026855, 0.007704012803215227, 140},
    {"GAP", SG_F_SIZE, 0.1682647760114377, 0.2515361179086041, 81},
    {"GAP", SG_F_SIZE_SPREAD, 0.2527802589229442, 0.007704012803215227, 140},
    {"GAP", SG_F_VALUE, 0.2816295503147926, 0.2515361179086041, 81},
};
/* exp_ob: oracle.py U.csv --date 2025-07-15 --pipeline onboarding */
static const expected_row exp_ob[] = {
    {"FULL", SG_F_GROWTH, 0.33181179968834995, 0.37531212249355994, 82},
    {"FULL", SG_F_GV_SPREAD, 0.6898504184342911, 0.04997291726006381, 141},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_LOW_VOL, -0.0738823842413132, 0.37531212249355994, 82},
    {"FULL", SG_F_MARKET, 1.0048498199075695, 0.25535965484083334, 82},
    {"FULL", SG_F_MOMENTUM, 0.05369661668291557, 0.37531212249355994, 82},
    {"FULL", SG_F_MOM_SPREAD, 0.457066985655722, 0.04997291726006381, 141},
    {"FULL", SG_F_QUALITY, 0.17231906940612937, 0.37531212249355994, 82},
    {"FULL", SG_F_QUAL_SPREAD, 0.31304726043415, 0.04997291726006381, 141},
    {"FULL", SG_F_SIZE, 0.8489925424318513, 0.37531212249355994, 82},
    {"FULL", SG_F_SIZE_SPREAD, 1.0050869679400996, 0.04997291726006381, 141},
    {"FULL", SG_F_VALUE, -0.5118049152584814, 0.37531212249355994, 82},
    {"WKND", SG_F_GROWTH, 0.06869912104087131, 0.0640494521898256, 82},
    {"WKND", SG_F_GV_SPREAD, 0.4399366485449981, 0.016192773188864, 141},
    {"WKND", SG_F_IR, -0.2814510245302394, 0.0005603136526005636, 82},
    {"WKND", SG_F_LOW_VOL, 0.5176198411441277, 0.0640494521898256, 82},
    {"WKND", SG_F_MARKET, -0.07900478127424337, 0.00018851081287651894, 82},
    {"WKND", SG_F_MOMENTUM, 1.471104307516612, 0.0640494521898256, 82},
    {"WKND", SG_F_MOM_SPREAD, 1.0961537500500176, 0.016192773188864, 141},
    {"WKND", SG_F_QUALITY, -2.351471971622295, 0.0640494521898256, 82},
    {"WKND", SG_F_QUAL_SPREAD, 0.0703199220756285, 0.016192773188864, 141},
    {"WKND", SG_F_SIZE, 1.502654259110402, 0.0640494521898256, 82},
    {"WKND", SG_F_SIZE_SPREAD, 1.3895879719537005, 0.016192773188864, 141},
    {"WKND", SG_F_VALUE, -1.1489570807151983, 0.0640494521898256, 82},
    {"ZERO", SG_F_GV_SPREAD, 5.0, NAN, 141},
    {"ZERO", SG_F_IR, -5.0, NAN, 82},
    {"ZERO", SG_F_MARKET, 5.0, NAN, 82},
    {"ZERO", SG_F_MOM_SPREAD, 5.0, NAN, 141},
    {"ZERO", SG_F_QUAL_SPREAD, -5.0, NAN, 141},
    {"ZERO", SG_F_SIZE_SPREAD, 5.0, NAN, 141},
};
/* exp_alpha05: oracle.py U.csv --date 2025-07-15 --alpha 0.5 --symbols FULL */
static const expected_row exp_alpha05[] = {
    {"FULL", SG_F_GROWTH, 0.33208017066120327, 0.3755639059093796, 82},
    {"FULL", SG_F_GV_SPREAD, 0.6776188207285728, 0.04931307845054142, 134},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_LOW_VOL, -0.07333185769498493, 0.3755639059093796, 82},
    {"FULL", SG_F_MARKET, 1.0048498199075695, 0.25535965484083334, 82},
    {"FULL", SG_F_MOMENTUM, 0.04411245409655113, 0.3755639059093796, 82},
    {"FULL", SG_F_MOM_SPREAD, 0.45209257363149774, 0.04931307845054142, 134},
    {"FULL", SG_F_QUALITY, 0.1691423205734598, 0.3755639059093796, 82},
    {"FULL", SG_F_QUAL_SPREAD, 0.34593956776214996, 0.04931307845054142, 134},
    {"FULL", SG_F_SIZE, 0.8818538480811484, 0.3755639059093796, 82},
    {"FULL", SG_F_SIZE_SPREAD, 0.970209182307822, 0.04931307845054142, 134},
    {"FULL", SG_F_VALUE, -0.5378695795265517, 0.3755639059093796, 82},
};
/* exp_no_usmv: oracle.py U.csv --date 2025-07-15 on the universe without USMV (k = 5) */
static const expected_row exp_no_usmv[] = {
    {"FULL", SG_F_GROWTH, 0.3312738932980975, 0.37503435418052244, 82},
    {"FULL", SG_F_GV_SPREAD, 0.6776188207285728, 0.04931307845054142, 134},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_MARKET, 1.0048498199075695, 0.25535965484083334, 82},
    {"FULL", SG_F_MOMENTUM, 0.043772779655974293, 0.37503435418052244, 82},
    {"FULL", SG_F_MOM_SPREAD, 0.45209257363149774, 0.04931307845054142, 134},
    {"FULL", SG_F_QUALITY, 0.16108188196860074, 0.37503435418052244, 82},
    {"FULL", SG_F_QUAL_SPREAD, 0.34593956776214996, 0.04931307845054142, 134},
    {"FULL", SG_F_SIZE, 0.8464211179589309, 0.37503435418052244, 82},
    {"FULL", SG_F_SIZE_SPREAD, 0.970209182307822, 0.04931307845054142, 134},
    {"FULL", SG_F_VALUE, -0.5326564980088041, 0.37503435418052244, 82},
};
/* (only USMV and TLT of the ETFs): oracle.py's one row (ridge with k = 1; the
 * oracle then aborts at the spread step, as the app does), plus the IR and
 * provider rows sigmabatch goes on to compute (a documented departure): the IR
 * row equals the complete universe's, TLT and FULL being unchanged */
static const expected_row exp_usmv_tlt_only_plus[] = {
    {"FULL", SG_F_LOW_VOL, 1.0311456629010103, 0.16155741720896155, 82},
    {"FULL", SG_F_IR, -0.9077658904859763, 0.048808302700334316, 82},
    {"FULL", SG_F_PROVIDER, 1.08, NULL_R2, 252},
};

/* ---- helpers ------------------------------------------------------------------ */

/* The symbol list given to the engine (byte order, as sigmactl passes it). */
static const char *const syms[] = {"ABSENT", "FLAT", "FULL", "GAP",  "IPO20", "IPO45", "IWM", "LEV",  "MTUM",
                                   "QUAL",   "SPY",  "TLT",  "USMV", "VTV",   "VUG",   "WKND", "ZERO"};
#define NSYMS (sizeof syms / sizeof syms[0])

static void emit_add(void *ctx, const char *sym, sg_day day, const char *close)
{
    const char *why;
    if (sg_prices_add(ctx, sym, strlen(sym), day, close, strlen(close), &why))
        fail_msg("synthetic row refused: %s", why);
}

static sg_prices *universe(unsigned opts)
{
    sg_prices *p = sg_prices_new();
    sgt_universe(D, opts, emit_add, p);
    assert_int_equal(sg_prices_finish(p), 0);
    return p;
}

static sg_profiles *profiles(void)
{
    char path[600], err[256];
    /* FULL and GAP have provider betas; FLAT's is 0 and LEV's empty: no row (FACTOR_SPEC §7) */
    snprintf(path, sizeof path, "%s",
             sgt_write_str("profiles.csv", "symbol,company_name,beta\nFULL,Full Co,1.08\nFLAT,Flat Co,0\n"
                                           "LEV,,\nGAP,Gap Co,-0.5\n"));
    sg_profiles *ps = sg_profiles_load_csv(path, err, sizeof err);
    if (!ps)
        fail_msg("%s", err);
    return ps;
}

static void compute(const sg_prices *px, const char *const *list, size_t n, sg_pipeline pl, double alpha,
                    const sg_profiles *prof, sg_factor_result *res)
{
    sg_factor_opts o = {.pipeline = pl, .alpha = alpha};
    char err[256];
    if (sg_factors_compute(px, list, n, D, &o, prof, res, err, sizeof err))
        fail_msg("sg_factors_compute: %s", err);
}

static long sym_index(const char *s)
{
    for (size_t i = 0; i < NSYMS; i++)
        if (strcmp(syms[i], s) == 0)
            return (long)i;
    fail_msg("no symbol %s", s);
    return -1;
}

static const sg_factor_row *row_of(const sg_factor_result *r, const char *sym, sg_factor f)
{
    long s = sym_index(sym);
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].sym == (uint32_t)s && r->rows[i].factor == f)
            return &r->rows[i];
    return NULL;
}

static size_t count_rows(const sg_factor_result *r, const char *sym, int step /* -1: every step */)
{
    long s = sym_index(sym);
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++)
        n += r->rows[i].sym == (uint32_t)s && (step < 0 || sg_factor_defs[r->rows[i].factor].step == (sg_step)step);
    return n;
}

static const char *failure_of(const sg_factor_result *r, const char *sym, sg_step step)
{
    long s = sym_index(sym);
    for (size_t i = 0; i < r->nfailures; i++)
        if (r->failures[i].sym == (uint32_t)s && r->failures[i].step == step)
            return r->failures[i].reason;
    return NULL;
}

static void assert_failure(const sg_factor_result *r, const char *sym, sg_step step, const char *reason)
{
    const char *got = failure_of(r, sym, step);
    if (!got || strcmp(got, reason) != 0)
        fail_msg("%s %s: failure '%s', expected '%s'", sym, sg_step_name(step), got ? got : "(none)", reason);
    if (count_rows(r, sym, (int)step) != 0)
        fail_msg("%s %s failed but has rows", sym, sg_step_name(step));
}

/* Every expected row is there with the oracle's values (1e-12), and the
 * symbols of the table have no other rows. */
static void check_rows(const sg_factor_result *r, const expected_row *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sg_factor_row *g = row_of(r, e[i].sym, e[i].factor);
        if (!g)
            fail_msg("missing row %s / %s", e[i].sym, sg_factor_defs[e[i].factor].name);
        if (g->observations != e[i].obs)
            fail_msg("%s / %s: observations %d, expected %d", e[i].sym, sg_factor_defs[e[i].factor].name,
                     g->observations, e[i].obs);
        if (!(fabs(g->beta - e[i].beta) <= 1e-12 * fmax(1, fabs(e[i].beta))))
            fail_msg("%s / %s: beta %.17g, expected %.17g", e[i].sym, sg_factor_defs[e[i].factor].name, g->beta,
                     e[i].beta);
        if (e[i].r2 == NULL_R2) {
            assert_true(g->r2_null);
        } else if (isnan(e[i].r2)) {
            assert_false(g->r2_null);
            assert_is_nan(g->r2);
        } else if (g->r2_null || !(fabs(g->r2 - e[i].r2) <= 1e-12)) {
            fail_msg("%s / %s: r2 %.17g, expected %.17g", e[i].sym, sg_factor_defs[e[i].factor].name, g->r2,
                     e[i].r2);
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t want = 0;
        for (size_t j = 0; j < n; j++)
            want += strcmp(e[j].sym, e[i].sym) == 0;
        if (count_rows(r, e[i].sym, -1) != want)
            fail_msg("%s: %zu rows, expected %zu", e[i].sym, count_rows(r, e[i].sym, -1), want);
    }
}

#define CHECK_ROWS(res, table) check_rows((res), (table), sizeof(table) / sizeof(table)[0])

/* ---- tests -------------------------------------------------------------------- */

static void test_catalogue(void **state)
{
    (void)state;
    /* FACTOR_SPEC §0 and §8 */
    static const struct {
        sg_factor f;
        const char *name, *method;
        sg_step step;
        int window;
    } cat[] = {
        {SG_F_VALUE, "Value", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_GROWTH, "Growth", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_MOMENTUM, "Momentum", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_QUALITY, "Quality", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_SIZE, "Size", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_LOW_VOL, "Low Volatility", "ridge_regression", SG_STEP_RIDGE, 90},
        {SG_F_GV_SPREAD, "Growth-Value Spread", "spread_regression", SG_STEP_SPREAD, 180},
        {SG_F_MOM_SPREAD, "Momentum Spread", "spread_regression", SG_STEP_SPREAD, 180},
        {SG_F_SIZE_SPREAD, "Size Spread", "spread_regression", SG_STEP_SPREAD, 180},
        {SG_F_QUAL_SPREAD, "Quality Spread", "spread_regression", SG_STEP_SPREAD, 180},
        {SG_F_MARKET, "Market Beta (90D)", "ols_market", SG_STEP_MARKET, 90},
        {SG_F_IR, "IR Beta", "ols_ir", SG_STEP_IR, 90},
        {SG_F_PROVIDER, "Provider Beta (1Y)", "provider", SG_STEP_PROVIDER, 252},
    };
    assert_int_equal(sizeof cat / sizeof cat[0], SG_NFACTORS);
    for (size_t i = 0; i < SG_NFACTORS; i++) {
        const sg_factor_def *d = &sg_factor_defs[cat[i].f];
        assert_string_equal(d->name, cat[i].name);
        assert_string_equal(d->method, cat[i].method);
        assert_int_equal(d->step, cat[i].step);
        assert_int_equal(d->window_days, cat[i].window);
    }
    assert_string_equal(sg_step_name(SG_STEP_RIDGE), "ridge");
    assert_string_equal(sg_step_name(SG_STEP_SPREAD), "spread");
    assert_string_equal(sg_step_name(SG_STEP_MARKET), "ols_market");
    assert_string_equal(sg_step_name(SG_STEP_IR), "ols_ir");
    assert_string_equal(sg_step_name(SG_STEP_PROVIDER), "provider");
    static const char *const etfs[] = {"SPY", "VTV", "VUG", "MTUM", "QUAL", "IWM", "USMV", "TLT"};
    for (int i = 0; i < 8; i++)
        assert_string_equal(sg_factor_etfs[i], etfs[i]);
}

static void test_v2_universe(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_profiles *prof = profiles();
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, prof, &res);
    CHECK_ROWS(&res, exp_v2);
    /* rows per symbol and method (FACTOR_SPEC §8) */
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_RIDGE), 6);
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_SPREAD), 4);
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_MARKET), 1);
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_IR), 1);
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_PROVIDER), 1);
    assert_int_equal(count_rows(&res, "FLAT", -1), 12);  /* provider beta 0: no provider row */
    assert_int_equal(count_rows(&res, "LEV", -1), 12);   /* provider beta empty: none either */
    assert_int_equal(count_rows(&res, "IPO45", -1), 8);  /* 6 ridge, market, IR; no spread */
    assert_int_equal(count_rows(&res, "IPO20", -1), 0);  /* 19 returns: nothing */
    assert_int_equal(count_rows(&res, "ABSENT", -1), 0); /* not in the prices */
    static const char *const etfs[] = {"SPY", "VTV", "VUG", "MTUM", "QUAL", "IWM", "USMV", "TLT"};
    for (int i = 0; i < 8; i++)
        assert_int_equal(count_rows(&res, etfs[i], -1), 12);
    /* SPY on itself: beta 1, R2 1 (oracle: 1.0000000000000002, 1.0) */
    assert_close(row_of(&res, "SPY", SG_F_MARKET)->beta, 1.0, 1e-12);
    assert_close(row_of(&res, "TLT", SG_F_IR)->beta, 1.0, 1e-12);
    /* LEV's slopes are clipped, R2 is the unclipped fit's */
    assert_same(row_of(&res, "LEV", SG_F_MARKET)->beta, 5.0);
    assert_same(row_of(&res, "LEV", SG_F_IR)->beta, -5.0);
    /* the spread R2 is the mean of the four, the same on every spread row */
    assert_same(row_of(&res, "FULL", SG_F_GV_SPREAD)->r2, row_of(&res, "FULL", SG_F_QUAL_SPREAD)->r2);
    /* ridge rows share R2 and observations */
    assert_same(row_of(&res, "GAP", SG_F_VALUE)->r2, row_of(&res, "GAP", SG_F_LOW_VOL)->r2);
    /* provider rows: the profile's beta, NULL R2, 252 observations */
    const sg_factor_row *pr = row_of(&res, "FULL", SG_F_PROVIDER);
    assert_true(pr->r2_null);
    assert_int_equal(pr->observations, 252);
    assert_same(pr->beta, 1.08);
    /* failures, with the app's reasons (FACTOR_SPEC §13) */
    assert_failure(&res, "IPO20", SG_STEP_RIDGE, "Insufficient aligned data: 19 days");
    assert_failure(&res, "IPO20", SG_STEP_SPREAD, "Insufficient aligned data: 19 days");
    assert_failure(&res, "IPO20", SG_STEP_MARKET, "Insufficient aligned data: 19 days");
    assert_failure(&res, "IPO20", SG_STEP_IR, "Insufficient aligned data: 19 days");
    assert_failure(&res, "IPO45", SG_STEP_SPREAD, "Insufficient aligned data: 44 days");
    assert_failure(&res, "ABSENT", SG_STEP_RIDGE, "No return data");
    assert_failure(&res, "ABSENT", SG_STEP_SPREAD, "No return data");
    assert_failure(&res, "ABSENT", SG_STEP_MARKET, "No return data");
    assert_failure(&res, "ABSENT", SG_STEP_IR, "No return data");
    assert_int_equal(res.nfailures, 9);
    /* one regressor matrix per date set: full history, GAP, ZERO (its zero
     * close is not in the cache: a gap), IPO45 (docs/engine.md) */
    assert_int_equal(res.groups, 4);
    /* ordered by symbol index, then factor name in byte order */
    for (size_t i = 1; i < res.nrows; i++) {
        const sg_factor_row *a = &res.rows[i - 1], *b = &res.rows[i];
        assert_true(a->sym < b->sym ||
                    (a->sym == b->sym && strcmp(sg_factor_defs[a->factor].name, sg_factor_defs[b->factor].name) < 0));
    }
    sg_factor_result_free(&res);
    assert_null(res.rows);
    assert_int_equal(res.nrows, 0);
    sg_profiles_free(prof);
    sg_prices_free(px);
}

/* A constant price: y = 0. Ridge: betas 0 and R2 0.0; OLS and spread: beta 0,
 * R2 NaN (FACTOR_SPEC §13; oracle: FLAT rows of the v2 run). */
static void test_flat_symbol(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_factor_result res;
    const char *const one[] = {"FLAT"};
    compute(px, one, 1, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_int_equal(res.nrows, 12);
    for (size_t i = 0; i < res.nrows; i++) {
        const sg_factor_row *r = &res.rows[i];
        assert_same(r->beta, 0.0);
        if (sg_factor_defs[r->factor].step == SG_STEP_RIDGE) {
            assert_same(r->r2, 0.0);
            assert_int_equal(r->observations, 82);
        } else {
            assert_is_nan(r->r2);
            assert_int_equal(r->observations, sg_factor_defs[r->factor].step == SG_STEP_SPREAD ? 134 : 82);
        }
    }
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* v1 reads a 366-day cache: the spread window is the full [D-210, D]. */
static void test_v1_spread_window(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V1, 1.0, NULL, &res);
    CHECK_ROWS(&res, exp_v1);
    assert_int_equal(row_of(&res, "FULL", SG_F_SIZE_SPREAD)->observations, 141);
    assert_int_equal(row_of(&res, "GAP", SG_F_SIZE_SPREAD)->observations, 140);
    assert_int_equal(row_of(&res, "FULL", SG_F_VALUE)->observations, 82);
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* Onboarding reads every stored row: WKND's Saturday row changes its betas
 * (its 07-14 return spans from the Saturday); ZERO's zero close gives -1 and
 * +inf returns: ridge fails as sklearn does, OLS and spread "succeed" with
 * +-5 and NaN (FACTOR_SPEC §13). */
static void test_onboarding(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_ONBOARDING, 1.0, NULL, &res);
    CHECK_ROWS(&res, exp_ob);
    assert_failure(&res, "ZERO", SG_STEP_RIDGE, "Input y contains infinity (a zero close)");
    assert_int_equal(row_of(&res, "ZERO", SG_F_MARKET)->observations, 82);
    assert_int_equal(res.groups, 3); /* full history, GAP, IPO45 */
    sg_factor_result_free(&res);
    /* the same WKND on v2 ignores the Saturday */
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_close(row_of(&res, "WKND", SG_F_MARKET)->beta, 0.5477938674564743, 1e-12);
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

static void test_alpha(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_factor_result res;
    const char *const one[] = {"FULL"};
    compute(px, one, 1, SG_PIPELINE_V2, 0.5, NULL, &res);
    for (size_t i = 0; i < sizeof exp_alpha05 / sizeof exp_alpha05[0]; i++) {
        const sg_factor_row *g = NULL;
        for (size_t j = 0; j < res.nrows; j++)
            if (res.rows[j].factor == exp_alpha05[i].factor)
                g = &res.rows[j];
        assert_non_null(g);
        assert_close(g->beta, exp_alpha05[i].beta, 1e-12);
        assert_near(g->r2, exp_alpha05[i].r2, 1e-12);
    }
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* A whole ETF missing (USMV): ridge runs with k = 5 and writes 5 rows. */
static void test_missing_ridge_etf(void **state)
{
    (void)state;
    sg_prices *px = universe(SGT_WITHOUT(6)); /* USMV */
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, NULL, &res);
    CHECK_ROWS(&res, exp_no_usmv);
    assert_null(row_of(&res, "FULL", SG_F_LOW_VOL));
    assert_failure(&res, "USMV", SG_STEP_RIDGE, "No return data");
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* SPY missing: no spread rows (three spreads need it), no market beta; ridge
 * and IR as usual (oracle: "No spread returns available", "No SPY returns
 * available"). */
static void test_missing_spy(void **state)
{
    (void)state;
    sg_prices *px = universe(SGT_WITHOUT(0));
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_failure(&res, "FULL", SG_STEP_SPREAD, "No spread returns available");
    assert_failure(&res, "FULL", SG_STEP_MARKET, "No SPY returns available");
    assert_int_equal(count_rows(&res, "FULL", SG_STEP_RIDGE), 6);
    assert_close(row_of(&res, "FULL", SG_F_VALUE)->beta, -0.5118049152584814, 1e-12);
    assert_close(row_of(&res, "FULL", SG_F_IR)->beta, -0.9077658904859763, 1e-12);
    assert_int_equal(count_rows(&res, "FULL", -1), 7);
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* All six spread ETFs missing (only USMV and TLT left). The app raises in
 * fetch_spread_returns and never computes market, IR or provider rows
 * (FACTOR_SPEC §1.3, §13); sigmabatch skips the spread step only (documented
 * departure, docs/engine.md): the IR row is still computed. Ridge runs with
 * k = 1 (oracle: FULL Low Volatility row). */
static void test_all_spread_etfs_missing(void **state)
{
    (void)state;
    sg_prices *px = universe(0x3F); /* SPY VTV VUG MTUM QUAL IWM */
    sg_profiles *prof = profiles();
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, prof, &res);
    CHECK_ROWS(&res, exp_usmv_tlt_only_plus);
    assert_failure(&res, "FULL", SG_STEP_SPREAD, "No price data available for spread factors");
    assert_failure(&res, "FULL", SG_STEP_MARKET, "No SPY returns available");
    sg_factor_result_free(&res);
    sg_profiles_free(prof);
    sg_prices_free(px);
}

/* VUG and VTV present but never on the same day: the aligned ETF sets are
 * empty. Ridge: "No factor ETF returns available" for everyone; spread: the
 * app's ValueError, again a departure: market and IR rows are computed,
 * equal to those of the complete universe. */
static void test_spread_set_empty_keeps_market_and_ir(void **state)
{
    (void)state;
    sg_prices *px = universe(SGT_DISJOINT_VUG_VTV);
    sg_factor_result res;
    compute(px, syms, NSYMS, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_failure(&res, "FULL", SG_STEP_RIDGE, "No factor ETF returns available");
    assert_failure(&res, "FULL", SG_STEP_SPREAD, "No price data available for spread factors");
    const sg_factor_row *m = row_of(&res, "FULL", SG_F_MARKET), *ir = row_of(&res, "FULL", SG_F_IR);
    assert_non_null(m);
    assert_non_null(ir);
    assert_close(m->beta, 1.0048498199075695, 1e-12);
    assert_near(m->r2, 0.25535965484083334, 1e-12);
    assert_int_equal(m->observations, 82);
    assert_close(ir->beta, -0.9077658904859763, 1e-12);
    assert_int_equal(count_rows(&res, "FULL", -1), 2);
    assert_int_equal(count_rows(&res, "IPO45", -1), 2);
    assert_int_equal(res.groups, 0);
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

/* Each symbol is its own OLS batch and ridge groups do not leak: a symbol's
 * rows do not depend on which other symbols are computed with it, nor on
 * their order (docs/engine.md, "Departures"). */
/* Every row of `sub` is bit for bit the row of the same symbol and factor in
 * `all` (memcmp, not a tolerance: reruns must store the same numbers). */
static void assert_rows_identical(const sg_factor_result *sub, const char *const *list, const sg_factor_result *all,
                                  const char *what)
{
    for (size_t i = 0; i < sub->nrows; i++) {
        const sg_factor_row *a = &sub->rows[i], *b = row_of(all, list[a->sym], a->factor);
        assert_non_null(b);
        assert_int_equal(a->observations, b->observations);
        if (memcmp(&a->beta, &b->beta, sizeof a->beta) || memcmp(&a->r2, &b->r2, sizeof a->r2))
            fail_msg("%s: %s %s: beta %.17g vs %.17g, r2 %.17g vs %.17g", what, list[a->sym],
                     sg_factor_defs[a->factor].name, a->beta, b->beta, a->r2, b->r2);
    }
}

/* A symbol's rows do not depend on which other symbols share the run: alone,
 * the whole universe, reversed, random subsets, every pipeline. */
static void test_symbols_independent(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    static const sg_pipeline pipes[] = {SG_PIPELINE_V2, SG_PIPELINE_V1, SG_PIPELINE_ONBOARDING};
    for (size_t p = 0; p < 3; p++) {
        sg_factor_result all, sub;
        compute(px, syms, NSYMS, pipes[p], 1.0, NULL, &all);
        for (size_t k = 0; k < NSYMS; k++) {
            const char *const one[] = {syms[k]};
            compute(px, one, 1, pipes[p], 1.0, NULL, &sub);
            assert_int_equal(sub.nrows, count_rows(&all, syms[k], -1));
            assert_rows_identical(&sub, one, &all, "alone");
            sg_factor_result_free(&sub);
        }
        const char *list[NSYMS];
        for (size_t i = 0; i < NSYMS; i++)
            list[i] = syms[NSYMS - 1 - i];
        compute(px, list, NSYMS, pipes[p], 1.0, NULL, &sub);
        assert_int_equal(sub.nrows, all.nrows);
        assert_rows_identical(&sub, list, &all, "reversed");
        sg_factor_result_free(&sub);
        uint64_t seed = 8;
        for (int trial = 0; trial < 25; trial++) { /* random subsets in random order, no repeats */
            size_t n = 0;
            for (size_t i = 0; i < NSYMS; i++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                if ((seed >> 33) & 1)
                    list[n++] = syms[i];
            }
            for (size_t i = n; i > 1; i--) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t j = (size_t)(seed >> 33) % i;
                const char *t = list[i - 1];
                list[i - 1] = list[j], list[j] = t;
            }
            compute(px, list, n, pipes[p], 1.0, NULL, &sub);
            assert_rows_identical(&sub, list, &all, "random subset");
            sg_factor_result_free(&sub);
        }
        sg_factor_result_free(&all);
    }
    sg_prices_free(px);
}

/* ---- regressions: bugs found by these tests, now fixed ------- */

/* BUG (UB): when no symbol gets a row, sg_factors_compute sorts
 * res->rows == NULL with qsort(NULL, 0, ...) (factors.c, the final qsort);
 * passing NULL is undefined even for 0 elements and -fsanitize=undefined
 * aborts ("null pointer passed as argument 1"). Reached by any price file
 * whose symbols all fail, e.g. `sigmactl factors FILE --date D` on a file
 * with only a header, or one symbol with two rows, in the SG_SANITIZE build.
 * Passes in a normal build. */
static void bug_no_rows_at_all(void **state)
{
    (void)state;
    sg_prices *px = universe(0);
    sg_factor_result res;
    const char *const one[] = {"ABSENT"};
    compute(px, one, 1, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_int_equal(res.nrows, 0);
    assert_int_equal(res.nfailures, 4);
    sg_factor_result_free(&res);
    compute(px, one, 0, SG_PIPELINE_V2, 1.0, NULL, &res);
    assert_int_equal(res.nrows, 0);
    sg_factor_result_free(&res);
    sg_prices_free(px);
}

int main(int argc, char **argv)
{
    sg_log_init("test_factors", SG_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_v2_universe),
        cmocka_unit_test(test_flat_symbol),
        cmocka_unit_test(test_v1_spread_window),
        cmocka_unit_test(test_onboarding),
        cmocka_unit_test(test_alpha),
        cmocka_unit_test(test_missing_ridge_etf),
        cmocka_unit_test(test_missing_spy),
        cmocka_unit_test(test_all_spread_etfs_missing),
        cmocka_unit_test(test_spread_set_empty_keeps_market_and_ir),
        cmocka_unit_test(test_symbols_independent),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(bug_no_rows_at_all),
    };
    (void)argc;
    (void)argv;
    int failed = cmocka_run_group_tests_name("factors", tests, NULL, sgt_group_teardown);
    return failed + cmocka_run_group_tests_name("factors regressions", bugs, NULL, sgt_group_teardown);
}
