/*
 * paths.c - the installed data directory, relative to the executable
 * (paths.h).
 */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SG_DATADIR_REL
#define SG_DATADIR_REL "../share/sigmabatch"
#endif

int sg_paths_installed(const char *exe, const char *name, char *out, size_t outlen)
{
    char self[PATH_MAX];
    if (outlen)
        out[0] = '\0';
    if (!exe) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return -1;
        self[n] = '\0';
        exe = self;
    }
    const char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    /* BIN/../share/sigmabatch reads better as PREFIX/share/sigmabatch: each
     * leading "../" takes the last component off the executable's directory
     * (canonical when it comes from /proc/self/exe, so no symlink is skipped). */
    int dirlen = (int)(slash - exe);
    const char *rel = SG_DATADIR_REL;
    while (strncmp(rel, "../", 3) == 0 && dirlen > 0) {
        int cut = dirlen;
        while (cut > 0 && exe[cut - 1] != '/')
            cut--;
        const char *last = exe + cut;
        int lastlen = dirlen - cut;
        if (cut == 0 || (lastlen == 2 && !strncmp(last, "..", 2)) || (lastlen == 1 && *last == '.'))
            break;
        dirlen = cut - 1;
        rel += 3;
    }
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%.*s/%s/%s", dirlen, exe, rel, name);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof path || (size_t)n >= outlen || stat(path, &st) || !S_ISDIR(st.st_mode))
        return -1;
    memcpy(out, path, (size_t)n + 1);
    return 0;
}
