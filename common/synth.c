/*
 * synth.c - the synthetic market of synth.h.
 *
 * Owns: the model and its parameters (make_prices.py's: market N(0.0004, 0.010),
 * six styles N(0, 0.004), rates N(0, 0.008) per day; ETFs load on the market
 * and one factor each; a stock has loadings U(0.4, 1.8) on the market, N(0, 0.5)
 * on each style, N(0, 0.2) on rates and idiosyncratic noise U(0.8%, 2.5%)), the
 * bars' shape (open gaps, high/low excursions, log-normal volume), and the text.
 * Must not: do I/O other than writing to the FILE it is given, or depend on
 * anything but its options: no libm log/exp/sin (their last bit differs between
 * C libraries), no fused multiply-add (below), no global state.
 */
/* Byte-identical on every machine: gnu11 lets GCC fuse a*b+c into one fma on
 * targets that have it (aarch64; x86-64 with -mfma), which changes low bits. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "synth.h"
#include "numfmt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers --------------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
    bool has_spare;
    double spare;
} rng;

static uint64_t mix64(uint64_t z) /* splitmix64's finalizer */
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
    return mix64(*x += 0x9e3779b97f4a7c15ull);
}

/* Streams: 0 the latent factors, 1<<32 | k ETF k, 2<<32 | j stock j. */
#define STREAM_LATENT 0ull
#define STREAM_ETF(k) ((1ull << 32) | (uint64_t)(k))
#define STREAM_STOCK(j) ((2ull << 32) | (uint64_t)(j))

