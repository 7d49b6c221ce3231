/* Raw trace writer and reader: round trips, flush modes, limits, and the
 * damage guarantees (truncation at every offset, a flipped byte at every
 * offset, garbage, hostile lengths). */
#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "capture/rawtrace_format.h"

/* An event with its own copy of the payload. */
struct owned {
	struct vmt_event ev;
	uint8_t *data;
};

static struct owned *own(const struct vmt_event *ev)
{
	struct owned *o = calloc(1, sizeof(*o));
	o->ev = *ev;
	if (ev->len) {
		o->data = malloc(ev->len);
		memcpy(o->data, ev->data, ev->len);
	}
	o->ev.data = o->data;
	return o;
}

static bool same_event(const struct vmt_event *a, const struct vmt_event *b)
{
	return a->seq == b->seq && a->ts_ns == b->ts_ns && a->type == b->type &&
	       a->source == b->source && a->dir == b->dir && a->width == b->width &&
	       a->vcpu == b->vcpu && a->flags == b->flags && a->base == b->base &&
	       a->addr == b->addr && a->value == b->value && a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static uint64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
}

static uint32_t rng_state = 1;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static uint8_t big[VMT_EVENT_DATA_MAX + 1];

/* Events covering every type, every field at zero, small and extreme
 * values, and payload sizes 0, 1 and VMT_EVENT_DATA_MAX. */
static size_t make_all_types(struct vmt_event *out, size_t max)
{
	static const uint32_t sizes[] = { 0, 1, VMT_EVENT_DATA_MAX };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (uint8_t t = 1; t <= VMT_EV_TYPE_MAX; t++) {
		for (size_t s = 0; s < 3; s++) {
			for (int variant = 0; variant < 3 && n < max; variant++) {
				struct vmt_event e = { 0 };
				e.type = t;
				if (variant == 1) {
					e.ts_ns = 1000u * n;
					e.source = VMT_SRC_EMU;
					e.dir = VMT_DIR_WRITE;
					e.width = 4;
					e.vcpu = 3;
					e.flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT;
					e.base = 0xfeb02e00u;
					e.addr = 0x70;
					e.value = 0xb;
				} else if (variant == 2) {
					e.ts_ns = UINT64_MAX - n; /* and time going backwards */
					e.source = 0xff;
					e.dir = 0xff;
					e.width = 0xff;
					e.vcpu = 0xffff;
					e.flags = 0xffff;
					e.base = UINT64_MAX;
					e.addr = UINT64_MAX - 1;
					e.value = UINT64_MAX;
				}
				e.len = sizes[s];
				e.data = e.len ? big + (variant % 2) : NULL;
				if (t == VMT_EV_QUEUE) {
					/* The one payload size and steps a queue report has. */
					e.len = VMT_QUEUE_REPORT_BYTES;
					e.data = big + s;
					e.value = 1 + n % VMT_QSTEP_MAX;
				}
				out[n++] = e;
			}
		}
	}
	return n;
}

static void test_roundtrip_all_types(void)
{
	const char *path = harness_tmpfile("roundtrip.vmt");
	struct vmt_event evs[128];
	size_t n = make_all_types(evs, 128);
	struct rawtrace_writer *w = NULL;
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct vmt_event got;
	char err[256];
	uint64_t seq;

	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U(rawtrace_writer_append(w, &evs[i], &seq), 0);
		CHECK_EQ_U(seq, i);
		evs[i].seq = i;
	}
	CHECK_EQ_U(rawtrace_writer_events(w), n);
	CHECK_EQ_U(rawtrace_writer_close(w, 7, "target exited with status 1"), 0);

	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U(rawtrace_reader_next(r, &got), 1);
		if (!same_event(&got, &evs[i]))
			fprintf(stderr, "event %zu differs (type %u len %u)\n", i, evs[i].type, evs[i].len);
		CHECK(same_event(&got, &evs[i]));
	}
	CHECK_EQ_U(rawtrace_reader_next(r, &got), 0);
	CHECK_EQ_U(rawtrace_reader_next(r, &got), 0);
	rawtrace_reader_status(r, &st);
	CHECK(st.complete);
	CHECK(!st.damaged);
	CHECK_EQ_U(st.events, n);
	CHECK_EQ_U(st.footer_events, n);
	CHECK_STR(st.end_reason, "target exited with status 1");
	/* 7 from the footer plus the values of the LOST events. */
	uint64_t lost = 7;
	for (size_t i = 0; i < n; i++)
		if (evs[i].type == VMT_EV_LOST)
			lost += evs[i].value;
	CHECK_EQ_U(st.lost, lost);
	CHECK_EQ_U(st.stop_offset, file_size(path));
	rawtrace_reader_close(r);
	unlink(path);
}

