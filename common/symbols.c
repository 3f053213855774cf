/*
 * symbols.c - see symbols.h.
 *
 * Reasons quote the symbol as a person would type it: printable ASCII as is,
 * visible UTF-8 characters as themselves, anything else (invisible ones
 * included: sg_utf8_visible) as \xNN, and at most
 * QUOTE_MAX characters of it, so a hostile symbol cannot forge a log line.
 */
#include "symbols.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define QUOTE_MAX 24
#define ALPHABET "A-Z 0-9 . - _ ^ = only"

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_punct(unsigned char c)
{
    return c && strchr(".-_^=", c) != NULL;
}

size_t sg_utf8_visible(const unsigned char *s, size_t n)
{
    size_t len = sg_utf8_len(s, n);
    unsigned cp = len == 2   ? (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)
                  : len == 3 ? (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu)
                             : 0;
    bool hidden = (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
                  (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
    return hidden ? 0 : len;
}

/* One character of the symbol as printable text into out (>= 8 bytes);
 * returns how many bytes of s it covers. */
static size_t show_char(const unsigned char *s, size_t n, char *out, size_t outlen)
{
    size_t u = s[0] >= 0x80 ? sg_utf8_visible(s, n) : 0;
    if (u) {
        snprintf(out, outlen, "%.*s", (int)u, (const char *)s);
        return u;
    }
    if (s[0] < 0x20 || s[0] >= 0x7F)
        snprintf(out, outlen, "\\x%02X", s[0]);
    else if (s[0] == '"' || s[0] == '\\')
        snprintf(out, outlen, "\\%c", s[0]);
    else
        snprintf(out, outlen, "%c", s[0]);
    return 1;
}

/* "symbol \"...\"" with at most QUOTE_MAX characters of s. */
static void quote(const char *s, size_t len, char *out, size_t outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t w = (size_t)snprintf(out, outlen, "symbol \""), i = 0;
    for (int shown = 0; i < len && shown < QUOTE_MAX && w + 8 < outlen; shown++) {
        i += show_char(u + i, len - i, out + w, outlen - w);
        w = strlen(out);
    }
    snprintf(out + w, outlen - w, "%s\"", i < len ? "..." : "");
}

/* What is wrong with the character at s[0] (position pos, 1-based). */
static void bad_char(const unsigned char *s, size_t n, size_t pos, char *out, size_t outlen)
{
    char c[16];
    show_char(s, n, c, sizeof c);
    if (is_lower(s[0]))
        snprintf(out, outlen,
                 "lower-case '%s' at position %zu is not allowed (symbols are upper case, as the app "
                 "stores them)",
                 c, pos);
    else if (s[0] == ' ')
        snprintf(out, outlen, "a space at position %zu is not allowed (" ALPHABET ")", pos);
    else if (s[0] < 0x20 || s[0] == 0x7F)
        snprintf(out, outlen, "control character %s at position %zu is not allowed (" ALPHABET ")", c, pos);
    else if (s[0] >= 0x80)
        snprintf(out, outlen, "non-ASCII character '%s' at position %zu is not allowed (" ALPHABET ")", c, pos);
    else
        snprintf(out, outlen, "character '%s' at position %zu is not allowed (" ALPHABET ")", c, pos);
}

static int refuse(const char *s, size_t len, char *why, size_t whylen, const char *fmt, const char *detail)
{
    if (why && whylen) {
        char q[64]; /* the quoted symbol: at most QUOTE_MAX characters, ~56 bytes */
        quote(s, len, q, sizeof q);
        snprintf(why, whylen, fmt, q, detail);
    }
    return -1;
}

int sg_symbol_checkn(const char *s, size_t len, unsigned flags, char *why, size_t whylen)
{
    const unsigned char *u = (const unsigned char *)s;
    char detail[128];
    if (len == 0) {
        if (why && whylen)
            snprintf(why, whylen, "empty symbol");
        return -1;
    }
    if (len > SG_SYMBOL_MAX) {
        snprintf(detail, sizeof detail, "%zu characters long; at most %d fit (the symbol columns are VARCHAR(%d))", len,
                 SG_SYMBOL_MAX, SG_SYMBOL_MAX);
        return refuse(s, len, why, whylen, "%s is %s", detail);
    }
    for (size_t i = 0; i < len; i++) {
        bool ok =
            is_upper(u[i]) || is_digit(u[i]) || is_punct(u[i]) || ((flags & SG_SYMBOL_LOWER_OK) && is_lower(u[i]));
        if (!ok) {
            bad_char(u + i, len - i, i + 1, detail, sizeof detail);
            return refuse(s, len, why, whylen, "%s: %s", detail);
        }
    }
    if (!is_upper(u[0]) && !is_digit(u[0]) && u[0] != '^' && u[0] != '_' && !is_lower(u[0])) {
        snprintf(detail, sizeof detail, "must start with a letter, a digit, '^' or '_', not '%c'", u[0]);
        return refuse(s, len, why, whylen, "%s %s", detail);
    }
    const char *dots = memchr(s, '.', len);
    for (; dots && (size_t)(dots - s) + 1 < len; dots = memchr(dots + 1, '.', len - (size_t)(dots + 1 - s)))
        if (dots[1] == '.') {
            snprintf(detail, sizeof detail, "\"..\" at position %zu is not allowed (a symbol is never a path)",
                     (size_t)(dots - s) + 1);
            return refuse(s, len, why, whylen, "%s: %s", detail);
        }
    return 0;
}

int sg_symbol_check(const char *s, char *why, size_t whylen)
{
    return sg_symbol_checkn(s, strlen(s), 0, why, whylen);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

long sg_symbol_list_parse(char *list, unsigned flags, const char **out, char *why, size_t whylen)
{
    size_t n = 0;
    for (char *item = list, *next; item; item = next) {
        char *comma = strchr(item, ',');
        next = comma ? comma + 1 : NULL;
        if (comma)
            *comma = '\0';
        while (blank(*item))
            item++;
        size_t len = strlen(item);
        while (len && blank(item[len - 1]))
            item[--len] = '\0';
        if (len == 0)
            continue; /* "A,,B" and a trailing comma, as oracle.py */
        if (sg_symbol_checkn(item, len, flags, why, whylen))
            return -1;
        out[n++] = item;
    }
    qsort(out, n, sizeof *out, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(out[u - 1], out[i]) != 0)
            out[u++] = out[i];
    return (long)u;
}
