/* Files vmtrace writes for the user (trace.db, raw traces): never written
 * in place.  Each is built under a unique temporary name beside its final
 * name and renamed over it only when complete, so a killed or failed run
 * never leaves a file that looks complete.  A final name that exists and is
 * not a regular file (a device node, a directory) is refused, never moved
 * or removed.  While one vmtrace writes an output, another one asked for
 * the same output is refused (a lock file "FILE.lock" beside it, held with
 * flock(2), so a lock left by a killed run is simply taken over).
 * On SIGINT, SIGTERM or SIGHUP (where no other handler is set) a trace.db
 * temporary and the locks are removed; a raw temporary is kept and named.
 *
 *   output_begin()  check the name, take the lock
 *   output_temp()   create the unique temporary to write into
 *   output_commit() move an old FILE to FILE.old (unless force), rename
 *                   the temporary to FILE, drop the lock
 *   output_abort()  remove the temporary, drop the lock
 *
 * Errors: 0; a positive OUTPUT_E_* (a refused output name: the user's
 * input); or a negative errno.  Every failure has printed its message by
 * the time it returns. */
#ifndef VMTRACE_CLI_OUTPUT_H
#define VMTRACE_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define OUTPUT_PATH_MAX 4096

struct output {
	char path[OUTPUT_PATH_MAX]; /* final name */
	char tmp[OUTPUT_PATH_MAX];  /* temporary, "" until output_temp */
	char lock[OUTPUT_PATH_MAX];
	int lock_fd;
	bool locked;                /* lock_fd holds the lock (a zeroed struct holds none) */
	bool force;                 /* replace FILE instead of moving it to FILE.old */
	bool quiet;                 /* no "moved ... to ..." message */
	bool sqlite;                /* FILE is a SQLite database: its -journal,
				     * -wal and -shm files go with it */
};

/* Positive results: documented refusals (exit 2), with a message printed. */
enum {
	OUTPUT_E_BADPATH = 1,  /* empty, too long, or not a regular file */
	OUTPUT_E_BUSY,         /* another vmtrace writes this output */
};

/* Check path and take its lock.  Returns 0; OUTPUT_E_* after a message
 * naming the path; or a negative errno after a message (the lock file
 * could not be created: a directory that cannot be written, say). */
int output_begin(struct output *o, const char *path, bool force, bool quiet, bool sqlite);

/* Create a new empty file named "PATH.TAG-XXXXXX[SUFFIX]" beside the
 * output (its name in buf), for the caller to write and later rename or
 * remove.  Returns 0, or a negative errno after a message. */
int output_make_temp(const char *path, const char *tag, const char *suffix, char *buf, size_t len);

/* A temporary made by output_make_temp that a signal must not remove (it
 * holds what was recorded): the handler names it.  NULL forgets it. */
void output_note_temp(const char *path);

/* output_make_temp for the output itself (o->tmp). */
int output_temp(struct output *o, const char *tag, const char *suffix);

/* Put the finished temporary in place: an existing FILE goes to FILE.old
 * (refused if FILE.old is not a regular file) unless force; the temporary
 * becomes FILE; the lock is dropped.  Returns 0, or a negative errno
 * after a message; the temporary is then kept and named. */
int output_commit(struct output *o);

/* Remove the temporary (and its SQLite side files) and drop the lock.
 * Safe after a failed output_begin, and twice. */
void output_abort(struct output *o);

/* Drop the lock but keep the temporary (what it holds is worth keeping:
 * the caller names it). */
void output_release(struct output *o);

/* Remove path's SQLite side files (-journal, -wal, -shm) where they are
 * regular files. */
void output_remove_sqlite_side_files(const char *path);

#endif
