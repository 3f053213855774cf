/*
 * status_cmd.c - `sigmactl status`: the progress of a nightly run, the
 * onboarding queue and the workers (docs/status.md).
 *
 *   sigmactl status [RUN] [--json] [--watch] [--interval S] [-d CONNINFO]
 *
 * RUN is a batch_run_id; without it, the latest run. On a terminal each phase
 * gets a progress bar; otherwise plain lines, one fact per line (the wording
 * docs/status.md fixes). --watch shows it again every --interval seconds
 * (default 1): on a terminal the screen is cleared and redrawn, otherwise
 * each block follows the last after a blank line. It ends (exit 0) once it
 * has shown the run closed, or on SIGINT/SIGTERM; it keeps to the run it
 * showed first, even when a newer one opens meanwhile.
 * Exit: 0 shown, 1 no such run or a database error, 2 usage error.
 * Owns: the command line and the watch loop. Must not: write anything.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "messages.h"
#include "status.h"

static void usage(FILE *f)
{
    fputs("usage: sigmactl status [RUN] [--json] [--watch] [--interval S] [-d CONNINFO]\n"
          "  the progress of a nightly run (the latest, or RUN), the onboarding queue and the workers.\n"
          "  --json      one JSON document (docs/status.md) instead of text\n"
          "  --watch     show it again every interval until the run is closed (or SIGINT)\n"
          "  --interval  seconds between two looks with --watch (0.1 to 3600, default 1)\n"
          "  -d          libpq connection string or URI (default: the PG* environment)\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl status", usage, fmt, arg);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* The first SIGINT or SIGTERM ends the watch after the look in hand; the
 * handler is reset, so a second one ends the program at once. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Sleeps up to seconds, in short steps so that a signal ends it soon. */
static void pause_for(double seconds)
{
    double left = seconds;
    while (!stop && left > 0) {
        double step = left < 0.05 ? left : 0.05;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
        left -= step;
    }
}

static int show(const sg_status *st, bool json, bool tty)
{
    if (!json) {
        sg_status_text(stdout, st, tty);
        return 0;
    }
    char *j = sg_status_json(st);
    if (!j) {
        fputs("sigmactl status: out of memory\n", stderr);
        return 1;
    }
    printf("%s\n", j);
    free(j);
    return 0;
}

/* Loads and shows the run until it is closed (watch), or once. */
static int look(sg_store *s, const char *run, bool json, bool watch, double interval)
{
    bool tty = isatty(STDOUT_FILENO) == 1;
    char err[1024], pinned[SG_MSG_RUN_MAX + 1] = "";
    for (int n = 0;; n++) {
        sg_status *st;
        if (sg_status_load(s, pinned[0] ? pinned : run, &st, err, sizeof err)) {
            fprintf(stderr, "sigmactl status: %s\n", err);
            return 1;
        }
        if (!st->has_run) {
            sg_status_free(st);
            fputs("sigmactl status: no run recorded yet\n", stderr);
            return 1;
        }
        snprintf(pinned, sizeof pinned, "%s", st->run.id);
        if (watch && tty)
            fputs("\033[H\033[2J", stdout); /* home, clear: a redraw */
        else if (watch && n > 0)
            fputc('\n', stdout); /* a new block after a blank line */
        int rc = show(st, json, tty);
        bool closed = sg_status_closed(st);
        sg_status_free(st);
        fflush(stdout);
        if (rc || !watch || closed)
            return rc;
        pause_for(interval);
        if (stop)
            return 0;
    }
}

int sg_cmd_status(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"watch", no_argument, NULL, 'w'},
                                             {"interval", required_argument, NULL, 'i'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *conninfo = NULL, *interval_arg = NULL;
    bool json = false, watch = false;
    double interval = 1.0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j': json = true; break;
        case 'w': watch = true; break;
        case 'i': {
            char *end;
            errno = 0;
            interval = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(interval >= 0.1 && interval <= 3600))
                return usage_error("--interval: '%s' is not a number of seconds from 0.1 to 3600", optarg);
            interval_arg = optarg;
            break;
        }
        case 'd': conninfo = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (interval_arg && !watch)
        return usage_error("--interval '%s' needs --watch", interval_arg);
    if (argc - optind > 1)
        return usage_error("unexpected argument '%s' (one RUN at most)", argv[optind + 1]);
    const char *run = optind < argc ? argv[optind] : NULL;
    if (run && !*run)
        return usage_error("%s", "RUN is empty");
    char err[1024];
    sg_store *s = sg_store_connect(conninfo, err, sizeof err);
    if (!s) {
        fprintf(stderr, "sigmactl status: %s\n", err);
        return 1;
    }
    if (watch)
        catch_signals();
    int rc = look(s, run, json, watch, interval);
    sg_store_close(s);
    return rc;
}
