/*
 * fuzz_prices_csv.c - the engine's prices CSV (common/prices.h,
 * sg_prices_read_csv: what sigmactl compute and the golden tests load).
 *
 * Checks: a loaded table has its symbols in byte order, each found by name,
 * rows by strictly increasing day with finite closes >= 0, each found by
 * sg_prices_on; its counts add up; a rejection names the file.
 */
#include <math.h>

#include "fuzz.h"
#include "prices.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

static void check_table(const sg_prices *p)
{
    size_t total = 0;
    for (size_t i = 0; i < sg_prices_count(p); i++) {
        const char *sym = sg_prices_symbol(p, i);
        size_t n;
        const sg_price *r = sg_prices_rows(p, i, &n);
        FUZZ_CHECK(i == 0 || strcmp(sg_prices_symbol(p, i - 1), sym) < 0);
        FUZZ_CHECK(sg_prices_find(p, sym) == (long)i);
        for (size_t k = 0; k < n; k++) {
            sg_dec d;
            FUZZ_CHECK(k == 0 || r[k - 1].day < r[k].day);
            FUZZ_CHECK(isfinite(r[k].close) && r[k].close >= 0);
            FUZZ_CHECK(sg_prices_on(p, i, r[k].day) == &r[k]);
            sg_price_dec(&r[k], &d);
        }
        total += n;
    }
    FUZZ_CHECK(total == sg_prices_rows_total(p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_csv c;
    char err[512] = "";
    if (sg_csv_open_mem(&c, "prices.csv", (const char *)data, size, err, sizeof err))
        return 0;
    sg_prices *p = sg_prices_read_csv(&c, err, sizeof err);
    sg_csv_close(&c);
    if (p)
        check_table(p);
    else
        FUZZ_CHECK(strncmp(err, "prices.csv:", 11) == 0);
    sg_prices_free(p);
    return 0;
}