static void rng_init(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = mix64(mix64(seed) + stream);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x); /* four distinct words (mix64 is a bijection): never all zero */
    r->has_spare = false;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro256ss(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double uniform(rng *r) /* [0, 1), 53 random bits */
{
    return (double)(xoshiro256ss(r) >> 11) * 0x1.0p-53;
}

static double uniform_in(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * uniform(r);
}

static double synth_log(double x);

/* N(0, 1) by Marsaglia's polar method: Box-Muller without sin and cos. */
static double normal(rng *r)
{
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2 * uniform(r) - 1;
        v = 2 * uniform(r) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = sqrt(-2 * synth_log(s) / s);
    r->spare = v * f;
    r->has_spare = true;
    return u * f;
}

/* ---- math from + - * / sqrt (correctly rounded everywhere) ------------------- */

#define LN2_HI 0x1.62e42fee00000p-1 /* ln 2 split so that k * LN2_HI is exact */
#define LN2_LO 0x1.a39ef35793c76p-33

/* ln x for finite x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
 * ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172: 14 terms reach 1e-20. */
static double synth_log(double x)
{
    int e;
    double m = frexp(x, &e);
    if (m < 0x1.6a09e667f3bcdp-1) {
        m *= 2;
        e--;
    }
    double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;
    for (int k = 1; k <= 27; k += 2) {
        sum += term / k;
        term *= t2;
    }
    return e * LN2_HI + (e * LN2_LO + 2 * sum);
}

/* e^x for |x| < 700: x = k ln2 + r, |r| <= ln2/2, Taylor to r^20/20!. */
static double synth_exp(double x)
{
    double k = floor(x / (LN2_HI + LN2_LO) + 0.5);
    double r = (x - k * LN2_HI) - k * LN2_LO, term = 1, sum = 1;
    for (int n = 1; n <= 20; n++) {
        term *= r / n;
        sum += term;
    }
    return ldexp(sum, (int)k);
}

/* Reads the "[-]digits.dddd" of sg_fmt_db(x, 4) as ticks. */
static int64_t ticks_of_text(const char *s)
{
    bool neg = *s == '-';
    int64_t v = 0;
    for (s += neg; *s; s++)
        if (*s != '.')
            v = v * 10 + (*s - '0');
    return neg ? -v : v;
}

int64_t sg_synth_round4(double x)
{
    /* x * 10^4 is off by at most 2^-53 relative; a thousandth of a tick away
     * from a half, every reading of x rounds the same way. */
    double p = x * 1e4;
    if (fabs(fabs(p - trunc(p)) - 0.5) > 1e-3)
        return llround(p);
    char buf[SG_NUM_LEN];
    sg_fmt_db(x, 4, buf);
    return ticks_of_text(buf);
}

/* ---- the universe ------------------------------------------------------------ */

enum { F_MKT, F_VALUE, F_GROWTH, F_MOMENTUM, F_QUALITY, F_SIZE, F_LOWVOL, F_RATES, NF };

/* make_prices.py's ETFs; volume_mu is the log of a typical daily volume. */
static const struct etf {
    const char *sym;
    double beta; /* on the market */
    int factor;  /* the one other factor it loads 1.0 on */
    double noise, start, volume_mu;
} etfs[SG_SYNTH_NETFS] = {
    {"SPY", 1.00, -1, 0.0008, 520.0, 17.9},      {"VTV", 0.92, F_VALUE, 0.0015, 165.0, 14.8},
    {"VUG", 1.08, F_GROWTH, 0.0015, 380.0, 14.4}, {"MTUM", 1.00, F_MOMENTUM, 0.0020, 190.0, 13.8},
    {"QUAL", 1.00, F_QUALITY, 0.0015, 170.0, 14.2}, {"IWM", 1.15, F_SIZE, 0.0030, 205.0, 17.2},
    {"USMV", 0.72, F_LOWVOL, 0.0015, 86.0, 14.5}, {"TLT", -0.15, F_RATES, 0.0010, 92.0, 17.0},
};

/* A symbol's loadings and the shape of its bars. */
typedef struct params {
    double load[NF];
    double noise, start, volume_mu;
    bool nasdaq;
} params;

struct sg_synth {
    sg_synth_opts o;
    size_t nsym;
    int width;                          /* digits of a stock number */
    sg_day *days;                       /* ndays, ascending */
    double *f;                          /* ndays x NF latent returns, day-major */
    uint32_t *member;                   /* by symbol index: ETF k, or NETFS + stock j */
    char (*names)[SG_SYNTH_SYMLEN];     /* by symbol index */
};

/* The ndays trading days ending on the last trading day on or before end. */
static int trading_window(sg_day end, size_t ndays, sg_day *days)
{
    const sg_day floor_day = sg_day_from_ymd(1, 1, 8); /* the calendar starts at year 1 */
    sg_day d = end;
    while (!sg_nyse_is_trading_day(d) && d > floor_day)
        d--;
    for (size_t i = ndays; i-- > 0;) {
        if (d <= floor_day)
            return -1;
        days[i] = d;
        if (i)
            d = sg_nyse_prev_trading_day(d);
    }
    return 0;
}

static void latent_factors(sg_synth *u)
{
    static const double mean[NF] = {0.0004, 0, 0, 0, 0, 0, 0, 0};
    static const double sd[NF] = {0.010, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.008};
    rng r;
    rng_init(&r, u->o.seed, STREAM_LATENT);
    for (int k = 0; k < NF; k++) /* factor by factor, as make_prices.py draws them */
        for (size_t t = 0; t < u->o.ndays; t++)
            u->f[t * NF + (size_t)k] = mean[k] + sd[k] * normal(&r);
}

typedef struct named {
    char name[SG_SYNTH_SYMLEN];
    uint32_t member;
} named;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* Symbol indices follow the byte order of the names, as prices.csv does. */
static int name_symbols(sg_synth *u)
{
    named *tmp = malloc(u->nsym * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t i = 0; i < u->nsym; i++) {
        tmp[i].member = (uint32_t)i;
        if (i < SG_SYNTH_NETFS)
            strcpy(tmp[i].name, etfs[i].sym);
        else
            snprintf(tmp[i].name, sizeof tmp[i].name, "S%0*u", u->width, (unsigned)(i - SG_SYNTH_NETFS + 1));
    }
    qsort(tmp, u->nsym, sizeof *tmp, by_name);
    for (size_t i = 0; i < u->nsym; i++) {
        memcpy(u->names[i], tmp[i].name, SG_SYNTH_SYMLEN);
        u->member[i] = tmp[i].member;
    }
    free(tmp);
    return 0;
}

sg_synth *sg_synth_new(const sg_synth_opts *o, const char **why)
{
    if (o->nstocks > SG_SYNTH_MAX_STOCKS || o->ndays < SG_SYNTH_MIN_DAYS || o->ndays > SG_SYNTH_MAX_DAYS) {
        *why = "symbols or days out of range";
        errno = EINVAL;
        return NULL;
    }
    sg_synth *u = calloc(1, sizeof *u);
    if (!u) {
        *why = "out of memory";
        errno = ENOMEM;
        return NULL;
    }
    u->o = *o;
    u->nsym = SG_SYNTH_NETFS + o->nstocks;
    u->width = o->nstocks >= 10000 ? (o->nstocks >= 100000 ? 6 : 5) : 4;
    u->days = malloc(o->ndays * sizeof *u->days);
    u->f = malloc(o->ndays * NF * sizeof *u->f);
    u->names = malloc(u->nsym * sizeof *u->names);
    u->member = malloc(u->nsym * sizeof *u->member);
    if (!u->days || !u->f || !u->names || !u->member || name_symbols(u)) {
        *why = "out of memory";
        errno = ENOMEM;
        goto fail;
    }
    if (trading_window(o->end, o->ndays, u->days)) {
        *why = "the trading days would start before the year 1";
        errno = EINVAL;
        goto fail;
    }
    latent_factors(u);
    return u;
fail: {
    int saved = errno;
    sg_synth_free(u);
    errno = saved;
    return NULL;
}
}

void sg_synth_free(sg_synth *u)
{
    if (!u)
        return;
    free(u->days);
    free(u->f);
    free(u->member);
    free(u->names);
    free(u);
}

size_t sg_synth_nsymbols(const sg_synth *u)
{
    return u->nsym;
}

const char *sg_synth_symbol(const sg_synth *u, size_t i)
{
    return u->names[i];
}

bool sg_synth_is_etf(const sg_synth *u, size_t i)
{
    return u->member[i] < SG_SYNTH_NETFS;
}

size_t sg_synth_ndays(const sg_synth *u)
{
    return u->o.ndays;
}

const sg_day *sg_synth_days(const sg_synth *u)
{
    return u->days;
}

/* Draws a symbol's parameters from the start of its stream, which goes on
 * to draw its bars. */
static void symbol_params(const sg_synth *u, uint32_t member, rng *r, params *p)
{
    memset(p, 0, sizeof *p);
    if (member < SG_SYNTH_NETFS) {
        const struct etf *e = &etfs[member];
        rng_init(r, u->o.seed, STREAM_ETF(member));
        p->load[F_MKT] = e->beta;
        if (e->factor >= 0)
            p->load[e->factor] = 1.0;
        p->noise = e->noise;
        p->start = e->start;
        p->volume_mu = e->volume_mu;
        return;
    }
    rng_init(r, u->o.seed, STREAM_STOCK(member - SG_SYNTH_NETFS));
    p->load[F_MKT] = uniform_in(r, 0.4, 1.8);
    for (int k = F_VALUE; k <= F_LOWVOL; k++)
        p->load[k] = 0.5 * normal(r);
    p->load[F_RATES] = 0.2 * normal(r);
    p->noise = uniform_in(r, 0.008, 0.025);
    p->start = uniform_in(r, 15, 400);
    p->volume_mu = uniform_in(r, 12, 16); /* 160 thousand to 9 million shares a day */
    p->nasdaq = uniform(r) < 0.4;
}

static double clip(double x, double lim)
{
    return x < -lim ? -lim : x > lim ? lim : x;
}

/* Keeps a price inside NUMERIC(12,4) with room for the high, and off zero. */
static double clamp_price(double x)
{
    return x < 1.0 ? 1.0 : x > 1e6 ? 1e6 : x;
}

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

static int64_t min3(int64_t a, int64_t b, int64_t c)
{
    return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

/* One day: the close compounds the model return; the open gaps from the
 * previous close; high and low reach beyond both; volume rises with |r|. */
static double next_bar(const params *p, const double *f, double prev, rng *r, sg_synth_bar *b)
{
    double ret = p->noise * normal(r);
    for (int k = 0; k < NF; k++)
        ret += p->load[k] * f[k];
    double c = clamp_price(prev * (1 + ret));
    double o = prev * (1 + clip(0.003 * normal(r), 0.05));
    double h = (o > c ? o : c) * (1 + fabs(clip(0.004 * normal(r), 0.1)));
    double l = (o < c ? o : c) * (1 - fabs(clip(0.004 * normal(r), 0.1)));
    double v = synth_exp(p->volume_mu + clip(0.4 * normal(r), 4)) * (1 + 20 * fabs(ret));
    b->open = sg_synth_round4(o);
    b->close = sg_synth_round4(c);
    /* rounding is monotone, but say it outright: the invariants are the contract */
    b->high = max3(sg_synth_round4(h), b->open, b->close);
    b->low = min3(sg_synth_round4(l), b->open, b->close);
    if (b->low < 1)
        b->low = 1;
    b->volume = v < 100 ? 100 : v > 2147483647.0 ? 2147483647 : (int64_t)v;
    return c;
}

int64_t sg_synth_bars(const sg_synth *u, size_t i, sg_synth_bar *bars)
{
    rng r;
    params p;
    symbol_params(u, u->member[i], &r, &p);
    double prev = p.start;
    for (size_t t = 0; t < u->o.ndays; t++)
        prev = next_bar(&p, &u->f[t * NF], prev, &r, &bars[t]);
    return sg_synth_round4(p.start);
}

/* ---- US Eastern time --------------------------------------------------------- */

static sg_day nth_sunday(int y, int m, int n)
{
    sg_day first = sg_day_from_ymd(y, m, 1);
    return first + (6 - sg_day_weekday(first)) + 7 * (n - 1); /* weekday: Sunday = 6 */
}

static sg_day last_sunday(int y, int m)
{
    sg_day last = sg_day_from_ymd(y, m + 1, 1) - 1;
    return last - (sg_day_weekday(last) + 1) % 7;
}

/* The Energy Policy Act of 2005 from 2007; the 1986 amendment from 1987; the
 * Uniform Time Act's last Sunday of April before. Equals tzdata's
 * America/New_York from 1955 (New York's own rules before differ a little). */
int sg_synth_utc_offset(sg_day day)
{
    int y, m, d;
    sg_day_to_ymd(day, &y, &m, &d);
    sg_day start, end;
    if (y >= 2007) {
        start = nth_sunday(y, 3, 2);
        end = nth_sunday(y, 11, 1);
    } else {
        start = y >= 1987 ? nth_sunday(y, 4, 1) : last_sunday(y, 4);
        end = last_sunday(y, 10);
        if (y == 1974 || y == 1975) /* the energy crisis' year-round DST */
            start = y == 1974 ? sg_day_from_ymd(1974, 1, 6) : sg_day_from_ymd(1975, 2, 23);
    }
    return day >= start && day < end ? -4 * 3600 : -5 * 3600;
}

int64_t sg_synth_session_open(sg_day day)
{
    return (int64_t)day * 86400 + (9 * 3600 + 30 * 60) - sg_synth_utc_offset(day);
}

/* ---- text -------------------------------------------------------------------- */

static char *put_int(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        tmp[n++] = (char)('0' + a % 10);
    while (a /= 10);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* A price in ticks: "12.3400" in CSV; JSON trims zeros as Python's float
 * repr would ("12.34", "12.0"). */
static char *put_ticks(char *p, int64_t t, bool trim)
{
    if (t < 0) {
        *p++ = '-';
        t = -t;
    }
    p = put_int(p, t / 10000);
    *p++ = '.';
    int frac = (int)(t % 10000), digits = 4;
    if (trim)
        for (; digits > 1 && frac % 10 == 0; digits--)
            frac /= 10;
    for (int i = digits - 1; i >= 0; i--, frac /= 10)
        p[i] = (char)('0' + frac % 10);
    return p + digits;
}

int sg_synth_write_csv_header(FILE *f)
{
    fputs("symbol,date,open,high,low,close,volume\n", f);
    return ferror(f) ? -1 : 0;
}

int sg_synth_write_csv(FILE *f, const sg_synth *u, size_t i, const sg_synth_bar *bars)
{
    const char *sym = u->names[i];
    size_t symlen = strlen(sym);
    char line[160];
    for (size_t t = 0; t < u->o.ndays; t++) {
        const sg_synth_bar *b = &bars[t];
        char *p = line;
        memcpy(p, sym, symlen);
        p += symlen;
        *p++ = ',';
        sg_day_format(u->days[t], p);
        p += SG_DATE_LEN - 1;
        const int64_t px[4] = {b->open, b->high, b->low, b->close};
        for (int k = 0; k < 4; k++) {
            *p++ = ',';
            p = put_ticks(p, px[k], false);
        }
        *p++ = ',';
        p = put_int(p, b->volume);
        *p++ = '\n';
        fwrite(line, 1, (size_t)(p - line), f);
    }
    return ferror(f) ? -1 : 0;
}

enum field { FLD_TIME, FLD_OPEN, FLD_HIGH, FLD_LOW, FLD_CLOSE, FLD_VOLUME };

/* "name":[v,v,...] of one column. */
static void put_array(FILE *f, const sg_synth *u, const sg_synth_bar *bars, const char *name, enum field fld)
{
    char buf[32];
    fprintf(f, "\"%s\":[", name);
    for (size_t t = 0; t < u->o.ndays; t++) {
        const sg_synth_bar *b = &bars[t];
        char *p = buf;
        if (t)
            *p++ = ',';
        switch (fld) {
        case FLD_TIME: p = put_int(p, sg_synth_session_open(u->days[t])); break;
        case FLD_OPEN: p = put_ticks(p, b->open, true); break;
        case FLD_HIGH: p = put_ticks(p, b->high, true); break;
        case FLD_LOW: p = put_ticks(p, b->low, true); break;
        case FLD_CLOSE: p = put_ticks(p, b->close, true); break;
        case FLD_VOLUME: p = put_int(p, b->volume); break;
        }
        fwrite(buf, 1, (size_t)(p - buf), f);
    }
    fputc(']', f);
}

static const char *num(char buf[32], int64_t ticks)
{
    *put_ticks(buf, ticks, true) = '\0';
    return buf;
}

/* meta as the chart API gives it for a period1/period2 query (range ""). The
 * series starts at the first bar, so firstTradeDate is its session open;
 * regularMarketTime is the last close (16:00 New York). */
static void put_meta(FILE *f, const sg_synth *u, size_t i, const sg_synth_bar *bars, int64_t prev_close)
{
    const sg_day last = u->days[u->o.ndays - 1];
    const bool etf = sg_synth_is_etf(u, i);
    int gmtoffset = sg_synth_utc_offset(last);
    rng r;
    params p;
    symbol_params(u, u->member[i], &r, &p);
    char a[32], b[32];
    fprintf(f,
            "\"meta\":{\"currency\":\"USD\",\"symbol\":\"%s\",\"exchangeName\":\"%s\","
            "\"instrumentType\":\"%s\",\"firstTradeDate\":%lld,\"regularMarketTime\":%lld,"
            "\"gmtoffset\":%d,\"timezone\":\"%s\",\"exchangeTimezoneName\":\"America/New_York\","
            "\"regularMarketPrice\":%s,\"chartPreviousClose\":%s,\"priceHint\":2,"
            "\"dataGranularity\":\"1d\",\"range\":\"\",\"validRanges\":[\"1d\",\"5d\",\"1mo\",\"3mo\","
            "\"6mo\",\"1y\",\"2y\",\"5y\",\"10y\",\"ytd\",\"max\"]}",
            u->names[i], etf ? "PCX" : p.nasdaq ? "NMS" : "NYQ", etf ? "ETF" : "EQUITY",
            (long long)sg_synth_session_open(u->days[0]),
            (long long)(sg_synth_session_open(last) + (6 * 3600 + 30 * 60)), gmtoffset,
            gmtoffset == -4 * 3600 ? "EDT" : "EST", num(a, bars[u->o.ndays - 1].close), num(b, prev_close));
}

int sg_synth_write_yahoo(FILE *f, const sg_synth *u, size_t i, const sg_synth_bar *bars, int64_t prev_close)
{
    fputs("{\"chart\":{\"result\":[{", f);
    put_meta(f, u, i, bars, prev_close);
    fputc(',', f);
    put_array(f, u, bars, "timestamp", FLD_TIME);
    fputs(",\"indicators\":{\"quote\":[{", f);
    put_array(f, u, bars, "open", FLD_OPEN);
    fputc(',', f);
    put_array(f, u, bars, "high", FLD_HIGH);
    fputc(',', f);
    put_array(f, u, bars, "low", FLD_LOW);
    fputc(',', f);
    put_array(f, u, bars, "close", FLD_CLOSE);
    fputc(',', f);
    put_array(f, u, bars, "volume", FLD_VOLUME);
    fputs("}],\"adjclose\":[{", f); /* no dividends or splits: adjclose is the close */
    put_array(f, u, bars, "adjclose", FLD_CLOSE);
    fputs("}]}}],\"error\":null}}\n", f);
    return ferror(f) ? -1 : 0;
}
