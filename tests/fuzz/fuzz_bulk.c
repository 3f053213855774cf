/*
 * fuzz_bulk.c - a bulk answer's parser (common/bulk.h, sg_bulk_parse), built
 * once per bulk endpoint: FUZZ_PROVIDER is SG_PROV_POLYGON (fuzz_bulk_polygon,
 * grouped daily bars, JSON) or SG_PROV_FMP (fuzz_bulk_fmp, bulk end-of-day
 * prices, CSV). The input is the answer for Tuesday 2025-07-15.
 *
 * Checks what the bulk path relies on: BAD leaves nothing; OK rows are sorted
 * by symbol, each once, each a valid symbol; a row without a reason is
 * storable on that day (trading day, sg_bar_problem) and sg_bulk_find finds
 * every row; the counters add up; no error text holds an API key.
 */
#include "fuzz.h"
#include "bulk.h"

#ifndef FUZZ_PROVIDER
#error "FUZZ_PROVIDER must name the provider (tests/fuzz/CMakeLists.txt)"
#endif

static sg_day day;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    day = sg_day_from_ymd(2025, 7, 15);
    return 0;
}

static void check_rows(const sg_bulk *b)
{
    size_t bad = 0;
    for (size_t i = 0; i < b->n; i++) {
        const sg_bulk_row *r = &b->v[i];
        FUZZ_CHECK(i == 0 || strcmp(b->v[i - 1].symbol, r->symbol) < 0);
        FUZZ_CHECK(sg_symbol_check(r->symbol, NULL, 0) == 0);
        FUZZ_CHECK(sg_bulk_find(b, r->symbol) == r);
        FUZZ_CHECK(fuzz_no_key(r->why));
        if (r->why[0]) {
            bad++;
            continue;
        }
        FUZZ_CHECK(r->bar.day == day && sg_nyse_is_trading_day(r->bar.day));
        FUZZ_CHECK(sg_bar_problem(&r->bar) == NULL);
    }
    FUZZ_CHECK(bad == b->bad);
    FUZZ_CHECK(b->n + b->not_symbols <= b->rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_bulk b = {0};
    char err[512] = "";
    sg_answer a = sg_bulk_parse(FUZZ_PROVIDER, (const char *)data, size, day, &b, err, sizeof err);
    FUZZ_CHECK(fuzz_no_key(err));
    if (a == SG_ANSWER_OK)
        check_rows(&b);
    else
        FUZZ_CHECK(a == SG_ANSWER_BAD && b.n == 0 && b.v == NULL);
    sg_bulk_free(&b);
    return 0;
}
