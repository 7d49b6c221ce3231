/* A trace pipe that holds QEMU back (lockstep.h). */
#include "capture/qemu/lockstep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int lockstep_setup(struct lockstep *ls, int rfd, int wfd, char *err, size_t errlen)
{
	char path[40];
	int r;

	memset(ls, 0, sizeof(*ls));
	ls->rfd = rfd;
	ls->fill_fd = -1;
	ls->ep_fd = -1;
	if (fcntl(wfd, F_SETPIPE_SZ, (int)LOCKSTEP_PIPE_BYTES) < 0) {
		r = errno;
		snprintf(err, errlen, "cannot make the trace pipe one page long: %s", strerror(r));
		return r;
	}
	if (fcntl(wfd, F_GETPIPE_SZ) != (int)LOCKSTEP_PIPE_BYTES) {
		snprintf(err, errlen, "the trace pipe cannot be one page (%u bytes) long on this system",
			 LOCKSTEP_PIPE_BYTES);
		return EINVAL;
	}
	/* A file description of our own: O_NONBLOCK on a dup would also make
	 * QEMU's writes non-blocking. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wfd);
	ls->fill_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (ls->fill_fd < 0) {
		r = errno;
		snprintf(err, errlen, "cannot open a second write end of the trace pipe (%s): %s", path, strerror(r));
		return r;
	}
	/* The pipe always holds filler, so it always polls readable: an
	 * edge-triggered epoll wakes on each write instead, QEMU's included. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	ls->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ls->ep_fd < 0 || epoll_ctl(ls->ep_fd, EPOLL_CTL_ADD, rfd, &ev) != 0) {
		r = errno;
		snprintf(err, errlen, "cannot watch the trace pipe: %s", strerror(r));
		lockstep_off(ls);
		return r;
	}
	return 0;
}

bool lockstep_on(const struct lockstep *ls)
{
	return ls->fill_fd >= 0;
}

static size_t pending(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (size_t)n;
}

/* Fill the page behind what it holds, leaving room bytes free. */
static void fill(struct lockstep *ls, size_t room)
{
	static char filler[LOCKSTEP_PIPE_BYTES];

	/* filler is NUL bytes (static storage): QEMU's text has none. */
	/* A line QEMU adds between measuring and writing makes the filler
	 * too long to fit (EAGAIN, nothing written): measure again. */
	for (int tries = 0; tries < 8; tries++) {
		size_t there = pending(ls->rfd);
		ssize_t k;

		if (there + room >= LOCKSTEP_PIPE_BYTES)
			return; /* full enough */
		k = write(ls->fill_fd, filler, LOCKSTEP_PIPE_BYTES - room - there);
		if (k > 0) {
			ls->filler += (uint64_t)k;
			ls->own += (size_t)k;
			return;
		}
		if (k < 0 && errno != EAGAIN)
			return;
	}
}

void lockstep_arm(struct lockstep *ls)
{
	if (lockstep_on(ls))
		fill(ls, LOCKSTEP_ROOM);
}

/* Drop the filler (NUL bytes, wherever they are: a writer that is not
 * QEMU itself, a wrapper script's tee, may cut lines anywhere) from
 * buf[0..n); returns the bytes kept. */
static size_t strip(struct lockstep *ls, char *buf, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0') {
			ls->own -= ls->own > 0;
			continue;
		}
		buf[out++] = buf[i];
	}
	return out;
}

static ssize_t read_stripped(struct lockstep *ls, char *buf, size_t len)
{
	ssize_t k = read(ls->rfd, buf, len);

	if (k < 0)
		return -errno;
	return (ssize_t)strip(ls, buf, (size_t)k);
}

ssize_t lockstep_read(struct lockstep *ls, char *buf, size_t len)
{
	size_t there;

	if (!lockstep_on(ls)) {
		ssize_t k = read(ls->rfd, buf, len);
		return k < 0 ? -errno : (ssize_t)strip(ls, buf, (size_t)k);
	}
	/* Filler behind QEMU's lines limits what it can add while we hold;
	 * the marker then keeps the page taken once the rest is read.  If
	 * the page is full to the last byte the marker cannot go in, and
	 * QEMU's last line stays whole for the next read. */
	fill(ls, 1);
	if (write(ls->fill_fd, "", 1) == 1) {
		ls->filler++;
		ls->own++;
	}
	there = pending(ls->rfd);
	if (there <= 1)
		return -EAGAIN;
	ls->rounds++;
	return read_stripped(ls, buf, (there - 1) < len ? there - 1 : len);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The page is free: give a QEMU thread that waited for it the time to
 * take it (woken, it takes a free page only, and would wait on behind our
 * filler).  If one did, fill the page behind its line to the last byte
 * (the marker's): it waits at its next line.  Else leave room for one. */
static void rearm(struct lockstep *ls)
{
	uint64_t until = now_ns() + LOCKSTEP_SPIN_NS;

	while (pending(ls->rfd) == 0 && now_ns() < until)
		;
	fill(ls, pending(ls->rfd) ? 1 : LOCKSTEP_ROOM);
}

ssize_t lockstep_release(struct lockstep *ls, char *buf, size_t len)
{
	size_t there;
	ssize_t k = 0;

	if (!lockstep_on(ls))
		return 0;
	there = pending(ls->rfd);
	if (there > 0)
		k = read_stripped(ls, buf, there < len ? there : len);
	rearm(ls);
	return k;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int lockstep_wait(struct lockstep *ls, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	if (!lockstep_on(ls)) {
		struct pollfd pfd = { .fd = ls->rfd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_ms);
		return n < 0 ? (errno == EINTR ? 0 : -errno) : n > 0;
	}
	for (;;) {
		struct epoll_event ev;
		uint64_t t = now_ms();
		int n, wait;

		/* More than our own filler: QEMU wrote. */
		if (pending(ls->rfd) > ls->own)
			return 1;
		if (t >= end)
			return 0;
		wait = (int)(end - t) < LOCKSTEP_STALL_MS ? (int)(end - t) : LOCKSTEP_STALL_MS;
		n = epoll_wait(ls->ep_fd, &ev, 1, wait);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && pending(ls->rfd) > 0) {
			/* Quiet for a while with the page taken: a QEMU thread may
			 * wait for it, having woken too late to take it.  The read
			 * and release that follow free it. */
			ls->stalls++;
			return 1;
		}
	}
}

void lockstep_off(struct lockstep *ls)
{
	if (ls->fill_fd >= 0)
		close(ls->fill_fd);
	if (ls->ep_fd >= 0)
		close(ls->ep_fd);
	ls->fill_fd = ls->ep_fd = -1;
}