static void test_meta(void)
{
	const char *path = harness_tmpfile("meta.vmt");
	struct rawtrace_meta m = { 0 };
	struct rawtrace_writer *w = NULL;
	struct rawtrace_reader *r = NULL;
	struct vmt_device_desc d = { 0 };
	struct vmt_event ev;
	char s[RAWTRACE_META_STR_MAX + 1], key[32], err[256];

	m.source = VMT_SRC_QEMU;
	m.ram_base = 0x40000000;
	m.ram_size = 256u << 20;
	CHECK_EQ_U(rawtrace_meta_set(&m, "command", "qemu-system-x86_64 -M microvm"), 0);
	CHECK_EQ_U(rawtrace_meta_set(&m, "empty", ""), 0);
	CHECK_EQ_U(rawtrace_meta_set(&m, "command", "replaced"), 0);
	CHECK_STR(rawtrace_meta_get(&m, "command"), "replaced");
	CHECK(rawtrace_meta_get(&m, "missing") == NULL);
	CHECK_EQ_U(rawtrace_meta_set(&m, "", "x"), (uint64_t)-EINVAL);
	CHECK_EQ_U(rawtrace_meta_set(&m, "k", NULL), (uint64_t)-EINVAL);
	/* String limit: RAWTRACE_META_STR_MAX - 1 bytes fit, one more does not. */
	memset(s, 'v', sizeof(s));
	s[RAWTRACE_META_STR_MAX - 1] = '\0';
	CHECK_EQ_U(rawtrace_meta_set(&m, "long", s), 0);
	s[RAWTRACE_META_STR_MAX - 1] = 'v';
	s[RAWTRACE_META_STR_MAX] = '\0';
	CHECK_EQ_U(rawtrace_meta_set(&m, "toolong", s), (uint64_t)-EINVAL);
	while (m.n_kv < RAWTRACE_META_KV_MAX) {
		snprintf(key, sizeof(key), "k%zu", m.n_kv);
		CHECK_EQ_U(rawtrace_meta_set(&m, key, key), 0);
	}
	CHECK_EQ_U(rawtrace_meta_set(&m, "one-more", "x"), (uint64_t)-ENOSPC);
	for (int i = 0; i < RAWTRACE_META_DEVICES_MAX; i++) {
		d.base = 0x10000000u + 0x1000u * (unsigned)i;
		d.size = 0x200;
		d.device_id = (uint32_t)(i % 4) + 1;
		d.version = (uint32_t)(i % 2) + 1;
		d.vendor_id = 0x554d4551;
		snprintf(d.name, sizeof(d.name), "virtio-%d@0x%llx", i, (unsigned long long)d.base);
		CHECK_EQ_U(rawtrace_meta_add_device(&m, &d), 0);
	}
	CHECK_EQ_U(rawtrace_meta_add_device(&m, &d), (uint64_t)-ENOSPC);

	CHECK_EQ_U(rawtrace_writer_open(&w, path, &m, NULL), 0);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);
	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	if (r) {
		const struct rawtrace_meta *g = rawtrace_reader_meta(r);
		CHECK_EQ_U(g->source, VMT_SRC_QEMU);
		CHECK_EQ_U(g->ram_base, 0x40000000);
		CHECK_EQ_U(g->ram_size, 256u << 20);
		CHECK_EQ_U(g->n_kv, m.n_kv);
		for (size_t i = 0; i < m.n_kv && i < g->n_kv; i++) {
			CHECK_STR(g->kv[i].key, m.kv[i].key);
			CHECK_STR(g->kv[i].value, m.kv[i].value);
		}
		CHECK_EQ_U(g->n_devices, m.n_devices);
		for (size_t i = 0; i < m.n_devices && i < g->n_devices; i++) {
			CHECK_EQ_U(g->devices[i].base, m.devices[i].base);
			CHECK_EQ_U(g->devices[i].size, m.devices[i].size);
			CHECK_EQ_U(g->devices[i].device_id, m.devices[i].device_id);
			CHECK_EQ_U(g->devices[i].version, m.devices[i].version);
			CHECK_EQ_U(g->devices[i].vendor_id, m.devices[i].vendor_id);
			CHECK_STR(g->devices[i].name, m.devices[i].name);
		}
		CHECK_EQ_U(rawtrace_reader_next(r, &ev), 0);
		struct rawtrace_status st;
		rawtrace_reader_status(r, &st);
		CHECK(st.complete);
		CHECK_STR(st.end_reason, "normal");
	}
	rawtrace_reader_close(r);
	rawtrace_meta_clear(&m);
	CHECK_EQ_U(m.n_kv, 0);
	rawtrace_meta_clear(&m); /* twice is fine */
	rawtrace_meta_clear(NULL);
	unlink(path);
}

static struct vmt_event mmio_event(uint64_t i)
{
	struct vmt_event e = { 0 };
	e.type = VMT_EV_MMIO;
	e.source = VMT_SRC_EMU;
	e.ts_ns = 100 * i;
	e.dir = (uint8_t)(i & 1);
	e.width = 4;
	e.base = 0x10000000u + 0x1000u * ((i / 16) % 3);
	e.addr = (i * 4) % 0x100;
	/* Mostly register-sized values, now and then a full 64-bit one. */
	e.value = (i % 97 == 0) ? i * 0x9e3779b97f4a7c15ull : (uint32_t)(i * 2654435761u) >> (i % 32);
	return e;
}

