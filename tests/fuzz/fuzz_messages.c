/*
 * fuzz_messages.c - the bus's decoders (common/messages.h): the first byte
 * chooses the task decoder (even; onboarding is a task's phase) or the event
 * decoder (odd), the rest is the message.
 *
 * Checks: a message the decoder accepts encodes again (the encoder applies
 * the decoder's rules: what a consumer accepts a producer could have sent),
 * and decoding that encoding gives the same fields back.
 */
#include "fuzz.h"
#include "messages.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

static void task(const uint8_t *data, size_t size)
{
    sg_task t, again;
    sg_msg_buf b = {0};
    char err[256];
    if (sg_task_decode(data, size, &t, err, sizeof err) != 0)
        return;
    FUZZ_CHECK(sg_task_encode(&t, &b, err, sizeof err) == 0);
    FUZZ_CHECK(sg_task_decode(b.data, b.len, &again, err, sizeof err) == 0);
    again.major = t.major, again.minor = t.minor; /* the encoder writes its own version */
    FUZZ_CHECK(strcmp(again.run, t.run) == 0 && strcmp(again.symbol, t.symbol) == 0);
    FUZZ_CHECK(again.phase == t.phase && again.date == t.date && again.attempt == t.attempt);
    FUZZ_CHECK(again.has_from == t.has_from && (!t.has_from || again.from == t.from));
    FUZZ_CHECK(t.phase != SG_PHASE_PRICES_BULK || again.day == t.day);
    sg_msg_buf_free(&b);
}

static void event(const uint8_t *data, size_t size)
{
    sg_event e, again;
    sg_msg_buf b = {0};
    char err[256];
    if (sg_event_decode(data, size, &e, err, sizeof err) != 0)
        return;
    FUZZ_CHECK(sg_event_encode(&e, &b, err, sizeof err) == 0);
    FUZZ_CHECK(sg_event_decode(b.data, b.len, &again, err, sizeof err) == 0);
    FUZZ_CHECK(strcmp(again.run, e.run) == 0 && strcmp(again.symbol, e.symbol) == 0);
    FUZZ_CHECK(again.phase == e.phase && again.outcome == e.outcome && again.rows == e.rows);
    FUZZ_CHECK(strcmp(again.reason, e.reason) == 0 && strcmp(again.worker, e.worker) == 0);
    FUZZ_CHECK(again.elapsed_ms == e.elapsed_ms);
    FUZZ_CHECK(e.phase != SG_PHASE_PRICES_BULK || again.day == e.day);
    sg_msg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        task(data + 1, size - 1);
    else
        event(data + 1, size - 1);
    return 0;
}
