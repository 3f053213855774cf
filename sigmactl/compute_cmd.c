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
#include "metrics.h"
#include "report.h"

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

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --symbols A,B: stripped, de-duplicated and sorted, as oracle.py does. The
 * strings point into list, which is modified. */
static size_t parse_symbols(char *list, const char **out)
{
    size_t n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            tok[--len] = '\0';
        if (len)
            out[n++] = tok;
    }
    qsort(out, n, sizeof *out, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(out[u - 1], out[i]) != 0)
            out[u++] = out[i];
    return u;
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

    char err[512];
    int rc = 1;
    double t0 = now_ms(), t1 = 0, t2 = 0;
    sg_prices *px = sg_prices_load_csv(argv[optind], err, sizeof err);
    sg_profiles *prof = NULL;
    const char **symbols = NULL;
    sg_factor_result res = {0};
    sg_metrics_row *mrows = NULL;
    if (!px) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    if (profiles_path && !(prof = sg_profiles_load_csv(profiles_path, err, sizeof err))) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto out;
    }
    size_t nsym;
    if (symbols_arg) {
        symbols = malloc((strlen(symbols_arg) / 2 + 1) * sizeof *symbols);
        nsym = symbols ? parse_symbols(symbols_arg, symbols) : 0;
    } else {
        nsym = sg_prices_count(px);
        symbols = malloc((nsym ? nsym : 1) * sizeof *symbols);
        for (size_t i = 0; symbols && i < nsym; i++)
            symbols[i] = sg_prices_symbol(px, i);
    }
    sg_factor_opts fo = {.pipeline = pipeline, .alpha = ro.alpha};
    t1 = now_ms();
    if (!symbols || sg_factors_compute(px, symbols, nsym, calc, &fo, prof, &res, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", symbols ? err : "out of memory");
        goto out;
    }
    t2 = now_ms();
    for (size_t i = 0; i < res.nfailures; i++)
        sg_log(SG_LOG_INFO, "%s %s: %s", sg_step_name(res.failures[i].step),
               symbols[res.failures[i].sym], res.failures[i].reason);
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    if (metrics) {
        mrows = sg_metrics_compute(px, symbols, nsym, calc, mode, pipeline, &res, prof);
        if (!mrows) {
            sg_log(SG_LOG_ERROR, "metrics: out of memory");
            goto out;
        }
        sg_report_metrics(stdout, symbols, nsym, calc, mrows, &ro);
    } else {
        sg_report_factors(stdout, symbols, &res, &ro);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
    if (rc)
        sg_log(SG_LOG_ERROR, "writing the report: %s", "stdout write failed");
    sg_log(SG_LOG_INFO, "timing: load %.1f ms, factors %.1f ms for %zu symbols (%.1f us/symbol), %s %.1f ms",
           t1 - t0, t2 - t1, nsym, nsym ? (t2 - t1) * 1e3 / (double)nsym : 0.0,
           metrics ? "metrics and report" : "report", now_ms() - t2);
out:
    free(mrows);
    sg_factor_result_free(&res);
    free(symbols);
    sg_profiles_free(prof);
    sg_prices_free(px);
    return rc;
}