static void test_blocks_and_sequence(void)
{
	const char *path = harness_tmpfile("blocks.vmt");
	struct rawtrace_write_opts o = { .block_size = RAWTRACE_BLOCK_MIN };
	struct rawtrace_writer *w = NULL;
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct vmt_event ev, want;
	const uint64_t n = 20000;
	uint64_t seq, i;
	char err[256];

	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, &o), 0);
	for (i = 0; i < n; i++) {
		ev = mmio_event(i);
		CHECK_EQ_U(rawtrace_writer_append(w, &ev, &seq), 0);
		CHECK_EQ_U(seq, i);
	}
	/* Bad events are refused and do not kill the writer. */
	ev = mmio_event(0);
	ev.type = 0;
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), (uint64_t)-EINVAL);
	ev.type = VMT_EV_TYPE_MAX + 1;
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), (uint64_t)-EINVAL);
	ev.type = VMT_EV_MEM;
	ev.len = VMT_EVENT_DATA_MAX + 1;
	ev.data = big;
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), (uint64_t)-EINVAL);
	ev.len = 4;
	ev.data = NULL;
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), (uint64_t)-EINVAL);
	CHECK_EQ_U(rawtrace_writer_events(w), n);
	uint64_t bytes = rawtrace_writer_bytes(w);
	CHECK_EQ_U(rawtrace_writer_flush(w), 0);
	CHECK_EQ_U(file_size(path), bytes);
	/* Compactness: a typical MMIO record stays far below 16 bytes. */
	printf("%.2f bytes per MMIO event\n", (double)bytes / (double)n);
	CHECK(bytes < n * 12);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, "normal"), 0);

	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	if (!r)
		return;
	for (i = 0; rawtrace_reader_next(r, &ev) == 1; i++) {
		want = mmio_event(i);
		want.seq = i;
		if (!same_event(&ev, &want)) {
			CHECK(same_event(&ev, &want));
			break;
		}
	}
	CHECK_EQ_U(i, n);
	rawtrace_reader_status(r, &st);
	CHECK(st.complete && !st.damaged);
	/* 4 KiB blocks: many of them, each close to full. */
	CHECK(st.blocks > 20);
	CHECK(st.blocks < bytes / (RAWTRACE_BLOCK_MIN - RT_RECORD_FIXED_MAX) + 2);
	rawtrace_reader_close(r);
	unlink(path);
}

static void test_flush_modes(void)
{
	const char *path = harness_tmpfile("flush.vmt");
	struct rawtrace_write_opts o = { 0 };
	struct rawtrace_writer *w = NULL;
	struct vmt_event ev = mmio_event(1);
	uint64_t start, prev;

	/* block: nothing after the metadata until a block fills. */
	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, &o), 0);
	start = file_size(path);
	CHECK_EQ_U(start, rawtrace_writer_bytes(w));
	for (int i = 0; i < 100; i++)
		CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), 0);
	CHECK_EQ_U(file_size(path), start);
	CHECK(rawtrace_writer_bytes(w) > start);
	CHECK_EQ_U(rawtrace_writer_flush(w), 0);
	CHECK_EQ_U(file_size(path), rawtrace_writer_bytes(w));
	CHECK_EQ_U(rawtrace_writer_flush(w), 0); /* nothing buffered: no empty block */
	CHECK_EQ_U(file_size(path), rawtrace_writer_bytes(w));
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);

	/* event: a block per event, fsync on. */
	o.flush = RAWTRACE_FLUSH_EVENT;
	o.fsync = true;
	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, &o), 0);
	prev = file_size(path);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), 0);
		CHECK(file_size(path) > prev + RT_BLOCK_HEADER_SIZE);
		prev = file_size(path);
		CHECK_EQ_U(prev, rawtrace_writer_bytes(w));
	}
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);

	/* interval: the partial block goes out on the first append after the
	 * interval has passed. */
	o.flush = RAWTRACE_FLUSH_INTERVAL;
	o.fsync = false;
	o.interval_ms = 50;
	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, &o), 0);
	start = file_size(path);
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), 0);
	CHECK_EQ_U(file_size(path), start);
	struct timespec ts = { 0, 120 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), 0);
	CHECK(file_size(path) > start);
	CHECK_EQ_U(file_size(path), rawtrace_writer_bytes(w));
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);

	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	char err[256];
	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	while (r && rawtrace_reader_next(r, &ev) == 1)
		;
	rawtrace_reader_status(r, &st);
	CHECK_EQ_U(st.events, 2);
	CHECK_EQ_U(st.blocks, 1);
	CHECK(st.complete);
	rawtrace_reader_close(r);
	unlink(path);
}

