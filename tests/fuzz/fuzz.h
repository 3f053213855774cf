/*
 * fuzz.h - what every target of tests/fuzz shares: libFuzzer's entry points,
 * a check that aborts (libFuzzer and the corpus replay both report an abort
 * as a finding, with the input), and the process's fixed setting: the log
 * silenced, and fake API keys in the environment, so every parser's
 * redaction runs and a key that reaches an error message is a finding.
 *
 * Owns: nothing of the product. Must not: parse anything itself; a target
 * calls the product's own parser (common/, sigmactl/) and checks its promises.
 */
#ifndef SG_FUZZ_H
#define SG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: report it and abort. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The keys of the fake environment: '/' and '+' have an escaped form too. */
#define FUZZ_FMP_KEY "fmpKEY+fuzz/0123"
#define FUZZ_POLYGON_KEY "polyKEY+fuzz/4567"

/* No log lines (thousands a second would be all the fuzzer does), and the keys. */
static inline void fuzz_setup(void)
{
    sg_log_init("fuzz", -1);
    setenv("FMP_API_KEY", FUZZ_FMP_KEY, 1);
    setenv("POLYGON_API_KEY", FUZZ_POLYGON_KEY, 1);
}

/* Text that may be printed holds neither key, as is or URL-escaped. */
static inline int fuzz_no_key(const char *text)
{
    return !strstr(text, FUZZ_FMP_KEY) && !strstr(text, "fmpKEY%2Bfuzz%2F0123") && !strstr(text, FUZZ_POLYGON_KEY) &&
           !strstr(text, "polyKEY%2Bfuzz%2F4567");
}

#endif
