/* Helpers shared by the fuzz targets; see fuzz.h. */
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

bool fuzz_known(const char *text)
{
	const char *known = getenv("FUZZ_KNOWN");

	while (known && *known) {
		const char *bar = strchr(known, '|');
		size_t n = bar ? (size_t)(bar - known) : strlen(known);
		if (n && memmem(text, strlen(text), known, n))
			return true;
		known = bar ? bar + 1 : NULL;
	}
	return false;
}

void fuzz_check_screen(const char *what, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c >= 0x20 || c == '\n' || c == '\t') && c != 0x7f)
			continue;
		/* The text before it, escaped, so this report is safe to print. */
		char near[400];
		size_t k = 0, from = i > 80 ? i - 80 : 0;
		for (size_t j = from; j <= i && k < sizeof(near) - 5; j++) {
			unsigned char b = (unsigned char)p[j];
			k += (size_t)snprintf(near + k, sizeof(near) - k, b < 0x20 || b >= 0x7f ? "\\x%02x" : "%c", b);
		}
		if (fuzz_known(near))
			return;
		fuzz_fail("%s printed control byte 0x%02x at %zu: ...%s", what, c, i, near);
	}
}

/* Everything written to fd 1 during a call (some commands write(2) to
 * it directly) lands in a memory file. */
struct fd_capture {
	int saved, mem;
};

static void fd_capture_start(struct fd_capture *c)
{
	fflush(stdout);
	c->saved = dup(STDOUT_FILENO);
	c->mem = memfd_create("fuzz-stdout", MFD_CLOEXEC);
	if (c->saved < 0 || c->mem < 0 || dup2(c->mem, STDOUT_FILENO) < 0)
		fuzz_fail("capturing stdout: %s", strerror(errno));
}

/* Stop capturing; returns what was written (malloc'ed) and its length. */
static char *fd_capture_end(struct fd_capture *c, size_t *len)
{
	off_t n;
	char *buf;

	if (dup2(c->saved, STDOUT_FILENO) < 0)
		fuzz_fail("restoring stdout: %s", strerror(errno));
	close(c->saved);
	n = lseek(c->mem, 0, SEEK_END);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || n < 0 || (n > 0 && pread(c->mem, buf, (size_t)n, 0) != n))
		fuzz_fail("reading captured stdout");
	close(c->mem);
	*len = (size_t)n;
	return buf;
}

int fuzz_run_cmd(int (*cmd)(int, char **), int argc, const char **argv)
{
	FILE *out = stdout, *err = stderr;
	char *obuf = NULL, *ebuf = NULL, *fbuf;
	size_t olen = 0, elen = 0, flen;
	struct fd_capture fc;
	char what[64];
	int rc;

	fd_capture_start(&fc);
	stdout = open_memstream(&obuf, &olen);
	stderr = open_memstream(&ebuf, &elen);
	if (!stdout || !stderr)
		fuzz_fail("open_memstream");
	rc = cmd(argc, (char **)argv);
	fclose(stdout);
	fclose(stderr);
	stdout = out;
	stderr = err;
	fbuf = fd_capture_end(&fc, &flen);
	snprintf(what, sizeof(what), "%s %s (stdout)", argv[0], argc > 2 ? argv[1] : "");
	fuzz_check_screen(what, obuf, olen);
	fuzz_check_screen(what, fbuf, flen);
	snprintf(what, sizeof(what), "%s %s (stderr)", argv[0], argc > 2 ? argv[1] : "");
	fuzz_check_screen(what, ebuf, elen);
	free(obuf);
	free(ebuf);
	free(fbuf);
	if (rc != 0 && rc != 1 && rc != 2)
		fuzz_fail("%s exited with %d", argv[0], rc);
	return rc;
}
