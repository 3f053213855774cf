/*
 * regression.c - see regression.h.
 *
 * Ridge follows sklearn 1.2's code path step by step so the results agree to
 * the last few ulps: StandardScaler's corrected two-pass variance
 * (_incremental_mean_and_var), _is_constant_feature, Ridge's centering of Z
 * and y (_preprocess_data), then (Zc'Zc + alpha*I) b = Zc'yc by Cholesky
 * (scipy.linalg.solve with assume_a='pos'). The k x k factorization is shared
 * by every symbol of a group (it depends on the regressors alone); each
 * symbol's right-hand side, solve, residuals and R-squared are one fixed
 * sequence of operations (plain loops, FMA contraction off, a one-column
 * dpotrs), so its numbers are the same bits alone, in any batch, in any order.
 * Batching them as DGEMMs made a
 * symbol's last bits depend on the number of columns (OpenBLAS's blocking).
 */
#include "regression.h"

#include <cblas.h>
#include <dlfcn.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS's own threads only slow down k x k systems; one process per core
 * scales instead. Looked up at run time: Debian's libblas.so.3 alternative
 * does not export it, the libopenblas it loads does, and another BLAS has none. */
void sg_regression_init(void)
{
    void (*set_threads)(int);
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (set_threads)
        set_threads(1);
}

/* Column mean and population variance as sklearn computes them. */
static void col_mean_var(const double *x, int n, double *mean, double *var)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    double t = sum / n, corr = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        double d = x[i] - t;
        corr += d;
        sq += d * d;
    }
    *mean = sum / n;
    *var = (sq - corr * corr / n) / n;
}

static bool is_constant_feature(double var, double mean, int n)
{
    const double eps = DBL_EPSILON;
    double ub = n * eps * var + (n * mean * eps) * (n * mean * eps);
    return var <= ub;
}

/* One symbol's fit against the group's shared factor: the right-hand side
 * Zc'yc, the solve and the residuals in one fixed order of operations, so a
 * symbol's numbers never depend on how many others share its group. */
static int ridge_one(int n, int k, const double *Zc, const double *A, const double *sigma, const double *y,
                     double *yc, double *beta, double *r2)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += y[i];
    double ymean = sum / n;
    for (int i = 0; i < n; i++)
        yc[i] = y[i] - ymean;
    for (int j = 0; j < k; j++) {
        const double *z = Zc + (size_t)j * n;
        double d = 0;
        for (int i = 0; i < n; i++)
            d += z[i] * yc[i];
        beta[j] = d;
    }
    lapack_int info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', k, 1, A, k, beta, k);
    if (info != 0)
        return (int)info;
    /* R-squared from the residuals yc - Zc b (y - y_pred with the intercept). */
    double ss_res = 0, ss_tot = 0;
    for (int i = 0; i < n; i++) {
        double e = yc[i];
        for (int j = 0; j < k; j++)
            e -= Zc[(size_t)j * n + i] * beta[j];
        ss_res += e * e;
        ss_tot += yc[i] * yc[i];
    }
    *r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 0.0;
    for (int j = 0; j < k; j++) {
        double b = beta[j] / sigma[j];
        beta[j] = isfinite(b) ? sg_clip_beta(b) : 0.0;
    }
    return 0;
}

int sg_ridge_fit_many(int n, int k, const double *X, int m, const double *Y, double alpha, double *beta,
                      double *r2, char *err, size_t errlen)
{
    int rc = -1;
    double *Zc = calloc((size_t)n * (size_t)k, sizeof(double)); /* calloc: gcc cannot see k > 0 */
    double *yc = malloc(sizeof(double) * (size_t)n);
    double *A = malloc(sizeof(double) * (size_t)k * (size_t)k);
    double *sigma = malloc(sizeof(double) * (size_t)k);
    if (!Zc || !yc || !A || !sigma) {
        snprintf(err, errlen, "ridge: out of memory");
        goto out;
    }
    for (int j = 0; j < k; j++) {
        const double *x = X + (size_t)j * n;
        double *z = Zc + (size_t)j * n, mean, var;
        col_mean_var(x, n, &mean, &var);
        sigma[j] = is_constant_feature(var, mean, n) ? 1.0 : sqrt(var);
        double zsum = 0;
        for (int i = 0; i < n; i++) {
            z[i] = (x[i] - mean) / sigma[j];
            zsum += z[i];
        }
        double zmean = zsum / n; /* Ridge centers Z again: about 0, not exactly */
        for (int i = 0; i < n; i++)
            z[i] -= zmean;
    }
    /* A = Zc'Zc + alpha I, factorized once for the group: it depends on the
     * regressors alone, so sharing it cannot couple one symbol to another. */
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, k, k, n, 1.0, Zc, n, Zc, n, 0.0, A, k);
    for (int j = 0; j < k; j++)
        A[(size_t)j * k + j] += alpha;
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', k, A, k);
    if (info != 0) {
        snprintf(err, errlen, "ridge: regressor matrix is not positive definite (dpotrf info %d)", (int)info);
        goto out;
    }
    for (int c = 0; c < m; c++) {
        info = ridge_one(n, k, Zc, A, sigma, Y + (size_t)c * n, yc, beta + (size_t)c * k, &r2[c]);
        if (info != 0) {
            snprintf(err, errlen, "ridge: dpotrs failed (info %d)", (int)info);
            goto out;
        }
    }
    rc = 0;
out:
    free(Zc);
    free(yc);
    free(A);
    free(sigma);
    return rc;
}

int sg_ols_fit(const double *y, const double *x, size_t n, sg_ols *out, const char **why)
{
    if (n < 2) {
        *why = "Insufficient data points";
        return -1;
    }
    double xsum = 0, ysum = 0;
    bool constant = true;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            *why = "SVD did not converge";
            return -1;
        }
        constant &= x[i] == x[0];
        xsum += x[i];
        ysum += y[i];
    }
    if (constant && x[0] != 0) {
        /* sm.add_constant(has_constant='skip') adds no intercept; params[1] fails. */
        *why = "index 1 is out of bounds (constant regressor)";
        return -1;
    }
    double xm = xsum / n, ym = ysum / n, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - xm;
        sxx += dx * dx;
        sxy += dx * y[i]; /* the slope row of pinv(X) applied to y */
    }
    double b = sxx > 0 ? sxy / sxx : 0.0; /* an all-zero x: pinv gives slope 0 */
    double a = ym - b * xm, ssr = 0, sst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = y[i] - a - b * x[i], d = y[i] - ym;
        ssr += e * e;
        sst += d * d;
    }
    out->r2 = 1 - ssr / sst; /* 0/0 = NaN for a constant y, as statsmodels */
    out->beta = fabs(b) > SG_BETA_CAP ? sg_clip_beta(b) : b;
    return 0;
}
