/*
 * fuzz_config.c - the settings (common/config.h): each input line is either
 * an environment variable "SIGMA_NAME=value" (set for this input only) or a
 * -X argument "name=value" (sg_config_set). Then every setting is checked
 * (sg_config_check), listed (sg_config_list) and read (sg_config_get,
 * sg_config_number), and everything is forgotten again.
 *
 * Checks: a refused -X names it in its message ("-X ..."); with only
 * accepted overrides and no environment, sg_config_check passes and the list
 * marks nothing; a setting's number is finite or NAN (not a number setting).
 */
#include <math.h>

#include "config.h"
#include "fuzz.h"

#define MAX_LINES 16

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    devnull = fopen("/dev/null", "w");
    return 0;
}

/* Copies the input's lines (NUL-terminated, at most MAX_LINES) into buf. */
static int split_lines(const uint8_t *data, size_t size, char *buf, char **lines)
{
    int n = 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *p = buf; n < MAX_LINES && p <= buf + size;) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        if (nl)
            *nl = '\0';
        lines[n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *lines[MAX_LINES], *env[MAX_LINES], err[512];
    int n = split_lines(data, size, buf, lines), nenv = 0;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(lines[i], '=');
        if (strncmp(lines[i], "SIGMA_", 6) == 0 && eq) {
            *eq = '\0';
            setenv(lines[i], eq + 1, 1);
            env[nenv++] = lines[i];
        } else if (sg_config_set(lines[i], err, sizeof err) != 0) {
            FUZZ_CHECK(strncmp(err, "-X", 2) == 0);
        } else if (eq) {
            *eq = '\0';
            FUZZ_CHECK(sg_config_get(lines[i]) != NULL);
            FUZZ_CHECK(!isinf(sg_config_number(lines[i]))); /* NAN: not a number setting */
        }
    }
    int check = sg_config_check(err, sizeof err), bad = sg_config_list(devnull);
    FUZZ_CHECK((check != 0) == (bad != 0));
    FUZZ_CHECK(nenv > 0 || (check == 0 && bad == 0));
    sg_config_reset();
    for (int i = 0; i < nenv; i++)
        unsetenv(env[i]);
    free(buf);
    return 0;
}
