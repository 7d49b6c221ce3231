/* Subcommands of the vmtrace binary.  Each takes argc/argv with argv[0]
 * being the subcommand name and returns the process exit status.
 *
 * Errors: the return value is the exit status (the table below): 0,
 * EXIT_FAIL, EXIT_USAGE or EXIT_NOSTART (or a recorded command's own
 * status), with the message already printed. */
#ifndef VMTRACE_CLI_COMMANDS_H
#define VMTRACE_CLI_COMMANDS_H

/* The one exit-code table of every command (README, "Exit status"):
 *   0   done (replay: the device side matched)
 *   1   a failure while working: a write error (disk full, stdout not
 *       writable), a damaged input read up to the damage, a workload
 *       that failed (replay: the device side diverged; diff: the traces
 *       differ)
 *   2   bad arguments or input that cannot be used, nothing done
 *       (replay: the trace cannot be replayed, or an error; diff: an
 *       error)
 *   69  the command to record could not be started (rr), QEMU lacks the
 *       trace events, or the BPF program could not be loaded
 *   with `record -- CMD`: CMD's own status, or its fatal signal re-raised */
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_NOSTART 69

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_tui(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
