/*
 * fuzz_csv.c - the CSV reader itself (common/csvfile.h) over a file in memory:
 * the header (symbol, date, close looked up, none required), then every
 * record.
 *
 * Checks: every field lies inside the file's bytes; after the header no
 * record has more fields than it (that is an error instead); line numbers
 * never go back; an error names the file and a line.
 */
#include "csvfile.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

static void check_fields(const sg_csv *c)
{
    char q[64];
    for (int i = 0; i < c->nfields; i++) {
        sg_field f = sg_csv_col(c, i), t = sg_field_trim(f);
        FUZZ_CHECK(f.p >= c->buf && f.len <= c->len && f.p - c->buf <= (ptrdiff_t)(c->len - f.len));
        FUZZ_CHECK(t.p >= f.p && t.p + t.len <= f.p + f.len);
        FUZZ_CHECK(strlen(sg_field_quote(f, q)) <= 43);
    }
    FUZZ_CHECK(sg_csv_col(c, c->nfields).len == 0 && sg_csv_col(c, -1).len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"symbol", "date", "close"};
    sg_csv c;
    char err[256] = "";
    int idx[3], rc;
    if (sg_csv_open_mem(&c, "fuzz.csv", (const char *)data, size, err, sizeof err))
        return 0;
    if (sg_csv_header(&c, names, 3, 0, idx, "symbol,date,close", err, sizeof err) == 0) {
        long line = c.line;
        check_fields(&c);
        while ((rc = sg_csv_next(&c, err, sizeof err)) == 1) {
            FUZZ_CHECK(c.nfields >= 1 && c.nfields <= c.ncols);
            FUZZ_CHECK(c.line > line);
            line = c.line;
            check_fields(&c);
        }
        FUZZ_CHECK(rc == 0 || strncmp(err, "fuzz.csv:", 9) == 0);
    } else {
        FUZZ_CHECK(strncmp(err, "fuzz.csv:", 9) == 0);
    }
    sg_csv_close(&c);
    return 0;
}
