/* probe.c - see probe.h. */
#include "probe.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PQping opens and closes its own connection: the HTTP thread never touches
 * the program's. connect_timeout comes first so a user's own one wins. */
static bool database_answers(const char *conninfo)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", (SG_PROBE_TIMEOUT_MS + 999) / 1000);
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *values[] = {timeout, conninfo ? conninfo : "", NULL};
    return PQpingParams(keys, values, 1) == PQPING_OK;
}

static rd_kafka_resp_err_t broker_answers(sg_bus *b)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(sg_bus_handle(b), 0, NULL, &md, SG_PROBE_TIMEOUT_MS);
    if (md)
        rd_kafka_metadata_destroy(md);
    return e;
}

/* -1 when the assignment cannot be read. */
static int assigned(sg_bus *c)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(sg_bus_handle(c), &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    int n = parts->cnt;
    rd_kafka_topic_partition_list_destroy(parts);
    return n;
}

bool sg_probe_ready(void *ctx, char *why, size_t whylen)
{
    const sg_probe *p = ctx;
    rd_kafka_resp_err_t e;
    if (!database_answers(p->conninfo)) {
        snprintf(why, whylen, "PostgreSQL does not answer within %d ms", SG_PROBE_TIMEOUT_MS);
        return false;
    }
    if (p->bus && (e = broker_answers(p->bus)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(why, whylen, "the broker does not answer (%s)", rd_kafka_err2str(e));
        return false;
    }
    if (p->consumer && assigned(p->consumer) <= 0) {
        snprintf(why, whylen, "no partitions assigned (joining the group, or more members than partitions)");
        return false;
    }
    return true;
}

int sg_probe_lag(sg_bus *consumer, sg_lag **out)
{
    rd_kafka_t *rk = sg_bus_handle(consumer);
    rd_kafka_topic_partition_list_t *parts = NULL;
    *out = NULL;
    if (rd_kafka_assignment(rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    int n = parts->cnt;
    sg_lag *lag = n ? calloc((size_t)n, sizeof *lag) : NULL;
    if (n && (!lag || rd_kafka_position(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)) {
        free(lag);
        rd_kafka_topic_partition_list_destroy(parts);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo = -1, hi = -1;
        snprintf(lag[i].topic, sizeof lag[i].topic, "%s", tp->topic);
        lag[i].partition = tp->partition;
        lag[i].lag = -1;
        /* Cached from the last fetch: no request to the broker. */
        if (rd_kafka_get_watermark_offsets(rk, tp->topic, tp->partition, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0 && tp->offset >= 0)
            lag[i].lag = hi > tp->offset ? hi - tp->offset : 0;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    *out = lag;
    return n;
}
