/* QEMU trace text to vmtrace events (qemu_source.h). */
#include "capture/qemu/qemu_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/qemu/qemu_line.h"
#include "capture/qemu/ring_snap.h"
#include "virtio/virtio.h"

struct qemu_source {
	struct qemu_source_cfg cfg;
	struct ring_snap *snap; /* NULL without guest RAM */
	char line[QEMU_LINE_MAX];
	size_t len;
	bool overlong; /* the current line outgrew line[]: skip to its end */
	uint64_t bases[64]; /* device windows seen, for the summary */
	struct qemu_source_stats st;
};

int qemu_source_new(struct qemu_source **out, const struct qemu_source_cfg *cfg)
{
	struct qemu_source *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (cfg->ram && ring_snap_new(&s->snap, cfg->ram, cfg->emit, cfg->ctx) < 0) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void qemu_source_free(struct qemu_source *s)
{
	if (!s)
		return;
	ring_snap_free(s->snap);
	free(s);
}

void qemu_source_get_stats(const struct qemu_source *s, struct qemu_source_stats *st)
{
	*st = s->st;
	if (s->snap) {
		struct ring_snap_stats rs;
		ring_snap_get_stats(s->snap, &rs);
		st->snapshots = rs.triggers;
		st->snapshot_bytes = rs.bytes;
	}
}

/* A line we could not use: count it, and if it was about a virtio-mmio
 * region, leave a marker and a lost-event record where it happened. */
static int bad_line(struct qemu_source *s, const char *line, size_t len, const char *why, uint64_t now_ns)
{
	char text[160];
	int n, r;

	s->st.bad++;
	if (!s->st.first_bad_line) {
		s->st.first_bad_line = s->st.lines;
		snprintf(s->st.first_bad_why, sizeof(s->st.first_bad_why), "%s", why);
	}
	if (!memmem(line, len, "'" QEMU_SOURCE_REGION, sizeof(QEMU_SOURCE_REGION)))
		return 0;
	s->st.lost++;
	n = snprintf(text, sizeof(text), "qemu trace line %llu: %s", (unsigned long long)s->st.lines, why);
	struct vmt_event marker = {
		.ts_ns = now_ns,
		.type = VMT_EV_MARKER,
		.source = VMT_SRC_QEMU,
		.len = (uint32_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1),
		.data = (const uint8_t *)text,
	};
	struct vmt_event lost = {
		.ts_ns = now_ns,
		.type = VMT_EV_LOST,
		.source = VMT_SRC_QEMU,
		.value = 1,
	};
	if ((r = s->cfg.emit(s->cfg.ctx, &marker)) < 0)
		return r;
	return s->cfg.emit(s->cfg.ctx, &lost);
}

static void count_device(struct qemu_source *s, uint64_t base)
{
	for (unsigned i = 0; i < s->st.devices; i++)
		if (s->bases[i] == base)
			return;
	if (s->st.devices < 64) /* more than that: the count stops at 64 */
		s->bases[s->st.devices++] = base;
}

static int access_event(struct qemu_source *s, const struct qemu_access *a, uint64_t now_ns)
{
	uint64_t base = a->addr & ~(uint64_t)(VIRTIO_MMIO_REGION_SIZE - 1);
	uint32_t off = (uint32_t)(a->addr - base);
	uint64_t ts = a->has_time ? a->time_ns : now_ns;
	int r;

	if (s->snap && (r = ring_snap_access(s->snap, base, off, a->write, a->size, a->value, ts)) < 0)
		return r;
	struct vmt_event ev = {
		.ts_ns = ts,
		.type = VMT_EV_MMIO,
		.source = VMT_SRC_QEMU,
		.dir = a->write ? VMT_DIR_WRITE : VMT_DIR_READ,
		.width = (uint8_t)a->size,
		.vcpu = a->cpu > UINT16_MAX ? UINT16_MAX : (uint16_t)a->cpu,
		.base = base,
		.addr = off,
		.value = a->value,
	};
	s->st.accesses++;
	count_device(s, base);
	return s->cfg.emit(s->cfg.ctx, &ev);
}

static int one_line(struct qemu_source *s, const char *line, size_t len, uint64_t now_ns)
{
	struct qemu_access a;
	const char *why;

	s->st.lines++;
	if (s->overlong)
		return bad_line(s, line, len, "line longer than 4096 bytes", now_ns);
	switch (qemu_line_parse(line, len, &a, &why)) {
	case QEMU_LINE_ACCESS:
		if (strcmp(a.name, QEMU_SOURCE_REGION) == 0)
			return access_event(s, &a, now_ns);
		s->st.other++;
		return 0;
	case QEMU_LINE_BAD:
		return bad_line(s, line, len, why, now_ns);
	default:
		s->st.other++;
		return 0;
	}
}

int qemu_source_feed(struct qemu_source *s, const char *buf, size_t len, uint64_t now_ns)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		int r;

		if (!s->overlong && take <= sizeof(s->line) - s->len) {
			memcpy(s->line + s->len, buf, take);
			s->len += take;
		} else if (!s->overlong) {
			/* Keep the start (it says whose line it was), drop the rest. */
			memcpy(s->line + s->len, buf, sizeof(s->line) - s->len);
			s->len = sizeof(s->line);
			s->overlong = true;
		}
		if (!nl)
			return 0;
		r = one_line(s, s->line, s->len, now_ns);
		s->len = 0;
		s->overlong = false;
		if (r < 0)
			return r;
		buf += take + 1;
		len -= take + 1;
	}
	return 0;
}

int qemu_source_end(struct qemu_source *s, uint64_t now_ns)
{
	struct qemu_access a;
	enum qemu_line_kind kind;
	const char *why;
	int r = 0;

	if (s->len == 0 && !s->overlong)
		return 0;
	kind = s->overlong ? QEMU_LINE_BAD : qemu_line_parse(s->line, s->len, &a, &why);
	if (kind == QEMU_LINE_ACCESS) {
		/* Complete up to its closing quote: only the newline is missing. */
		r = one_line(s, s->line, s->len, now_ns);
	} else if (kind == QEMU_LINE_BAD) {
		/* A last line without its newline: QEMU was cut off mid-write. */
		s->st.lines++;
		r = bad_line(s, s->line, s->len, "last line cut short (no newline)", now_ns);
	}
	s->len = 0;
	s->overlong = false;
	return r;
}
