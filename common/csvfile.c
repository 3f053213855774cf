/*
 * csvfile.c - see csvfile.h.
 *
 * The file is mapped (or read) into one buffer and split in place: a quoted field is
 * unescaped where it lies ("" -> "), which never makes it longer. So a line of
 * any length costs nothing special, and nothing is copied per field.
 */
#include "csvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Regular files are mapped (private: in-place unquoting stays ours); other
 * files (pipes, /dev/stdin) are read into a growing buffer. */
static int read_stream(sg_csv *c, int fd)
{
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            return -1;
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0) {
            free(buf);
            return -1;
        }
        if (got == 0)
            break;
        len += (size_t)got;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    c->buf = buf;
    c->len = len;
    return 0;
}

static void skip_bom(sg_csv *c)
{
    if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3; /* UTF-8 byte order mark */
}

int sg_csv_open(sg_csv *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->line = c->next_line = 1;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -1;
        } else {
            c->buf = m;
            c->len = (size_t)st.st_size;
            c->mapped = true;
        }
    } else if (!(fstat(fd, &st) == 0 && S_ISREG(st.st_mode))) {
        rc = read_stream(c, fd);
    }
    int saved = errno;
    close(fd);
    if (rc) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(saved));
        return -1;
    }
    skip_bom(c);
    return 0;
}

int sg_csv_open_mem(sg_csv *c, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = name;
    c->line = c->next_line = 1;
    c->buf = malloc(len ? len : 1); /* a copy: fields are unquoted in place */
    if (!c->buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    if (len)
        memcpy(c->buf, data, len);
    c->len = len;
    skip_bom(c);
    return 0;
}

static int push_field(sg_csv *c, const char *p, size_t len)
{
    if (c->nfields == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 16;
        sg_field *nf = realloc(c->f, (size_t)ncap * sizeof *nf);
        if (!nf)
            return -1;
        c->f = nf;
        c->cap = ncap;
    }
    c->f[c->nfields].p = p;
    c->f[c->nfields].len = len;
    c->nfields++;
    return 0;
}

int sg_csv_next(sg_csv *c, char *err, size_t errlen)
{
    for (;;) {
        c->nfields = 0;
        c->line = c->next_line;
        if (c->pos >= c->len)
            return 0;
        char *s = c->buf + c->pos, *end = c->buf + c->len;
        /* Blank line (only "\n" or "\r\n"): skip it, as pandas does. */
        if (*s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n')) {
            c->pos += *s == '\n' ? 1 : 2;
            c->next_line++;
            continue;
        }
        for (;;) {
            char *start = s, *w = s;
            if (s < end && *s == '"') {
                s++;
                for (;;) {
                    if (s >= end) {
                        snprintf(err, errlen, "%s:%ld: unterminated quoted field", c->path, c->line);
                        return -1;
                    }
                    if (*s == '"') {
                        if (s + 1 < end && s[1] == '"') {
                            *w++ = '"';
                            s += 2;
                            continue;
                        }
                        s++;
                        break;
                    }
                    if (*s == '\n')
                        c->next_line++;
                    *w++ = *s++;
                }
                /* Text after the closing quote belongs to the field, as in pandas. */
                while (s < end && *s != ',' && *s != '\n' && *s != '\r')
                    *w++ = *s++;
            } else {
                while (s < end && *s != ',' && *s != '\n' && !(*s == '\r' && (s + 1 >= end || s[1] == '\n')))
                    s++;
                w = s;
            }
            if (push_field(c, start, (size_t)(w - start))) {
                snprintf(err, errlen, "%s:%ld: out of memory", c->path, c->line);
                return -1;
            }
            if (s < end && *s == ',') {
                s++;
                continue;
            }
            if (s < end && *s == '\r')
                s++;
            if (s < end && *s == '\n')
                s++;
            c->next_line++;
            break;
        }
        c->pos = (size_t)(s - c->buf);
        if (c->ncols && c->nfields > c->ncols) {
            snprintf(err, errlen, "%s:%ld: %d fields, but the header has %d", c->path, c->line, c->nfields,
                     c->ncols);
            return -1;
        }
        return 1;
    }
}

void sg_csv_close(sg_csv *c)
{
    sg_csv_release(c);
    free(c->f);
    memset(c, 0, sizeof *c);
}

void sg_csv_release(sg_csv *c)
{
    if (c->mapped)
        munmap(c->buf, c->len);
    else
        free(c->buf);
    c->buf = NULL;
    c->len = c->pos = 0;
    c->nfields = 0;
    c->mapped = false;
}

int sg_csv_header(sg_csv *c, const char *const *names, int n, int required, int *idx,
                  const char *expected, char *err, size_t errlen)
{
    int rc = sg_csv_next(c, err, errlen);
    if (rc == 0)
        snprintf(err, errlen, "%s: empty file: expected a header line (%s)", c->path, expected);
    if (rc != 1)
        return -1;
    for (int k = 0; k < n; k++) {
        idx[k] = -1;
        for (int i = 0; i < c->nfields && idx[k] < 0; i++)
            if (sg_field_eq(sg_field_trim(c->f[i]), names[k]))
                idx[k] = i;
        if (idx[k] < 0 && k < required) {
            snprintf(err, errlen, "%s:%ld: header lacks column '%s' (expected %s)", c->path, c->line,
                     names[k], expected);
            return -1;
        }
    }
    c->ncols = c->nfields;
    return 0;
}

sg_field sg_csv_col(const sg_csv *c, int col)
{
    sg_field none = {"", 0};
    return col >= 0 && col < c->nfields ? c->f[col] : none;
}

sg_field sg_field_trim(sg_field f)
{
    while (f.len && (f.p[0] == ' ' || f.p[0] == '\t')) {
        f.p++;
        f.len--;
    }
    while (f.len && (f.p[f.len - 1] == ' ' || f.p[f.len - 1] == '\t'))
        f.len--;
    return f;
}

int sg_field_eq(sg_field f, const char *s)
{
    size_t n = strlen(s);
    return f.len == n && memcmp(f.p, s, n) == 0;
}

const char *sg_field_quote(sg_field f, char buf[64])
{
    size_t n = f.len > 40 ? 40 : f.len;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) /* keep messages on one printable line */
        buf[j++] = (f.p[i] >= 32 && f.p[i] < 127) ? f.p[i] : '?';
    if (f.len > 40) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = '\0';
    return buf;
}
