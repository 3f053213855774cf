/* job.c - see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

int sg_job_load(sg_job *j, const char *prices_path, const char *profiles_path, const char *const *symbols, size_t nsym)
{
    char err[512];
    double t0 = sg_clock_ms();
    memset(j, 0, sizeof *j);
    if (!(j->px = sg_prices_load_csv(prices_path, err, sizeof err)) ||
        (profiles_path && !(j->prof = sg_profiles_load_csv(profiles_path, err, sizeof err)))) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    size_t cap = (symbols ? nsym : sg_prices_count(j->px)) + 1;
    if (!(j->symbols = malloc(cap * sizeof *j->symbols))) {
        sg_log(SG_LOG_ERROR, "out of memory");
        return -1;
    }
    if (symbols) {
        memcpy(j->symbols, symbols, nsym * sizeof *symbols);
        j->nsym = nsym;
    } else {
        j->nsym = sg_prices_count(j->px);
        for (size_t i = 0; i < j->nsym; i++)
            j->symbols[i] = sg_prices_symbol(j->px, i);
    }
    j->load_ms = sg_clock_ms() - t0;
    return 0;
}

int sg_job_factors(sg_job *j, sg_day calc, const sg_factor_opts *opts)
{
    char err[256];
    double t0 = sg_clock_ms();
    if (sg_factors_compute(j->px, j->symbols, j->nsym, calc, opts, j->prof, &j->res, err, sizeof err)) {
        sg_log(SG_LOG_ERROR, "%s", err);
        return -1;
    }
    j->factors_ms = sg_clock_ms() - t0;
    for (size_t i = 0; i < j->res.nfailures; i++)
        sg_log(SG_LOG_INFO, "%s %s: %s", sg_step_name(j->res.failures[i].step),
               j->symbols[j->res.failures[i].sym], j->res.failures[i].reason);
    return 0;
}

int sg_job_metrics(sg_job *j, sg_day calc, sg_metrics_mode mode, sg_pipeline pipeline)
{
    j->mrows = sg_metrics_compute(j->px, j->symbols, j->nsym, calc, mode, pipeline, &j->res, j->prof);
    if (!j->mrows)
        sg_log(SG_LOG_ERROR, "metrics: out of memory");
    return j->mrows ? 0 : -1;
}

void sg_job_free(sg_job *j)
{
    free(j->mrows);
    sg_factor_result_free(&j->res);
    free(j->symbols);
    sg_profiles_free(j->prof);
    sg_prices_free(j->px);
    memset(j, 0, sizeof *j);
}
