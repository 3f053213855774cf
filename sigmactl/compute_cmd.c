/*
 * compute_cmd.c - `sigmactl factors` and `sigmactl metrics`: a price file in,
 * the oracle's CSV out.
 *
 *   sigmactl factors PRICES.csv --date D [--pipeline v2|v1|onboarding]
 *            [--symbols A,B] [--profiles FILE] [--alpha A] [--db-round] [--full] [-v]
 *   sigmactl metrics PRICES.csv --date D [--mode trading|app] [--pipeline P]
 *            [--symbols A,B] [--profiles FILE] [--alpha A] [--db-round] [--full] [-v]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "job.h"
#include "report.h"
#include "symbols.h"

static void usage(FILE *f, bool metrics)
{
    if (metrics)
        fputs("usage: sigmactl metrics PRICES.csv --date YYYY-MM-DD [--mode trading|app]\n"
              "                        [--pipeline v2|v1|onboarding] [--symbols A,B]\n"
              "                        [--profiles FILE] [--alpha A] [--db-round] [--full] [-v]\n"
              "  symbol_daily_metrics rows as CSV. --mode app equals the app (oracle.py --metrics);\n"
              "  the default trading mode uses trading-day reference closes (docs/engine.md).\n"
              "  --pipeline computes the factor columns (default v1 in app mode, v2 in trading mode).\n",
              f);
    else
        fputs("usage: sigmactl factors PRICES.csv --date YYYY-MM-DD [--pipeline v2|v1|onboarding]\n"
              "                        [--symbols A,B] [--profiles FILE] [--alpha A]\n"
              "                        [--db-round] [--full] [-v]\n"
              "  factor rows of symbol_factor_exposures as CSV, as oracle.py prints them.\n"
              "  --db-round prints the values PostgreSQL stores; --full adds quality_flag,\n"
              "  regularization_alpha and regression_window_days; -v logs why rows are missing.\n",
              f);
}

static int usage_error(bool metrics, const char *fmt, const char *arg)
{
    fprintf(stderr, "sigmactl %s: ", metrics ? "metrics" : "factors");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr, metrics);
    return 2;
}

int sg_cmd_compute(int argc, char **argv, bool metrics)
{
    static const struct option longopts[] = {
        {"date", required_argument, NULL, 'd'},     {"pipeline", required_argument, NULL, 'p'},
        {"symbols", required_argument, NULL, 's'},  {"profiles", required_argument, NULL, 'P'},
        {"alpha", required_argument, NULL, 'a'},    {"db-round", no_argument, NULL, 'r'},
        {"full", no_argument, NULL, 'f'},           {"mode", required_argument, NULL, 'm'},
        {"verbose", no_argument, NULL, 'v'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *date = NULL, *profiles_path = NULL;
    char *symbols_arg = NULL;
    bool pipeline_set = false;
    sg_pipeline pipeline = SG_PIPELINE_V2;
    sg_metrics_mode mode = SG_METRICS_TRADING;
    sg_report_opts ro = {.alpha = 1.0};
    int verbose = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            date = optarg;
            break;
        case 'p':
            if (sg_pipeline_parse(optarg, &pipeline))
                return usage_error(metrics, "--pipeline: '%s' is not one of v2, v1, onboarding", optarg);
            pipeline_set = true;
            break;
        case 's':
            symbols_arg = optarg;
            break;
        case 'P':
            profiles_path = optarg;
            break;
        case 'a': {
            char *end;
            ro.alpha = strtod(optarg, &end);
            if (*end || end == optarg || !isfinite(ro.alpha) || ro.alpha < 0)
                return usage_error(metrics, "--alpha: '%s' is not a finite number >= 0", optarg);
            break;
        }
        case 'r':
            ro.db_round = true;
            break;
        case 'f':
            ro.full = true;
            break;
        case 'm':
            if (!metrics)
                return usage_error(metrics, "%s", "--mode is an option of 'sigmactl metrics'");
            if (strcmp(optarg, "trading") == 0)
                mode = SG_METRICS_TRADING;
            else if (strcmp(optarg, "app") == 0)
                mode = SG_METRICS_APP;
            else
                return usage_error(metrics, "--mode: '%s' is not one of trading, app", optarg);
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout, metrics);
            return 0;
        case ':':
            return usage_error(metrics, "option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error(metrics, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return usage_error(metrics, "%s", optind >= argc ? "expected one PRICES.csv argument"
                                                         : "expected exactly one PRICES.csv argument");
    if (!date)
        return usage_error(metrics, "%s", "--date is required");
    sg_day calc;
    const char *why;
    if (sg_day_parse(date, strlen(date), &calc, &why))
        return usage_error(metrics, "--date: '%s' is not a date (expected YYYY-MM-DD)", date);
    if (!pipeline_set)
        pipeline = metrics && mode == SG_METRICS_APP ? SG_PIPELINE_V1 : SG_PIPELINE_V2;
    if (verbose)
        sg_log_init("sigmactl", SG_LOG_INFO);
    /* Lower case is allowed here, as in the price file: oracle.py computes it as written. */
    const char **symbols = NULL;
    long nsym = 0;
    if (symbols_arg) {
        char why_sym[SG_SYMBOL_WHY_LEN];
        if (!(symbols = malloc((strlen(symbols_arg) / 2 + 1) * sizeof *symbols))) {
            sg_log(SG_LOG_ERROR, "out of memory");
            return 1;
        }
        nsym = sg_symbol_list_parse(symbols_arg, SG_SYMBOL_LOWER_OK, symbols, why_sym, sizeof why_sym);
        if (nsym <= 0) {
            free(symbols);
            return usage_error(metrics, "--symbols: %s",
                               nsym == 0 ? "the list is empty (leave --symbols out for every symbol of the file)"
                                         : why_sym);
        }
    }

    sg_job job;
    sg_factor_opts fo = {.pipeline = pipeline, .alpha = ro.alpha};
    int rc = 1;
    if (sg_job_load(&job, argv[optind], profiles_path, symbols, (size_t)nsym) || sg_job_factors(&job, calc, &fo) ||
        (metrics && sg_job_metrics(&job, calc, mode, pipeline)))
        goto out;
    double t0 = sg_clock_ms();
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    if (metrics)
        sg_report_metrics(stdout, job.symbols, job.nsym, calc, job.mrows, &ro);
    else
        sg_report_factors(stdout, job.symbols, &job.res, &ro);
    rc = fflush(stdout) == 0 ? 0 : 1;
    if (rc)
        sg_log(SG_LOG_ERROR, "writing the report to stdout failed");
    sg_log(SG_LOG_INFO, "timing: load %.1f ms, factors %.1f ms for %zu symbols (%.1f us/symbol), %s %.1f ms",
           job.load_ms, job.factors_ms, job.nsym, job.nsym ? job.factors_ms * 1e3 / (double)job.nsym : 0.0,
           metrics ? "metrics and report" : "report", sg_clock_ms() - t0);
out:
    sg_job_free(&job);
    free(symbols);
    return rc;
}
