/*
 * profiles.h - company_profiles rows: the provider beta (FACTOR_SPEC §7) and
 * the profile columns of symbol_daily_metrics (§11).
 *
 * Owns: the profile table and its CSV format, the one oracle.py reads:
 * symbol,company_name,sector,industry,market_cap,pe_ratio,beta (any order,
 * missing columns are NULL; the last row of a symbol wins).
 * Must not: compute anything.
 */
#ifndef SG_PROFILES_H
#define SG_PROFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "csvfile.h"

typedef struct sg_profile {
    char *symbol;
    char *company_name, *sector, *industry; /* NULL when empty */
    bool has_market_cap, has_pe_ratio, has_beta;
    double market_cap, pe_ratio, beta;
    long line; /* where it came from */
} sg_profile;

typedef struct sg_profiles sg_profiles;

/* Columns, in the order sg_profiles_add takes them. */
enum {
    SG_PROFILE_SYMBOL, SG_PROFILE_COMPANY_NAME, SG_PROFILE_SECTOR, SG_PROFILE_INDUSTRY,
    SG_PROFILE_MARKET_CAP, SG_PROFILE_PE_RATIO, SG_PROFILE_BETA, SG_PROFILE_NCOLS
};
extern const char *const sg_profile_columns[SG_PROFILE_NCOLS];

/* Building (a CSV file today, company_profiles tomorrow): add rows, then
 * finish (sorts; the last row of a symbol wins). Empty fields are NULL. */
sg_profiles *sg_profiles_new(void);
int sg_profiles_add(sg_profiles *p, const sg_field f[SG_PROFILE_NCOLS], long line, const char **why);
void sg_profiles_finish(sg_profiles *p);

/* NULL with "path:line: reason" in err on a bad file. Symbols are taken as
 * written and must pass sg_symbol_checkn with SG_SYMBOL_LOWER_OK. */
sg_profiles *sg_profiles_load_csv(const char *path, char *err, size_t errlen);
/* The same from an opened CSV, read to its end; the caller closes it. */
sg_profiles *sg_profiles_read_csv(sg_csv *c, char *err, size_t errlen);
const sg_profile *sg_profiles_get(const sg_profiles *p, const char *symbol);
void sg_profiles_free(sg_profiles *p);

#endif
