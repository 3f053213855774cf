/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *prog = "sigmabatch";
static int cur_level = SG_LOG_WARN;

void sg_log_init(const char *program, int level)
{
    prog = program;
    cur_level = level;
}

int sg_log_level(void)
{
    return cur_level;
}

void sg_log_write(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line, so lines of concurrent processes do not interleave. */
    fprintf(stderr, "%% %s: %s: %s\n", prog, names[level < 0 ? 0 : level > 3 ? 3 : level], line);
}

double sg_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
