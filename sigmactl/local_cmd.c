/*
 * local_cmd.c - `sigmactl local`: the engine alone on the sample universe
 * shipped in samples/: factor rows and metrics for every symbol, written as
 * CSV under a directory, with a summary on stdout. The whole system on one
 * machine is `sigmactl up` (up_cmd.c); this one needs no database.
 * The samples: the installed PREFIX/share/sigmabatch/samples beside this
 * program's bin/ (paths.h), else the source tree's samples/.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "job.h"
#include "paths.h"
#include "report.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

static void usage(FILE *f, const char *samples)
{
    fprintf(f,
            "usage: sigmactl local [--prices FILE] [--profiles FILE] [--date YYYY-MM-DD] [--state DIR]\n"
            "  computes the factor rows and metrics of the sample universe (default:\n"
            "  %s/universe.csv, date 2025-07-15) into DIR (default ./state/engine).\n",
            samples);
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

static int write_report(const char *path, const char *const *symbols, size_t nsym, sg_day calc,
                        const sg_factor_result *res, const sg_metrics_row *mrows)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        sg_log(SG_LOG_ERROR, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    sg_report_opts ro = {.db_round = true, .full = true, .alpha = 1.0};
    if (mrows)
        sg_report_metrics(f, symbols, nsym, calc, mrows, &ro);
    else
        sg_report_factors(f, symbols, res, &ro);
    if (fclose(f)) {
        sg_log(SG_LOG_ERROR, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void summarize(const char *const *symbols, size_t nsym, const sg_factor_result *res)
{
    size_t per_step[5] = {0}, with_rows = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        per_step[sg_factor_defs[res->rows[i].factor].step]++;
        with_rows += i == 0 || res->rows[i].sym != res->rows[i - 1].sym;
    }
    printf("factor rows: %zu for %zu of %zu symbols (ridge %zu, spread %zu, market %zu, ir %zu, provider %zu)\n",
           res->nrows, with_rows, nsym, per_step[0], per_step[1], per_step[2], per_step[3], per_step[4]);
    printf("ridge: %zu regressor matrices factorized for all symbols\n", res->groups);
    printf("missing rows: %zu (symbol, step) pairs\n", res->nfailures);
    for (size_t i = 0; i < res->nfailures && i < 20; i++)
        printf("  %-8s %-10s %s\n", symbols[res->failures[i].sym], sg_step_name(res->failures[i].step),
               res->failures[i].reason);
    if (res->nfailures > 20)
        printf("  ... and %zu more\n", res->nfailures - 20);
}

int sg_cmd_local(int argc, char **argv)
{
    static const struct option longopts[] = {{"prices", required_argument, NULL, 'p'},
                                             {"profiles", required_argument, NULL, 'P'},
                                             {"date", required_argument, NULL, 'd'},
                                             {"state", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char samples[4096], prices_buf[4200], profiles_buf[4200];
    if (sg_paths_installed(NULL, "samples", samples, sizeof samples))
        snprintf(samples, sizeof samples, "%s", SG_SOURCE_DIR "/samples");
    snprintf(prices_buf, sizeof prices_buf, "%s/universe.csv", samples);
    snprintf(profiles_buf, sizeof profiles_buf, "%s/profiles.csv", samples);
    const char *prices = prices_buf, *profiles = profiles_buf;
    const char *date = "2025-07-15", *state = "state/engine";
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p': prices = optarg; break;
        case 'P': profiles = optarg; break;
        case 'd': date = optarg; break;
        case 's': state = optarg; break;
        case 'h': usage(stdout, samples); return 0;
        default:
            fprintf(stderr, "sigmactl local: bad option '%s'\n", argv[optind - 1]);
            usage(stderr, samples);
            return 2;
        }
    }
    sg_day calc;
    const char *why;
    if (optind != argc || sg_day_parse(date, strlen(date), &calc, &why)) {
        fprintf(stderr, "sigmactl local: %s\n", optind != argc ? "unexpected argument" : "--date: bad date");
        usage(stderr, samples);
        return 2;
    }
    char path[4096];
    sg_job job;
    sg_factor_opts fo = {.pipeline = SG_PIPELINE_V2, .alpha = 1.0};
    int rc = 1;
    if (sg_job_load(&job, prices, profiles, NULL, 0) || sg_job_factors(&job, calc, &fo) ||
        sg_job_metrics(&job, calc, SG_METRICS_TRADING, SG_PIPELINE_V2))
        goto out;
    if (mkdirs(state)) {
        sg_log(SG_LOG_ERROR, "%s: cannot create the state directory: %s", state, strerror(errno));
        goto out;
    }
    const char *const *symbols = job.symbols;
    size_t nsym = job.nsym;
    printf("sigmabatch local run: %s, date %s, pipeline v2\n", prices, date);
    printf("universe: %zu symbols\n", nsym);
    summarize(symbols, nsym, &job.res);
    snprintf(path, sizeof path, "%s/factors.csv", state);
    if (write_report(path, symbols, nsym, calc, &job.res, NULL))
        goto out;
    printf("wrote %s (as stored in symbol_factor_exposures)\n", path);
    snprintf(path, sizeof path, "%s/metrics.csv", state);
    if (write_report(path, symbols, nsym, calc, &job.res, job.mrows))
        goto out;
    printf("wrote %s (symbol_daily_metrics, trading-day mode)\n", path);
    printf("time: load %.1f ms, factors %.1f ms\n", job.load_ms, job.factors_ms);
    rc = 0;
out:
    sg_job_free(&job);
    return rc;
}
