/* Where `vmtrace record` puts what it records, whatever the source: the
 * raw trace is written first (it survives a crash: kill -9 loses at most
 * the block in flight), then decoded into the trace.db.  Both are written
 * under unique temporary names (cli/output.h) and renamed when complete;
 * a recording killed before that leaves its raw trace as
 * FILE.recording-XXXXXX.vmt, which 'vmtrace decode' reads.
 *
 * Errors: not one convention: record_out_prepare and record_out_open
 * return 0 or an exit status (EXIT_USAGE, EXIT_FAIL), record_out_finish
 * and record_out_end_trace 0 or -1.  Every failure has printed its
 * message by the time it returns. */
#ifndef VMTRACE_CLI_RECORD_OUT_H
#define VMTRACE_CLI_RECORD_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/output.h"

struct rawtrace_write_opts;
struct session;

struct record_out {
	const char *output;    /* what the user named (-o), or the default */
	const char *db_path;   /* trace.db to decode into, NULL for raw-only output */
	const char *raw_name;  /* final name of the raw trace kept (-o X.vmt or
				* --raw), NULL if it is only a temporary */
	const char *raw_path;  /* raw trace being written (a temporary) */
	struct output db;      /* the trace.db output, if db_path */
	struct output raw;     /* the raw trace output, if raw_name */
	char raw_tmp[OUTPUT_PATH_MAX]; /* the raw temporary when raw_name is NULL */
	bool quiet;
	bool open;             /* prepared and not yet finished or given up */
};

/* True for names that ask for the raw trace only ("*.vmt"). */
bool record_is_raw_name(const char *path);

/* Check the outputs (-o, and --raw which may be NULL), take their locks and
 * create the raw temporary.  Returns 0, EXIT_USAGE (a refused name, an
 * output another vmtrace is writing) or EXIT_FAIL, after a message. */
int record_out_prepare(struct record_out *ro, const char *output, const char *raw, bool force, bool quiet);

/* Nothing was recorded (the command did not start, set-up failed): remove
 * the temporaries, drop the locks. */
void record_out_abort(struct record_out *ro);

/* The raw trace could not be written completely (disk full): keep what it
 * holds if it holds events, and say where; drop the locks. */
void record_out_write_failed(struct record_out *ro, uint64_t events);

/* Whatever record_out_prepare started and nothing finished: what the raw
 * trace holds is kept and named if it holds events (events > 0), else
 * everything is removed.  Does nothing on a zeroed, finished or already
 * closed record_out. */
void record_out_close(struct record_out *ro, uint64_t events);

/* The raw trace is complete: put it in place (if kept) and decode it into
 * the trace.db (if one was asked for).  If decoding fails the raw trace is
 * kept and named, so nothing recorded is lost.  Returns 0 or -1. */
int record_out_finish(struct record_out *ro, bool progress);

/* The recording's raw trace in these outputs, for every source:
 * record_out_open prepares the outputs (record_out_prepare) and opens the
 * session's raw trace in the temporary; returns 0, or the exit status
 * after a message (nothing is left behind). */
int record_out_open(struct record_out *ro, struct session *s, const char *output, const char *raw, bool force,
		    bool quiet, const struct rawtrace_write_opts *wopts);

/* Close the session's raw trace (session_close).  Returns 0, or -1 after
 * "unable to write 'RAW': ERROR; STOPPED" (stopped may be NULL: says what
 * became of the recorded command), what was written being kept and
 * named (record_out_write_failed). */
int record_out_end_trace(struct record_out *ro, struct session *s, const char *end_reason, const char *stopped);

/* Whatever happened: release the session (its trace, if still open, ends
 * with end_reason) and close the outputs (record_out_close). */
void record_out_release(struct record_out *ro, struct session *s, const char *end_reason);

#endif
