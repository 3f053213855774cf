/* beat.c - see beat.h.
 *
 * Why a thread: the poll loop beat between batches once, and a batch longer
 * than the status's 15 s (SG_STATUS_ALIVE_S) showed its worker as gone while
 * it worked. Kafka's own clients keep their group heartbeat off the poll
 * thread for the same reason. */
#include "beat.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "status.h"
#include "store.h"

struct wk_beat {
    const char *conninfo, *id, *http;
    sg_bus *consumer;
    sg_store *store; /* this thread's own; NULL until connected */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled by wk_beat_stop */
    bool stop;
    bool failing; /* the last beat failed: log the next failure at debug only */
};

/* The lag of each assigned partition as sg_member wants it, then one upsert. */
static int beat_once(wk_beat *b, char *err, size_t errlen)
{
    if (!b->store && !(b->store = sg_store_connect(b->conninfo, err, errlen)))
        return -1;
    sg_lag *lag = NULL;
    int n = sg_probe_lag(b->consumer, &lag);
    n = n < 0 ? 0 : n;
    char (*names)[300] = n ? calloc((size_t)n, sizeof *names) : NULL;
    const char **parts = n ? calloc((size_t)n, sizeof *parts) : NULL;
    int64_t *lags = n ? calloc((size_t)n, sizeof *lags) : NULL;
    if (n && (!names || !parts || !lags))
        n = 0; /* out of memory: report the worker without its partitions */
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%s/%d", lag[i].topic, (int)lag[i].partition);
        parts[i] = names[i];
        lags[i] = lag[i].lag;
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    sg_member m = {b->id, host, b->http, (int)getpid(), parts, lags, (size_t)n};
    int rc = sg_status_heartbeat(b->store, &m, err, errlen);
    free(names);
    free(parts);
    free(lags);
    free(lag);
    return rc;
}

static void beat_logged(wk_beat *b)
{
    char err[512];
    if (beat_once(b, err, sizeof err) == 0) {
        if (b->failing)
            sg_log(SG_LOG_INFO, "heartbeat: reporting again");
        b->failing = false;
        return;
    }
    sg_log(b->failing ? SG_LOG_DEBUG : SG_LOG_WARN, "heartbeat: %s", err);
    b->failing = true;
}

static void *run(void *arg)
{
    wk_beat *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WK_BEAT_MS / 1000;
        until.tv_nsec += (long)(WK_BEAT_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!b->stop && pthread_cond_timedwait(&b->cv, &b->mu, &until) != ETIMEDOUT)
            ;
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->mu); /* wk_beat_stop may ask meanwhile */
        beat_logged(b);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

wk_beat *wk_beat_start(const char *conninfo, const char *id, const char *http, sg_bus *consumer, char *err,
                       size_t errlen)
{
    wk_beat *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "heartbeat: out of memory");
        return NULL;
    }
    *b = (wk_beat){.conninfo = conninfo, .id = id, .http = http, .consumer = consumer};
    if (pthread_mutex_init(&b->mu, NULL)) {
        free(b);
        snprintf(err, errlen, "heartbeat: cannot create a mutex");
        return NULL;
    }
    if (pthread_cond_init(&b->cv, NULL)) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        snprintf(err, errlen, "heartbeat: cannot create a condition variable");
        return NULL;
    }
    beat_logged(b); /* the worker is listed from its start */
    int rc = pthread_create(&b->thread, NULL, run, b);
    if (rc) {
        snprintf(err, errlen, "heartbeat: cannot start its thread (error %d)", rc);
        sg_store_close(b->store);
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
        free(b);
        return NULL;
    }
    return b;
}

void wk_beat_stop(wk_beat *b)
{
    char err[512];
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    if (b->store && sg_status_leave(b->store, b->id, err, sizeof err))
        sg_log(SG_LOG_WARN, "leaving sigma_workers: %s", err);
    sg_store_close(b->store);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
