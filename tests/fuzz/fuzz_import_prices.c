/*
 * fuzz_import_prices.c - sigmactl import-prices' reading of a prices CSV
 * (sigmactl/commands.h, sg_import_prices_rows: the header, every row checked
 * and turned into COPY text), without the database it then writes to.
 *
 * Checks: an accepted file gives one COPY line per row it counts, each of
 * nine tab-separated fields (id, symbol, date, open, high, low, close, volume,
 * line), as COPY ... FROM STDIN reads them.
 */
#include "commands.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

static void check_copy(const sg_copybuf *b, long rows)
{
    long lines = 0;
    int tabs = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->p[i] == '\t') {
            tabs++;
        } else if (b->p[i] == '\n') {
            FUZZ_CHECK(tabs == 8);
            tabs = 0;
            lines++;
        }
    }
    FUZZ_CHECK(tabs == 0 && lines == rows && !b->oom);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_csv c;
    sg_copybuf b = {0};
    char err[256];
    bool sorted;
    if (sg_csv_open_mem(&c, "import.csv", (const char *)data, size, err, sizeof err))
        return 0;
    long rows = sg_import_prices_rows(&c, &b, false, &sorted);
    sg_csv_close(&c);
    if (rows >= 0)
        check_copy(&b, rows);
    sg_copybuf_free(&b);
    return 0;
}
