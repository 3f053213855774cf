/*
 * fetch_cmd.c - `sigmactl fetch`: the price phase of a run, by hand.
 *
 *   sigmactl fetch SYMBOL... [--date D] [--provider P] [-d CONNINFO] [-X name=value]... [-v]
 *   sigmactl fetch --all [...]           the run's symbol list and the 8 factor ETFs
 *   sigmactl fetch SYMBOL... --csv FILE [--date D] [--provider P] [-X ...]   no database: a year of bars to CSV
 *
 * With a database it decides what to fetch as the app does (a full year for
 * a symbol with fewer than 50 rows in the last 365 days, else from its last
 * stored date, nothing for a symbol that already has D), asks the providers
 * in order, and stores each symbol's bars in its own transaction. One line per
 * symbol says what was fetched from where, or why not. Exit code 1 when any
 * symbol could not be fetched or stored.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "factors.h"
#include "fetcher.h"
#include "log.h"
#include "store_io.h"
#include "symbols.h"

static const char usage_text[] =
    "usage: sigmactl fetch SYMBOL... | --all [--date YYYY-MM-DD] [--provider yahoo|fmp|polygon]\n"
    "                      [-d CONNINFO | --csv FILE] [-X name=value]... [-v]\n"
    "  --all fetches the symbol list of a run on D (FACTOR_SPEC 1.2) and the factor ETFs.\n"
    "  -X list prints the settings (provider URL templates, rates, timeouts, retries).\n"
    "  API keys come from FMP_API_KEY and POLYGON_API_KEY; they are never printed.\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "sigmactl fetch: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n%s", usage_text);
    return 2;
}

/* Today in New York: the date a run made now would be for. */
static sg_day today_new_york(void)
{
    time_t now = time(NULL);
    sg_day utc = (sg_day)(now / 86400);
    return (sg_day)((now + sg_new_york_offset(utc)) / 86400);
}

