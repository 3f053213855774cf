/*
 * fuzz_optfile.c - `-F FILE` (sg_bus_option_file, common/bus.h): the input is
 * the file, written to a scratch path, then read as every program reads it.
 *
 * Checks: a refusal names the file ("PATH:LINE: ..." or "-F PATH: ..."); the
 * value of a secret property (sasl.password) never reaches the message, nor
 * the listing of the accepted properties (sg_bus_options_print), unless the
 * rest of the input spells it too (then it may be a value of its own). Everything
 * is forgotten after each input.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "fuzz.h"

#define SECRET "Hunter2fuzz"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    snprintf(path, sizeof path, "/tmp/sg-fuzz-optfile-%d.conf", (int)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    /* a secret line first, so a later bad line is the one that must not echo it */
    fputs("sasl.password = " SECRET "\n", f);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);

    bool echoed_ok = memmem(data, size, SECRET, strlen(SECRET)) != NULL; /* the input has it in plain sight */
    char err[2048] = "";
    if (sg_bus_option_file(path, err, sizeof err) != 0) {
        size_t n = strlen(path);
        FUZZ_CHECK((strncmp(err, path, n) == 0 && err[n] == ':') || strncmp(err, "-F ", 3) == 0);
        FUZZ_CHECK(echoed_ok || strstr(err, SECRET) == NULL);
    }
    char *listed = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&listed, &len);
    FUZZ_CHECK(m != NULL);
    sg_bus_options_print(m);
    FUZZ_CHECK(fclose(m) == 0);
    FUZZ_CHECK(echoed_ok || strstr(listed, SECRET) == NULL);
    free(listed);
    sg_bus_options_reset();
    sg_config_reset();
    unlink(path);
    return 0;
}
