/* Output files written under a temporary name and renamed when complete
 * (output.h). */
#include "cli/output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/util.h"

/* Outputs being written, for the signal handler: on Ctrl-C or SIGTERM a
 * trace.db temporary (rebuilt by running again) and the locks go; a raw
 * temporary stays, since it holds what was recorded, and is named. */
#define OUTPUTS_ACTIVE_MAX 4
static struct output *volatile active[OUTPUTS_ACTIVE_MAX];
static const char *volatile kept_temp; /* output_note_temp */
static bool handlers_set;

static void say(const char *a, const char *b, const char *c)
{
	/* write(2) only: this runs in a signal handler. */
	if (write(STDERR_FILENO, a, strlen(a)) < 0 || write(STDERR_FILENO, b, strlen(b)) < 0 ||
	    write(STDERR_FILENO, c, strlen(c)) < 0)
		return;
}

static void on_signal(int sig)
{
	for (int i = 0; i < OUTPUTS_ACTIVE_MAX; i++) {
		struct output *o = active[i];

		if (!o)
			continue;
		if (o->tmp[0] && o->sqlite)
			unlink(o->tmp);
		else if (o->tmp[0])
			say("vmtrace: interrupted: what was recorded is kept in '", o->tmp, "'\n");
		if (o->locked)
			unlink(o->lock);
	}
	if (kept_temp)
		say("vmtrace: interrupted: what was recorded is kept in '", kept_temp, "'\n");
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Install on_signal where nobody else handles the signal (a recorder
 * passing signals on to its command keeps its own).  Done before any file
 * is made, so none appears unguarded. */
static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	if (handlers_set)
		return;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa, old;

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_signal;
			sigemptyset(&sa.sa_mask);
			sigaction(sigs[i], &sa, NULL);
		}
	}
	handlers_set = true;
}

static void track(struct output *o, bool on)
{
	for (int i = 0; i < OUTPUTS_ACTIVE_MAX; i++) {
		if (on && !active[i]) {
			active[i] = o;
			break;
		}
		if (!on && active[i] == o)
			active[i] = NULL;
	}
}

static const char *const sqlite_side_suffixes[] = { "-journal", "-wal", "-shm" };
#define N_SIDE (sizeof(sqlite_side_suffixes) / sizeof(sqlite_side_suffixes[0]))

/* 0 if path is missing (*exists false) or a regular file; OUTPUT_E_BADPATH
 * after a message otherwise. */
static int check_regular(const char *path, const char *role, bool *exists)
{
	struct stat st;

	*exists = false;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		error("unable to use '%s' as %s: %s", path, role, strerror(errno));
		return OUTPUT_E_BADPATH;
	}
	if (!S_ISREG(st.st_mode)) {
		error("'%s' exists and is not a regular file (%s): refusing to replace it", path,
		      S_ISDIR(st.st_mode) ? "a directory" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
			      : S_ISFIFO(st.st_mode) ? "a pipe" : "not a plain file");
		return OUTPUT_E_BADPATH;
	}
	*exists = true;
	return 0;
}

static int join(char *buf, size_t len, const char *a, const char *b)
{
	return snprintf(buf, len, "%s%s", a, b) < (int)len ? 0 : -1;
}

void output_remove_sqlite_side_files(const char *path)
{
	char side[OUTPUT_PATH_MAX + 16];
	struct stat st;

	for (size_t i = 0; i < N_SIDE; i++)
		if (join(side, sizeof(side), path, sqlite_side_suffixes[i]) == 0 && lstat(side, &st) == 0 &&
		    S_ISREG(st.st_mode))
			unlink(side);
}

/* The pid written in a lock file, for the message ("?" if unreadable). */
static void lock_owner(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (char *p = buf; *p; p++)
		if (*p < '0' || *p > '9') {
			snprintf(buf, len, "?");
			return;
		}
}

/* Take o->lock.  A lock file is removed by its holder before it lets go,
 * so after flock() the file must still be the one at that name: if not,
 * another run removed it meanwhile and we try again. */
static int take_lock(struct output *o)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat a, b;
		char pid[32];
		int fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd < 0) {
			int e = errno;
			error("unable to create the lock file '%s': %s", o->lock, strerror(e));
			return -e;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;
			if (e == EWOULDBLOCK) {
				lock_owner(fd, pid, sizeof(pid));
				close(fd);
				error("'%s' is being written by another vmtrace (pid %s, lock file '%s'): "
				      "choose another output or wait for it", o->path, pid, o->lock);
				return OUTPUT_E_BUSY;
			}
			close(fd);
			error("unable to lock '%s': %s", o->lock, strerror(e));
			return -e;
		}
		if (fstat(fd, &a) == 0 && stat(o->lock, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			/* The pid is only for messages: a failure to write it is no error. */
			if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
				errno = 0;
			o->lock_fd = fd;
			o->locked = true;
			track(o, true);
			return 0;
		}
		close(fd);
	}
	error("unable to lock '%s': its lock file keeps changing", o->path);
	return -EAGAIN;
}

