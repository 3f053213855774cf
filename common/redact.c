/* redact.c - see redact.h. */
#include "redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define MAX_SECRETS 16

typedef struct secrets {
    char *v[MAX_SECRETS];
    int n;
} secrets;

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Adds p[0..n) and, when it differs, its percent-decoded form. */
static void add_secret(secrets *z, const char *p, size_t n)
{
    if (n == 0 || z->n >= MAX_SECRETS - 1)
        return;
    char *raw = strndup(p, n), *dec = malloc(n + 1);
    if (!raw || !dec) {
        free(raw);
        free(dec);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            dec[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else {
            dec[o++] = p[i];
        }
    }
    dec[o] = '\0';
    z->v[z->n++] = raw;
    /* dec[0] is NUL when p starts with "%00" (which libpq refuses): an empty
     * secret would be found everywhere, and masking it would never end */
    if (dec[0] && strcmp(dec, raw) != 0)
        z->v[z->n++] = dec;
    else
        free(dec);
}

static bool is_uri(const char *c)
{
    return strncmp(c, "postgresql://", 13) == 0 || strncmp(c, "postgres://", 11) == 0;
}

/* The value after "password =" in key=value text or a URI's query: quoted,
 * up to the next "&" in a URI, or up to the next " keyword=" (so a value
 * with spaces, which libpq splits, is taken whole). */
static void add_keyword_passwords(secrets *z, const char *c, bool uri)
{
    for (const char *p = strstr(c, "password"); p; p = strstr(p + 8, "password")) {
        const char *v = p + 8;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v++ != '=')
            continue;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *e = v;
        if (!uri && *v == '\'') {
            for (e = ++v; *e && *e != '\''; e++)
                if (*e == '\\' && e[1])
                    e++;
        } else if (uri) {
            e = v + strcspn(v, "&");
        } else {
            for (; *e; e++) {
                if (*e != ' ' && *e != '\t')
                    continue;
                const char *k = e + strspn(e, " \t"), *k2 = k + strspn(k, "abcdefghijklmnopqrstuvwxyz_");
                k2 += strspn(k2, " \t");
                if (k2 > k && *k2 == '=')
                    break;
            }
        }
        add_secret(z, v, (size_t)(e - v));
    }
}

/* Every password the connection may carry, read without trusting libpq's
 * parser (the string may be malformed, which is when libpq quotes it). */
static void find_secrets(const char *conninfo, secrets *z)
{
    const char *env = getenv("PGPASSWORD");
    if (env)
        add_secret(z, env, strlen(env));
    if (!conninfo)
        return;
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val)
            add_secret(z, o->val, strlen(o->val));
    PQconninfoFree(opts);
    bool uri = is_uri(conninfo);
    if (uri) { /* user:password@ up to the last '@': a raw '@' or '/' may be in it */
        const char *u = strstr(conninfo, "://") + 3, *at = strrchr(u, '@');
        const char *colon = at ? memchr(u, ':', (size_t)(at - u)) : NULL;
        if (colon)
            add_secret(z, colon + 1, (size_t)(at - colon - 1));
    }
    add_keyword_passwords(z, conninfo, uri);
}

/* Replaces text[at, at+n) by "***" (by n stars when n < 3): the text never
 * grows, so nothing is cut and no buffer can overflow. Returns the mask's length. */
static size_t splice_mask(char *text, size_t at, size_t n)
{
    size_t m = n < 3 ? n : 3;
    memset(text + at, '*', m);
    memmove(text + at + m, text + at + n, strlen(text + at + n) + 1);
    return m;
}

/* p[0..n) is part of a password, or holds one. */
static bool span_is_secret(const secrets *z, const char *p, size_t n)
{
    char *span = strndup(p, n);
    bool hit = !span; /* out of memory: mask, to be safe */
    for (int i = 0; i < z->n && !hit; i++)
        hit = strstr(z->v[i], span) || strstr(span, z->v[i]);
    free(span);
    return hit;
}

void sg_redact_conninfo(const char *conninfo, char *msg)
{
    secrets z = {{0}, 0};
    find_secrets(conninfo, &z);
    /* libpq quotes what it could not parse: a quoted span that is part of a
     * password, or holds one, is masked whole. */
    for (size_t q = 0, len; q < (len = strlen(msg)) && (q += strcspn(msg + q, "\"")) < len;) {
        char *e = strchr(msg + q + 1, '"');
        if (!e)
            break;
        size_t n = (size_t)(e - msg) - q - 1;
        if (n && span_is_secret(&z, msg + q + 1, n))
            n = splice_mask(msg, q + 1, n);
        q += n + 2; /* past the closing quote */
    }
    for (int i = 0; i < z.n; i++) {
        size_t n = strlen(z.v[i]);
        for (char *hit = strstr(msg, z.v[i]); hit; hit = strstr(hit, z.v[i]))
            hit += splice_mask(msg, (size_t)(hit - msg), n);
        free(z.v[i]);
    }
}
