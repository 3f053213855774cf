/*
 * fuzz_import_profiles.c - sigmactl import-profiles' reading of a profiles CSV
 * (sigmactl/commands.h: sg_import_profiles_header, then
 * sg_import_profiles_rows: every row checked and turned into COPY text),
 * without the database it then writes to.
 *
 * Checks: an accepted file gives one COPY line per row it counts, each with
 * line, symbol and one field per profile column the header has, and the
 * rows' file lines strictly increase.
 */
#include "commands.h"
#include "fuzz.h"
#include "profiles.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

static void check_copy(const sg_copybuf *b, const int *idx, const long *lines, long rows)
{
    int fields = 2, tabs = 0;
    long n = 0;
    for (int k = SG_PROFILE_COMPANY_NAME; k < SG_PROFILE_NCOLS; k++)
        fields += idx[k] >= 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->p[i] == '\t') {
            tabs++;
        } else if (b->p[i] == '\n') {
            FUZZ_CHECK(tabs == fields - 1);
            tabs = 0;
            n++;
        }
    }
    FUZZ_CHECK(tabs == 0 && n == rows && !b->oom);
    for (long r = 1; r < rows; r++)
        FUZZ_CHECK(lines[r - 1] < lines[r]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_csv c;
    sg_copybuf b = {0};
    char err[256];
    int idx[SG_PROFILE_NCOLS];
    long *lines = NULL;
    if (sg_csv_open_mem(&c, "profiles.csv", (const char *)data, size, err, sizeof err))
        return 0;
    if (sg_import_profiles_header(&c, idx) == 0) {
        long rows = sg_import_profiles_rows(&c, idx, &b, &lines);
        if (rows >= 0)
            check_copy(&b, idx, lines, rows);
    }
    sg_csv_close(&c);
    sg_copybuf_free(&b);
    free(lines);
    return 0;
}