static void test_parse_flush(void)
{
	struct rawtrace_write_opts o = { 0 };

	CHECK_EQ_U(rawtrace_parse_flush("event", &o), 0);
	CHECK_EQ_U(o.flush, RAWTRACE_FLUSH_EVENT);
	CHECK_EQ_U(rawtrace_parse_flush("block", &o), 0);
	CHECK_EQ_U(o.flush, RAWTRACE_FLUSH_BLOCK);
	CHECK_EQ_U(rawtrace_parse_flush("250", &o), 0);
	CHECK_EQ_U(o.flush, RAWTRACE_FLUSH_INTERVAL);
	CHECK_EQ_U(o.interval_ms, 250);
	CHECK_EQ_U(rawtrace_parse_flush("1000ms", &o), 0);
	CHECK_EQ_U(o.interval_ms, 1000);
	CHECK_EQ_U(rawtrace_parse_flush("86400000", &o), 0);
	static const char *bad[] = { "", "0", "0ms", "-5", "+5", " 5", "5s", "ms", "86400001",
		"99999999999999999999999", "blocks", "Event" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_U(rawtrace_parse_flush(bad[i], &o), (uint64_t)-EINVAL);
}

/* The small multi-block file the damage tests cut and flip, with its
 * events and the extent of each block (walked from the bytes). */
struct sample {
	char path[512];
	uint8_t *bytes;
	size_t size;
	size_t data_start; /* end of the metadata block */
	size_t n_blocks;   /* data blocks plus the footer */
	size_t block_off[64], block_end[64], block_events[64];
	size_t n_events;
	struct owned *events[2000];
};

static void sample_build(struct sample *s)
{
	struct rawtrace_write_opts o = { .block_size = RAWTRACE_BLOCK_MIN };
	struct rawtrace_meta m = { 0 };
	struct rawtrace_writer *w = NULL;
	struct vmt_device_desc d = { .base = 0x10000000, .size = 0x200, .device_id = 2, .version = 2 };
	uint8_t payload[300];
	size_t i, off;

	snprintf(s->path, sizeof(s->path), "%s", harness_tmpfile("sample.vmt"));
	rawtrace_meta_set(&m, "command", "test");
	snprintf(d.name, sizeof(d.name), "virtio-blk@0x10000000");
	rawtrace_meta_add_device(&m, &d);
	CHECK_EQ_U(rawtrace_writer_open(&w, s->path, &m, &o), 0);
	rawtrace_meta_clear(&m);
	for (i = 0; i < 900; i++) {
		struct vmt_event e = mmio_event(i);
		if (i % 25 == 7) {
			e.type = VMT_EV_MEM;
			e.addr = 0x40000000u + i * 16;
			e.len = (uint32_t)(i % 300);
			for (uint32_t k = 0; k < e.len; k++)
				payload[k] = (uint8_t)(i + k);
			e.data = e.len ? payload : NULL;
		}
		CHECK_EQ_U(rawtrace_writer_append(w, &e, &e.seq), 0);
		s->events[s->n_events++] = own(&e);
	}
	CHECK_EQ_U(rawtrace_writer_close(w, 3, "normal"), 0);

	FILE *f = fopen(s->path, "rb");
	s->bytes = malloc(1 << 20);
	s->size = fread(s->bytes, 1, 1 << 20, f);
	fclose(f);
	off = RT_FILE_HEADER_SIZE;
	s->data_start = off + RT_BLOCK_HEADER_SIZE + le32_get(s->bytes + off + 4);
	for (off = s->data_start; off < s->size; s->n_blocks++) {
		s->block_off[s->n_blocks] = off;
		s->block_events[s->n_blocks] = le32_get(s->bytes + off + 8);
		off += RT_BLOCK_HEADER_SIZE + le32_get(s->bytes + off + 4);
		s->block_end[s->n_blocks] = off;
	}
	CHECK_EQ_U(off, s->size);
	CHECK(s->n_blocks >= 4); /* at least three data blocks and the footer */
	CHECK_EQ_U(le32_get(s->bytes + s->block_off[s->n_blocks - 1]), RT_MAGIC_FOOTER);
}

static void sample_free(struct sample *s)
{
	for (size_t i = 0; i < s->n_events; i++) {
		free(s->events[i]->data);
		free(s->events[i]);
	}
	free(s->bytes);
	unlink(s->path);
}

/* Read path to the end; check the events are exactly the first `expect`
 * of the sample and return the status. */
static void read_expect(const struct sample *s, const char *path, size_t expect,
			struct rawtrace_status *st, const char *what, size_t at)
{
	struct rawtrace_reader *r = NULL;
	struct vmt_event ev;
	char err[256];
	size_t n = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if (rawtrace_reader_open(&r, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s at %zu: open failed: %s\n", what, at, err);
		CHECK(!"open failed");
		return;
	}
	while ((rc = rawtrace_reader_next(r, &ev)) == 1) {
		if (n >= s->n_events || !same_event(&ev, &s->events[n]->ev)) {
			fprintf(stderr, "%s at %zu: event %zu differs\n", what, at, n);
			CHECK(!"event differs");
			break;
		}
		n++;
	}
	CHECK_EQ_U(rc, 0);
	rawtrace_reader_status(r, st);
	if (n != expect)
		fprintf(stderr, "%s at %zu: %zu events, expected %zu (%s)\n", what, at, n, expect, st->reason);
	CHECK_EQ_U(n, expect);
	CHECK_EQ_U(st->events, n);
	rawtrace_reader_close(r);
}

static void test_truncate_everywhere(void)
{
	struct sample s = { 0 };
	const char *cut = harness_tmpfile("cut.vmt");
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	char err[256], want[64];
	int fd;

	sample_build(&s);
	fd = open(cut, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, s.bytes, s.size) == (ssize_t)s.size);
	/* Shrinking one copy from the end visits every cut point cheaply. */
	for (size_t len = s.size + 1; len-- > 0;) {
		CHECK(ftruncate(fd, (off_t)len) == 0);
		if (len < s.data_start) {
			int e = rawtrace_reader_open(&r, cut, err, sizeof(err));
			CHECK_EQ_U(e, (uint64_t)-EPROTO);
			CHECK(strstr(err, cut) != NULL);
			if (e == 0)
				rawtrace_reader_close(r);
			continue;
		}
		size_t b = 0, expect = 0;
		while (b < s.n_blocks && s.block_end[b] <= len)
			expect += s.block_events[b++];
		read_expect(&s, cut, expect, &st, "cut", len);
		if (len == s.size) {
			CHECK(st.complete && !st.damaged);
			CHECK_EQ_U(st.lost, 3);
		} else if (len == s.data_start || (b > 0 && len == s.block_end[b - 1])) {
			/* At a block boundary: incomplete, not damaged. */
			CHECK(!st.complete && !st.damaged);
			CHECK_EQ_U(st.stop_offset, len);
		} else {
			CHECK(!st.complete && st.damaged);
			CHECK_EQ_U(st.stop_offset, s.block_off[b]);
			snprintf(want, sizeof(want), "block at offset %zu: truncated", s.block_off[b]);
			if (strncmp(st.reason, want, strlen(want)) != 0) {
				fprintf(stderr, "cut at %zu: reason '%s'\n", len, st.reason);
				CHECK(!"reason");
			}
		}
	}
	close(fd);
	unlink(cut);
	sample_free(&s);
}

static void test_flip_everywhere(void)
{
	struct sample s = { 0 };
	const char *flip = harness_tmpfile("flip.vmt");
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	char err[256], want[64];
	int fd;

	sample_build(&s);
	fd = open(flip, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, s.bytes, s.size) == (ssize_t)s.size);
	for (size_t at = 0; at < s.size; at++) {
		uint8_t bad = s.bytes[at] ^ (uint8_t)(1u << (at % 8) | (at % 3 == 0 ? 0x80 : 0));
		CHECK(pwrite(fd, &bad, 1, (off_t)at) == 1);
		if (at < s.data_start) {
			int e = rawtrace_reader_open(&r, flip, err, sizeof(err));
			CHECK_EQ_U(e, (uint64_t)-EPROTO);
			CHECK(strstr(err, flip) != NULL);
			if (e == 0)
				rawtrace_reader_close(r);
		} else {
			size_t b = 0, expect = 0;
			while (s.block_end[b] <= at)
				expect += s.block_events[b++];
			read_expect(&s, flip, expect, &st, "flip", at);
			CHECK(!st.complete && st.damaged);
			CHECK_EQ_U(st.stop_offset, s.block_off[b]);
			snprintf(want, sizeof(want), "block at offset %zu: ", s.block_off[b]);
			CHECK(strncmp(st.reason, want, strlen(want)) == 0);
		}
		CHECK(pwrite(fd, &s.bytes[at], 1, (off_t)at) == 1);
	}
	close(fd);
	unlink(flip);
	sample_free(&s);
}

