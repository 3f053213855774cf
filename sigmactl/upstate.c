/* upstate.c - see upstate.h. */
#include "upstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p, naming the component that failed. */
static int mkdirs(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        struct stat sb;
        if (mkdir(tmp, 0755) && (errno != EEXIST || stat(tmp, &sb) || !S_ISDIR(sb.st_mode))) {
            snprintf(err, errlen, "mkdir %s: %s", tmp, errno == EEXIST ? strerror(ENOTDIR) : strerror(errno));
            return -1;
        }
        if (!(*p = c))
            return 0;
    }
}

int sg_upstate_path(const sg_upstate *st, char *buf, size_t len, const char *fmt, ...)
{
    int n = snprintf(buf, len, "%s/", st->dir);
    if (n < 0 || (size_t)n >= len)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    return m < 0 || (size_t)m >= len - (size_t)n ? -1 : 0;
}

int sg_upstate_open(sg_upstate *st, const char *dir, bool create, char *err, size_t errlen)
{
    char path[PATH_MAX];
    st->lock_fd = -1;
    if (create && mkdirs(dir, err, errlen))
        return -1;
    if (!realpath(dir, st->dir)) {
        if (!create && errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (!create) { /* down: the lock when an up ever ran here */
        if (sg_upstate_path(st, path, sizeof path, ".lock") == 0)
            st->lock_fd = open(path, O_RDWR | O_CLOEXEC);
        return 0;
    }
    /* writable now, not after PostgreSQL started and a pidfile failed */
    const char *sub[] = {NULL, "run", "logs"};
    for (size_t i = 0; i < 3; i++) {
        if (!sub[i])
            snprintf(path, sizeof path, "%s", st->dir);
        else if (sg_upstate_path(st, path, sizeof path, "%s", sub[i])) {
            snprintf(err, errlen, "%s: path too long", st->dir);
            return -1;
        }
        if (mkdirs(path, err, errlen))
            return -1;
        if (access(path, W_OK | X_OK)) {
            snprintf(err, errlen, "%s: not writable: %s", path, strerror(errno));
            return -1;
        }
    }
    if (sg_upstate_path(st, path, sizeof path, ".lock") ||
        (st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errlen, "%s/.lock: %s", st->dir, strerror(errno));
        return -1;
    }
    return 0;
}

void sg_upstate_close(sg_upstate *st)
{
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    st->lock_fd = -1;
}

int sg_upstate_lock(sg_upstate *st, long *holder, char *err, size_t errlen)
{
    char buf[32] = "";
    *holder = 0;
    if (st->lock_fd < 0) /* no lock file: nobody ever started here */
        return 0;
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
        if (ftruncate(st->lock_fd, 0) || pwrite(st->lock_fd, buf, (size_t)n, 0) != n) {
            snprintf(err, errlen, "%s/.lock: %s", st->dir, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (errno != EWOULDBLOCK) {
        snprintf(err, errlen, "flock %s/.lock: %s", st->dir, strerror(errno));
        return -1;
    }
    ssize_t n = pread(st->lock_fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    *holder = atol(buf);
    return 1;
}

void sg_upstate_unlock(sg_upstate *st)
{
    if (st->lock_fd >= 0)
        flock(st->lock_fd, LOCK_UN);
}

/* down's order: programs (0), the broker (1), PostgreSQL (2). */
static int rank(const char *name)
{
    return strcmp(name, "postgres") == 0 ? 2 : strcmp(name, "broker") == 0 ? 1 : 0;
}

static int by_rank(const void *a, const void *b)
{
    const sg_proc *x = a, *y = b;
    int d = rank(x->name) - rank(y->name);
    return d ? d : strcmp(x->name, y->name);
}

size_t sg_upstate_procs(const sg_upstate *st, sg_proc *v, size_t max)
{
    char dir[PATH_MAX], path[PATH_MAX + 300], name[32], err[512];
    if (sg_upstate_path(st, dir, sizeof dir, "run"))
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    const struct dirent *e;
    while (n < max && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || len - 4 >= sizeof name || strcmp(e->d_name + len - 4, ".pid"))
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sg_proc_load(&v[n++], name, path, err, sizeof err); /* on error pid 0: never ours */
    }
    closedir(d);
    qsort(v, n, sizeof *v, by_rank);
    return n;
}

int sg_upstate_save_proc(const sg_upstate *st, const sg_proc *p, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (sg_upstate_path(st, path, sizeof path, "run/%s.pid", p->name)) {
        snprintf(err, errlen, "%s: path too long", st->dir);
        return -1;
    }
    return sg_proc_save(p, path, err, errlen);
}

void sg_upstate_forget(const sg_upstate *st)
{
    sg_proc v[SG_UP_MAX_PROCS];
    char path[PATH_MAX];
    size_t n = sg_upstate_procs(st, v, SG_UP_MAX_PROCS);
    for (size_t i = 0; i < n; i++)
        if (sg_upstate_path(st, path, sizeof path, "run/%s.pid", v[i].name) == 0)
            unlink(path);
    if (sg_upstate_path(st, path, sizeof path, "run/system") == 0)
        unlink(path);
}

int sg_upstate_save_sys(const sg_upstate *st, const sg_upsys *s, char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    if (sg_upstate_path(st, path, sizeof path, "run/system")) {
        snprintf(err, errlen, "%s: path too long", st->dir);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = fprintf(f, "port=%d\nworkers=%d\ndb=%s\nbrokers=%s\ndate=%s\n", s->port, s->workers, s->db, s->brokers,
                      s->date) < 0;
    if (fclose(f) || bad || rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void field(char *out, size_t len, const char *line, const char *key)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) == 0 && line[k] == '=')
        snprintf(out, len, "%s", line + k + 1);
}

int sg_upstate_load_sys(const sg_upstate *st, sg_upsys *s)
{
    char path[PATH_MAX], line[3 * PATH_MAX], num[16];
    memset(s, 0, sizeof *s);
    if (sg_upstate_path(st, path, sizeof path, "run/system"))
        return -1;
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        num[0] = '\0';
        field(num, sizeof num, line, "port");
        if (num[0])
            s->port = atoi(num);
        num[0] = '\0';
        field(num, sizeof num, line, "workers");
        if (num[0])
            s->workers = atoi(num);
        field(s->db, sizeof s->db, line, "db");
        field(s->brokers, sizeof s->brokers, line, "brokers");
        field(s->date, sizeof s->date, line, "date");
    }
    fclose(f);
    return s->port > 0 ? 0 : -1;
}
