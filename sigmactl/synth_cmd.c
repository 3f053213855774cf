/*
 * synth_cmd.c - `sigmactl synth`: a deterministic synthetic universe
 * (common/synth.h) written into a directory, for tests, benchmarks and demos.
 *
 *   sigmactl synth --symbols N --days N --end YYYY-MM-DD --out DIR [--seed S]
 *
 * Writes DIR/prices.csv (the format `sigmactl factors` and `import-prices`
 * read) and DIR/yahoo/SYMBOL.json (Yahoo Finance chart v8 documents), and one
 * summary line on stdout. The same arguments give the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "log.h"
#include "synth.h"

#define DEFAULT_SEED 42

static void usage(FILE *f)
{
    fputs("usage: sigmactl synth --symbols N --days N --end YYYY-MM-DD --out DIR [--seed S]\n"
          "  writes a deterministic synthetic universe into DIR (created if missing): the 8 factor\n"
          "  ETFs and N stocks S0001.. (N 0..100000) over N trading days (2..5000) ending on the last\n"
          "  NYSE trading day on or before --end, as DIR/prices.csv and DIR/yahoo/SYMBOL.json\n"
          "  (Yahoo chart v8). The same arguments give the same files; --seed defaults to 42.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl synth", usage, fmt, arg);
}

/* Plain decimal digits only: no sign, no spaces, no hex. */
static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v > max)
        return -1;
    *out = v;
    return 0;
}

/* mkdir -p; the last component must end up a directory. */
static int mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/' && p[-1] != '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    struct stat st;
    if (mkdir(tmp, 0755) && errno != EEXIST)
        return -1;
    if (stat(tmp, &st))
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int io_error(const char *path)
{
    sg_log(SG_LOG_ERROR, "%s: %s", path, strerror(errno));
    return 1;
}

static int join(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
    if (snprintf(buf, len, "%s/%s%s", dir, a, b) >= (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Writes one symbol's chart document to DIR/yahoo/SYMBOL.json. */
static int write_yahoo(const char *dir, const sg_synth *u, size_t i, const sg_synth_bar *bars, int64_t prev)
{
    char path[4200];
    if (join(path, sizeof path, dir, "yahoo/", sg_synth_symbol(u, i)) ||
        strlen(path) + 5 >= sizeof path)
        return io_error(dir);
    strcat(path, ".json");
    FILE *f = fopen(path, "w");
    if (!f)
        return io_error(path);
    int bad = sg_synth_write_yahoo(f, u, i, bars, prev);
    if (fclose(f) || bad)
        return io_error(path);
    return 0;
}

/* prices.csv and the chart documents, one symbol at a time: memory stays at
 * one symbol's bars whatever the universe's size. */
static int write_universe(const char *dir, const sg_synth *u)
{
    char path[4200];
    if (join(path, sizeof path, dir, "yahoo", "") || mkdirs(path))
        return io_error(path);
    if (join(path, sizeof path, dir, "prices.csv", ""))
        return io_error(dir);
    sg_synth_bar *bars = malloc(sg_synth_ndays(u) * sizeof *bars);
    if (!bars) {
        sg_log(SG_LOG_ERROR, "out of memory");
        return 1;
    }
    FILE *csv = fopen(path, "w");
    int rc = 0;
    if (!csv) {
        rc = io_error(path);
        goto out;
    }
    static char cbuf[1 << 20];
    setvbuf(csv, cbuf, _IOFBF, sizeof cbuf);
    rc = sg_synth_write_csv_header(csv) ? io_error(path) : 0;
    for (size_t i = 0; !rc && i < sg_synth_nsymbols(u); i++) {
        int64_t prev = sg_synth_bars(u, i, bars);
        if (sg_synth_write_csv(csv, u, i, bars))
            rc = io_error(path);
        else
            rc = write_yahoo(dir, u, i, bars, prev);
    }
    if (fclose(csv) && !rc)
        rc = io_error(path);
out:
    free(bars);
    return rc;
}

int sg_cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"symbols", required_argument, NULL, 'n'}, {"days", required_argument, NULL, 'd'},
        {"end", required_argument, NULL, 'e'},     {"out", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *end_arg = NULL, *out = NULL;
    unsigned long long nsym = 0, ndays = 0, seed = DEFAULT_SEED;
    bool have_symbols = false, have_days = false;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_u64(optarg, SG_SYNTH_MAX_STOCKS, &nsym))
                return usage_error("--symbols: '%s' is not a whole number in 0..100000", optarg);
            have_symbols = true;
            break;
        case 'd':
            if (parse_u64(optarg, SG_SYNTH_MAX_DAYS, &ndays) || ndays < SG_SYNTH_MIN_DAYS)
                return usage_error("--days: '%s' is not a whole number in 2..5000", optarg);
            have_days = true;
            break;
        case 'e':
            end_arg = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &seed))
                return usage_error("--seed: '%s' is not a whole number in 0..2^64-1", optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!have_symbols || !have_days || !end_arg || !out)
        return usage_error("%s", !have_symbols ? "--symbols is required"
                                 : !have_days  ? "--days is required"
                                 : !end_arg    ? "--end is required"
                                               : "--out is required");
    if (!*out)
        return usage_error("%s", "--out: empty directory name");
    sg_day end;
    const char *why;
    if (sg_day_parse(end_arg, strlen(end_arg), &end, &why))
        return usage_error("--end: '%s' is not a date (expected YYYY-MM-DD)", end_arg);

    sg_synth_opts o = {.nstocks = (size_t)nsym, .ndays = (size_t)ndays, .end = end, .seed = seed};
    sg_synth *u = sg_synth_new(&o, &why);
    if (!u) {
        if (errno == EINVAL)
            return usage_error("--end: %s", why);
        sg_log(SG_LOG_ERROR, "%s", why);
        return 1;
    }
    int rc = mkdirs(out) ? io_error(out) : write_universe(out, u);
    if (!rc) {
        char first[SG_DATE_LEN], last[SG_DATE_LEN];
        const sg_day *days = sg_synth_days(u);
        printf("synth: wrote %zu files to %s (prices.csv, yahoo/*.json): %zu symbols (%d ETFs, %zu stocks), "
               "%zu trading days %s..%s, seed %llu\n",
               sg_synth_nsymbols(u) + 1, out, sg_synth_nsymbols(u), SG_SYNTH_NETFS, o.nstocks, o.ndays,
               sg_day_format(days[0], first), sg_day_format(days[o.ndays - 1], last), seed);
        if (fflush(stdout))
            rc = io_error("stdout");
    }
    sg_synth_free(u);
    return rc;
}
