/*
 * pipetool.c - msgpack bytes for kcat, the tests' independent Kafka client
 * (it stands in for the workers' events).
 *
 *   pipetool events   stdin: lines "RUN PHASE SYMBOL ok|failed [REASON...]";
 *                     stdout: "SYMBOL:<event bytes>#EOM#" for
 *                     kcat -P -K: -D '#EOM#'
 *   pipetool tasks    stdin: kcat -C -f '%k %S %s' (key, value size, value);
 *                     stdout: "RUN PHASE SYMBOL ATTEMPT DATE" per task
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messages.h"

static int events(void)
{
    char line[1024], err[512];
    sg_msg_buf b = {0};
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        sg_event e = {.rows = 1, .elapsed_ms = 5};
        char phase[32], outcome[16];
        int used = 0;
        if (sscanf(line, "%64s %31s %20s %15s %n", e.run, phase, e.symbol, outcome, &used) < 4 ||
            sg_phase_parse(phase, &e.phase)) {
            fprintf(stderr, "pipetool: bad line: %s\n", line);
            return 1;
        }
        e.outcome = strcmp(outcome, "ok") == 0 ? SG_OUTCOME_OK : SG_OUTCOME_FAILED;
        snprintf(e.reason, sizeof e.reason, "%s", line + used);
        snprintf(e.worker, sizeof e.worker, "kcat-test");
        if (sg_event_encode(&e, &b, err, sizeof err)) {
            fprintf(stderr, "pipetool: %s\n", err);
            return 1;
        }
        printf("%s:", e.symbol);
        fwrite(b.data, 1, b.len, stdout);
        fputs("#EOM#", stdout);
    }
    sg_msg_buf_free(&b);
    return 0;
}

static int tasks(void)
{
    char key[256], err[512], d[SG_DATE_LEN];
    size_t len;
    static char value[SG_MSG_MAX_BYTES];
    while (scanf("%255s %zu", key, &len) == 2) {
        if (getchar() != ' ' || len > sizeof value || fread(value, 1, len, stdin) != len) {
            fprintf(stderr, "pipetool: truncated input after key %s\n", key);
            return 1;
        }
        sg_task t;
        if (sg_task_decode(value, len, &t, err, sizeof err))
            printf("BAD %s %s\n", key, err);
        else
            printf("%s %s %s %d %s\n", t.run, sg_phase_name(t.phase), t.symbol, t.attempt, sg_day_format(t.date, d));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "events") == 0)
        return events();
    if (argc == 2 && strcmp(argv[1], "tasks") == 0)
        return tasks();
    fputs("usage: pipetool events|tasks\n", stderr);
    return 2;
}