/* Random multi-byte damage: never a crash, events are always a prefix. */
static void test_random_damage(void)
{
	struct sample s = { 0 };
	const char *path = harness_tmpfile("rand.vmt");
	struct rawtrace_reader *r = NULL;
	struct vmt_event ev;
	char err[256];

	sample_build(&s);
	uint8_t *copy = malloc(s.size);
	for (int iter = 0; iter < 400; iter++) {
		memcpy(copy, s.bytes, s.size);
		int k = 1 + (int)(rnd() % 8);
		for (int j = 0; j < k; j++) {
			size_t at = s.data_start + rnd() % (s.size - s.data_start);
			size_t n = 1 + rnd() % 64;
			for (size_t q = 0; q < n && at + q < s.size; q++)
				copy[at + q] = (uint8_t)rnd();
		}
		size_t len = (iter % 3 == 0) ? s.data_start + rnd() % (s.size - s.data_start) : s.size;
		FILE *f = fopen(path, "wb");
		fwrite(copy, 1, len, f);
		fclose(f);
		CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
		size_t n = 0;
		while (r && rawtrace_reader_next(r, &ev) == 1) {
			CHECK(n < s.n_events && same_event(&ev, &s.events[n]->ev));
			n++;
		}
		rawtrace_reader_close(r);
		r = NULL;
	}
	free(copy);
	unlink(path);
	sample_free(&s);
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (len)
		fwrite(p, 1, len, f);
	fclose(f);
}

static void expect_open_fails(const char *path, int want, const char *msg_part)
{
	struct rawtrace_reader *r = NULL;
	char err[256] = "";
	int e = rawtrace_reader_open(&r, path, err, sizeof(err));

	CHECK_EQ_U(e, (uint64_t)want);
	CHECK(r == NULL);
	if (!strstr(err, msg_part)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err, msg_part);
		CHECK(!"message");
	}
	if (e == 0)
		rawtrace_reader_close(r);
}

static void test_garbage(void)
{
	const char *path = harness_tmpfile("garbage.vmt");
	uint8_t buf[4096];
	char want[600];

	write_file(path, "", 0);
	snprintf(want, sizeof(want), "'%s' is not a vmtrace raw trace", path);
	expect_open_fails(path, -EPROTO, want);
	write_file(path, "hello world, this is just a text file\n", 38);
	expect_open_fails(path, -EPROTO, want);
	for (int i = 0; i < 50; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rnd();
		write_file(path, buf, 1 + rnd() % sizeof(buf));
		expect_open_fails(path, -EPROTO, "not a vmtrace raw trace");
	}
	/* The magic followed by garbage: damage at offset 0. */
	memcpy(buf, RT_FILE_MAGIC, RT_FILE_MAGIC_LEN);
	write_file(path, buf, 100);
	expect_open_fails(path, -EPROTO, "file header at offset 0: CRC mismatch");
	write_file(path, buf, 12);
	expect_open_fails(path, -EPROTO, "file header at offset 0: truncated");
	/* A valid file header alone, then with a garbage metadata block. */
	rt_file_header_put(buf, RAWTRACE_FORMAT_VERSION);
	write_file(path, buf, RT_FILE_HEADER_SIZE);
	expect_open_fails(path, -EPROTO, "metadata block at offset 32: missing");
	write_file(path, buf, 200);
	expect_open_fails(path, -EPROTO, "metadata block at offset 32: header CRC mismatch");
	rt_file_header_put(buf, 99);
	write_file(path, buf, RT_FILE_HEADER_SIZE);
	expect_open_fails(path, -EPROTO, "format version 99 is not supported");

	expect_open_fails("/nonexistent/dir/x.vmt", -ENOENT, "unable to open '/nonexistent/dir/x.vmt'");
	expect_open_fails("/", -EISDIR, "unable to read '/'");
	unlink(path);
}

