/*
 * sgtest.h - shared helpers of the cmocka unit tests: double comparisons that
 * print both values, day literals, and scratch files in a private temp dir.
 *
 * Every helper is static: each test file is its own program.
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "calendar.h"

#define DAY(y, m, d) sg_day_from_ymd((y), (m), (d))

/* |a - b| <= tol (NaN never passes). */
#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b), t_ = (tol);                                                     \
        if (!(fabs(a_ - b_) <= t_)) {                                                              \
            print_error("%s = %.17g, expected %.17g (tolerance %g)\n", #a, a_, b_, t_);            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol * max(1, |b|). */
#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double b2_ = (b);                                                                          \
        assert_near((a), b2_, (tol) * (fabs(b2_) > 1 ? fabs(b2_) : 1));                            \
    } while (0)

/* Bit-for-bit the same double (two NaNs count as the same). */
#define assert_same(a, b)                                                                          \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!((isnan(a_) && isnan(b_)) || (a_ == b_ && signbit(a_) == signbit(b_)))) {             \
            print_error("%s = %.17g, expected exactly %.17g\n", #a, a_, b_);                       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_is_nan(a)                                                                           \
    do {                                                                                           \
        double a_ = (a);                                                                           \
        if (!isnan(a_)) {                                                                          \
            print_error("%s = %.17g, expected NaN\n", #a, a_);                                     \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* s contains sub. */
#define assert_contains(s, sub)                                                                    \
    do {                                                                                           \
        const char *s_ = (s), *sub_ = (sub);                                                       \
        if (!s_ || !strstr(s_, sub_)) {                                                            \
            print_error("\"%s\" does not contain \"%s\"\n", s_ ? s_ : "(null)", sub_);             \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- scratch files --------------------------------------------------------- */

#ifndef SGT_UNUSED
#define SGT_UNUSED __attribute__((unused))
#endif
static char sgt_dir[256] SGT_UNUSED;

/* Creates the private temp dir once per program; removed by sgt_cleanup(). */
static inline const char *sgt_tmpdir(void)
{
    if (!sgt_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(sgt_dir, sizeof sgt_dir, "%s/sgtest.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(sgt_dir)) {
            sgt_dir[0] = '\0';
            fail_msg("mkdtemp failed");
        }
    }
    return sgt_dir;
}

/* Writes len bytes to a file of that name in the temp dir and returns its
 * path (one of two static buffers: use it before the next-but-one call). */
static inline const char *sgt_write(const char *name, const void *data, size_t len)
{
    static char path[2][512];
    static int which;
    char *p = path[which ^= 1];
    snprintf(p, sizeof path[0], "%s/%s", sgt_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (!f)
        fail_msg("cannot create %s", p);
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("cannot write %s", p);
    fclose(f);
    return p;
}

static inline const char *sgt_write_str(const char *name, const char *text)
{
    return sgt_write(name, text, strlen(text));
}

/* Removes the temp dir and the files the tests wrote into it (flat). */
static inline void sgt_cleanup(void)
{
    if (!sgt_dir[0])
        return;
    DIR *d = opendir(sgt_dir);
    struct dirent *e;
    char p[600];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", sgt_dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(sgt_dir);
    sgt_dir[0] = '\0';
}

static inline int sgt_group_teardown(void **state)
{
    (void)state;
    sgt_cleanup();
    return 0;
}

#endif
