/*
 * replay.c - a main for a fuzz target without libFuzzer: runs every file
 * named (or in a directory named) through LLVMFuzzerTestOneInput once. So the
 * corpus, and every crash kept in it, is a regression test under gcc and
 * under ASan+UBSan in the normal builds (ctest -R unit.fuzz_corpus).
 *
 * Each input is read into a buffer of exactly its size, as libFuzzer gives
 * it, so a read past its end is an ASan finding here too. No file at all is
 * a failure: a corpus that went missing must not pass.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Runs one file; -1 when it cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        fprintf(stderr, "replay: %s: cannot stat\n", path);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    size_t got = data ? fread(data, 1, size, f) : 0;
    fclose(f);
    if (!data || got != size) {
        free(data);
        fprintf(stderr, "replay: %s: cannot read\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

/* Runs a file, or every regular file of a directory; adds the count to *n. */
static int run_path(const char *path, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: no such file or directory\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*n)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: %s: cannot open the directory\n", path);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            (*n)++;
            rc = run_file(p);
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    size_t n = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &n))
            return 1;
    if (n == 0) {
        fprintf(stderr, "replay: no input in %s\n", argv[1]);
        return 1;
    }
    printf("%zu inputs, no finding\n", n);
    return 0;
}