/* Build header + metadata (from a real writer) + a crafted block. */
static size_t craft_prefix(uint8_t *buf, const char *path)
{
	struct rawtrace_writer *w = NULL;
	FILE *f;
	size_t n, end;

	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, NULL), 0);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);
	f = fopen(path, "rb");
	n = fread(buf, 1, 4096, f);
	fclose(f);
	end = RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + le32_get(buf + RT_FILE_HEADER_SIZE + 4);
	CHECK(end < n);
	return end;
}

static void expect_damage(const char *path, const uint8_t *buf, size_t len, uint64_t events,
			  const char *reason_part)
{
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct vmt_event ev;
	char err[256];
	uint64_t n = 0;

	write_file(path, buf, len);
	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	while (r && rawtrace_reader_next(r, &ev) == 1)
		n++;
	rawtrace_reader_status(r, &st);
	CHECK_EQ_U(n, events);
	CHECK(st.damaged);
	if (!strstr(st.reason, reason_part)) {
		fprintf(stderr, "reason '%s' lacks '%s'\n", st.reason, reason_part);
		CHECK(!"reason");
	}
	rawtrace_reader_close(r);
}

static void test_hostile_lengths(void)
{
	const char *path = harness_tmpfile("hostile.vmt");
	static uint8_t buf[1 << 16];
	size_t at = craft_prefix(buf, path), n;
	uint8_t *blk = buf + at, *p;

	/* Declared payload length at the limit + 1: refused from the header. */
	rt_block_header_put(blk, RT_MAGIC_DATA, RAWTRACE_BLOCK_MAX + 1, 1, 0, 0);
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 100, 0, "exceeds the limit");
	rt_block_header_put(blk, RT_MAGIC_DATA, UINT32_MAX, 1, 0, 0);
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 100, 0, "exceeds the limit");
	/* At the limit: allowed, but the file does not hold it. */
	rt_block_header_put(blk, RT_MAGIC_DATA, RAWTRACE_BLOCK_MAX, 1, 0, 0);
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 100, 0, "truncated payload (100 of");

	/* A record whose data length is huge, with every CRC correct. */
	p = blk + RT_BLOCK_HEADER_SIZE;
	p[0] = VMT_EV_MEM;
	p[1] = RT_F_DATA;
	p[2] = 0; /* ts delta */
	memcpy(p + 3, "\xff\xff\xff\xff\x0f", 5); /* varint 0xffffffff */
	n = 8 + 16;
	rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)n, 1, 0, crc32c(0, p, n));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + n, 0, "record 0 at payload offset 0: bad data length");
	/* Data length VMT_EVENT_DATA_MAX + 1. */
	memcpy(p + 3, "\x81\x80\x04", 3);
	n = 6 + 16;
	rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)n, 1, 0, crc32c(0, p, n));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + n, 0, "bad data length");
	/* Data length VMT_EVENT_DATA_MAX but only 16 bytes there. */
	memcpy(p + 3, "\x80\x80\x04", 3);
	rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)n, 1, 0, crc32c(0, p, n));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + n, 0, "data runs past the block");
	/* An over-long varint. */
	memset(p + 2, 0xff, 11);
	n = 13;
	rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)n, 1, 0, crc32c(0, p, n));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + n, 0, "bad timestamp");
	/* Record count larger than the records present. */
	p[0] = VMT_EV_MARKER;
	p[1] = 0;
	p[2] = 0;
	rt_block_header_put(blk, RT_MAGIC_DATA, 3, 1000000, 0, crc32c(0, p, 3));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 3, 0, "record 1 at payload offset 3");
	/* Wrong first sequence number. */
	rt_block_header_put(blk, RT_MAGIC_DATA, 3, 1, 5, crc32c(0, p, 3));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 3, 0, "first sequence number 5, expected 0");
	/* Unknown block type. */
	rt_block_header_put(blk, 0x12345678, 3, 1, 0, crc32c(0, p, 3));
	expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + 3, 0, "unknown block type");
	/* A good block, then a footer claiming a different count. */
	rt_block_header_put(blk, RT_MAGIC_DATA, 3, 1, 0, crc32c(0, p, 3));
	uint8_t *f = p + 3;
	memset(f + RT_BLOCK_HEADER_SIZE, 0, RT_FOOTER_FIXED);
	le64_put(f + RT_BLOCK_HEADER_SIZE, 9);
	rt_block_header_put(f, RT_MAGIC_FOOTER, RT_FOOTER_FIXED, 0, 1, crc32c(0, f + RT_BLOCK_HEADER_SIZE, RT_FOOTER_FIXED));
	expect_damage(path, buf, at + 2 * RT_BLOCK_HEADER_SIZE + 3 + RT_FOOTER_FIXED, 1, "footer counts 9 events, 1 were read");
	/* A correct footer, then trailing bytes. */
	le64_put(f + RT_BLOCK_HEADER_SIZE, 1);
	rt_block_header_put(f, RT_MAGIC_FOOTER, RT_FOOTER_FIXED, 0, 1, crc32c(0, f + RT_BLOCK_HEADER_SIZE, RT_FOOTER_FIXED));
	expect_damage(path, buf, at + 2 * RT_BLOCK_HEADER_SIZE + 3 + RT_FOOTER_FIXED + 5, 1, "data after the footer");

	/* Metadata with a hostile key/value count and string length. */
	uint8_t *mh = buf + RT_FILE_HEADER_SIZE, *mp = mh + RT_BLOCK_HEADER_SIZE;
	uint32_t mlen = le32_get(mh + 4);
	le32_put(mp + 20, 0x7fffffff);
	rt_block_header_put(mh, RT_MAGIC_META, mlen, 0, 0, crc32c(0, mp, mlen));
	write_file(path, buf, at);
	expect_open_fails(path, -EPROTO, "metadata block at offset 32: 2147483647 key/value pairs");
	le32_put(mp + 20, 1);
	le32_put(mp + 24, 0xfffffff0);
	rt_block_header_put(mh, RT_MAGIC_META, mlen, 0, 0, crc32c(0, mp, mlen));
	write_file(path, buf, at);
	expect_open_fails(path, -EPROTO, "key length 4294967280 at payload offset 24 is out of range");
	unlink(path);
}

