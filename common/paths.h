/*
 * paths.h - the files a program finds beside itself once installed.
 *
 * Owns: the installed data directory (PREFIX/share/sigmabatch: migrations,
 * schemas, samples), found relative to the running executable (PREFIX/bin/
 * PROGRAM, through /proc/self/exe, so symlinks to the program resolve and a
 * prefix copied or moved elsewhere keeps working). The relative path from the
 * install's bin directory to its data directory is compiled in
 * (SG_DATADIR_REL, "../share/sigmabatch" by default; CMakeLists.txt).
 * Must not: choose between that directory and the others a command may use
 * (an option, an environment variable, the source tree): the command does.
 */
#ifndef SG_PATHS_H
#define SG_PATHS_H

#include <stddef.h>

/* EXE_DIR/SG_DATADIR_REL/NAME, written into out, when it is a directory;
 * exe is a program's path (its directory is used), or NULL for the running
 * executable. Returns 0 when the directory exists, -1 otherwise (out is then
 * left empty). */
int sg_paths_installed(const char *exe, const char *name, char *out, size_t outlen);

#endif
