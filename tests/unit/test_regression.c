/*
 * test_regression.c - ridge and OLS (regression.h; FACTOR_SPEC §4 and §6.1).
 *
 * Two independent sources of expected values:
 *  - a straightforward normal-equations solve written here (population std,
 *    centring, (Zc'Zc + alpha I) b = Zc'yc by Gaussian elimination, b / sigma),
 *    the definition in FACTOR_SPEC §4;
 *  - sklearn / statsmodels through oracle.py (ridge_betas,
 *    run_single_factor_regression) on the same data, printed with repr().
 */
#include "regression.h"
#include "sgtest.h"

/* ---- the reference ridge --------------------------------------------------- */

#define MAXK 4

/* Ridge of y on the k columns of X (column-major, n rows) from the
 * definition; returns the raw-scale betas (unclipped) and R-squared. */
static void ref_ridge(int n, int k, const double *X, const double *y, double alpha, double *beta, double *r2)
{
    double Z[MAXK][64], sigma[MAXK], A[MAXK][MAXK + 1];
    assert_true(n <= 64 && k <= MAXK);
    for (int j = 0; j < k; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++)
            m += X[j * n + i];
        m /= n;
        for (int i = 0; i < n; i++)
            v += (X[j * n + i] - m) * (X[j * n + i] - m);
        v /= n;
        sigma[j] = v > 0 ? sqrt(v) : 1.0;
        for (int i = 0; i < n; i++)
            Z[j][i] = (X[j * n + i] - m) / sigma[j];
    }
    double ym = 0;
    for (int i = 0; i < n; i++)
        ym += y[i];
    ym /= n;
    for (int a = 0; a < k; a++) {
        for (int b = 0; b < k; b++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += Z[a][i] * Z[b][i];
            A[a][b] = s + (a == b ? alpha : 0);
        }
        double s = 0;
        for (int i = 0; i < n; i++)
            s += Z[a][i] * (y[i] - ym);
        A[a][k] = s;
    }
    for (int c = 0; c < k; c++) /* Gauss-Jordan; the matrix is positive definite */
        for (int r = 0; r < k; r++)
            if (r != c) {
                double f = A[r][c] / A[c][c];
                for (int q = c; q <= k; q++)
                    A[r][q] -= f * A[c][q];
            }
    double b[MAXK];
    for (int j = 0; j < k; j++)
        b[j] = A[j][k] / A[j][j];
    double ssr = 0, sst = 0;
    for (int i = 0; i < n; i++) {
        double fit = ym;
        for (int j = 0; j < k; j++)
            fit += Z[j][i] * b[j];
        ssr += (y[i] - fit) * (y[i] - fit);
        sst += (y[i] - ym) * (y[i] - ym);
    }
    *r2 = sst > 0 ? 1 - ssr / sst : 0.0;
    for (int j = 0; j < k; j++)
        beta[j] = b[j] / sigma[j];
}

static const double x1[8] = {0.01, -0.02, 0.015, 0.003, -0.007, 0.012, -0.004, 0.008};
static const double x2[8] = {0.005, 0.001, -0.01, 0.02, -0.003, 0.004, 0.009, -0.006};
static const double yv[8] = {0.012, -0.018, 0.02, 0.001, -0.01, 0.015, -0.002, 0.004};

static void fill_x(double *X, const double *a, const double *b)
{
    memcpy(X, a, 8 * sizeof *X);
    if (b)
        memcpy(X + 8, b, 8 * sizeof *X);
}

static int ridge1(int k, const double *X, const double *y, double alpha, double *beta, double *r2)
{
    char err[128];
    int rc = sg_ridge_fit_many(8, k, X, 1, y, alpha, beta, r2, err, sizeof err);
    if (rc)
        print_message("ridge: %s\n", err);
    return rc;
}

