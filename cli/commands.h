/* Subcommands of the vmtrace binary.  Each takes argc/argv with argv[0]
 * being the subcommand name and returns the process exit status. */
#ifndef VMTRACE_CLI_COMMANDS_H
#define VMTRACE_CLI_COMMANDS_H

/* Exit statuses shared by the subcommands (ECOSYSTEM.md). */
#define EXIT_USAGE 2      /* bad arguments or input that cannot be used */
#define EXIT_NOSTART 69   /* the traced program could not be started (rr) */

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_tui(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_show(int argc, char **argv);

#endif
