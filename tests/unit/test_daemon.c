/*
 * test_daemon.c - what daemon.h does besides the command line (tested by
 * tests/cli): sg_daemon_release_memory gives a heap's free memory back to the
 * system even when a block in use sits above it (soak.rss found a worker that
 * kept its night's peak resident: tests/soak/README.md).
 */
#include "sgtest.h"
#include "daemon.h"

/* glibc's heap; ASan's allocator (and another libc's) has none such: skipped there */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define GLIBC_HEAP 1

/* RssAnon of this process in KiB (/proc/self/status), -1 if unreadable. */
static long rss_anon_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

enum { NBLOCKS = 16384, BLOCK = 1000 }; /* 16 MB in blocks below glibc's mmap threshold: the heap */
#endif

static void test_release_memory(void **state)
{
    (void)state;
#ifndef GLIBC_HEAP
    skip();
#else
    static char *blocks[NBLOCKS];
    long base = rss_anon_kib();
    assert_true(base > 0);
    for (int i = 0; i < NBLOCKS; i++) {
        assert_non_null(blocks[i] = malloc(BLOCK));
        memset(blocks[i], 1, BLOCK);
    }
    char *pin = malloc(64); /* in use, above the blocks: free() cannot shrink the heap */
    assert_non_null(pin);
    for (int i = 0; i < NBLOCKS; i++)
        free(blocks[i]);
    long kept = rss_anon_kib();
    assert_true(kept - base >= 12 * 1024); /* freed, and still resident */
    sg_daemon_release_memory();
    long after = rss_anon_kib();
    assert_true(kept - after >= 12 * 1024); /* given back */
    free(pin);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_release_memory)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
