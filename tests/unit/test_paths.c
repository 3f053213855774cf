/*
 * test_paths.c - the installed data directory found relative to a program
 * (sg_paths_installed): PREFIX/bin/PROGRAM finds PREFIX/share/sigmabatch/NAME
 * wherever PREFIX is, and nothing else.
 */
#include "sgtest.h"
#include "paths.h"

#include <sys/stat.h>

/* A prefix under the test's temp dir: bin/ and share/sigmabatch/migrations. */
static const char *make_prefix(const char *name)
{
    static char prefix[512];
    char path[600];
    snprintf(prefix, sizeof prefix, "%s/%s", sgt_tmpdir(), name);
    const char *dirs[] = {"", "/bin", "/share", "/share/sigmabatch", "/share/sigmabatch/migrations"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", prefix, dirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    return prefix;
}

static void test_beside_bin(void **state)
{
    (void)state;
    const char *prefix = make_prefix("p1");
    char exe[600], want[700], out[1024];
    snprintf(exe, sizeof exe, "%s/bin/sigmactl", prefix);
    snprintf(want, sizeof want, "%s/share/sigmabatch/migrations", prefix);
    assert_int_equal(sg_paths_installed(exe, "migrations", out, sizeof out), 0);
    /* PREFIX/share/..., not PREFIX/bin/../share/... */
    assert_string_equal(out, want);
    /* Only what is there, and only directories. */
    assert_int_equal(sg_paths_installed(exe, "samples", out, sizeof out), -1);
    assert_string_equal(out, "");
    char file[700];
    snprintf(file, sizeof file, "%s/share/sigmabatch/README", prefix);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(sg_paths_installed(exe, "README", out, sizeof out), -1);
    /* A buffer too small is not found, never cut. */
    assert_int_equal(sg_paths_installed(exe, "migrations", out, strlen(want)), -1);
    assert_int_equal(sg_paths_installed(exe, "migrations", out, strlen(want) + 1), 0);
}

static void test_relative_and_bare(void **state)
{
    (void)state;
    char out[1024];
    /* A program name without a directory has no install beside it. */
    assert_int_equal(sg_paths_installed("sigmactl", "migrations", out, sizeof out), -1);
    /* A relative bin/ keeps its "..": the path still resolves from the cwd. */
    make_prefix("p2");
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(sgt_tmpdir()), 0);
    assert_int_equal(sg_paths_installed("p2/bin/sigma-worker", "migrations", out, sizeof out), 0);
    assert_string_equal(out, "p2/share/sigmabatch/migrations");
    assert_int_equal(chdir("p2/bin"), 0);
    assert_int_equal(sg_paths_installed("./sigma-worker", "migrations", out, sizeof out), 0);
    assert_string_equal(out, "./../share/sigmabatch/migrations");
    assert_int_equal(chdir(cwd), 0);
}

static void test_running_program(void **state)
{
    (void)state;
    char out[1024];
    /* This test runs from the build tree (build/tests/): no share/ beside it. */
    assert_int_equal(sg_paths_installed(NULL, "migrations", out, sizeof out), -1);
}

/* The prefixes' tree, deepest first (sgt_cleanup removes flat files only). */
static int teardown(void **state)
{
    (void)state;
    const char *prefixes[] = {"p1", "p2"};
    const char *paths[] = {"/share/sigmabatch/README", "/share/sigmabatch/migrations", "/share/sigmabatch",
                           "/share", "/bin", ""};
    char path[600];
    for (size_t p = 0; p < 2; p++)
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            snprintf(path, sizeof path, "%s/%s%s", sgt_tmpdir(), prefixes[p], paths[i]);
            remove(path); /* p2 has no README */
        }
    sgt_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beside_bin),
        cmocka_unit_test(test_relative_and_bare),
        cmocka_unit_test(test_running_program),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