static int write_csv(FILE *f, const sg_fetch_job *j)
{
    char d[SG_DATE_LEN], o[SG_NUM_LEN], h[SG_NUM_LEN], l[SG_NUM_LEN], c[SG_NUM_LEN];
    for (size_t i = 0; i < j->bars.n; i++) {
        const sg_bar *b = &j->bars.v[i];
        sg_fmt_db(b->open, 4, o);
        sg_fmt_db(b->high, 4, h);
        sg_fmt_db(b->low, 4, l);
        sg_fmt_db(b->close, 4, c);
        fprintf(f, "%s,%s,%s,%s,%s,%s,", j->symbol, sg_day_format(b->day, d), b->open == b->open ? o : "",
                b->high == b->high ? h : "", b->low == b->low ? l : "", c);
        if (b->volume >= 0)
            fprintf(f, "%lld", b->volume);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* Where fetched bars go: the database, or a CSV file. */
typedef struct sink {
    sg_store *store;
    FILE *csv;
    int bad;        /* a symbol not fetched or not stored */
    size_t handled; /* symbols with an outcome, reported */
} sink;

static void report(const sg_fetch_job *j, const char *stored);

/* One symbol's bars, as one unit of work (retried after a reconnect). */
static int write_bars(sg_store *s, void *arg, char *err, size_t errlen)
{
    const sg_fetch_job *j = arg;
    return sg_store_write_bars(s, j->symbol, &j->bars, sg_provider_data_source(j->served_by), err, errlen);
}

/* Stores and reports a symbol; stops the run when the database stayed away
 * past the retries, rather than spend provider quota on bars nobody keeps. */
static int store_one(sg_fetch_job *j, void *ctx)
{
    sink *k = ctx;
    char err[1024];
    const char *stored = "";
    int stop = 0;
    if (j->status == SG_FETCH_OK && j->bars.n) {
        if (k->csv ? write_csv(k->csv, j) : sg_store_unit(k->store, "write bars", write_bars, j, err, sizeof err)) {
            sg_log(SG_LOG_ERROR, "%s: %s", j->symbol, k->csv ? "write failed" : err);
            stored = "; NOT STORED";
            k->bad = 1;
            stop = !k->csv && sg_store_unreachable(k->store);
        }
    }
    k->bad |= j->status != SG_FETCH_OK;
    k->handled++;
    report(j, stored);
    fflush(stdout);
    sg_bars_free(&j->bars); /* stored: the memory can go */
    return stop;
}

static void report(const sg_fetch_job *j, const char *stored)
{
    char a[SG_DATE_LEN], b[SG_DATE_LEN];
    if (j->status != SG_FETCH_OK) {
        printf("%-8s not fetched (%s): %s\n", j->symbol,
               j->status == SG_FETCH_FAILED ? "providers failing" : "no provider has it", j->why);
        return;
    }
    if (j->bars.n == 0)
        printf("%-8s 0 rows from %s: nothing traded in %s..%s", j->symbol, sg_provider_data_source(j->served_by),
               sg_day_format(j->from, a), sg_day_format(j->to, b));
    else
        printf("%-8s %zu rows %s..%s from %s", j->symbol, j->bars.n, sg_day_format(j->bars.v[0].day, a),
               sg_day_format(j->bars.v[j->bars.n - 1].day, b), sg_provider_data_source(j->served_by));
    if (j->bars.dropped)
        printf(" (%zu bars dropped, first %s)", j->bars.dropped, j->bars.drop_reason);
    if (j->why[0])
        printf(" [after %s]", j->why);
    printf("%s\n", stored);
}

int sg_cmd_fetch(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"date", required_argument, NULL, 'D'}, {"provider", required_argument, NULL, 'p'},
        {"db", required_argument, NULL, 'd'},   {"csv", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},       {"verbose", no_argument, NULL, 'v'},
        {"all", no_argument, NULL, 'a'},        {NULL, 0, NULL, 0}};
    const char *date = NULL, *provider = NULL, *conninfo = NULL, *csv = NULL;
    char err[1024];
    int opt, rc = 2;
    bool all = false;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":d:X:v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'D': date = optarg; break;
        case 'p': provider = optarg; break;
        case 'd': conninfo = optarg; break;
        case 'c': csv = optarg; break;
        case 'a': all = true; break;
        case 'v': sg_log_init("sigmactl", SG_LOG_INFO); break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'X':
            if (strcmp(optarg, "list") == 0) {
                int bad = sg_config_list(stdout);
                sg_config_reset();
                return bad ? usage_error("%s", "-X list: a setting above is INVALID") : 0;
            }
            if (sg_config_set(optarg, err, sizeof err)) {
                sg_config_reset();
                return usage_error("%s", err);
            }
            break;
        case ':': sg_config_reset(); return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: sg_config_reset(); return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    sg_day calc = today_new_york();
    const char *why;
    sg_provider order[SG_NPROVIDERS];
    int norder = 0;
    size_t n = (size_t)(argc - optind);
    if (sg_config_check(err, sizeof err)) /* environment values and defaults: -X ones were checked as set */
        rc = usage_error("%s", err);
    else if (date && sg_day_parse(date, strlen(date), &calc, &why))
        rc = usage_error("--date: '%s' is not a date (expected YYYY-MM-DD)", date);
    else if (provider && sg_provider_parse(provider, &order[0]))
        rc = usage_error("--provider: '%s' is not one of yahoo, fmp, polygon", provider);
    else if (!provider && (norder = sg_provider_order(sg_config_get("provider.order"), order)) <= 0)
        rc = usage_error("provider.order: '%s' is not a list of yahoo, fmp, polygon", sg_config_get("provider.order"));
    else if (n == 0 && !all)
        rc = usage_error("%s", "expected at least one SYMBOL, or --all");
    else if (n > 0 && all)
        rc = usage_error("%s", "SYMBOL... and --all do not go together");
    else if (all && csv)
        rc = usage_error("%s", "--all reads the symbol list from the database: not with --csv");
    else if (csv && conninfo)
        rc = usage_error("%s", "--csv and -d do not go together");
    else
        rc = 0;
    for (int i = optind; rc == 0 && i < argc; i++) {
        char bad[SG_SYMBOL_WHY_LEN];
        if (sg_symbol_check(argv[i], bad, sizeof bad))
            rc = usage_error("%s", bad);
    }
    if (provider && rc == 0)
        norder = 1;
    if (rc) {
        sg_config_reset();
        return rc;
    }

    const char *const *symbols = (const char *const *)argv + optind;
    char **listed = NULL, **refused = NULL;
    size_t nlisted = 0, nrefused = 0;
    sg_fetch_job *jobs = NULL;
    sg_fetch_window *win = NULL;
    sg_store *s = NULL;
    FILE *out = NULL;
    rc = 1;
    if (all) { /* the run's list, and the factor ETFs every regression needs */
        char **v = NULL;
        if (!(s = sg_store_connect(conninfo, err, sizeof err)) ||
            sg_store_symbol_list(s, calc, &v, &nlisted, &refused, &nrefused, err, sizeof err)) {
            sg_log(SG_LOG_ERROR, "%s", err);
            goto done;
        }
        for (size_t i = 0; i < nrefused; i++) /* fails alone: no provider is asked for it */
            printf("not fetched: %s (from the database's symbol list)\n", refused[i]);
        listed = realloc(v, (nlisted + 8) * sizeof *listed);
        if (!listed) {
            sg_strings_free(v, nlisted);
            nlisted = 0;
            goto done;
        }
        for (int e = 0; e < 8; e++) {
            bool have = false;
            for (size_t i = 0; i < nlisted && !have; i++)
                have = strcmp(listed[i], sg_factor_etfs[e]) == 0;
            if (!have && (listed[nlisted] = strdup(sg_factor_etfs[e])))
                nlisted++;
        }
        symbols = (const char *const *)listed;
        n = nlisted;
    }
    jobs = calloc(n ? n : 1, sizeof *jobs);
    win = calloc(n ? n : 1, sizeof *win);
    if (!jobs || !win) {
        sg_log(SG_LOG_ERROR, "out of memory");
        goto done;
    }
    if (csv) {
        for (size_t i = 0; i < n; i++)
            win[i] = (sg_fetch_window){.from = calc - 365, .to = calc};
        if (!(out = fopen(csv, "w"))) {
            sg_log(SG_LOG_ERROR, "%s: cannot create", csv);
            goto done;
        }
        fputs("symbol,date,open,high,low,close,volume\n", out);
    } else if ((!s && !(s = sg_store_connect(conninfo, err, sizeof err))) ||
               sg_store_fetch_windows(s, symbols, n, calc, win, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (win[i].skip) {
            printf("%-8s skipped: already has %s\n", symbols[i], date ? date : "today's bar");
            continue;
        }
        jobs[m++] = (sg_fetch_job){.symbol = symbols[i], .from = win[i].from, .to = win[i].to};
    }
    /* Into the database, each symbol is stored and reported as soon as it is
     * fetched, while the other transfers go on (lines in the order symbols
     * finish); a CSV file gets the symbols in the order they were asked for. */
    sink k = {.store = s, .csv = out};
    int frc = sg_fetch_run(jobs, m, order, norder, out ? NULL : store_one, &k, err, sizeof err);
    if (frc < 0) {
        sg_log(SG_LOG_ERROR, "%s", err);
        goto done;
    }
    if (frc > 0) {
        sg_log(SG_LOG_ERROR,
               "fetch stopped: the database is unreachable, so no further provider requests were made; "
               "%zu of %zu symbols handled, %zu not fetched (hint: run the fetch again once the database is back)",
               k.handled, m, m - k.handled);
        goto done;
    }
    for (size_t i = 0; out && i < m; i++)
        store_one(&jobs[i], &k);
    rc = k.bad || nrefused;
done:
    if (out && fclose(out) && rc == 0) {
        sg_log(SG_LOG_ERROR, "%s: write failed", csv);
        rc = 1;
    }
    for (size_t i = 0; jobs && i < n; i++)
        sg_fetch_job_free(&jobs[i]);
    free(jobs);
    free(win);
    sg_strings_free(listed, nlisted);
    sg_strings_free(refused, nrefused);
    sg_store_close(s);
    sg_config_reset();
    return rc;
}
