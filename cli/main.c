/* vmtrace: record, decode, replay and inspect virtio-mmio traces. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"
#include "version.h"

extern char **environ;

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	bool comparison; /* exits 1 for "different": its errors are 2 (diff) */
};

static const struct command commands[] = {
	{ "record", cmd_record, "record a virtio-mmio session (built-in emulator, QEMU, or KVM via BPF)", false },
	{ "dump", cmd_dump, "print the events of a raw trace, one per line", false },
	{ "decode", cmd_decode, "decode a raw trace into a SQLite trace.db", false },
	{ "info", cmd_info, "summarize a trace.db", false },
	{ "show", cmd_show, "print decoded events of a trace.db", false },
	{ "replay", cmd_replay, "replay a trace against the emulator and report divergences", true },
	{ "tui", cmd_tui, "browse a trace.db interactively", false },
	{ "export", cmd_export, "export a trace.db (pcap for Wireshark, timeline JSON)", false },
	{ "diff", cmd_diff, "compare two trace.db files: where they part ways", true },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmtrace <command> [options] [args]\n"
		"\n"
		"Record every access a driver makes to a virtio-mmio device, decode what it\n"
		"meant, replay it and inspect it.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"  %-8s %s\n  %-8s %s\n"
		"\n"
		"options:\n"
		"  -h, --help  this help\n"
		"  --version   print the version and the optional parts built in\n"
		"\n"
		"Run 'vmtrace <command> --help' for the options of a command, or\n"
		"'man vmtrace-<command>' where vmtrace is installed.\n"
		"Example: vmtrace record --emu blk,net,console,rng -o t.vmt && vmtrace dump t.vmt\n",
		"help", "this help, or a command's (its man page on a terminal): vmtrace help record",
		"version", "print the version and the optional parts built in");
}

/* The version (git describe of the checkout built) and the optional
 * parts this build has: "no-NAME" for one it was built without. */
static void print_version(void)
{
	static const struct { const char *name; bool on; } parts[] = {
		{ "decoder", HAVE_SQLITE }, { "tui", HAVE_TUI }, { "pcap", HAVE_PCAP }, { "bpf", HAVE_BPF },
	};

	printf("vmtrace %s\nfeatures:", VMTRACE_VERSION_FULL);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		printf(" %s%s", parts[i].on ? "" : "no-", parts[i].name);
	printf("\n");
}

/* `vmtrace help CMD` on a terminal: the man page vmtrace-CMD(1) when one
 * is installed (as `git help` does), in place of this process; otherwise
 * (not a terminal, no man, no page) the caller prints CMD's --help. */
static void show_man_page(const char *command)
{
	char page[64];
	pid_t pid;
	int status;

	if (!isatty(STDOUT_FILENO))
		return;
	snprintf(page, sizeof(page), "vmtrace-%s", command);
	char *where[] = { "man", "-w", page, NULL };
	int devnull = open("/dev/null", O_WRONLY);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (devnull >= 0) {
		posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
		posix_spawn_file_actions_adddup2(&fa, devnull, STDERR_FILENO);
	}
	int r = posix_spawnp(&pid, "man", &fa, NULL, where, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (devnull >= 0)
		close(devnull);
	if (r != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return;
	fflush(stdout);
	execlp("man", "man", page, (char *)NULL);
}

/* Everything a command printed must have reached stdout: a full disk or
 * a closed pipe is an error, never a silent success. */
static int finish_stdout(int status, bool comparison)
{
	int e = 0;

	errno = 0;
	if (fflush(stdout) != 0)
		e = errno ? errno : EIO;
	else if (ferror(stdout))
		e = -1; /* failed earlier; the reason is gone */
	if (!e)
		return status;
	if (e > 0)
		fprintf(stderr, "%s: unable to write to standard output: %s\n", cli_prog(), strerror(e));
	else
		fprintf(stderr, "%s: unable to write to standard output\n", cli_prog());
	if (comparison)
		return EXIT_USAGE;
	return status == 0 ? EXIT_FAIL : status;
}

/* argv[0] becomes "vmtrace CMD", so getopt's own messages name the
 * command the way every other message does. */
static int run(const struct command *c, int argc, char **argv)
{
	char prog[32];

	cli_set_command(c->name);
	snprintf(prog, sizeof(prog), "%s", cli_prog());
	argv[0] = prog;
	return finish_stdout(c->run(argc, argv), c->comparison);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout);
		return finish_stdout(0, false);
	}
	if (!strcmp(name, "help")) {
		if (argc < 3 || !strcmp(argv[2], "help") || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
			usage(stdout);
			return finish_stdout(0, false);
		}
		char *args[] = { argv[2], "--help", NULL };
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (!strcmp(argv[2], commands[i].name)) {
				show_man_page(commands[i].name);
				return run(&commands[i], 2, args);
			}
		fprintf(stderr, "vmtrace: unknown command '%s'\nTry 'vmtrace --help' for the list of commands.\n", argv[2]);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		print_version();
		return finish_stdout(0, false);
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return run(&commands[i], argc - 1, argv + 1);
	fprintf(stderr, "vmtrace: unknown command '%s'\nTry 'vmtrace --help' for the list of commands.\n", name);
	return EXIT_USAGE;
}
