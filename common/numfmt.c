/*
 * numfmt.c - see numfmt.h.
 *
 * Shortest round-trip digits come from printf("%.*e") + strtod, trying 17, 16
 * and 15 significant digits first (nearly every computed double needs 16 or
 * 17), then counting down: glibc's printf and strtod are correctly rounded, so
 * the first precision that round-trips gives Python's repr digits.
 * Decimal arithmetic works on __int128 coefficients: prices have at most a few
 * dozen digits, far inside 38.
 */
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1 /* strfromd */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits and decimal exponent of "%.(p-1)e" output: "d.ddde[+-]XX". */
static void split_sci(const char *s, sg_dec *out)
{
    out->ndig = 0;
    out->nan = false;
    out->neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            out->dig[out->ndig++] = *s;
    int e = atoi(s + 1);
    out->decpt = e + 1;
    while (out->ndig > 0 && out->dig[out->ndig - 1] == '0')
        out->ndig--;
}

/* printf formats by precision: "%.*e" would take glibc's slow positional path. */
static const char *const sci_fmt[18] = {"%.0e",  "%.0e",  "%.1e",  "%.2e",  "%.3e",  "%.4e",
                                        "%.5e",  "%.6e",  "%.7e",  "%.8e",  "%.9e",  "%.10e",
                                        "%.11e", "%.12e", "%.13e", "%.14e", "%.15e", "%.16e"};

/* strfromd formats one double without printf's argument machinery. */
static bool round_trips(double x, int prec, char *tmp)
{
    strfromd(tmp, SG_NUM_LEN, sci_fmt[prec], x);
    return strtod(tmp, NULL) == x;
}

void sg_dec_from_double(double x, sg_dec *out)
{
    char tmp[SG_NUM_LEN];
    memset(out, 0, sizeof *out);
    if (!isfinite(x)) { /* NUMERIC has no infinity the app could send: NaN */
        out->nan = true;
        return;
    }
    if (x == 0) {
        out->neg = signbit(x) != 0;
        return;
    }
    /* Nearly every computed value needs 16 or 17 digits: test those first,
     * and keep the text of the shortest precision that round-trips. */
    if (!round_trips(x, 16, tmp)) {
        strfromd(tmp, sizeof tmp, sci_fmt[17], x);
    } else if (round_trips(x, 15, tmp)) {
        int p = 1;
        while (p < 15 && !round_trips(x, p, tmp))
            p++;
        if (p == 15) /* tmp holds the failed 14-digit attempt */
            strfromd(tmp, sizeof tmp, sci_fmt[15], x);
    } else {
        strfromd(tmp, sizeof tmp, sci_fmt[16], x);
    }
    split_sci(tmp, out);
}

int sg_fmt_repr(double x, char buf[SG_NUM_LEN])
{
    if (isnan(x))
        return snprintf(buf, SG_NUM_LEN, "nan");
    if (isinf(x))
        return snprintf(buf, SG_NUM_LEN, x < 0 ? "-inf" : "inf");
    if (x == 0)
        return snprintf(buf, SG_NUM_LEN, signbit(x) ? "-0.0" : "0.0");
    sg_dec d;
    sg_dec_from_double(x, &d);
    char *p = buf;
    if (d.neg)
        *p++ = '-';
    if (d.decpt <= -4 || d.decpt > 16) { /* Python's 'r' format switches to exponent */
        *p++ = d.dig[0];
        if (d.ndig > 1) {
            *p++ = '.';
            memcpy(p, d.dig + 1, (size_t)d.ndig - 1);
            p += d.ndig - 1;
        }
        int e = d.decpt - 1;
        p += snprintf(p, 8, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (d.decpt <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -d.decpt; i++)
            *p++ = '0';
        memcpy(p, d.dig, (size_t)d.ndig);
        p += d.ndig;
    } else {
        for (int i = 0; i < d.decpt; i++)
            *p++ = i < d.ndig ? d.dig[i] : '0';
        *p++ = '.';
        if (d.ndig > d.decpt) {
            memcpy(p, d.dig + d.decpt, (size_t)(d.ndig - d.decpt));
            p += d.ndig - d.decpt;
        } else {
            *p++ = '0';
        }
    }
    *p = '\0';
    return (int)(p - buf);
}

int sg_dec_parse(const char *s, size_t len, sg_dec *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        out->neg = s[i++] == '-';
    bool point = false;
    int seen = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        seen++;
        if (!point)
            out->decpt++; /* every integer digit moves the point right */
        if (out->ndig == 0 && c == '0') {
            out->decpt--; /* a leading zero is not significant */
            continue;
        }
        if (out->ndig == SG_DEC_MAXDIG) {
            if (c != '0')
                return -1; /* too many significant digits to hold exactly */
            continue;      /* a trailing zero past the limit changes nothing */
        }
        out->dig[out->ndig++] = c;
    }
    if (seen == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t first = i;
        long e = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        if (i == first || e >= 100000)
            return -1;
        out->decpt += (int)(eneg ? -e : e);
    }
    if (i != len)
        return -1;
    while (out->ndig > 0 && out->dig[out->ndig - 1] == '0')
        out->ndig--;
    if (out->ndig == 0)
        out->decpt = 0;
    return 0;
}

