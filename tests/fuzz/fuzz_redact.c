/*
 * fuzz_redact.c - passwords out of connection errors (common/redact.h).
 * The input's first line is a connection string, its second a PGPASSWORD
 * (unset when empty), the rest a message. Redacted are: libpq's own error for
 * the string (PQconninfoParse's: it quotes what it could not parse), and the
 * message with every password appended as libpq may echo it.
 *
 * Checks: a message never grows; after redaction it holds no password libpq
 * parsed from the string, nor PGPASSWORD (unless the password holds a '*':
 * a mask is stars, so mask and text beside it may spell such a password).
 */
#include <libpq-fe.h>

#include "fuzz.h"
#include "redact.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

/* Redacts msg (a copy) and checks the promises; secrets[0..n) must be gone. */
static void redact_and_check(const char *conninfo, const char *msg, const char **secrets, int n)
{
    size_t len = strlen(msg);
    char *m = strdup(msg);
    FUZZ_CHECK(m != NULL);
    sg_redact_conninfo(conninfo, m);
    FUZZ_CHECK(strlen(m) <= len);
    for (int i = 0; i < n; i++)
        if (secrets[i] && *secrets[i] && !strchr(secrets[i], '*'))
            FUZZ_CHECK(strstr(m, secrets[i]) == NULL);
    free(m);
}

/* Splits the next line off *p (NUL-terminated in place). */
static char *next_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *p = buf;
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    buf[size] = '\0'; /* a NUL inside ends the text, as it would for libpq */
    char *conninfo = next_line(&p), *pgpassword = next_line(&p), *text = p;
    if (*pgpassword)
        setenv("PGPASSWORD", pgpassword, 1);

    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    const char *secrets[2] = {*pgpassword ? pgpassword : NULL, NULL};
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            secrets[1] = o->val;
    if (errmsg)
        redact_and_check(conninfo, errmsg, secrets, 2);

    /* the message with each password in it, as is and quoted as libpq quotes */
    size_t need = strlen(text) + 2 * (strlen(pgpassword) + (secrets[1] ? strlen(secrets[1]) : 0)) + 32;
    char *msg = malloc(need);
    FUZZ_CHECK(msg != NULL);
    snprintf(msg, need, "%s %s \"%s\" %s \"%s\"", text, pgpassword, pgpassword, secrets[1] ? secrets[1] : "",
             secrets[1] ? secrets[1] : "");
    redact_and_check(conninfo, msg, secrets, 2);

    free(msg);
    PQfreemem(errmsg);
    PQconninfoFree(opts);
    unsetenv("PGPASSWORD");
    free(buf);
    return 0;
}
