/*
 * fetchonly.c - bench/fetch's third mode: sg_fetch_run alone (the fetcher and
 * the parsers, no CSV, no database), timed around the call.
 *
 *   fetchonly FROM TO SYMBOL... [-X name=value]...
 *
 * Prints "symbols S served S bars B seconds T" on stdout. Built with the tests
 * (tests/providers/CMakeLists.txt) as build/tests/fetchonly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fetcher.h"

int main(int argc, char **argv)
{
    char err[512];
    const char *why;
    sg_day from, to;
    if (argc < 4 || sg_day_parse(argv[1], strlen(argv[1]), &from, &why) ||
        sg_day_parse(argv[2], strlen(argv[2]), &to, &why)) {
        fprintf(stderr, "usage: fetchonly FROM TO SYMBOL... [-X name=value]...\n");
        return 2;
    }
    sg_fetch_job *jobs = calloc((size_t)argc, sizeof *jobs);
    size_t n = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-X") == 0 && i + 1 < argc) {
            if (sg_config_set(argv[++i], err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                return 2;
            }
            continue;
        }
        jobs[n++] = (sg_fetch_job){.symbol = argv[i], .from = from, .to = to};
    }
    sg_provider order[SG_NPROVIDERS];
    int norder = sg_provider_order(sg_config_get("provider.order"), order);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = sg_fetch_run(jobs, n, order, norder, NULL, NULL, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    size_t served = 0, bars = 0;
    for (size_t i = 0; i < n; i++) {
        served += jobs[i].status == SG_FETCH_OK;
        bars += jobs[i].bars.n;
        sg_fetch_job_free(&jobs[i]);
    }
    printf("symbols %zu served %zu bars %zu seconds %.3f\n", n, served, bars,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    free(jobs);
    sg_config_reset();
    return served == n ? 0 : 1;
}
