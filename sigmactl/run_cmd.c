/*
 * run_cmd.c - `sigmactl run`: asks for the nightly run of a date.
 *
 *   sigmactl run --date D|today [--symbols A,B] [-d CONNINFO]
 *
 * `--date today` is today's date in New York by the database's clock (the
 * rule of onboarding.date=today, sg_runs_today), so a CronJob or a timer
 * starts the night without computing a date, whatever its host's zone.
 * Records a request in sigma_run_requests (durable; sigma-producer wakes on
 * its NOTIFY and starts the run) and prints "request ID". When a run of the
 * date is open it prints "run RUN open (phase P)", when a request for the
 * date waits already "request ID pending"; neither starts a second run.
 * Owns: the command line. Must not: start the run itself (the producer does).
 */
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "runs.h"
#include "symbols.h"

static void usage(FILE *f)
{
    fputs("usage: sigmactl run --date YYYY-MM-DD|today [--symbols A,B] [-d CONNINFO]\n"
          "  records a request for the nightly run of the date; sigma-producer starts it.\n"
          "  --date     the calculation date; 'today' is today in New York by the database's clock\n"
          "  --symbols  only these symbols (plus the 8 factor ETFs); default: the run's symbol list\n"
          "  -d         libpq connection string or URI (default: the PG* environment)\n"
          "  prints 'request ID', or 'run RUN open (phase P)' / 'request ID pending' when the\n"
          "  date's run is open or requested already (no second run is started).\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl run", usage, fmt, arg);
}

/* Who asked: the user's name, for sigma_run_requests.requested_by. */
static void requester(char *out, size_t len)
{
    const struct passwd *pw = getpwuid(getuid());
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(out, len, "sigmactl:%s@%s", pw ? pw->pw_name : "unknown", host);
}

static int report(const sg_run_request *r, const char *date)
{
    switch (r->kind) {
    case SG_REQUEST_NEW: printf("request %lld\n", r->id); break;
    case SG_REQUEST_PENDING:
        printf("request %lld pending\n", r->id);
        fprintf(stderr, "%% sigmactl: a request for %s waits already: not recording another\n", date);
        break;
    case SG_REQUEST_OPEN:
        printf("run %s open (phase %s)\n", r->run, r->phase);
        fprintf(stderr, "%% sigmactl: the run of %s is open: not starting a second\n", date);
        break;
    }
    return 0;
}

int sg_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {{"date", required_argument, NULL, 'D'},
                                             {"symbols", required_argument, NULL, 's'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *date = NULL, *conninfo = NULL;
    char *symbols_arg = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'D': date = optarg; break;
        case 's': symbols_arg = optarg; break;
        case 'd': conninfo = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!date)
        return usage_error("%s", "--date is required");
    bool today = strcmp(date, "today") == 0;
    sg_day calc = 0;
    const char *why;
    if (!today && (sg_day_parse(date, strlen(date), &calc, &why) || calc < sg_day_from_ymd(1970, 1, 1) ||
                   calc > sg_day_from_ymd(2099, 12, 31)))
        return usage_error("--date: '%s' is not a date in 1970-01-01..2099-12-31 (expected YYYY-MM-DD or today)", date);

    const char **symbols = NULL;
    long nsym = 0;
    if (symbols_arg) {
        char why_sym[SG_SYMBOL_WHY_LEN];
        if (!(symbols = malloc((strlen(symbols_arg) / 2 + 1) * sizeof *symbols))) {
            fputs("sigmactl run: out of memory\n", stderr);
            return 1;
        }
        nsym = sg_symbol_list_parse(symbols_arg, 0, symbols, why_sym, sizeof why_sym);
        if (nsym <= 0) {
            free(symbols);
            return usage_error("--symbols: %s", nsym == 0 ? "the list is empty" : why_sym);
        }
    }
    char err[1024], by[256], day[SG_DATE_LEN];
    requester(by, sizeof by);
    sg_run_request r;
    sg_store *s = sg_store_connect(conninfo, err, sizeof err);
    int rc = !s || (today && sg_runs_today(s, &calc, err, sizeof err)) ? 1 : 0;
    sg_day_format(calc, day);
    if (rc == 0 && today)
        fprintf(stderr, "%% sigmactl: today in New York is %s\n", day);
    if (rc == 0)
        rc = sg_runs_request(s, calc, symbols, (size_t)nsym, by, &r, err, sizeof err) ? 1 : report(&r, day);
    if (rc)
        fprintf(stderr, "sigmactl run: %s\n", err);
    sg_store_close(s);
    free(symbols);
    return rc;
}
