/*
 * factors.h - the factor engine: one calculation date, a list of symbols, and
 * the 13 factor rows of FACTOR_SPEC §4-§8 for each of them.
 *
 * Owns: the factor catalogue (names, methods, windows, ETFs), the order of the
 * steps (ridge, spread, market, IR, provider), each step's windows and minimum
 * observations, grouping symbols that share a regressor matrix, and the
 * failure reason of every (symbol, step) that writes no row.
 * Departures from the app (DESIGN.md §6, docs/engine.md): each symbol is its
 * own OLS batch, and missing spread ETFs skip the spread step only.
 * Must not: read files or the database, or format numbers.
 */
#ifndef SG_FACTORS_H
#define SG_FACTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "prices.h"
#include "profiles.h"
#include "series.h"

typedef enum sg_factor {
    SG_F_VALUE, SG_F_GROWTH, SG_F_MOMENTUM, SG_F_QUALITY, SG_F_SIZE, SG_F_LOW_VOL,
    SG_F_GV_SPREAD, SG_F_MOM_SPREAD, SG_F_SIZE_SPREAD, SG_F_QUAL_SPREAD,
    SG_F_MARKET, SG_F_IR, SG_F_PROVIDER,
    SG_NFACTORS
} sg_factor;

typedef enum sg_step { SG_STEP_RIDGE, SG_STEP_SPREAD, SG_STEP_MARKET, SG_STEP_IR, SG_STEP_PROVIDER } sg_step;

typedef struct sg_factor_def {
    const char *name;   /* factor_definitions.name */
    const char *method; /* calculation_method */
    sg_step step;
    int window_days;    /* regression_window_days */
} sg_factor_def;

extern const sg_factor_def sg_factor_defs[SG_NFACTORS];
const char *sg_step_name(sg_step s);

/* The app's 8 factor ETFs, always in a run's symbol list. */
extern const char *const sg_factor_etfs[8];

typedef struct sg_factor_row {
    uint32_t sym; /* index into the symbol list given to the engine */
    uint8_t factor;
    bool r2_null; /* provider rows have no R-squared */
    int observations;
    double beta, r2;
} sg_factor_row;

typedef struct sg_factor_failure {
    uint32_t sym;
    uint8_t step;
    char reason[96];
} sg_factor_failure;

typedef struct sg_factor_opts {
    sg_pipeline pipeline;
    double alpha; /* ridge regularization, the app's 1.0 */
} sg_factor_opts;

typedef struct sg_factor_result {
    sg_factor_row *rows; /* ordered by symbol index, then factor name (byte order) */
    size_t nrows;
    sg_factor_failure *failures;
    size_t nfailures;
    size_t groups; /* distinct ridge regressor matrices solved */
} sg_factor_result;

/* Computes every factor row of symbols[0..nsym) on date calc. Symbols absent
 * from px simply fail ("No return data"). Returns 0, or -1 with err (out of
 * memory only: bad data is a per-symbol failure, never an error). */
int sg_factors_compute(const sg_prices *px, const char *const *symbols, size_t nsym, sg_day calc,
                       const sg_factor_opts *opts, const sg_profiles *profiles, sg_factor_result *res,
                       char *err, size_t errlen);
void sg_factor_result_free(sg_factor_result *res);

#endif
