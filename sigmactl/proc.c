/* proc.c - see proc.h. Linux only: identities come from /proc. */
#define _GNU_SOURCE /* close_range, pipe2 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The child's side of a spawn: only async-signal-safe calls until exec. A
 * failed exec sends its errno through errfd (close-on-exec: a successful exec
 * closes it, so the parent reads nothing). */
static void child(char *const argv[], int logfd, int errfd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    const int sigs[] = {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &dfl, NULL);
    int in = open("/dev/null", O_RDONLY);
    if (setsid() < 0 || in < 0 || dup2(in, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
        goto fail;
    /* nothing else is inherited: not the state dir's lock, not a libpq socket */
    if (errfd > 3)
        close_range(3, (unsigned)errfd - 1, 0);
    close_range((unsigned)errfd + 1, ~0U, 0);
    execv(argv[0], argv);
fail:;
    int e = errno;
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

/* /proc/PID/stat: the state letter and the start time (field 22). The
 * command name (field 2) may hold spaces and parentheses: parse after the
 * last ')'. */
static int read_stat(pid_t pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    *state = *p;
    for (int field = 3; field < 22; field++) {
        if (!(p = strchr(p, ' ')))
            return -1;
        p++;
    }
    *start = strtoull(p, NULL, 10);
    return 0;
}

/* /proc/PID/exe without the " (deleted)" a rebuild leaves: a program rebuilt
 * while it runs is still the process we started. */
static int read_exe(pid_t pid, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
    ssize_t n = readlink(path, out, len - 1);
    if (n < 0)
        return -1;
    out[n] = '\0';
    const char *del = " (deleted)";
    size_t dl = strlen(del);
    if ((size_t)n > dl && strcmp(out + n - dl, del) == 0)
        out[n - dl] = '\0';
    return 0;
}

/* A process that exited already (a short command, a program that failed at
 * once) is a zombie without an exe link: it keeps an empty exe, never ours,
 * and its status is for sg_proc_exited. */
static int identify(sg_proc *p, const char *name, pid_t pid, char *err, size_t errlen)
{
    char state = '?';
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = pid;
    /* an exiting process loses its exe link a moment before it is a zombie */
    for (int tries = 0; tries < 100; tries++) {
        p->exe[0] = '\0';
        if (read_stat(pid, &state, &p->start))
            break;
        if (read_exe(pid, p->exe, sizeof p->exe) == 0 || state == 'Z' || state == 'X' || state == 'x')
            return 0;
        nanosleep(&(struct timespec){0, 2 * 1000000L}, NULL);
    }
    snprintf(err, errlen, "%s (pid %ld): cannot read /proc/%ld (state %c): %s", name, (long)pid, (long)pid, state,
             strerror(errno));
    return -1;
}

int sg_proc_spawn(sg_proc *p, const char *name, char *const argv[], const char *log, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), ep[2];
    if (logfd < 0) {
        snprintf(err, errlen, "%s: %s", log, strerror(errno));
        return -1;
    }
    if (pipe2(ep, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(argv, logfd, ep[1]);
    int e = errno;
    close(logfd);
    close(ep[1]);
    if (pid < 0) {
        close(ep[0]);
        snprintf(err, errlen, "fork: %s", strerror(e));
        return -1;
    }
    ssize_t n;
    while ((n = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(ep[0]);
    if (n == (ssize_t)sizeof e) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        snprintf(err, errlen, "%s: %s", argv[0], strerror(e));
        return -1;
    }
    p->child = true;
    if (identify(p, name, pid, err, errlen)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return -1;
    }
    return 0;
}

static int decode(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

int sg_proc_run(char *const argv[], const char *log, int timeout_ms, char *err, size_t errlen)
{
    sg_proc p;
    if (sg_proc_spawn(&p, "run", argv, log, err, errlen))
        return -1;
    double end = sg_clock_ms() + timeout_ms;
    int st;
    while (!sg_proc_exited(&p, &st)) {
        if (sg_clock_ms() > end) {
            kill(p.pid, SIGKILL);
            while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR)
                ;
            snprintf(err, errlen, "%s: still running after %d s: killed", argv[0], timeout_ms / 1000);
            return -1;
        }
        nap_ms(20);
    }
    return st;
}

int sg_proc_adopt(sg_proc *p, const char *name, pid_t pid, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    return identify(p, name, pid, err, errlen);
}

int sg_proc_save(const sg_proc *p, const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = fprintf(f, "pid=%ld\nstart=%llu\nexe=%s\n", (long)p->pid, p->start, p->exe) < 0;
    if (fclose(f) || bad || rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int sg_proc_load(sg_proc *p, const char *name, const char *path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[PATH_MAX + 16];
    int have = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "pid=", 4) == 0 && (p->pid = (pid_t)atol(line + 4)) > 0)
            have |= 1;
        else if (strncmp(line, "start=", 6) == 0)
            p->start = strtoull(line + 6, NULL, 10), have |= 2;
        else if (strncmp(line, "exe=", 4) == 0 && line[4] == '/' && strlen(line + 4) < sizeof p->exe)
            memcpy(p->exe, line + 4, strlen(line + 4) + 1), have |= 4;
    }
    fclose(f);
    if (have != 7) {
        snprintf(err, errlen, "%s: not a pidfile of sigmactl up (pid=, start=, exe= lines)", path);
        p->pid = 0;
        return -1;
    }
    return 0;
}

bool sg_proc_ours(const sg_proc *p)
{
    char state, exe[PATH_MAX];
    unsigned long long start;
    if (p->pid <= 0 || read_stat(p->pid, &state, &start) || state == 'Z' || state == 'X' || state == 'x')
        return false;
    return start == p->start && read_exe(p->pid, exe, sizeof exe) == 0 && strcmp(exe, p->exe) == 0;
}

bool sg_proc_exited(sg_proc *p, int *status)
{
    *status = -1;
    if (p->child) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == 0)
            return false;
        if (r == p->pid) {
            p->child = false;
            *status = decode(st);
            return true;
        }
        p->child = false; /* ECHILD: reaped elsewhere; /proc decides */
    }
    return !sg_proc_ours(p);
}

/* Waits until every live[i] is gone or the deadline; returns how many remain. */
static size_t await_gone(sg_proc *v, size_t n, bool *live, double end)
{
    size_t left;
    for (;;) {
        left = 0;
        for (size_t i = 0; i < n; i++) {
            int st;
            if (live[i] && sg_proc_exited(&v[i], &st))
                live[i] = false;
            left += live[i];
        }
        if (!left || sg_clock_ms() > end)
            return left;
        nap_ms(50);
    }
}

size_t sg_proc_stop(sg_proc *v, size_t n, int deadline_ms, bool *killed)
{
    bool *live = calloc(n ? n : 1, sizeof *live);
    size_t ours = 0;
    for (size_t i = 0; i < n; i++) {
        if (killed)
            killed[i] = false;
        int st;
        if (live && !sg_proc_exited(&v[i], &st) && kill(v[i].pid, SIGTERM) == 0)
            live[i] = true, ours++;
    }
    if (live && await_gone(v, n, live, sg_clock_ms() + deadline_ms)) {
        for (size_t i = 0; i < n; i++)
            if (live[i] && sg_proc_ours(&v[i]) && kill(v[i].pid, SIGKILL) == 0 && killed)
                killed[i] = true;
        await_gone(v, n, live, sg_clock_ms() + 5000);
    }
    free(live);
    return ours;
}

void sg_proc_log_tail(const char *log, int lines, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(log, "re");
    if (!f)
        return;
    char buf[8192];
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    long from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    size_t n = fseek(f, from, SEEK_SET) == 0 ? fread(buf, 1, sizeof buf - 1, f) : 0;
    fclose(f);
    buf[n] = '\0';
    char *p = buf + n;
    if (p > buf && p[-1] == '\n')
        p--;
    for (int k = 0; p > buf; p--)
        if (p[-1] == '\n' && ++k == lines)
            break;
    snprintf(out, len, "%s", p);
}
