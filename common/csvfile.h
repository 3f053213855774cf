/*
 * csvfile.h - reads a CSV file record by record (RFC 4180 quoting).
 *
 * Owns: the bytes of one file, split into records and fields, with the line
 * number of each record for error messages ("path:line: reason"). Blank lines
 * are skipped, as pandas does. Must not: interpret fields (prices.c and
 * profiles.c do that).
 */
#ifndef SG_CSVFILE_H
#define SG_CSVFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sg_field {
    const char *p; /* not NUL-terminated */
    size_t len;
} sg_field;

typedef struct sg_csv {
    const char *path;
    char *buf;
    bool mapped;
    size_t len, pos;
    long line;      /* line where the current record starts (1-based) */
    long next_line; /* line where the next record starts */
    int nfields, cap;
    sg_field *f;
    int ncols; /* fields of the header, once sg_csv_header has read it */
} sg_csv;

/* Reads the whole file. Returns 0, or -1 with "path: cause" in err. */
int sg_csv_open(sg_csv *c, const char *path, char *err, size_t errlen);
/* The same over len bytes in memory (copied: the caller's stay as they are),
 * named name in messages. Returns 0, or -1 when out of memory. */
int sg_csv_open_mem(sg_csv *c, const char *name, const char *data, size_t len, char *err, size_t errlen);
/* 1: a record is in c->f[0..nfields); 0: end of file; -1: error in err. */
int sg_csv_next(sg_csv *c, char *err, size_t errlen);
void sg_csv_close(sg_csv *c);
/* Frees the file's bytes once the last record has been read (the fields
 * point into them: none may be used after); path and line stay for messages,
 * sg_csv_next answers end of file, sg_csv_close is still due. A reader that
 * copies what it keeps calls it before building on the copy, so its peak
 * holds one copy of the file, not two. */
void sg_csv_release(sg_csv *c);

/* Reads the header and finds the named columns: idx[k] is the field index of
 * names[k], or -1. The first `required` names must be present. From then on a
 * record with more fields than the header is an error of sg_csv_next. Returns
 * 0, or -1 with "path:line: reason" (empty file, missing column) in err;
 * `expected` completes the message ("symbol,date,...,close"). */
int sg_csv_header(sg_csv *c, const char *const *names, int n, int required, int *idx,
                  const char *expected, char *err, size_t errlen);
/* Field col of the current record; empty when col < 0 or the record is short. */
sg_field sg_csv_col(const sg_csv *c, int col);

/* The field with surrounding spaces and tabs removed. */
sg_field sg_field_trim(sg_field f);
int sg_field_eq(sg_field f, const char *s);
/* Copies a field for an error message: at most 40 bytes, then "...". */
const char *sg_field_quote(sg_field f, char buf[64]);

#endif