double sg_dec_to_double(const sg_dec *d)
{
    if (d->nan)
        return NAN;
    if (d->ndig == 0)
        return d->neg ? -0.0 : 0.0;
    /* Exact fast path: a coefficient below 2^53 and a power of ten up to
     * 10^22 are both exact doubles, so one division or product rounds once. */
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int e = d->decpt - d->ndig;
    if (d->ndig <= 15 && e >= -22 && e <= 22) {
        double c = 0;
        for (int i = 0; i < d->ndig; i++)
            c = c * 10 + (d->dig[i] - '0');
        double v = e < 0 ? c / p10[-e] : c * p10[e];
        return d->neg ? -v : v;
    }
    char tmp[SG_DEC_MAXDIG + 16];
    snprintf(tmp, sizeof tmp, "%s0.%.*se%d", d->neg ? "-" : "", d->ndig, d->dig, d->decpt);
    return strtod(tmp, NULL);
}

int sg_dec_format_fixed(const sg_dec *d, int scale, char buf[SG_NUM_LEN])
{
    if (d->nan)
        return snprintf(buf, SG_NUM_LEN, "NaN");
    char dig[SG_DEC_MAXDIG + 2];
    int keep = d->ndig == 0 ? 0 : d->decpt + scale; /* digits left after rounding */
    int decpt = d->decpt, n;
    if (keep < 0) {
        n = 0;
    } else if (keep >= d->ndig) {
        n = d->ndig;
        memcpy(dig, d->dig, (size_t)n);
    } else {
        n = keep;
        memcpy(dig, d->dig, (size_t)n);
        if (d->dig[keep] >= '5') { /* half away from zero: the sign is separate */
            int i = n - 1;
            while (i >= 0 && dig[i] == '9')
                dig[i--] = '0';
            if (i >= 0) {
                dig[i]++;
            } else { /* 999 -> 1000 */
                memmove(dig + 1, dig, (size_t)n);
                dig[0] = '1';
                n++;
                decpt++;
            }
        }
    }
    char *p = buf;
    if (d->neg)
        *p++ = '-';
    if (n == 0 || decpt <= 0) {
        *p++ = '0';
    } else {
        for (int i = 0; i < decpt; i++)
            *p++ = i < n ? dig[i] : '0';
    }
    if (scale > 0) {
        *p++ = '.';
        for (int k = 1; k <= scale; k++) {
            int idx = (n == 0 ? 0 : decpt) + k - 1; /* digit with place 10^-k */
            *p++ = n > 0 && idx >= 0 && idx < n ? dig[idx] : '0';
        }
    }
    *p = '\0';
    return (int)(p - buf);
}

/* Digits kept by rounding d to scale digits: ndig when nothing is cut,
 * negative when the value rounds to zero from below half a unit. */
static int kept_digits(const sg_dec *d, int scale)
{
    long keep = (long)d->decpt + scale; /* decpt is bounded by the parser (|e| < 10^5) */
    return keep >= d->ndig ? d->ndig : (int)(keep < -1 ? -1 : keep);
}

