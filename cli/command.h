/* The notw command's subcommands: one file each, one entry each in the
 * table of notw.c. */
#ifndef NOTW_CLI_COMMAND_H
#define NOTW_CLI_COMMAND_H

/* Exit statuses: 0 done, 1 not done (for reap: something still holds the
 * port), 2 usage error or a program notw refuses to run. */
enum { EXIT_DONE = 0, EXIT_NOT_DONE = 1, EXIT_USAGE = 2 };

/* Each takes the arguments after "notw" (argv[0] is the command's name). */
int cmd_run(int argc, char **argv);          /* run.c */
int cmd_status(int argc, char **argv);       /* status.c */
int cmd_reap(int argc, char **argv);         /* reap.c */
int cmd_check_config(int argc, char **argv); /* check_config.c */
int cmd_enable(int argc, char **argv);       /* preload.c */
int cmd_disable(int argc, char **argv);      /* preload.c */
int cmd_attach(int argc, char **argv);       /* attach.c (attach_none.c without BPF) */
int cmd_detach(int argc, char **argv);       /* attach.c (attach_none.c without BPF) */
int cmd_attached(int argc, char **argv);     /* attached.c (attach_none.c without BPF) */
int cmd_oci_hook(int argc, char **argv);     /* oci_hook.c (attach_none.c without BPF) */

#endif
