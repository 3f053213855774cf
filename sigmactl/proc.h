/*
 * proc.h - the processes `sigmactl up` starts and `sigmactl down` stops:
 * starting one detached, recording who it is, knowing later whether a pid is
 * still that process, and stopping a set of them with a deadline.
 *
 * A process is known by three things (its pidfile's lines): the pid, its
 * start time (/proc/PID/stat field 22, clock ticks since boot) and its
 * executable (/proc/PID/exe). A pid the kernel gave to another process since
 * has another start time, and a pidfile rewritten to name some other process
 * has another executable: either way it is not ours, and is never signalled.
 * Owns: fork/exec, sessions, pidfiles, signals to what it started.
 * Must not: know which programs run, or print (callers get err text).
 */
#ifndef SG_PROC_H
#define SG_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct sg_proc {
    char name[32];            /* "w1", "coordinator" */
    pid_t pid;                /* 0: none */
    unsigned long long start; /* clock ticks since boot */
    char exe[PATH_MAX];
    bool child;               /* ours to reap (waitpid) */
} sg_proc;

/* Starts argv[0] (an absolute path) in a new session, stdin from /dev/null,
 * stdout and stderr appended to log, no other descriptor inherited. Returns 0
 * once the exec succeeded, or -1 with err ("exec PATH: No such file ..."). */
int sg_proc_spawn(sg_proc *p, const char *name, char *const argv[], const char *log, char *err, size_t errlen);

/* Runs argv to its end like sg_proc_spawn (output appended to log), waiting
 * at most timeout_ms (then SIGKILL). Returns its exit status (0..255, 128+N
 * for a signal), or -1 with err when it could not run or timed out. */
int sg_proc_run(char *const argv[], const char *log, int timeout_ms, char *err, size_t errlen);

/* Fills p from a running process that is not our child (the postmaster). */
int sg_proc_adopt(sg_proc *p, const char *name, pid_t pid, char *err, size_t errlen);

/* The pidfile: written atomically (PATH.tmp, rename), read back. */
int sg_proc_save(const sg_proc *p, const char *path, char *err, size_t errlen);
int sg_proc_load(sg_proc *p, const char *name, const char *path, char *err, size_t errlen);

/* Is p's pid still p: running (not a zombie), same start time and executable? */
bool sg_proc_ours(const sg_proc *p);

/* For a child: has it exited? Returns true and its status (as sg_proc_run's)
 * once it has; reaps it. For others: !sg_proc_ours, status -1. */
bool sg_proc_exited(sg_proc *p, int *status);

/* SIGTERM to each of v that is ours, waits for all to be gone until
 * deadline_ms, then SIGKILL to what is left (and waits 5 s more). killed[i]
 * (when given) tells which needed the SIGKILL. Returns how many were ours. */
size_t sg_proc_stop(sg_proc *v, size_t n, int deadline_ms, bool *killed);

/* The tail of a log file, at most lines lines, into out (for messages). */
void sg_proc_log_tail(const char *log, int lines, char *out, size_t len);

#endif
