/* kvmtrace-cmp: hold the MMIO events of two raw traces against each other,
 * event for event: count, order, guest-physical address (base + offset),
 * width, direction and value.  Everything else (timestamps, vCPU, memory,
 * interrupts, markers, the source) is ignored.  Made for kvmhost's truth
 * trace against a `vmtrace record --bpf` trace of the same run.
 *
 *   kvmtrace-cmp [--quiet] EXPECTED.vmt ACTUAL.vmt
 *
 * Exit status: 0 they agree, 1 they differ (the first difference is
 * shown with the events before it), 2 a file cannot be read. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/rawtrace.h"
#include "virtio/mmio_regs.h"

#define CONTEXT 4 /* agreeing events shown before a difference */

struct mmio {
	uint64_t seq;  /* in its file */
	uint64_t gpa;
	uint64_t value;
	uint8_t width;
	uint8_t dir;
};

struct side {
	const char *path;
	struct rawtrace_reader *r;
	uint64_t n; /* MMIO events read */
};

/* Next MMIO event of s: 1, 0 at the end, or -1 on an I/O error. */
static int next_mmio(struct side *s, struct mmio *m)
{
	struct vmt_event ev;
	int r;

	while ((r = rawtrace_reader_next(s->r, &ev)) > 0) {
		if (ev.type != VMT_EV_MMIO)
			continue;
		m->seq = ev.seq;
		m->gpa = ev.base + ev.addr;
		m->value = ev.value;
		m->width = ev.width;
		m->dir = ev.dir;
		s->n++;
		return 1;
	}
	if (r < 0)
		fprintf(stderr, "kvmtrace-cmp: reading '%s': %s\n", s->path, strerror(-r));
	return r < 0 ? -1 : 0;
}

static void show(const char *label, const struct mmio *m)
{
	char reg[48];

	/* The register name assumes the usual 0x200-byte window alignment. */
	mmio_reg_describe((uint32_t)(m->gpa & 0x1ff), 2, reg, sizeof(reg));
	printf("  %-8s seq %-8" PRIu64 " %c 0x%-10" PRIx64 " %-18s width %u value 0x%" PRIx64 "\n", label, m->seq,
	       m->dir == VMT_DIR_WRITE ? 'W' : 'R', m->gpa, reg, m->width, m->value);
}

static bool same(const struct mmio *a, const struct mmio *b)
{
	return a->gpa == b->gpa && a->width == b->width && a->dir == b->dir && a->value == b->value;
}

static void report_status(const struct side *s)
{
	struct rawtrace_status st;

	rawtrace_reader_status(s->r, &st);
	if (!st.complete)
		printf("  note: '%s' is incomplete (%s)\n", s->path, st.damaged ? st.reason : "no footer");
	if (st.lost)
		printf("  note: '%s' counts %" PRIu64 " lost event(s)\n", s->path, st.lost);
}

int main(int argc, char **argv)
{
	struct side a = { 0 }, b = { 0 };
	struct mmio ring[CONTEXT], ma, mb;
	bool quiet = false;
	char err[256];
	int argi = 1, status = 2;
	uint64_t agreed = 0;

	if (argi < argc && !strcmp(argv[argi], "--quiet")) {
		quiet = true;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: kvmtrace-cmp [--quiet] EXPECTED.vmt ACTUAL.vmt\n");
		return 2;
	}
	a.path = argv[argi];
	b.path = argv[argi + 1];
	if (rawtrace_reader_open(&a.r, a.path, err, sizeof(err)) < 0 ||
	    rawtrace_reader_open(&b.r, b.path, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvmtrace-cmp: %s\n", err);
		goto out;
	}
	for (;;) {
		int ra = next_mmio(&a, &ma), rb = next_mmio(&b, &mb);

		if (ra < 0 || rb < 0)
			goto out;
		if (ra == 0 && rb == 0)
			break;
		if (ra == 0 || rb == 0 || !same(&ma, &mb)) {
			printf("kvmtrace-cmp: MMIO event %" PRIu64 " differs (%" PRIu64 " agreed before it)\n", agreed,
			       agreed);
			for (uint64_t k = agreed > CONTEXT ? agreed - CONTEXT : 0; k < agreed; k++)
				show("both", &ring[k % CONTEXT]);
			if (ra)
				show("expected", &ma);
			else
				printf("  expected: no more MMIO events (%" PRIu64 " in all)\n", a.n);
			if (rb)
				show("actual", &mb);
			else
				printf("  actual: no more MMIO events (%" PRIu64 " in all)\n", b.n);
			/* Read both to the end for their totals and footers. */
			while (ra > 0)
				ra = next_mmio(&a, &ma);
			while (rb > 0)
				rb = next_mmio(&b, &mb);
			printf("  MMIO events: %" PRIu64 " expected, %" PRIu64 " actual\n", a.n, b.n);
			report_status(&a);
			report_status(&b);
			status = 1;
			goto out;
		}
		ring[agreed % CONTEXT] = ma;
		agreed++;
	}
	if (!quiet) {
		printf("kvmtrace-cmp: %" PRIu64 " MMIO events agree (count, order, address, width, direction, value)\n",
		       agreed);
		report_status(&a);
		report_status(&b);
	}
	status = 0;
out:
	rawtrace_reader_close(a.r);
	rawtrace_reader_close(b.r);
	return status;
}
