/* Turn a file of QEMU trace text into a raw trace, the way `vmtrace record`
 * does with QEMU's trace pipe but without running QEMU or reading guest
 * RAM (no ring copies): for golden inputs made from real QEMU text
 * (tests/golden/in/qemu-queue.vmt from data/blk-boot-excerpt.txt).  The
 * output depends only on the text (times come from the lines), so the
 * qemu-text-vmt test rebuilds it and compares it with the committed file.
 *
 *   qemu_text_vmt IN.txt OUT.vmt [EXPECTED.vmt]
 *
 * Exit status 0, 1 if OUT differs from EXPECTED, 2 for usage or I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/qemu/qemu_source.h"
#include "capture/rawtrace.h"

static int emit(void *ctx, const struct vmt_event *ev)
{
	return rawtrace_writer_append(ctx, ev, NULL);
}

/* Read all of path into a malloc'ed buffer (*len bytes); NULL on error. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct rawtrace_meta m = { .source = VMT_SRC_QEMU };
	struct rawtrace_writer *w = NULL;
	struct qemu_source *src = NULL;
	struct qemu_source_stats st;
	char *text = NULL, *got = NULL, *want = NULL;
	size_t len = 0, got_len = 0, want_len = 0;
	int rc = 2, r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: qemu_text_vmt IN.txt OUT.vmt [EXPECTED.vmt]\n");
		return 2;
	}
	if (!(text = slurp(argv[1], &len))) {
		fprintf(stderr, "qemu_text_vmt: unable to read '%s'\n", argv[1]);
		goto cleanup;
	}
	if (rawtrace_meta_set(&m, "command", "qemu_text_vmt (QEMU trace text, no guest RAM)") < 0 ||
	    rawtrace_writer_open(&w, argv[2], &m, NULL) < 0) {
		fprintf(stderr, "qemu_text_vmt: unable to write '%s'\n", argv[2]);
		goto cleanup;
	}
	struct qemu_source_cfg cfg = { .emit = emit, .ctx = w, .ram = NULL };
	if (qemu_source_new(&src, &cfg) < 0 || (r = qemu_source_feed(src, text, len, 0)) < 0 ||
	    (r = qemu_source_end(src, 0)) < 0) {
		fprintf(stderr, "qemu_text_vmt: writing '%s' failed\n", argv[2]);
		goto cleanup;
	}
	qemu_source_get_stats(src, &st);
	r = rawtrace_writer_close(w, 0, "normal");
	w = NULL;
	if (r < 0) {
		fprintf(stderr, "qemu_text_vmt: writing '%s' failed: %s\n", argv[2], strerror(-r));
		goto cleanup;
	}
	printf("%llu lines, %llu accesses, %llu reports (%llu unmapped, %llu without their pop), %llu bad, "
	       "%u queues mapped\n",
	       (unsigned long long)st.lines, (unsigned long long)st.accesses, (unsigned long long)st.reports,
	       (unsigned long long)st.reports_unmapped, (unsigned long long)st.reports_no_pop,
	       (unsigned long long)st.bad, st.queues_mapped);
	rc = 0;
	if (argc == 4) {
		got = slurp(argv[2], &got_len);
		want = slurp(argv[3], &want_len);
		if (!got || !want) {
			fprintf(stderr, "qemu_text_vmt: unable to read '%s' or '%s'\n", argv[2], argv[3]);
			rc = 2;
		} else if (got_len != want_len || memcmp(got, want, got_len) != 0) {
			fprintf(stderr, "qemu_text_vmt: '%s' differs from '%s' (regenerate it: %s %s %s)\n", argv[2],
				argv[3], argv[0], argv[1], argv[3]);
			rc = 1;
		}
	}
cleanup:
	if (w)
		rawtrace_writer_close(w, 0, "failed");
	qemu_source_free(src);
	rawtrace_meta_clear(&m);
	free(text);
	free(got);
	free(want);
	return rc;
}
