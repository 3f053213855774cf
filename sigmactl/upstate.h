/*
 * upstate.h - the state directory of `sigmactl up` and `sigmactl down`:
 *
 *   STATE/.lock          flock held while `up` starts the system (its pid inside)
 *   STATE/run/NAME.pid   one per started process (proc.h: pid, start time, exe)
 *   STATE/run/system     what `up` started: key=value lines (ports, conninfo, ...)
 *   STATE/logs/NAME.log  each process's stdout and stderr
 *   STATE/pg, STATE/synth  the cluster (pgctl.h) and the synthetic universe
 *
 * Owns: the layout, the lock, the system file, the set of pidfiles and the
 * order they are stopped in. Must not: start or stop anything.
 */
#ifndef SG_UPSTATE_H
#define SG_UPSTATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

#define SG_UP_MAX_PROCS 40 /* postgres, broker, coordinator, producer, 32 workers and room */

typedef struct sg_upstate {
    char dir[PATH_MAX]; /* absolute */
    int lock_fd;        /* -1 until opened */
} sg_upstate;

/* The system file's fields. */
typedef struct sg_upsys {
    int port, workers;
    char db[2 * PATH_MAX], brokers[256], date[16];
} sg_upsys;

/* Opens dir: with create, makes it (and run/, logs/) and the lock file, and
 * fails with the reason when it cannot ("mkdir X: Not a directory"); without,
 * returns 1 when dir does not exist, and opens the lock file if there is one.
 * dir becomes absolute. */
int sg_upstate_open(sg_upstate *st, const char *dir, bool create, char *err, size_t errlen);
void sg_upstate_close(sg_upstate *st);

/* Takes the lock without waiting and writes our pid in it: 0 (also when
 * there is no lock file), or 1 when another process holds it (its pid in
 * *holder, 0 if unknown), -1 on error. */
int sg_upstate_lock(sg_upstate *st, long *holder, char *err, size_t errlen);
void sg_upstate_unlock(sg_upstate *st);

/* STATE/FMT... into buf; -1 when it does not fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int sg_upstate_path(const sg_upstate *st, char *buf, size_t len, const char *fmt, ...);

/* Every STATE/run/NAME.pid, in the order `down` stops them: the programs
 * first, then the broker, PostgreSQL last. A pidfile that does not parse is
 * returned with pid 0 (never ours). Returns the count (at most max). */
size_t sg_upstate_procs(const sg_upstate *st, sg_proc *v, size_t max);
int sg_upstate_save_proc(const sg_upstate *st, const sg_proc *p, char *err, size_t errlen);
/* Removes every pidfile and the system file. */
void sg_upstate_forget(const sg_upstate *st);

int sg_upstate_save_sys(const sg_upstate *st, const sg_upsys *s, char *err, size_t errlen);
int sg_upstate_load_sys(const sg_upstate *st, sg_upsys *s); /* -1 when absent or unreadable */

#endif