/* Blocks whose CRCs are right but whose records are random or mutated:
 * the CRC no longer shields the record decoder.  A block is returned
 * whole or not at all, never a crash, and every event is within limits. */
static void test_fuzz_records(void)
{
	const char *path = harness_tmpfile("fuzz.vmt");
	static uint8_t buf[1 << 16], good[8192];
	size_t at = craft_prefix(buf, path), glen = 0;
	uint32_t gcount = 0;
	uint8_t *blk = buf + at, *p = blk + RT_BLOCK_HEADER_SIZE;

	/* A valid payload to mutate: take the first data block of a sample. */
	{
		struct sample s = { 0 };
		sample_build(&s);
		size_t off = s.block_off[0];
		glen = le32_get(s.bytes + off + 4);
		gcount = le32_get(s.bytes + off + 8);
		CHECK(glen <= sizeof(good));
		memcpy(good, s.bytes + off + RT_BLOCK_HEADER_SIZE, glen);
		sample_free(&s);
	}
	for (int iter = 0; iter < 3000; iter++) {
		size_t len;
		uint32_t count;
		if (iter % 2) {
			len = rnd() % 600;
			for (size_t k = 0; k < len; k++)
				p[k] = (uint8_t)(rnd() % 4 ? rnd() % 8 : rnd());
			count = rnd() % 64;
		} else {
			len = glen;
			memcpy(p, good, glen);
			for (int k = 0, nk = 1 + (int)(rnd() % 4); k < nk; k++)
				p[rnd() % glen] ^= (uint8_t)(1u << (rnd() % 8));
			count = (rnd() % 4) ? gcount : rnd() % (2 * gcount + 1);
		}
		rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)len, count, 0, crc32c(0, p, len));
		write_file(path, buf, at + RT_BLOCK_HEADER_SIZE + len);

		struct rawtrace_reader *r = NULL;
		struct rawtrace_status st;
		struct vmt_event ev;
		char err[256];
		uint64_t n = 0;
		CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
		while (r && rawtrace_reader_next(r, &ev) == 1) {
			CHECK(ev.type != 0 && ev.len <= VMT_EVENT_DATA_MAX);
			if (ev.len) {
				/* Touch both ends: ASan checks they are readable. */
				volatile uint8_t touch = ev.data[0] ^ ev.data[ev.len - 1];
				(void)touch;
			}
			CHECK_EQ_U(ev.seq, n);
			n++;
		}
		rawtrace_reader_status(r, &st);
		CHECK(st.damaged ? n == 0 : n == count);
		CHECK(!st.complete);
		rawtrace_reader_close(r);
	}
	unlink(path);
}

/* VMT_EV_QUEUE: every step round trips; a payload other than 24 bytes or
 * a step outside 1..VMT_QSTEP_MAX is refused by the writer (that event
 * only) and, crafted into a file, stops the reader at its block. */
