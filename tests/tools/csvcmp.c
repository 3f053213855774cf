/*
 * csvcmp - compares a CSV report with the oracle's: the same lines in the same
 * order, text fields identical, numeric fields within a tolerance (absolute
 * below 1, relative above: |a - b| <= tol * max(1, |b|)); "nan" equals "nan".
 *
 *   csvcmp [--tol 1e-12] EXPECTED ACTUAL
 *
 * Prints every difference as "line N, column C: expected X, got Y" and exits
 * 1 if there is any, 2 on a usage or I/O error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

static int is_number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

/* Splits a line in place at commas outside quotes. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    int q = 0;
    f[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == '"')
            q = !q;
        else if (*p == ',' && !q && n < max) {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    double tol = 1e-12;
    int a = 1;
    if (argc == 5 && strcmp(argv[1], "--tol") == 0) {
        tol = atof(argv[2]);
        a = 3;
    }
    if (argc - a != 2) {
        fprintf(stderr, "usage: csvcmp [--tol T] EXPECTED ACTUAL\n");
        return 2;
    }
    char *e = slurp(argv[a]), *g = slurp(argv[a + 1]);
    if (!e || !g) {
        fprintf(stderr, "csvcmp: cannot read %s\n", !e ? argv[a] : argv[a + 1]);
        return 2;
    }
    char *se, *sg;
    char *le = strtok_r(e, "\n", &se), *lg = strtok_r(g, "\n", &sg);
    int line = 1, diffs = 0;
    double worst = 0;
    for (; le || lg; line++, le = strtok_r(NULL, "\n", &se), lg = strtok_r(NULL, "\n", &sg)) {
        if (!le || !lg) {
            printf("line %d: %s\n", line, !le ? "extra line in actual" : "missing line in actual");
            diffs++;
            break;
        }
        char *fe[64], *fg[64];
        int ne = split(le, fe, 64), ng = split(lg, fg, 64);
        if (ne != ng) {
            printf("line %d: %d fields expected, %d found\n", line, ne, ng);
            diffs++;
            continue;
        }
        for (int c = 0; c < ne; c++) {
            double x, y;
            if (strcmp(fe[c], fg[c]) == 0)
                continue;
            if (is_number(fe[c], &x) && is_number(fg[c], &y) && !isnan(x) && !isnan(y)) {
                double d = fabs(x - y) / fmax(1.0, fabs(x));
                if (d > worst)
                    worst = d;
                if (d <= tol)
                    continue;
            }
            if (diffs++ < 50)
                printf("line %d, column %d: expected %s, got %s\n", line, c + 1, fe[c], fg[c]);
        }
    }
    if (diffs)
        printf("%d differences\n", diffs);
    else
        printf("identical within %g (largest relative difference %.3g) over %d lines\n", tol, worst, line - 1);
    free(e);
    free(g);
    return diffs ? 1 : 0;
}
