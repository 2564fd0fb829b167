/* The file the kernel runs for a program name: found in PATH as a shell
 * finds it, and for a script, its interpreter. Shared by run and
 * check-config. */
#ifndef NOTW_CLI_PROGRAM_H
#define NOTW_CLI_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

/* The file execvp() would run for name, into out: 0, or why not (ENOENT:
 * nothing of that name; EACCES: only files that are not executable, or
 * not regular files; EINVAL: an empty name). */
int find_program(const char *name, char *out, size_t cap);

/* What find_program()'s answer means, for a message. */
const char *find_program_problem(int err);

/* A script's "#!INTERPRETER [ARG]": the program the kernel runs, into out
 * (through env, ARG found in PATH). False when file has no "#!" line. */
bool script_interpreter(const char *file, char *out, size_t cap);

/* The file starts with "#!". */
bool has_shebang(const char *file);

/* What runs a file without "#!" that is not ELF either: execvp() and the
 * shells hand it to sh. */
#define PLAIN_SCRIPT_SHELL "/bin/sh"

#endif