static void test_queue_events(void)
{
	const char *path = harness_tmpfile("queue.vmt");
	struct rawtrace_writer *w = NULL;
	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	struct vmt_event got, ev[VMT_QSTEP_MAX];
	uint8_t data[VMT_QSTEP_MAX][VMT_QUEUE_REPORT_BYTES];
	char err[256];

	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, NULL), 0);
	for (unsigned i = 0; i < VMT_QSTEP_MAX; i++) {
		struct vmt_queue_report q = { .token = UINT64_C(0x7f3cc00e9800) + i, .arg0 = 4097 + i,
					      .arg1 = i == 0 ? UINT64_MAX : i };
		vmt_queue_report_encode(&q, data[i]);
		ev[i] = (struct vmt_event){ .ts_ns = 1000 + i, .type = VMT_EV_QUEUE, .source = VMT_SRC_QEMU,
					    .base = 0xfeb02e00u, .addr = i, .value = i + 1,
					    .len = VMT_QUEUE_REPORT_BYTES, .data = data[i], .seq = i };
		CHECK_EQ_U(rawtrace_writer_append(w, &ev[i], NULL), 0);
	}
	/* Refused, not written, and the writer goes on. */
	struct vmt_event bad = ev[0];
	bad.len = VMT_QUEUE_REPORT_BYTES - 1;
	CHECK_EQ_U(rawtrace_writer_append(w, &bad, NULL), (uint64_t)-EINVAL);
	bad.len = VMT_QUEUE_REPORT_BYTES + 1;
	CHECK_EQ_U(rawtrace_writer_append(w, &bad, NULL), (uint64_t)-EINVAL);
	bad.len = 0;
	bad.data = NULL;
	CHECK_EQ_U(rawtrace_writer_append(w, &bad, NULL), (uint64_t)-EINVAL);
	bad = ev[0];
	bad.value = 0;
	CHECK_EQ_U(rawtrace_writer_append(w, &bad, NULL), (uint64_t)-EINVAL);
	bad.value = VMT_QSTEP_MAX + 1;
	CHECK_EQ_U(rawtrace_writer_append(w, &bad, NULL), (uint64_t)-EINVAL);
	CHECK_EQ_U(rawtrace_writer_events(w), VMT_QSTEP_MAX);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);

	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	for (unsigned i = 0; r && i < VMT_QSTEP_MAX; i++) {
		struct vmt_queue_report q;
		CHECK_EQ_U(rawtrace_reader_next(r, &got), 1);
		CHECK(same_event(&got, &ev[i]));
		CHECK_EQ_U(vmt_queue_report_decode(&q, got.data, got.len), 0);
		CHECK_EQ_U(q.token, UINT64_C(0x7f3cc00e9800) + i);
	}
	CHECK_EQ_U(rawtrace_reader_next(r, &got), 0);
	rawtrace_reader_status(r, &st);
	CHECK(st.complete && !st.damaged);
	rawtrace_reader_close(r);

	/* Crafted records: payload lengths 23 and 25, steps 0 and 6. */
	static uint8_t buf[1 << 16];
	size_t at = craft_prefix(buf, path);
	uint8_t *blk = buf + at, *p = blk + RT_BLOCK_HEADER_SIZE;
	static const struct {
		uint8_t len;
		uint8_t step;
		const char *why;
	} cases[] = {
		{ 23, 1, "queue report payload is not 24 bytes" },
		{ 25, 1, "queue report payload is not 24 bytes" },
		{ 24, 0, "queue report step out of range" },
		{ 24, VMT_QSTEP_MAX + 1, "queue report step out of range" },
		{ 24, VMT_QSTEP_MAX, NULL },
		{ 24, 1, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;
		p[n++] = VMT_EV_QUEUE;
		p[n++] = RT_F_VALUE | RT_F_DATA;
		p[n++] = 0; /* ts delta */
		p[n++] = cases[i].step;
		p[n++] = cases[i].len;
		memset(p + n, 0xab, cases[i].len);
		n += cases[i].len;
		rt_block_header_put(blk, RT_MAGIC_DATA, (uint32_t)n, 1, 0, crc32c(0, p, n));
		if (cases[i].why) {
			char want[128];
			snprintf(want, sizeof(want), "block at offset %zu: record 0 at payload offset 0: %s", at,
				 cases[i].why);
			expect_damage(path, buf, at + RT_BLOCK_HEADER_SIZE + n, 0, want);
			continue;
		}
		/* A good one reads (the file just lacks its footer). */
		write_file(path, buf, at + RT_BLOCK_HEADER_SIZE + n);
		CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
		CHECK_EQ_U(rawtrace_reader_next(r, &got), 1);
		CHECK_EQ_U(got.type, VMT_EV_QUEUE);
		CHECK_EQ_U(got.value, cases[i].step);
		rawtrace_reader_close(r);
	}
	unlink(path);
}

static void test_write_errors(void)
{
	struct rawtrace_writer *w = NULL;
	struct rawtrace_meta m = { 0 };
	struct vmt_event ev = mmio_event(0);

	/* Disk full at the header. */
	if (access("/dev/full", W_OK) == 0)
		CHECK_EQ_U(rawtrace_writer_open(&w, "/dev/full", NULL, NULL), (uint64_t)-ENOSPC);
	CHECK_EQ_U(rawtrace_writer_open(&w, "/nonexistent/dir/x.vmt", NULL, NULL), (uint64_t)-ENOENT);
	/* A metadata struct filled by hand beyond the limits. */
	m.n_kv = RAWTRACE_META_KV_MAX + 1;
	CHECK_EQ_U(rawtrace_writer_open(&w, harness_tmpfile("x.vmt"), &m, NULL), (uint64_t)-EINVAL);
	CHECK_EQ_U(rawtrace_writer_close(NULL, 0, NULL), 0);
	rawtrace_reader_close(NULL);

	/* File size limit reached mid-trace (as a full disk would): the
	 * error sticks, close reports it, and the file keeps what was
	 * written before, readable up to the damage. */
	const char *path = harness_tmpfile("efbig.vmt");
	struct rawtrace_write_opts o = { .flush = RAWTRACE_FLUSH_EVENT };
	struct rlimit old, lim;
	int e = 0, i;

	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 8192;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, &o), 0);
	for (i = 0; i < 10000 && e == 0; i++)
		e = rawtrace_writer_append(w, &ev, NULL);
	CHECK_EQ_U(e, (uint64_t)-EFBIG);
	CHECK_EQ_U(rawtrace_writer_append(w, &ev, NULL), (uint64_t)-EFBIG);
	CHECK_EQ_U(rawtrace_writer_flush(w), (uint64_t)-EFBIG);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), (uint64_t)-EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);

	struct rawtrace_reader *r = NULL;
	struct rawtrace_status st;
	char err[256];
	uint64_t n = 0;
	CHECK_EQ_U(rawtrace_reader_open(&r, path, err, sizeof(err)), 0);
	while (r && rawtrace_reader_next(r, &ev) == 1)
		n++;
	rawtrace_reader_status(r, &st);
	CHECK(!st.complete);
	CHECK(n > 100 && n == (uint64_t)i - 1);
	rawtrace_reader_close(r);
	unlink(path);
}

int main(void)
{
	RUN(test_roundtrip_all_types);
	RUN(test_meta);
	RUN(test_blocks_and_sequence);
	RUN(test_flush_modes);
	RUN(test_parse_flush);
	RUN(test_truncate_everywhere);
	RUN(test_flip_everywhere);
	RUN(test_random_damage);
	RUN(test_garbage);
	RUN(test_hostile_lengths);
	RUN(test_fuzz_records);
	RUN(test_queue_events);
	RUN(test_write_errors);
	return harness_finish("test_rawtrace");
}
