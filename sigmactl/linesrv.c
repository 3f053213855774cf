/* linesrv.c - see linesrv.h. */
#define _GNU_SOURCE /* accept4 */
#include "linesrv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define MAX_CLIENTS 16
#define LINE_MAX_LEN 1024

typedef struct client {
    int fd; /* -1: free slot */
    size_t len;
    int overlong; /* the current line passed LINE_MAX_LEN: discarded up to its newline */
    char buf[LINE_MAX_LEN];
} client;

struct sg_linesrv {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    sg_linesrv_fn fn;
    void *arg;
    int listen_fd, wake[2];
    int bound; /* the socket file at path is ours to remove */
    pthread_t thread;
    client clients[MAX_CLIENTS];
};

/* A socket nobody listens on is a leftover of a dead process: removed.
 * Anything else at path (a live socket, a file) is not ours to replace. */
static int clear_stale(const struct sockaddr_un *a, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(a->sun_path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", a->sun_path, strerror(errno)), -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a socket", a->sun_path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int live = connect(fd, (const struct sockaddr *)a, sizeof *a) == 0;
    close(fd);
    if (live) {
        snprintf(err, errlen, "%s: another process listens on this socket", a->sun_path);
        return -1;
    }
    if (unlink(a->sun_path) != 0) {
        snprintf(err, errlen, "%s: cannot remove the stale socket: %s", a->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_on(sg_linesrv *s, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", s->path);
    if (clear_stale(&a, err, errlen))
        return -1;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    s->bound = bind(s->listen_fd, (const struct sockaddr *)&a, sizeof a) == 0;
    if (!s->bound || listen(s->listen_fd, 8) != 0) {
        snprintf(err, errlen, "%s: cannot listen: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

static void drop(client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
    c->overlong = 0;
}

/* One reply line; a client too slow to take it is dropped (never waited for). */
static int answer(sg_linesrv *s, client *c, const char *line)
{
    char reply[LINE_MAX_LEN + 1];
    if (c->overlong)
        snprintf(reply, sizeof reply - 1, "error: command longer than %d bytes", LINE_MAX_LEN - 1);
    else
        s->fn(s->arg, line, reply, sizeof reply - 1);
    size_t n = strcspn(reply, "\n");
    reply[n++] = '\n';
    if (send(c->fd, reply, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n) {
        sg_log(SG_LOG_WARN, "%s: a client that does not take its replies was dropped", s->path);
        return -1;
    }
    return 0;
}

/* Every complete line in the buffer; at end of input, the unterminated rest. */
static int answer_lines(sg_linesrv *s, client *c, int eof)
{
    char *nl;
    while ((nl = memchr(c->buf, '\n', c->len)) || (eof && c->len > 0)) {
        size_t n = nl ? (size_t)(nl - c->buf) : c->len;
        char line[LINE_MAX_LEN];
        memcpy(line, c->buf, n);
        line[n] = '\0';
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        size_t used = nl ? n + 1 : n;
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        int rc = answer(s, c, line);
        c->overlong = 0;
        if (rc)
            return -1;
    }
    if (c->len == sizeof c->buf) { /* no newline in a full buffer: too long */
        c->overlong = 1;
        c->len = 0;
    }
    return 0;
}

static void on_readable(sg_linesrv *s, client *c)
{
    ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r < 0) {
        sg_log(SG_LOG_WARN, "%s: read: %s", s->path, strerror(errno));
        drop(c);
        return;
    }
    if (r == 0) { /* the client is done sending: answer its last, unterminated line */
        answer_lines(s, c, 1);
        drop(c);
        return;
    }
    c->len += (size_t)r;
    if (answer_lines(s, c, 0) != 0)
        drop(c);
}

static void on_connect(sg_linesrv *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR)
            sg_log(SG_LOG_WARN, "%s: accept: %s", s->path, strerror(errno));
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd < 0) {
            s->clients[i].fd = fd;
            return;
        }
    close(fd); /* not reached: the listener is polled only with a free slot */
}

static void *serve(void *arg)
{
    sg_linesrv *s = arg;
    for (;;) {
        struct pollfd p[MAX_CLIENTS + 2];
        int who[MAX_CLIENTS + 2], n = 0, free_slots = 0;
        p[n] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        who[n++] = -2;
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (s->clients[i].fd < 0) {
                free_slots++;
                continue;
            }
            p[n] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
            who[n++] = i;
        }
        if (free_slots) {
            p[n] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
            who[n++] = -1;
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            sg_log(SG_LOG_ERROR, "%s: poll: %s; the control socket stops answering", s->path, strerror(errno));
            return NULL;
        }
        if (p[0].revents)
            return NULL; /* sg_linesrv_stop */
        for (int k = 1; k < n; k++) {
            if (!p[k].revents)
                continue;
            if (who[k] == -1)
                on_connect(s);
            else
                on_readable(s, &s->clients[who[k]]);
        }
    }
}

static void release(sg_linesrv *s)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            close(s->clients[i].fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->bound && unlink(s->path) != 0)
        sg_log(SG_LOG_WARN, "%s: %s", s->path, strerror(errno));
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    free(s);
}

sg_linesrv *sg_linesrv_start(const char *path, sg_linesrv_fn fn, void *arg, char *err, size_t errlen)
{
    sg_linesrv *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fn = fn;
    s->arg = arg;
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    if (strlen(path) >= sizeof s->path) {
        snprintf(err, errlen, "%s: a socket path has at most %zu bytes", path, sizeof s->path - 1);
        free(s);
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    if (pipe2(s->wake, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        release(s);
        return NULL;
    }
    if (listen_on(s, err, errlen) != 0) {
        release(s);
        return NULL;
    }
    int rc = pthread_create(&s->thread, NULL, serve, s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the control thread: %s", strerror(rc));
        release(s);
        return NULL;
    }
    return s;
}

void sg_linesrv_stop(sg_linesrv *s)
{
    if (!s)
        return;
    ssize_t w;
    while ((w = write(s->wake[1], "x", 1)) < 0 && errno == EINTR)
        ;
    if (w != 1) { /* the thread still runs: leave it its memory */
        sg_log(SG_LOG_ERROR, "%s: cannot wake the control thread: %s", s->path, strerror(errno));
        return;
    }
    pthread_join(s->thread, NULL);
    release(s);
}