static void test_ridge_two_factors(void **state)
{
    (void)state;
    double X[16], beta[2], r2, rb[2], rr2;
    fill_x(X, x1, x2);
    /* alpha 1 */
    assert_int_equal(ridge1(2, X, yv, 1.0, beta, &r2), 0);
    ref_ridge(8, 2, X, yv, 1.0, rb, &rr2);
    assert_close(beta[0], rb[0], 1e-13);
    assert_close(beta[1], rb[1], 1e-13);
    assert_close(r2, rr2, 1e-13);
    /* sklearn: StandardScaler + Ridge(alpha=1.0), coef_ / scale_ */
    assert_close(beta[0], 0.9341350825144755, 1e-12);
    assert_close(beta[1], -0.05068554880194052, 1e-12);
    assert_close(r2, 0.9294349323295487, 1e-12);
    /* alpha 0.1: less shrinkage */
    assert_int_equal(ridge1(2, X, yv, 0.1, beta, &r2), 0);
    ref_ridge(8, 2, X, yv, 0.1, rb, &rr2);
    assert_close(beta[0], rb[0], 1e-13);
    assert_close(beta[1], rb[1], 1e-13);
    assert_close(beta[0], 1.0396224466971513, 1e-12);  /* sklearn */
    assert_close(beta[1], -0.036508630010123826, 1e-12);
    assert_close(r2, 0.9409044516854991, 1e-12);
    /* one factor */
    assert_int_equal(ridge1(1, X, yv, 1.0, beta, &r2), 0);
    assert_close(beta[0], 0.9395877144042454, 1e-12); /* sklearn */
    assert_close(r2, 0.928817504124989, 1e-12);
}

/* The betas are in raw units: scaling a regressor by 100 divides its beta by
 * 100 and changes nothing else (the fit is on standardized columns). */
static void test_ridge_raw_scale(void **state)
{
    (void)state;
    double X[16], Xs[16], b[2], bs[2], r2, r2s;
    fill_x(X, x1, x2);
    for (int i = 0; i < 16; i++)
        Xs[i] = i < 8 ? X[i] * 100 : X[i];
    assert_int_equal(ridge1(2, X, yv, 1.0, b, &r2), 0);
    assert_int_equal(ridge1(2, Xs, yv, 1.0, bs, &r2s), 0);
    assert_close(bs[0], b[0] / 100, 1e-13);
    assert_close(bs[1], b[1], 1e-13);
    assert_close(r2s, r2, 1e-13);
}

static void test_ridge_constant_column(void **state)
{
    (void)state;
    /* StandardScaler gives a constant column scale 1, so Z is 0 there and its
     * coefficient is 0 (sklearn: [0.9395877144042456, 0.0], R2 0.928817504124989) */
    double c[8], X[16], beta[2], r2;
    for (int i = 0; i < 8; i++)
        c[i] = 0.003;
    fill_x(X, x1, c);
    assert_int_equal(ridge1(2, X, yv, 1.0, beta, &r2), 0);
    assert_close(beta[0], 0.9395877144042456, 1e-12);
    assert_same(beta[1], 0.0);
    assert_close(r2, 0.928817504124989, 1e-12);
    /* an all-zero column as well */
    memset(c, 0, sizeof c);
    fill_x(X, c, x1);
    assert_int_equal(ridge1(2, X, yv, 1.0, beta, &r2), 0);
    assert_same(beta[0], 0.0);
    assert_close(beta[1], 0.9395877144042456, 1e-12);
}

static void test_ridge_constant_y(void **state)
{
    (void)state;
    /* a constant-price symbol: y = 0 everywhere (FACTOR_SPEC §4 end, §13):
     * betas 0, R-squared 0.0 (sklearn: [0.0, 0.0], 0.0) */
    double X[16], y[8], beta[2], r2;
    fill_x(X, x1, x2);
    for (int i = 0; i < 8; i++)
        y[i] = 0.0;
    assert_int_equal(ridge1(2, X, y, 1.0, beta, &r2), 0);
    assert_same(beta[0], 0.0);
    assert_same(beta[1], 0.0);
    assert_same(r2, 0.0);
    for (int i = 0; i < 8; i++)
        y[i] = 0.01;
    assert_int_equal(ridge1(2, X, y, 1.0, beta, &r2), 0);
    assert_near(beta[0], 0.0, 1e-15);
    assert_near(beta[1], 0.0, 1e-15);
    assert_same(r2, 0.0);
}

