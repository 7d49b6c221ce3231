/* Output paths and the final decode step of `vmtrace record` (record_out.h). */
#include "cli/record_out.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/session.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "config.h"
#if HAVE_SQLITE
#include "decoder/decode_file.h"
#endif

bool record_is_raw_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcmp(path + n - 4, ".vmt") == 0;
}

/* True if a and b name the same file (by name, or the same inode). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int record_out_prepare(struct record_out *ro, const char *output, const char *raw, bool force, bool quiet)
{
	int r;

	memset(ro, 0, sizeof(*ro));
	ro->output = output;
	ro->quiet = quiet;
	ro->db_path = record_is_raw_name(output) ? NULL : output;
	ro->raw_name = ro->db_path ? raw : output;
	if (!ro->db_path && raw) {
		error("--raw is for a trace.db output: '%s' already is the raw trace", output);
		return EXIT_USAGE;
	}
	if (ro->db_path && raw && same_file(raw, output)) {
		error("--raw '%s' and -o '%s' name the same file", raw, output);
		return EXIT_USAGE;
	}
	if (ro->db_path && (r = output_begin(&ro->db, ro->db_path, force, quiet, true)) != 0)
		goto fail;
	if (ro->raw_name && (r = output_begin(&ro->raw, ro->raw_name, force, quiet, false)) != 0)
		goto fail;
	if (ro->raw_name) {
		if ((r = output_temp(&ro->raw, "recording", ".vmt")) != 0)
			goto fail;
		ro->raw_path = ro->raw.tmp;
	} else {
		r = output_make_temp(ro->db_path, "recording", ".vmt", ro->raw_tmp, sizeof(ro->raw_tmp));
		if (r != 0)
			goto fail;
		ro->raw_path = ro->raw_tmp;
		output_note_temp(ro->raw_tmp);
	}
	ro->open = true;
	return 0;
fail:
	record_out_abort(ro);
	return r > 0 ? EXIT_USAGE : EXIT_FAIL;
}

void record_out_abort(struct record_out *ro)
{
	ro->open = false;
	output_note_temp(NULL);
	if (ro->raw_tmp[0])
		unlink(ro->raw_tmp);
	ro->raw_tmp[0] = '\0';
	output_abort(&ro->raw);
	output_abort(&ro->db);
}

void record_out_write_failed(struct record_out *ro, uint64_t events)
{
	if (events == 0) {
		record_out_abort(ro);
		return;
	}
	error("the %llu event%s recorded are kept in '%s' ('vmtrace decode %s' reads them)",
	      (unsigned long long)events, events == 1 ? "" : "s", ro->raw_path, ro->raw_path);
	ro->open = false;
	output_note_temp(NULL);
	ro->raw_tmp[0] = '\0';
	output_release(&ro->raw);
	output_abort(&ro->db);
}

#if HAVE_SQLITE
static void decode_progress(void *ctx, uint64_t events, uint64_t bytes)
{
	(void)ctx;
	fprintf(stderr, "\rvmtrace record: decoding: %llu events, %.1f MB read", (unsigned long long)events,
		bytes / 1e6);
}
#endif

/* Decode the raw trace at raw_path into the trace.db output.  Returns 0 or
 * -1 after a message. */
static int decode_into_db(struct record_out *ro, const char *raw_path, bool progress)
{
#if HAVE_SQLITE
	struct decoder_opts dopts = { .store_memory = true };
	struct decode_result res;
	char err[512];
	int r;

	if (output_temp(&ro->db, "decoding", "") != 0)
		return -1;
	r = decode_file(raw_path, ro->db.tmp, &dopts, progress ? decode_progress : NULL, NULL, &res, err,
			sizeof(err));
	if (progress)
		fputs("\r\033[K", stderr);
	if (r != 0) {
		output_abort(&ro->db);
		return error("%s", err);
	}
	return output_commit(&ro->db);
#else
	(void)ro;
	(void)raw_path;
	(void)progress;
	return error("this vmtrace has no decoder (built without SQLite)");
#endif
}

void record_out_close(struct record_out *ro, uint64_t events)
{
	if (ro->open)
		record_out_write_failed(ro, events);
}

int record_out_finish(struct record_out *ro, bool progress)
{
	const char *raw = ro->raw_path;

	ro->open = false;
	if (ro->raw_name) {
		if (output_commit(&ro->raw) != 0) {
			output_abort(&ro->db);
			return -1;
		}
		raw = ro->raw_name;
	}
	if (!ro->db_path)
		return 0;
	if (decode_into_db(ro, raw, progress) != 0) {
		error("the raw trace is kept in '%s': 'vmtrace decode %s -o FILE' decodes it", raw, raw);
		output_note_temp(NULL);
		ro->raw_tmp[0] = '\0';
		output_abort(&ro->db);
		return -1;
	}
	output_note_temp(NULL);
	if (ro->raw_tmp[0])
		unlink(ro->raw_tmp);
	ro->raw_tmp[0] = '\0';
	return 0;
}

int record_out_open(struct record_out *ro, struct session *s, const char *output, const char *raw, bool force,
		    bool quiet, const struct rawtrace_write_opts *wopts)
{
	int r = record_out_prepare(ro, output, raw, force, quiet);

	if (r != 0)
		return r;
	r = session_open(s, ro->raw_path, wopts);
	if (r < 0) {
		error("unable to create '%s': %s", ro->raw_path, strerror(-r));
		record_out_abort(ro);
		return EXIT_FAIL;
	}
	return 0;
}

int record_out_end_trace(struct record_out *ro, struct session *s, const char *end_reason, const char *stopped)
{
	int r = session_close(s, end_reason);

	if (r >= 0)
		return 0;
	error("unable to write '%s': %s%s%s", ro->raw_path, strerror(-r), stopped ? "; " : "", stopped ? stopped : "");
	record_out_write_failed(ro, s->events);
	return -1;
}

void record_out_release(struct record_out *ro, struct session *s, const char *end_reason)
{
	session_release(s, end_reason);
	record_out_close(ro, s->events);
}
