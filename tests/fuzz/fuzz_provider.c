/*
 * fuzz_provider.c - one provider's response parser (common/providers.h,
 * sg_provider_parse_response), built once per provider: FUZZ_PROVIDER is
 * SG_PROV_YAHOO (fuzz_yahoo), SG_PROV_FMP (fuzz_fmp) or SG_PROV_POLYGON
 * (fuzz_polygon). The input is a response body for AAPL over 2000..2030.
 *
 * Checks what the fetcher relies on: an OK answer holds bars sorted by day,
 * one a day, in the window, on NYSE trading days, each storable
 * (sg_bar_problem); any other answer adds nothing; no error text holds an
 * API key. Polygon's next_url goes where the fetcher sends it:
 * sg_provider_follow_url from the current page, then sg_redact_url for the
 * log, which must not show the key.
 */
#include "fuzz.h"
#include "providers.h"

#ifndef FUZZ_PROVIDER
#error "FUZZ_PROVIDER must name the provider (tests/fuzz/CMakeLists.txt)"
#endif

static sg_day from, to;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    from = sg_day_from_ymd(2000, 1, 1);
    to = sg_day_from_ymd(2030, 12, 31);
    return 0;
}

static void check_bars(const sg_bars *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const sg_bar *x = &b->v[i];
        FUZZ_CHECK(x->day >= from && x->day <= to);
        FUZZ_CHECK(i == 0 || b->v[i - 1].day < x->day);
        FUZZ_CHECK(sg_nyse_is_trading_day(x->day));
        FUZZ_CHECK(sg_bar_problem(x) == NULL);
    }
    FUZZ_CHECK(fuzz_no_key(b->drop_reason));
}

/* The next page, as the fetcher follows it and logs it. */
static void follow(const char *next_url)
{
    static const char current[] =
        "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-01-01/2024-12-31?apiKey=" FUZZ_POLYGON_KEY;
    char *url = sg_provider_follow_url(FUZZ_PROVIDER, current, next_url);
    if (!url)
        return;
    char shown[512];
    sg_redact_url(url, shown, sizeof shown);
    FUZZ_CHECK(fuzz_no_key(shown));
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_bars bars = {0};
    char *next_url = NULL, err[512] = "";
    sg_answer a = sg_provider_parse_response(FUZZ_PROVIDER, (const char *)data, size, "AAPL", from, to, &bars,
                                             &next_url, err, sizeof err);
    FUZZ_CHECK(fuzz_no_key(err));
    if (a == SG_ANSWER_OK)
        check_bars(&bars);
    else
        FUZZ_CHECK(bars.n == 0);
    FUZZ_CHECK(FUZZ_PROVIDER == SG_PROV_POLYGON || next_url == NULL);
    if (next_url)
        follow(next_url);
    free(next_url);
    sg_bars_free(&bars);
    return 0;
}
