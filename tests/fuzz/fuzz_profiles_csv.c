/*
 * fuzz_profiles_csv.c - the profiles CSV (common/profiles.h,
 * sg_profiles_read_csv: what sigmactl compute and import-profiles check).
 *
 * Checks: a loaded table finds the symbol of its first data row, with finite
 * numbers where it has them; a rejection names the file.
 */
#include <math.h>

#include "fuzz.h"
#include "profiles.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

/* The symbol field of the first record after the header, from a second reading. */
static int first_symbol(const uint8_t *data, size_t size, char *out, size_t outlen)
{
    static const char *const names[] = {"symbol"};
    sg_csv c;
    char err[256];
    int idx, ok = 0;
    if (sg_csv_open_mem(&c, "profiles.csv", (const char *)data, size, err, sizeof err))
        return 0;
    if (sg_csv_header(&c, names, 1, 1, &idx, "symbol", err, sizeof err) == 0 && sg_csv_next(&c, err, sizeof err) == 1) {
        sg_field f = sg_csv_col(&c, idx);
        ok = f.len < outlen;
        if (ok)
            snprintf(out, outlen, "%.*s", (int)f.len, f.p);
    }
    sg_csv_close(&c);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_csv c;
    char err[512] = "", sym[64];
    if (sg_csv_open_mem(&c, "profiles.csv", (const char *)data, size, err, sizeof err))
        return 0;
    sg_profiles *p = sg_profiles_read_csv(&c, err, sizeof err);
    sg_csv_close(&c);
    if (!p) {
        FUZZ_CHECK(strncmp(err, "profiles.csv:", 13) == 0);
        return 0;
    }
    if (first_symbol(data, size, sym, sizeof sym)) {
        const sg_profile *r = sg_profiles_get(p, sym);
        FUZZ_CHECK(r && strcmp(r->symbol, sym) == 0);
        FUZZ_CHECK(!r->has_market_cap || isfinite(r->market_cap));
        FUZZ_CHECK(!r->has_pe_ratio || isfinite(r->pe_ratio));
        FUZZ_CHECK(!r->has_beta || isfinite(r->beta));
    }
    sg_profiles_free(p);
    return 0;
}
