/* Decode a raw trace file into a new trace.db: the whole of `vmtrace
 * decode`, also used by `vmtrace record` after recording.
 *
 * Errors: decode_file returns 0, the positive DECODE_E_INPUT (the raw
 * trace cannot be read as one: the user's input), or -1 (trace.db not
 * written, or an I/O error reading the raw trace), with err set. */
#ifndef VMTRACE_DECODER_DECODE_FILE_H
#define VMTRACE_DECODER_DECODE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder/decoder.h"

struct decode_result {
	struct decoder_stats stats;
	bool complete;        /* the raw trace had its footer */
	bool damaged;         /* reading stopped at damage */
	uint64_t stop_offset; /* where, if damaged */
	char stop_reason[192];
};

/* Called every so many events while decoding (for progress on a tty). */
typedef void (*decode_progress_fn)(void *ctx, uint64_t events, uint64_t bytes_read);

/* decode_file's positive result: raw_path cannot be read as a raw trace
 * (missing, unreadable, not a vmtrace raw trace). */
#define DECODE_E_INPUT 1

/* Decode raw_path into db_path, which must not exist or be empty (a
 * temporary the caller made). On a damaged raw trace everything before the
 * damage is decoded and result->damaged says where it stopped; that is not
 * an error. Returns 0; DECODE_E_INPUT; or -1 when the trace.db could not
 * be written or the raw trace not read to its end (disk full, I/O error).
 * On failure err has the message and db_path is removed. */
int decode_file(const char *raw_path, const char *db_path, const struct decoder_opts *opts,
		decode_progress_fn progress, void *progress_ctx,
		struct decode_result *result, char *err, size_t errlen);

#endif
