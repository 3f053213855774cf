/* log.c - see log.h. */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "utf8.h"

static const char *prog = "sigmabatch";
static int cur_level = SG_LOG_WARN;
static enum sg_log_style cur_style = SG_LOG_CLI;

/* Per thread: a worker's HTTP thread must not print the loop's symbol. */
static _Thread_local struct {
    char run[65], phase[17], symbol[33];
} ctx;

void sg_log_init(const char *program, int level)
{
    prog = program;
    cur_level = level;
}

int sg_log_level(void)
{
    return cur_level;
}

void sg_log_style(enum sg_log_style style)
{
    cur_style = style;
}

int sg_log_style_parse(const char *name)
{
    return !name ? -1 : strcmp(name, "text") == 0 ? SG_LOG_TEXT : strcmp(name, "json") == 0 ? SG_LOG_JSON : -1;
}

void sg_log_context(const char *run, const char *phase, const char *symbol)
{
    snprintf(ctx.run, sizeof ctx.run, "%s", run ? run : "");
    snprintf(ctx.phase, sizeof ctx.phase, "%s", phase ? phase : "");
    snprintf(ctx.symbol, sizeof ctx.symbol, "%s", symbol ? symbol : "");
}

/* ---- the secret guard ------------------------------------------------------------ */

static bool value_end(char c)
{
    return !c || c == '&' || c == ' ' || c == '\'' || c == '"' || c == ',' || c == ';' || c == ')' || c == '\n';
}

static void mask_keys(char *s)
{
    static const char *const keys[] = {"password=", "apikey=", "api_key=", "token=", "secret="};
    for (char *p = s; *p; p++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t n = strlen(keys[k]);
            if (strncasecmp(p, keys[k], n) != 0)
                continue;
            char *v = p + n;
            if (*v == '\'' || *v == '"') /* a quoted conninfo value: up to its closing quote */
                for (char q = *v++; *v && *v != q; v++)
                    *v = '*';
            else
                for (; !value_end(*v); v++)
                    *v = '*';
            p = v - 1;
            break;
        }
}

/* scheme://user:password@host: the password, up to the last '@' before the path. */
static void mask_userinfo(char *s)
{
    for (char *p = strstr(s, "://"); p; p = strstr(p, "://")) {
        char *auth = p + 3, *end = auth + strcspn(auth, "/?# \"'");
        char *at = NULL;
        for (char *q = auth; q < end; q++)
            if (*q == '@')
                at = q;
        char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon)
            memset(colon + 1, '*', (size_t)(at - colon - 1));
        p = end;
    }
}

void sg_log_mask_secrets(char *s)
{
    mask_keys(s);
    mask_userinfo(s);
}

/* ---- formats --------------------------------------------------------------------- */

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
        o->p[o->len++] = s[i];
    o->p[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A JSON string's body: quotes, backslashes and control characters escaped,
 * bytes that are not UTF-8 replaced (a log line must always parse). */
static void put_json(out *o, const char *s)
{
    char esc[8];
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p == '"' || *p == '\\') {
            snprintf(esc, sizeof esc, "\\%c", *p++);
            puts_(o, esc);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p++);
            puts_(o, esc);
        } else if (*p < 0x80) {
            put(o, (const char *)p++, 1);
        } else {
            size_t n = sg_utf8_len(p, 4); /* stops at the NUL: it is no continuation byte */
            if (n) {
                put(o, (const char *)p, n);
                p += n;
            } else {
                puts_(o, "\\ufffd");
                p++;
            }
        }
    }
}

/* Text: one line, whatever the message holds: a line break is a space, any
 * other control byte \xNN (an escape sequence must not drive the terminal
 * that shows the log). */
static void put_line(out *o, const char *s)
{
    char esc[8];
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            put(o, " ", 1);
        else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02X", (unsigned char)*s);
            puts_(o, esc);
        } else
            put(o, s, 1);
}

static void put_time(out *o)
{
    struct timespec ts;
    struct tm tm;
    char t[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof t - n, ".%03ldZ", ts.tv_nsec / 1000000);
    puts_(o, t);
}

static void put_field_json(out *o, const char *key, const char *value)
{
    if (!*value)
        return;
    puts_(o, ",\"");
    puts_(o, key);
    puts_(o, "\":\"");
    put_json(o, value);
    puts_(o, "\"");
}

static void put_field_text(out *o, const char *key, const char *value)
{
    if (!*value)
        return;
    puts_(o, " ");
    puts_(o, key);
    puts_(o, "=");
    put_line(o, value);
}

size_t sg_log_format(char *buf, size_t buflen, int level, const char *message)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    const char *lv = names[level < 0 ? 0 : level > 3 ? 3 : level];
    out o = {buf, 0, buflen};
    if (!buflen)
        return 0;
    buf[0] = '\0';
    if (cur_style == SG_LOG_JSON) {
        puts_(&o, "{\"time\":\"");
        put_time(&o);
        puts_(&o, "\",\"level\":\"");
        puts_(&o, lv);
        puts_(&o, "\"");
        put_field_json(&o, "program", prog);
        put_field_json(&o, "run", ctx.run);
        put_field_json(&o, "phase", ctx.phase);
        put_field_json(&o, "symbol", ctx.symbol);
        put_field_json(&o, "message", message);
        puts_(&o, "}");
    } else if (cur_style == SG_LOG_TEXT) {
        put_time(&o);
        puts_(&o, " ");
        puts_(&o, lv);
        puts_(&o, " ");
        puts_(&o, prog);
        put_field_text(&o, "run", ctx.run);
        put_field_text(&o, "phase", ctx.phase);
        put_field_text(&o, "symbol", ctx.symbol);
        puts_(&o, ": ");
        put_line(&o, message);
    } else {
        puts_(&o, "% ");
        puts_(&o, prog);
        puts_(&o, ": ");
        puts_(&o, lv);
        puts_(&o, ": ");
        put_line(&o, message);
    }
    return o.len;
}

void sg_log_write(int level, const char *fmt, ...)
{
    /* line holds msg escaped at worst (6 bytes per byte) and the fields: a
     * JSON line is never cut, so it always parses. */
    char msg[2048], line[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sg_log_mask_secrets(msg);
    sg_log_format(line, sizeof line - 1, level, msg);
    /* One fprintf per line, so lines of concurrent processes do not interleave. */
    fprintf(stderr, "%s\n", line);
}

double sg_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
