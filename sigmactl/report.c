/* report.c - see report.h. */
#include "report.h"

#include <math.h>
#include <string.h>

#include "numfmt.h"

/* fmt_db(x, scale, null_if_falsy) of oracle.py. */
static const char *fmt_db(double x, int scale, bool null_if_falsy, char buf[SG_NUM_LEN])
{
    if (null_if_falsy && x == 0) /* `Decimal(str(r2)) if r2 else None` */
        return "";
    sg_fmt_db(x, scale, buf);
    return buf;
}

static const char *fmt_raw(double x, char buf[SG_NUM_LEN])
{
    sg_fmt_repr(x, buf);
    return buf;
}

/* Text of a double in the chosen format, remembering the last one: a symbol's
 * rows share their R-squared (6 ridge rows, 4 spread rows), so most lookups
 * hit and the shortest-repr search runs about a third as often. */
typedef struct memo {
    bool valid;
    double x;
    char text[SG_NUM_LEN];
} memo;

static const char *memo_fmt(memo *m, double x, bool db, int scale, bool null_if_falsy)
{
    if (!(m->valid && (m->x == x || (isnan(m->x) && isnan(x))) && signbit(m->x) == signbit(x))) {
        const char *t = db ? fmt_db(x, scale, null_if_falsy, m->text) : fmt_raw(x, m->text);
        if (t != m->text)
            snprintf(m->text, sizeof m->text, "%s", t);
        m->x = x;
        m->valid = true;
    }
    return m->text;
}

void sg_report_factors(FILE *out, const char *const *symbols, const sg_factor_result *res,
                       const sg_report_opts *o)
{
    fputs("symbol,factor_name,beta,r_squared,observations,calculation_method", out);
    fputs(o->full ? ",quality_flag,regularization_alpha,regression_window_days\n" : "\n", out);
    char b1[SG_NUM_LEN], b3[SG_NUM_LEN];
    memo r2memo = {0};
    const char *alpha = o->db_round ? fmt_db(o->alpha, 4, true, b3) : fmt_raw(o->alpha, b3);
    for (size_t i = 0; i < res->nrows; i++) {
        const sg_factor_row *r = &res->rows[i];
        const sg_factor_def *def = &sg_factor_defs[r->factor];
        const char *beta = o->db_round ? fmt_db(r->beta, 6, false, b1) : fmt_raw(r->beta, b1);
        const char *r2 = r->r2_null ? "" : memo_fmt(&r2memo, r->r2, o->db_round, 4, true);
        fprintf(out, "%s,%s,%s,%s,%d,%s", symbols[r->sym], def->name, beta, r2, r->observations, def->method);
        if (o->full)
            fprintf(out, ",full_history,%s,%d", def->step == SG_STEP_RIDGE ? alpha : "", def->window_days);
        fputc('\n', out);
    }
}

static void put_num(FILE *out, const sg_num *v, bool db, int scale)
{
    char buf[SG_NUM_LEN];
    fputc(',', out);
    if (v->kind == SG_NUM_NULL)
        return;
    if (v->kind == SG_NUM_DEC) {
        if (db)
            sg_dec_format_fixed(&v->d, scale, buf);
        else
            sg_fmt_repr(sg_dec_to_double(&v->d), buf);
    } else if (db) {
        sg_fmt_db(v->f, scale, buf);
    } else {
        sg_fmt_repr(v->f, buf);
    }
    fputs(buf, out);
}

/* Text columns: quoted when they hold a comma or a quote, as oracle.py does. */
static void put_text(FILE *out, const char *s, bool first)
{
    if (!first)
        fputc(',', out);
    if (!s)
        return;
    if (!strpbrk(s, ",\"")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void sg_report_metrics(FILE *out, const char *const *symbols, size_t nsym, sg_day calc,
                       const sg_metrics_row *rows, const sg_report_opts *o)
{
    if (!o->full) {
        fputs("symbol,return_1d,return_mtd,return_ytd\n", out);
        for (size_t s = 0; s < nsym; s++) {
            put_text(out, symbols[s], true);
            for (int k = SG_RET_1D; k <= SG_RET_YTD; k++)
                put_num(out, &rows[s].ret[k], o->db_round, 6);
            fputc('\n', out);
        }
        return;
    }
    fputs("symbol,metrics_date,current_price", out);
    for (int k = 0; k < SG_NRETURNS; k++)
        fprintf(out, ",%s", sg_metric_return_columns[k]);
    fputs(",market_cap,pe_ratio,sector,industry,company_name", out);
    for (int k = 0; k < SG_METRIC_FACTORS; k++)
        fprintf(out, ",%s", sg_metric_factor_columns[k]);
    fputs(",data_quality_score\n", out);
    char date[SG_DATE_LEN];
    sg_day_format(calc, date);
    for (size_t s = 0; s < nsym; s++) {
        const sg_metrics_row *m = &rows[s];
        put_text(out, symbols[s], true);
        put_text(out, date, false);
        put_num(out, &m->current_price, o->db_round, 4);
        for (int k = 0; k < SG_NRETURNS; k++)
            put_num(out, &m->ret[k], o->db_round, 6);
        put_num(out, &m->market_cap, o->db_round, 2);
        put_num(out, &m->pe_ratio, o->db_round, 4);
        put_text(out, m->sector, false);
        put_text(out, m->industry, false);
        put_text(out, m->company_name, false);
        for (int k = 0; k < SG_METRIC_FACTORS; k++)
            put_num(out, &m->factor[k], o->db_round, 6);
        if (o->db_round) {
            char buf[SG_NUM_LEN];
            sg_fmt_db((double)m->data_quality_score, 2, buf);
            fprintf(out, ",%s\n", buf);
        } else {
            fprintf(out, ",%d\n", m->data_quality_score);
        }
    }
}
