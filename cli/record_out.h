/* Where `vmtrace record` puts what it records, whatever the source: the
 * raw trace is written first (it survives a crash: kill -9 loses at most
 * the block in flight), then decoded into the trace.db. */
#ifndef VMTRACE_CLI_RECORD_OUT_H
#define VMTRACE_CLI_RECORD_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct record_out {
	const char *output;   /* what the user named (-o), or the default */
	const char *db_path;  /* trace.db to decode into, NULL for raw-only output */
	const char *raw_path; /* raw trace being written */
	bool raw_is_temporary; /* raw_path is ours, removed once decoded */
	char tmp[4096];
};

/* True for names that ask for the raw trace only ("*.vmt"). */
bool record_is_raw_name(const char *path);

/* Choose the paths for output (and --raw, may be NULL) and move old files
 * aside (FILE.old) unless force.  Returns 0 or -1 after a message. */
int record_out_prepare(struct record_out *ro, const char *output, const char *raw, bool force, bool quiet);

/* Decode the finished raw trace into the trace.db, if one was asked for.
 * A temporary raw trace is removed once decoded; if decoding fails it is
 * kept and named, so nothing recorded is lost.  Returns 0 or -1. */
int record_out_decode(const struct record_out *ro, bool progress);

/* The command line as typed ("vmtrace record ..."), quoting words a shell
 * would split or expand; cut with "..." if longer than len. */
void record_join_args(char *buf, size_t len, const char *first, int argc, char *const *argv);

#endif
