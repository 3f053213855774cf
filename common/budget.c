/*
 * budget.c - see budget.h. Each take is sg_store_unit's short transaction
 * around one call of sigma_budget_take: the row lock orders the workers, the
 * database's clock refills, and a connection lost is reconnected by the unit.
 */
#include "budget.h"

#include <stdio.h>
#include <stdlib.h>

#include "store.h"

struct sg_budget {
    sg_store *s;
};

sg_budget *sg_budget_open(const char *conninfo, char *err, size_t errlen)
{
    sg_budget *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "provider budget: out of memory");
        return NULL;
    }
    if (!(b->s = sg_store_connect(conninfo, err, errlen))) {
        free(b);
        return NULL;
    }
    return b;
}

void sg_budget_close(sg_budget *b)
{
    if (!b)
        return;
    sg_store_close(b->s);
    free(b);
}

struct take_arg {
    const char *p[4];
    int granted;
    double wait_ms;
};

static int take_unit(sg_store *s, void *arg, char *err, size_t errlen)
{
    struct take_arg *a = arg;
    PGresult *r = sg_store_query(s, "provider budget: take",
                                 "SELECT granted, wait_ms FROM sigma_budget_take($1, $2::float8, $3::float8, $4::int)", 4,
                                 a->p, err, errlen);
    if (!r)
        return -1;
    a->granted = atoi(PQgetvalue(r, 0, 0));
    a->wait_ms = atof(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

int sg_budget_take(void *budget, sg_provider p, double rate, double burst, int want, double *wait_ms, char *err,
                   size_t errlen)
{
    sg_budget *b = budget;
    char r[32], u[32], w[16];
    snprintf(r, sizeof r, "%.17g", rate);
    snprintf(u, sizeof u, "%.17g", burst);
    snprintf(w, sizeof w, "%d", want);
    struct take_arg a = {{sg_provider_name(p), r, u, w}, 0, 0};
    if (sg_store_unit(b->s, "provider budget", take_unit, &a, err, errlen))
        return -1;
    *wait_ms = a.wait_ms;
    return a.granted;
}
