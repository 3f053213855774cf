/*
 * down_cmd.c - `sigmactl down`: stops what `sigmactl up` started in a state
 * directory (docs/local.md).
 *
 *   sigmactl down [--state DIR] [-v]
 *
 * SIGTERM to the programs (they finish the batch in hand), then the broker,
 * each awaited with a deadline and SIGKILLed after it; PostgreSQL last with
 * pg_ctl stop -m fast; the pidfiles removed. Data and logs stay (the next up
 * starts from an empty database anyway).
 * Owns: the order and what is said. Must not: signal a process that is not
 * the one up started (a pid reused since, a pidfile naming another process:
 * proc.h's identity), or wait for ever.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "up.h"

#define STOP_MS 30000

static void usage(FILE *f)
{
    fputs("usage: sigmactl down [--state DIR] [-v]\n"
          "  stops what sigmactl up started in DIR (default $SIGMA_STATE, else ./state/local): the\n"
          "  programs (SIGTERM, SIGKILL after 30 s), the broker, then PostgreSQL (pg_ctl stop -m fast).\n"
          "  Only processes up started are signalled; the logs and the data stay in DIR.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    return sg_cmd_usage_error("sigmactl down", usage, fmt, arg);
}

static int parse(int argc, char **argv, const char **state, int *verbose)
{
    static const struct option longopts[] = {{"state", required_argument, NULL, 'S'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    *state = getenv("SIGMA_STATE") && *getenv("SIGMA_STATE") ? getenv("SIGMA_STATE") : "state/local";
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
        switch (opt) {
        case 'S': *state = optarg; break;
        case 'v': (*verbose)++; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!**state)
        return usage_error("%s", "--state: empty directory name");
    return -1;
}

static void said(const sg_proc *p, bool killed, const char *how)
{
    printf("  %-12s stopped (pid %ld%s%s)\n", p->name, (long)p->pid, killed ? ", SIGKILL after 30 s" : "", how);
}

/* SIGTERM, deadline, SIGKILL; says what happened. Returns how many remain. */
static int stop_group(sg_proc *v, size_t n)
{
    bool killed[SG_UP_MAX_PROCS];
    sg_proc_stop(v, n, STOP_MS, killed);
    int left = 0;
    for (size_t i = 0; i < n; i++) {
        if (sg_proc_ours(&v[i])) {
            fprintf(stderr, "sigmactl down: %s (pid %ld) still runs after SIGKILL\n", v[i].name, (long)v[i].pid);
            left++;
        } else
            said(&v[i], killed[i], "");
    }
    return left;
}

/* pg_ctl stop -m fast; signals only when pg_ctl cannot. */
static int stop_postgres(const sg_upstate *st, sg_proc *pm)
{
    char log[PATH_MAX], err[2048];
    sg_pg pg;
    if (sg_upstate_path(st, log, sizeof log, "logs/postgres.log"))
        snprintf(log, sizeof log, "/dev/null");
    if (sg_pg_locate(&pg, st->dir, log, err, sizeof err) == 0 && sg_pg_stop(&pg, err, sizeof err) == 0) {
        for (double end = sg_clock_ms() + 10000; sg_proc_ours(pm) && sg_clock_ms() < end;)
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL); /* pg_ctl -w waited already: rarely taken */
        if (!sg_proc_ours(pm)) {
            said(pm, false, ", pg_ctl stop -m fast");
            return 0;
        }
    }
    fprintf(stderr, "sigmactl down: pg_ctl stop: %s; signalling the postmaster\n", err);
    return stop_group(pm, 1);
}

/* Stops the live ones of v (sorted: programs, broker, postgres). */
static int stop_all(const sg_upstate *st, sg_proc *v, size_t n)
{
    sg_proc progs[SG_UP_MAX_PROCS];
    size_t np = 0;
    int left = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, "broker") && strcmp(v[i].name, "postgres"))
            progs[np++] = v[i];
    left += stop_group(progs, np);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, "broker") == 0)
            left += stop_group(&v[i], 1);
        else if (strcmp(v[i].name, "postgres") == 0)
            left += stop_postgres(st, &v[i]);
    }
    return left;
}

/* The pidfiles' processes that are up's and alive into live; the others said and left alone. */
static size_t live_procs(const sg_upstate *st, sg_proc *live, int verbose)
{
    sg_proc v[SG_UP_MAX_PROCS];
    size_t n = sg_upstate_procs(st, v, SG_UP_MAX_PROCS), nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (sg_proc_ours(&v[i]))
            live[nl++] = v[i];
        else if (verbose || v[i].pid > 0)
            printf("  %-12s not running (pid %ld is gone, or is not the process up started): left alone\n", v[i].name,
                   (long)v[i].pid);
    }
    return nl;
}

/* With the state directory's lock held: stops, says, forgets. */
static int stop_locked(const sg_upstate *st, int verbose)
{
    sg_proc live[SG_UP_MAX_PROCS];
    size_t nl = live_procs(st, live, verbose);
    if (nl == 0) {
        printf("sigmactl down: nothing running in %s\n", st->dir);
        sg_upstate_forget(st);
        return 0;
    }
    printf("sigmactl down: stopping the system in %s\n", st->dir);
    fflush(stdout);
    if (stop_all(st, live, nl))
        return 1;
    sg_upstate_forget(st);
    printf("sigmactl down: stopped %zu processes; the logs stay in %s/logs/\n", nl, st->dir);
    return 0;
}

static int down(const char *state, int verbose)
{
    sg_upstate st;
    char err[2048];
    long holder;
    int rc = sg_upstate_open(&st, state, false, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "sigmactl down: cannot use the state directory %s: %s\n", state, err);
        return 1;
    }
    if (rc > 0) {
        printf("sigmactl down: nothing running (%s does not exist)\n", state);
        return 0;
    }
    if ((rc = sg_upstate_lock(&st, &holder, err, sizeof err)) > 0)
        fprintf(stderr, "sigmactl down: %s is locked by pid %ld (a sigmactl up starting the system there): wait "
                        "until it is up, or interrupt it (it then stops what it started)\n",
                st.dir, holder);
    else if (rc < 0)
        fprintf(stderr, "sigmactl down: %s\n", err);
    else
        rc = stop_locked(&st, verbose);
    sg_upstate_unlock(&st);
    sg_upstate_close(&st);
    return rc ? 1 : 0;
}

int sg_cmd_down(int argc, char **argv)
{
    sg_log_init("sigmactl down", SG_LOG_WARN);
    const char *state;
    int verbose = 0;
    int rc = parse(argc, argv, &state, &verbose);
    return rc >= 0 ? rc : down(state, verbose);
}
