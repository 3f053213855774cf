/*
 * regression.h - the two fits of FACTOR_SPEC §4-§6, as sklearn and
 * statsmodels compute them.
 *
 * Owns: ridge on standardized regressors (StandardScaler's population std and
 * constant-feature rule, Ridge's closed form by Cholesky, betas back to raw
 * scale, non-finite -> 0, clip to +-5), solving many symbols that share one
 * design matrix with one factorization, each symbol's numbers independent of
 * the others in the call (bit for bit), and univariate OLS with an intercept
 * (statsmodels' skipped constant, NaN R-squared on a constant y, clip to +-5).
 * Must not: know about dates, symbols or windows.
 */
#ifndef SG_REGRESSION_H
#define SG_REGRESSION_H

#include <stddef.h>

#define SG_BETA_CAP 5.0

/* Call once per process before the first fit (keeps BLAS single-threaded). */
void sg_regression_init(void);

/* Ridge for m symbols sharing the design X (n x k, column-major, leading
 * dimension n): Y is n x m (column-major), one column per symbol; a symbol's
 * results are the same bits whatever m and the other columns are. Writes the
 * final betas (k x m, column-major) and the R-squared of each symbol (0.0 when
 * y has no variance). Returns 0, or -1 with "ridge: cause" in err when the
 * shared system cannot be solved (no symbol of the group gets rows). */
int sg_ridge_fit_many(int n, int k, const double *X, int m, const double *Y, double alpha, double *beta,
                      double *r2, char *err, size_t errlen);

typedef struct sg_ols {
    double beta; /* clipped slope */
    double r2;   /* of the unclipped fit; NaN when SST is 0 */
} sg_ols;

/* OLS of y on x with an intercept. Returns 0, or -1 with a reason in *why
 * when statsmodels would fail: fewer than 2 points, x constant and non-zero
 * (add_constant skips the constant), or x not finite (SVD does not converge). */
int sg_ols_fit(const double *y, const double *x, size_t n, sg_ols *out, const char **why);

static inline double sg_clip_beta(double b)
{
    return b > SG_BETA_CAP ? SG_BETA_CAP : b < -SG_BETA_CAP ? -SG_BETA_CAP : b;
}

#endif