static void drop_lock(struct output *o)
{
	if (!o->locked)
		return;
	track(o, false);
	/* Remove the name while still holding it (see take_lock). */
	unlink(o->lock);
	close(o->lock_fd);
	o->lock_fd = -1;
	o->locked = false;
}

void output_note_temp(const char *path)
{
	kept_temp = path;
}

int output_begin(struct output *o, const char *path, bool force, bool quiet, bool sqlite)
{
	bool exists;
	int r;

	memset(o, 0, sizeof(*o));
	o->lock_fd = -1;
	o->force = force;
	o->quiet = quiet;
	o->sqlite = sqlite;
	if (!path || !*path) {
		error("empty output file name");
		return OUTPUT_E_BADPATH;
	}
	/* Room for ".old-journal" and ".recording-XXXXXX.vmt" after it. */
	if (strlen(path) + 32 >= sizeof(o->path)) {
		error("output path '%.64s...' is too long", path);
		return OUTPUT_E_BADPATH;
	}
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->lock, sizeof(o->lock), "%s.lock", path);
	install_handlers();
	r = check_regular(path, "an output file", &exists);
	if (r != 0)
		return r;
	return take_lock(o);
}

int output_make_temp(const char *path, const char *tag, const char *suffix, char *buf, size_t len)
{
	int fd;

	if (snprintf(buf, len, "%s.%s-XXXXXX%s", path, tag, suffix) >= (int)len) {
		buf[0] = '\0';
		error("output path '%.64s...' is too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemps(buf, (int)strlen(suffix), O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		error("unable to create a file beside '%s': %s", path, strerror(e));
		buf[0] = '\0';
		return -e;
	}
	/* mkstemp makes it 0600; the file the user gets has the usual mode. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0)
		warning("unable to set the mode of '%s': %s", buf, strerror(errno));
	close(fd);
	return 0;
}

int output_temp(struct output *o, const char *tag, const char *suffix)
{
	return output_make_temp(o->path, tag, suffix, o->tmp, sizeof(o->tmp));
}

/* Make path's SQLite side files go with it to dest (moved), or go away
 * (dest NULL).  Side files already at dest's names belong to the file
 * being replaced there: they would become a hot journal of the wrong
 * database, so they go first. */
static void move_side_files(const char *path, const char *dest)
{
	char from[OUTPUT_PATH_MAX + 16], to[OUTPUT_PATH_MAX + 16];
	struct stat st;

	if (dest)
		output_remove_sqlite_side_files(dest);
	for (size_t i = 0; i < N_SIDE; i++) {
		if (join(from, sizeof(from), path, sqlite_side_suffixes[i]) != 0 || lstat(from, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (dest && join(to, sizeof(to), dest, sqlite_side_suffixes[i]) == 0 && rename(from, to) == 0)
			continue;
		unlink(from);
	}
}

static void sync_dir(const char *path)
{
	char copy[OUTPUT_PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int output_commit(struct output *o)
{
	char old[OUTPUT_PATH_MAX + 8];
	bool exists, old_exists;
	int e;

	if (!o->tmp[0])
		return error("internal error: nothing written for '%s'", o->path), -EINVAL;
	/* Checked again: the name may have changed since output_begin. */
	if (check_regular(o->path, "an output file", &exists) != 0)
		goto keep;
	if (exists && !o->force) {
		snprintf(old, sizeof(old), "%s.old", o->path);
		if (check_regular(old, "the old output's new name", &old_exists) != 0)
			goto keep;
		if (o->sqlite)
			move_side_files(o->path, old);
		if (rename(o->path, old) != 0) {
			e = errno;
			error("unable to move '%s' to '%s': %s", o->path, old, strerror(e));
			goto keep;
		}
		if (!o->quiet)
			fprintf(stderr, "vmtrace: moved existing '%s' to '%s'\n", o->path, old);
	} else if (o->sqlite) {
		/* Stale side files would be read as the new file's journal. */
		move_side_files(o->path, NULL);
	}
	if (rename(o->tmp, o->path) != 0) {
		e = errno;
		error("unable to rename '%s' to '%s': %s", o->tmp, o->path, strerror(e));
		goto keep;
	}
	sync_dir(o->path);
	o->tmp[0] = '\0';
	drop_lock(o);
	return 0;
keep:
	error("what was written is kept in '%s'", o->tmp);
	output_release(o);
	return -EIO;
}

void output_abort(struct output *o)
{
	if (o->tmp[0]) {
		unlink(o->tmp);
		if (o->sqlite)
			output_remove_sqlite_side_files(o->tmp);
		o->tmp[0] = '\0';
	}
	drop_lock(o);
}

void output_release(struct output *o)
{
	o->tmp[0] = '\0';
	drop_lock(o);
}
