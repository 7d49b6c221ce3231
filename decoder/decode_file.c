/* Raw trace → trace.db. */
#include "decoder/decode_file.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "decoder/db.h"

#define PROGRESS_EVERY 65536u

int decode_file(const char *raw_path, const char *db_path, const struct decoder_opts *opts,
		decode_progress_fn progress, void *progress_ctx,
		struct decode_result *res, char *err, size_t errlen)
{
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct decoder *dec = NULL;
	sqlite3 *db = NULL;
	struct vmt_event ev;
	int rc;

	memset(res, 0, sizeof(*res));
	if (rawtrace_reader_open(&r, raw_path, err, errlen) < 0)
		return DECODE_E_INPUT;
	if (trace_db_create(&db, db_path, err, errlen) < 0)
		goto fail;
	if (decoder_new(&dec, db, rawtrace_reader_meta(r), opts, err, errlen) < 0)
		goto fail;
	while ((rc = rawtrace_reader_next(r, &ev)) > 0) {
		if (decoder_feed(dec, &ev) < 0) {
			snprintf(err, errlen, "'%s': %s", db_path, decoder_error(dec));
			goto fail;
		}
		if (progress && ev.seq % PROGRESS_EVERY == 0) {
			rawtrace_reader_status(r, &st);
			progress(progress_ctx, ev.seq, st.stop_offset);
		}
	}
	if (rc < 0) {
		snprintf(err, errlen, "unable to read '%s': %s", raw_path, strerror(-rc));
		goto fail;
	}
	rawtrace_reader_status(r, &st);
	res->complete = st.complete;
	res->damaged = st.damaged;
	res->stop_offset = st.stop_offset;
	snprintf(res->stop_reason, sizeof(res->stop_reason), "%s", st.reason);
	char reason[256];
	if (st.damaged)
		snprintf(reason, sizeof(reason), "raw trace damaged at offset %llu: %s",
			 (unsigned long long)st.stop_offset, st.reason);
	else if (!st.complete)
		snprintf(reason, sizeof(reason), "raw trace incomplete: the recorder did not close it");
	else
		snprintf(reason, sizeof(reason), "%s", st.end_reason[0] ? st.end_reason : "normal");
	decoder_note_lost(dec, st.lost);
	if (decoder_finish(dec, st.complete && !st.damaged, reason) < 0) {
		snprintf(err, errlen, "'%s': %s", db_path, decoder_error(dec));
		goto fail;
	}
	decoder_get_stats(dec, &res->stats);
	decoder_free(dec);
	sqlite3_close(db);
	rawtrace_reader_close(r);
	return 0;
fail:
	decoder_free(dec);
	if (db) {
		sqlite3_close(db);
		unlink(db_path);
		/* Side files of the abandoned database. */
		static const char *const sides[] = { "-journal", "-wal", "-shm" };
		char side[4096];
		for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
			if (snprintf(side, sizeof(side), "%s%s", db_path, sides[i]) < (int)sizeof(side))
				unlink(side);
	}
	rawtrace_reader_close(r);
	return -1;
}
