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

typedef struct sg_profile {
    char *symbol;
    char *company_name, *sector, *industry; /* NULL when empty */
    bool has_market_cap, has_pe_ratio, has_beta;
    double market_cap, pe_ratio, beta;
    long line; /* where it came from */
} sg_profile;

typedef struct sg_profiles sg_profiles;

/* NULL with "path:line: reason" in err on a bad file. */
sg_profiles *sg_profiles_load_csv(const char *path, char *err, size_t errlen);
const sg_profile *sg_profiles_get(const sg_profiles *p, const char *symbol);
void sg_profiles_free(sg_profiles *p);

#endif