static void test_ridge_clip(void **state)
{
    (void)state;
    /* y = 10 x: in z units b = 8*10*sigma/(8 + alpha), so the raw beta is
     * 10 * 8/9 = 8.89 with alpha 1: clipped to 5. R-squared is the unclipped
     * fit's: the residual is yc/9, so R2 = 1 - 1/81. */
    double X[8], y[8], beta, r2;
    memcpy(X, x1, sizeof X);
    for (int i = 0; i < 8; i++)
        y[i] = 10 * x1[i];
    assert_int_equal(ridge1(1, X, y, 1.0, &beta, &r2), 0);
    assert_same(beta, 5.0);
    assert_close(r2, 1 - 1.0 / 81, 1e-13);
    for (int i = 0; i < 8; i++)
        y[i] = -10 * x1[i];
    assert_int_equal(ridge1(1, X, y, 1.0, &beta, &r2), 0);
    assert_same(beta, -5.0);
    assert_close(r2, 1 - 1.0 / 81, 1e-13);
    /* inside the cap: y = 4.5 x with alpha 0 gives 4.5, untouched */
    for (int i = 0; i < 8; i++)
        y[i] = 4.5 * x1[i];
    assert_int_equal(ridge1(1, X, y, 0.0, &beta, &r2), 0);
    assert_close(beta, 4.5, 1e-13);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static double unit_rand(uint64_t *s)
{
    return (double)lcg(s) / 9007199254740992.0 - 0.5;
}

/* Many symbols sharing one design matrix are solved with one factorization;
 * each must get what it gets alone, and the definition's values. */
static void test_ridge_many_rhs(void **state)
{
    (void)state;
    enum { N = 40, K = 3, M = 7 };
    double X[N * K], Y[N * M], B[K * M], R2[M];
    uint64_t s = 42;
    for (int i = 0; i < N * K; i++)
        X[i] = unit_rand(&s) * 0.04;
    for (int c = 0; c < M; c++)
        for (int i = 0; i < N; i++) {
            double noise = unit_rand(&s) * 0.01;
            Y[c * N + i] = (c - 3) * 0.7 * X[i] + 0.3 * c * X[N + i] - 0.2 * X[2 * N + i] + noise;
        }
    for (int i = 0; i < N; i++) /* column 5: constant; column 6: clipped */
        Y[5 * N + i] = 0.002, Y[6 * N + i] = 9 * X[i];
    char err[128];
    assert_int_equal(sg_ridge_fit_many(N, K, X, M, Y, 1.0, B, R2, err, sizeof err), 0);
    for (int c = 0; c < M; c++) {
        double b1[K], r1;
        assert_int_equal(sg_ridge_fit_many(N, K, X, 1, Y + c * N, 1.0, b1, &r1, err, sizeof err), 0);
        assert_memory_equal(&B[c * K], b1, sizeof b1);
        assert_memory_equal(&R2[c], &r1, sizeof r1);
        double rb[K], rr2;
        ref_ridge(N, K, X, Y + c * N, 1.0, rb, &rr2);
        for (int j = 0; j < K; j++)
            assert_near(B[c * K + j], sg_clip_beta(rb[j]), 1e-13);
        assert_near(R2[c], rr2, 1e-13);
    }
    assert_same(R2[5], 0.0);
    assert_same(B[6 * K + 0], 5.0);
}

/* A symbol's betas and R-squared are the same bits alone, among all the
 * symbols of its group, in reverse order and in random subsets of any size:
 * in the pipeline a symbol lands in any worker's batch, and a rerun must
 * store the same numbers. Failed before (issue 8): the right-hand sides and
 * residuals were DGEMMs whose summation order depends on the number of
 * columns (OpenBLAS's blocking, e.g. under OPENBLAS_CORETYPE=Haswell). */
static void test_ridge_batch_independent(void **state)
{
    (void)state;
    enum { N = 120, K = 6, M = 301 };
    double *X = malloc(sizeof(double) * N * K), *Y = malloc(sizeof(double) * N * M);
    double *B = malloc(sizeof(double) * K * M), *R2 = malloc(sizeof(double) * M);
    double *Ys = malloc(sizeof(double) * N * M), *Bs = malloc(sizeof(double) * K * M);
    double *R2s = malloc(sizeof(double) * M);
    int *pick = malloc(sizeof(int) * M);
    assert_true(X && Y && B && R2 && Ys && Bs && R2s && pick);
    uint64_t s = 2026;
    for (int i = 0; i < N * K; i++)
        X[i] = unit_rand(&s) * 0.03 + (i / N == 3 ? 0.4 * X[i - N] : 0); /* one correlated column */
    for (int c = 0; c < M; c++) {
        double w[K];
        for (int j = 0; j < K; j++)
            w[j] = unit_rand(&s) * 3;
        for (int i = 0; i < N; i++) {
            double v = unit_rand(&s) * 0.02;
            for (int j = 0; j < K; j++)
                v += w[j] * X[j * N + i];
            Y[c * N + i] = v;
        }
    }
    char err[128];
    assert_int_equal(sg_ridge_fit_many(N, K, X, M, Y, 1.0, B, R2, err, sizeof err), 0);
    for (int trial = 0; trial < 40; trial++) {
        /* trial 0: each alone; 1: reversed; then random subsets and orders */
        int m = trial == 0 ? 1 : trial == 1 ? M : 1 + (int)(lcg(&s) % M);
        for (int rep = 0; rep < (trial == 0 ? M : 1); rep++) {
            for (int g = 0; g < m; g++)
                pick[g] = trial == 0 ? rep : trial == 1 ? M - 1 - g : (int)(lcg(&s) % M);
            for (int g = 0; g < m; g++)
                memcpy(Ys + (size_t)g * N, Y + (size_t)pick[g] * N, sizeof(double) * N);
            assert_int_equal(sg_ridge_fit_many(N, K, X, m, Ys, 1.0, Bs, R2s, err, sizeof err), 0);
            for (int g = 0; g < m; g++) {
                if (memcmp(Bs + (size_t)g * K, B + (size_t)pick[g] * K, sizeof(double) * K) ||
                    memcmp(&R2s[g], &R2[pick[g]], sizeof(double)))
                    fail_msg("trial %d: symbol %d among %d differs from the whole batch: beta0 %.17g vs %.17g, "
                             "r2 %.17g vs %.17g",
                             trial, pick[g], m, Bs[(size_t)g * K], B[(size_t)pick[g] * K], R2s[g], R2[pick[g]]);
            }
        }
    }
    free(X), free(Y), free(B), free(R2), free(Ys), free(Bs), free(R2s), free(pick);
}

static void test_ridge_failure(void **state)
{
    (void)state;
    double X[16], beta[2], r2;
    char err[128];
    /* alpha 0 with a constant column: Zc'Zc is singular, dpotrf refuses */
    double c[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    fill_x(X, x1, c);
    err[0] = '\0';
    assert_int_equal(sg_ridge_fit_many(8, 2, X, 1, yv, 0.0, beta, &r2, err, sizeof err), -1);
    assert_true(strncmp(err, "ridge: ", 7) == 0);
}

/* ---- OLS ------------------------------------------------------------------- */

static void test_ols_hand_example(void **state)
{
    (void)state;
    /* x = 1..5, y = 2,4,5,4,5: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6, so b = 0.6,
     * a = 2.2; SST = 6, SSR = 2.4, R2 = 0.6 (statsmodels: 0.5999999999999999,
     * 0.6000000000000001) */
    const double x[] = {1, 2, 3, 4, 5}, y[] = {2, 4, 5, 4, 5};
    sg_ols o;
    const char *why = NULL;
    assert_int_equal(sg_ols_fit(y, x, 5, &o, &why), 0);
    assert_near(o.beta, 0.6, 1e-15);
    assert_near(o.r2, 0.6, 1e-15);
    /* two points fit exactly (statsmodels: 0.9999999999999996, 1.0) */
    const double x2p[] = {1, 2}, y2p[] = {1, 2};
    assert_int_equal(sg_ols_fit(y2p, x2p, 2, &o, &why), 0);
    assert_near(o.beta, 1.0, 1e-15);
    assert_near(o.r2, 1.0, 1e-15);
}

static void test_ols_degenerate(void **state)
{
    (void)state;
    sg_ols o;
    const char *why;
    /* constant y: slope 0, R2 = 0/0 = NaN (statsmodels: beta 0.0, r_squared nan) */
    const double x[] = {1, 2, 3, 4}, yc[] = {1, 1, 1, 1};
    assert_int_equal(sg_ols_fit(yc, x, 4, &o, &why), 0);
    assert_same(o.beta, 0.0);
    assert_is_nan(o.r2);
    /* constant non-zero x: add_constant skips the constant, params[1] fails
     * (statsmodels: success False, 'index 1 is out of bounds for axis 0 with size 1') */
    const double xc[] = {2, 2, 2, 2}, y[] = {1, 2, 3, 4};
    why = NULL;
    assert_int_equal(sg_ols_fit(y, xc, 4, &o, &why), -1);
    assert_non_null(why);
    /* all-zero x: the constant is added, pinv gives slope 0 and R2 0
     * (statsmodels: beta 0.0, r_squared 0.0) */
    const double x0[] = {0, 0, 0, 0}, y5[] = {1, 2, 3, 5};
    assert_int_equal(sg_ols_fit(y5, x0, 4, &o, &why), 0);
    assert_same(o.beta, 0.0);
    assert_near(o.r2, 0.0, 1e-15);
    /* fewer than 2 points: ValueError("Insufficient data points") */
    assert_int_equal(sg_ols_fit(y, x, 1, &o, &why), -1);
    assert_string_equal(why, "Insufficient data points");
    assert_int_equal(sg_ols_fit(y, x, 0, &o, &why), -1);
    /* a non-finite x: the SVD does not converge */
    const double xi[] = {1, INFINITY, 3, 4}, xn[] = {1, NAN, 3, 4};
    assert_int_equal(sg_ols_fit(y, xi, 4, &o, &why), -1);
    assert_int_equal(sg_ols_fit(y, xn, 4, &o, &why), -1);
}

static void test_ols_clip(void **state)
{
    (void)state;
    /* statsmodels: original_beta 9.999999999999998 -> beta 5.0, r_squared
     * 0.9972078181092939 (of the unclipped fit) */
    const double x[] = {1, 2, 3, 4, 5}, y[] = {10, 21, 29, 41, 50}, yn[] = {-10, -21, -29, -41, -50};
    sg_ols o;
    const char *why;
    assert_int_equal(sg_ols_fit(y, x, 5, &o, &why), 0);
    assert_same(o.beta, 5.0);
    assert_close(o.r2, 0.9972078181092939, 1e-14);
    assert_int_equal(sg_ols_fit(yn, x, 5, &o, &why), 0);
    assert_same(o.beta, -5.0);
    assert_close(o.r2, 0.9972078181092939, 1e-14);
    /* sg_clip_beta itself */
    assert_same(sg_clip_beta(5.0000001), 5.0);
    assert_same(sg_clip_beta(-7.0), -5.0);
    assert_same(sg_clip_beta(INFINITY), 5.0);
    assert_same(sg_clip_beta(-INFINITY), -5.0);
    assert_same(sg_clip_beta(4.9), 4.9);
    assert_same(sg_clip_beta(-5.0), -5.0);
    assert_is_nan(sg_clip_beta(NAN));
}

static void test_ols_inf_in_y(void **state)
{
    (void)state;
    /* a 0 -> x price step on the DB path puts +inf in y (FACTOR_SPEC §13): the
     * slope is +-inf, clipped to +-5, and R2 is NaN; the fit succeeds.
     * statsmodels on the same data: */
    const double x[] = {1, 2, 3, 4, 5}, x6[] = {1, 2, 3, 4, 6};
    const double ya[] = {1, 2, 3, 4, INFINITY}; /* at x > x̄: +inf -> 5.0 */
    const double yb[] = {1, INFINITY, 3, 4, 5}; /* at x < x̄: -inf -> -5.0 */
    const double yc[] = {1, 2, INFINITY, 4, 5}; /* x̄ = 3.2 with x6: -5.0 */
    const double yd[] = {-INFINITY, 2, 3, 4, 5}; /* -inf at x < x̄: +5.0 */
    sg_ols o;
    const char *why;
    assert_int_equal(sg_ols_fit(ya, x, 5, &o, &why), 0);
    assert_same(o.beta, 5.0);
    assert_is_nan(o.r2);
    assert_int_equal(sg_ols_fit(yb, x, 5, &o, &why), 0);
    assert_same(o.beta, -5.0);
    assert_is_nan(o.r2);
    assert_int_equal(sg_ols_fit(yc, x6, 5, &o, &why), 0);
    assert_same(o.beta, -5.0);
    assert_is_nan(o.r2);
    assert_int_equal(sg_ols_fit(yd, x, 5, &o, &why), 0);
    assert_same(o.beta, 5.0);
    assert_is_nan(o.r2);
    /* +inf at both ends: +inf - inf = NaN, not clipped (statsmodels: beta nan);
     * +inf then -inf: -inf, -5.0 */
    const double ye[] = {INFINITY, 2, 3, 4, INFINITY}, yf[] = {INFINITY, 2, 3, 4, -INFINITY};
    assert_int_equal(sg_ols_fit(ye, x, 5, &o, &why), 0);
    assert_is_nan(o.beta);
    assert_is_nan(o.r2);
    assert_int_equal(sg_ols_fit(yf, x, 5, &o, &why), 0);
    assert_same(o.beta, -5.0);
    assert_is_nan(o.r2);
    /* (inf at the point x == x̄ exactly gives NaN here, 0 * inf; statsmodels'
     * pinv leaves a rounding residue there and says 5.0: not asserted) */
}

int main(void)
{
    sg_regression_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ridge_two_factors),
        cmocka_unit_test(test_ridge_raw_scale),
        cmocka_unit_test(test_ridge_constant_column),
        cmocka_unit_test(test_ridge_constant_y),
        cmocka_unit_test(test_ridge_clip),
        cmocka_unit_test(test_ridge_many_rhs),
        cmocka_unit_test(test_ridge_batch_independent),
        cmocka_unit_test(test_ridge_failure),
        cmocka_unit_test(test_ols_hand_example),
        cmocka_unit_test(test_ols_degenerate),
        cmocka_unit_test(test_ols_clip),
        cmocka_unit_test(test_ols_inf_in_y),
    };
    return cmocka_run_group_tests_name("regression", tests, NULL, NULL);
}
