/*
 * up.h - what `sigmactl up` (up_cmd.c: checks and start-up; up_run.c: the
 * night's work, progress and summary) and `sigmactl down` (down_cmd.c) share.
 * docs/local.md explains every decision.
 */
#ifndef SG_UP_H
#define SG_UP_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "pgctl.h"
#include "proc.h"
#include "upstate.h"

#define SG_UP_DATE "2025-07-15" /* the night's date: the synthetic universe ends there */
#define SG_UP_DAYS 300          /* trading days of history synthesized */
#define SG_UP_ONBOARD 3         /* symbols onboarded beside the night's universe */
#define SG_UP_MAX_WORKERS 32

/* A started process and how it is awaited. */
typedef struct sg_up_comp {
    sg_proc p;
    int port;         /* its HTTP server (serve.port), 0: none */
    const char *role; /* for messages: "coordinator status page", "worker w1" */
    const char *prog; /* "sigma-worker" */
    bool ready;
    bool gone;        /* seen exited while the work went on */
} sg_up_comp;

typedef struct sg_up {
    int workers, symbols, port, verbose;
    char self[PATH_MAX], bindir[PATH_MAX]; /* /proc/self/exe (also the command the hints show), its directory */
    sg_upstate st;
    sg_upsys sys;
    sg_pg pg;
    sg_up_comp comps[SG_UP_MAX_PROCS];
    size_t ncomps;
} sg_up;

/* Set by SIGINT or SIGTERM while up runs. */
extern volatile sig_atomic_t sg_up_interrupted;

/* Stock n (1-based) of the synthetic universe (symbols stocks for the
 * night, SG_UP_ONBOARD more to onboard) as sigmactl synth names it: S0001, or
 * with 5 digits from 10,000 stocks on. Returns the digits' width. */
int sg_up_stock(int symbols, int n, char out[16]);

/* The night's run, onboarding, progress and the summary. Returns the exit code. */
int sg_up_run(sg_up *u);

/* Where things are and how to stop it (after the summary, and for "already up"). */
void sg_up_addresses(FILE *out, const sg_up *u);

#endif