/* Whether rounding at keep digits carries into a new leading digit (9.99 -> 10.0). */
static bool rounding_carries(const sg_dec *d, int keep)
{
    if (keep < 0 || keep >= d->ndig || d->dig[keep] < '5')
        return false;
    for (int i = 0; i < keep; i++)
        if (d->dig[i] != '9')
            return false;
    return true;
}

bool sg_dec_rounds_to_zero(const sg_dec *d, int scale)
{
    if (d->nan)
        return false;
    int keep = kept_digits(d, scale);
    return d->ndig == 0 || keep < 0 || (keep == 0 && d->dig[0] < '5');
}

bool sg_dec_fits(const sg_dec *d, int precision, int scale)
{
    if (d->nan || sg_dec_rounds_to_zero(d, scale))
        return true;
    long int_digits = (long)d->decpt + (rounding_carries(d, kept_digits(d, scale)) ? 1 : 0);
    return int_digits <= precision - scale;
}

bool sg_double_fits(double x, int precision, int scale)
{
    if (isinf(x))
        return false;
    sg_dec d;
    sg_dec_from_double(x, &d);
    return sg_dec_fits(&d, precision, scale);
}

int sg_fmt_db(double x, int scale, char buf[SG_NUM_LEN])
{
    sg_dec d;
    sg_dec_from_double(x, &d);
    return sg_dec_format_fixed(&d, scale, buf);
}

/* ---- exact Decimal division ---------------------------------------------- */

typedef __int128 i128;

/* Coefficient and exponent: value = coef * 10^exp. */
static int to_int(const sg_dec *d, i128 *coef, int *exp)
{
    if (d->ndig > 36)
        return -1;
    i128 c = 0;
    for (int i = 0; i < d->ndig; i++)
        c = c * 10 + (d->dig[i] - '0');
    *coef = d->neg ? -c : c;
    *exp = d->decpt - d->ndig;
    return 0;
}

static int pow10_shift(i128 *c, int k)
{
    for (int i = 0; i < k; i++) {
        if (*c > (i128)1e36 || *c < -(i128)1e36)
            return -1;
        *c *= 10;
    }
    return 0;
}

int sg_dec_return(const sg_dec *a, const sg_dec *b, sg_dec *out)
{
    i128 ca, cb;
    int ea, eb;
    memset(out, 0, sizeof *out);
    if (a->nan || b->nan || b->ndig == 0 || to_int(a, &ca, &ea) || to_int(b, &cb, &eb))
        return -1;
    /* a - b exactly, at the smaller exponent; the divisor b at the same exponent. */
    int e = ea < eb ? ea : eb;
    if (pow10_shift(&ca, ea - e) || pow10_shift(&cb, eb - e))
        return -1;
    i128 num = ca - cb, den = cb;
    if (num == 0)
        return 0;
    out->neg = (num < 0) != (den < 0);
    i128 x = num < 0 ? -num : num, y = den < 0 ? -den : den;
    int e10 = 0; /* scale so that y <= x < 10y; quotient = (x/y) * 10^e10 */
    while (x >= y * 10) {
        if (y > (i128)1e36)
            return -1;
        y *= 10;
        e10++;
    }
    while (x < y) {
        if (x > (i128)1e36)
            return -1;
        x *= 10;
        e10--;
    }
    char dig[30];
    for (int i = 0; i < 29; i++) {
        dig[i] = (char)('0' + (int)(x / y));
        x = (x % y) * 10;
    }
    bool sticky = x != 0;
    int decpt = e10 + 1, n = 28;
    int r = dig[28] - '0';
    bool up = r > 5 || (r == 5 && (sticky || ((dig[27] - '0') & 1)));
    if (up) {
        int i = 27;
        while (i >= 0 && dig[i] == '9')
            dig[i--] = '0';
        if (i >= 0) {
            dig[i]++;
        } else {
            dig[0] = '1';
            memset(dig + 1, '0', 27);
            decpt++;
        }
    }
    while (n > 0 && dig[n - 1] == '0')
        n--;
    memcpy(out->dig, dig, (size_t)n);
    out->ndig = n;
    out->decpt = decpt;
    return 0;
}
