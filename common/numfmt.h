/*
 * numfmt.h - numbers as text, exactly as the app's Python and PostgreSQL write them.
 *
 * Owns: Python's repr() of a float (shortest round-trip digits), exact decimal
 * values (sg_dec: what Python's Decimal holds), parsing decimal text, the
 * NUMERIC(p,s) rounding of FACTOR_SPEC §8 (Decimal(str(x)) quantized half away
 * from zero), and Decimal division at 28 significant digits (metrics on the
 * price-cache path divide Decimals).
 * Must not: decide which value is stored where (that is the engine's and the
 * store's business); it only converts.
 */
#ifndef SG_NUMFMT_H
#define SG_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>

/* Enough for any repr(), and for the NUMERIC text of any finite double at a
 * scale up to 30: 309 integer digits, sign, point, scale digits. */
#define SG_NUM_LEN 352
#define SG_DEC_MAXDIG 40

/* value = (-1)^neg * 0.dig[0]dig[1]... * 10^decpt; ndig == 0 means zero. */
typedef struct sg_dec {
    bool neg;
    bool nan;
    int ndig;
    int decpt;
    char dig[SG_DEC_MAXDIG]; /* ASCII digits, no NUL, first digit non-zero */
} sg_dec;

/* Python repr(float): "0.1", "5.0", "1e-05", "nan", "-inf". Returns length. */
int sg_fmt_repr(double x, char buf[SG_NUM_LEN]);

/* Decimal(str(x)): the shortest round-trip digits of x. */
void sg_dec_from_double(double x, sg_dec *out);
/* Decimal(text) for plain decimal text: [+-]digits[.digits][e[+-]digits].
 * Returns 0, or -1 when the text is not such a number (NaN/Infinity are
 * refused: prices and profile numbers must be finite) or has more than
 * SG_DEC_MAXDIG significant digits. */
int sg_dec_parse(const char *s, size_t len, sg_dec *out);
/* float(Decimal): correctly rounded. */
double sg_dec_to_double(const sg_dec *d);
/* str(d.quantize(Decimal(10)**-scale, ROUND_HALF_UP)); "NaN" for NaN.
 * The sign survives rounding to zero, as in Python ("-0.000000"). */
int sg_dec_format_fixed(const sg_dec *d, int scale, char buf[SG_NUM_LEN]);
/* (a - b) / b with Python's default decimal context (28 digits, half even).
 * Returns 0, or -1 if b is zero or the operands are too wide to be exact. */
int sg_dec_return(const sg_dec *a, const sg_dec *b, sg_dec *out);

/* Whether d fits NUMERIC(precision, scale) once PostgreSQL has rounded it to
 * scale digits (half away from zero): |rounded| < 10^(precision - scale).
 * NaN fits (NUMERIC holds 'NaN'); 99999999.99995 does not fit NUMERIC(12,4). */
bool sg_dec_fits(const sg_dec *d, int precision, int scale);
/* The same for a double as the app sends it (Decimal(str(x))); an infinity
 * never fits. */
bool sg_double_fits(double x, int precision, int scale);
/* Whether d rounds to zero at scale digits (0.00004 at scale 4). */
bool sg_dec_rounds_to_zero(const sg_dec *d, int scale);

/* Convenience: NUMERIC(.., scale) text of a double, as the app stores it. */
int sg_fmt_db(double x, int scale, char buf[SG_NUM_LEN]);

#endif
