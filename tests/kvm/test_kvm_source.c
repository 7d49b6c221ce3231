/* capture/kvm/kvm_source.c: BPF ring records to events, without BPF:
 * windows decided by MagicValue reads, held-back accesses kept in order,
 * dropped ones counted, lost records and incomplete accesses reported. */
#include <errno.h>
#include <linux/types.h>

#include "bpf/mmio.h"
#include "capture/kvm/kvm_source.h"
#include "tests/harness.h"
#include "virtio/virtio.h"

#define LOG_MAX 256

struct log {
	struct vmt_event ev[LOG_MAX];
	char text[LOG_MAX][200];
	int n;
	int fail_at; /* emit returns -EIO at this index, -1 never */
};

static int log_emit(void *ctx, const struct vmt_event *ev)
{
	struct log *l = ctx;

	if (l->n == l->fail_at)
		return -EIO;
	if (l->n >= LOG_MAX)
		return -ENOSPC;
	l->ev[l->n] = *ev;
	l->ev[l->n].data = NULL;
	snprintf(l->text[l->n], sizeof(l->text[0]), "%.*s", (int)ev->len, ev->data ? (const char *)ev->data : "");
	l->n++;
	return 0;
}

static struct kvm_source *make(struct log *l, const struct kvm_window *w, size_t n_w)
{
	struct kvm_source_cfg cfg = {
		.emit = log_emit,
		.ctx = l,
		.windows = w,
		.n_windows = n_w,
		.t0_ns = 1000,
		.hold_ns = 1000000, /* 1 ms */
		.hold_max = 8,
	};
	struct kvm_source *s = NULL;

	memset(l, 0, sizeof(*l));
	l->fail_at = -1;
	CHECK(kvm_source_new(&s, &cfg) == 0);
	return s;
}

static int rec(struct kvm_source *s, uint8_t kind, uint64_t gpa, uint8_t len, uint64_t val, uint32_t tid,
	       uint64_t ts)
{
	struct mmio_rec r = { .ts_ns = ts, .gpa = gpa, .val = val, .tid = tid, .kind = kind, .len = len };

	return kvm_source_record(s, &r, sizeof(r), ts);
}

#define DEV 0xd0000000ull
#define APIC 0xfee00000ull

static void magic_first(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;

	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 7, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV + 4, 4, 2, 7, 2100) == 0);
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x70, 4, 1, 7, 2200) == 0);
	CHECK_EQ_U(l.n, 3); /* written at once: nothing held */
	CHECK_EQ_U(l.ev[0].type, VMT_EV_MMIO);
	CHECK_EQ_U(l.ev[0].source, VMT_SRC_KVM_BPF);
	CHECK_EQ_U(l.ev[0].base, DEV);
	CHECK_EQ_U(l.ev[0].addr, 0);
	CHECK_EQ_U(l.ev[0].dir, VMT_DIR_READ);
	CHECK_EQ_U(l.ev[0].value, VIRTIO_MMIO_MAGIC);
	CHECK_EQ_U(l.ev[0].ts_ns, 1000);
	CHECK_EQ_U(l.ev[0].width, 4);
	CHECK_EQ_U(l.ev[2].addr, 0x70);
	CHECK_EQ_U(l.ev[2].dir, VMT_DIR_WRITE);
	CHECK(kvm_source_end(s, 3000) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.accesses, 3);
	CHECK_EQ_U(st.devices, 1);
	CHECK_EQ_U(st.lost, 0);
	kvm_source_free(s);
}

/* Accesses before the MagicValue read wait, in order with the others,
 * and are all written once it shows; a window that reads back something
 * else at offset 0 has its accesses dropped (counted as other). */
static void held_in_order(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;
	uint64_t b;

	CHECK(rec(s, MMIO_REC_READ, DEV + 0x70, 4, 0, 1, 2000) == 0);     /* status, before magic */
	CHECK(rec(s, MMIO_REC_WRITE, APIC + 0xb0, 4, 0, 1, 2001) == 0);   /* EOI: undecided */
	CHECK(rec(s, MMIO_REC_READ, DEV + 0x200, 4, VIRTIO_MMIO_MAGIC, 1, 2002) == 0); /* other device */
	CHECK_EQ_U(l.n, 0);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 1, 2003) == 0);
	/* DEV's read goes; the APIC write blocks the rest. */
	CHECK_EQ_U(l.n, 1);
	CHECK_EQ_U(l.ev[0].addr, 0x70);
	CHECK(rec(s, MMIO_REC_READ, APIC, 4, 0x14, 1, 2004) == 0); /* APIC offset 0: not virtio */
	CHECK_EQ_U(l.n, 3);
	CHECK_EQ_U(l.ev[1].base, DEV + 0x200);
	CHECK_EQ_U(l.ev[2].base, DEV);
	CHECK_EQ_U(l.ev[2].addr, 0);
	CHECK(rec(s, MMIO_REC_WRITE, APIC + 0xb0, 4, 0, 1, 2005) == 0);
	CHECK_EQ_U(l.n, 3);
	CHECK(kvm_source_end(s, 3000) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.accesses, 3);
	CHECK_EQ_U(st.other, 3);
	CHECK_EQ_U(st.devices, 2);
	CHECK_EQ_U(st.lost, 0);
	CHECK_EQ_U(kvm_source_devices(s, &b, 1), 2);
	CHECK_EQ_U(b, DEV);
	kvm_source_free(s);
}

/* Undecided past hold_ns: dropped; a MagicValue read later makes them lost,
 * reported before the window's next access. */
static void aged_then_magic(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;

	CHECK(rec(s, MMIO_REC_READ, DEV + 0x70, 4, 0, 1, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV + 0x74, 4, 0, 1, 2001) == 0);
	CHECK(kvm_source_tick(s, 2000 + 999999) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.dropped_undecided, 0);
	CHECK(kvm_source_tick(s, 2000 + 1000000) == 0); /* the first one is 1 ms old */
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.dropped_undecided, 2); /* the window is taken as not virtio */
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x70, 4, 0, 1, 3000) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.dropped_undecided, 3);
	CHECK_EQ_U(l.n, 0);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 1, 4000) == 0);
	CHECK_EQ_U(l.n, 3);
	CHECK_EQ_U(l.ev[0].type, VMT_EV_MARKER);
	CHECK(strstr(l.text[0], "3 accesses to 0xd0000000") != NULL);
	CHECK_EQ_U(l.ev[1].type, VMT_EV_LOST);
	CHECK_EQ_U(l.ev[1].value, 3);
	CHECK_EQ_U(l.ev[1].base, DEV);
	CHECK_EQ_U(l.ev[2].type, VMT_EV_MMIO);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.dropped_undecided, 0);
	CHECK_EQ_U(st.lost, 3);
	kvm_source_free(s);
}

/* hold_max (8) accesses wait; the 9th lets the oldest undecided one go. */
static void hold_limit(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;

	for (int i = 0; i < 8; i++)
		CHECK(rec(s, MMIO_REC_WRITE, APIC + 0xb0, 4, 0, 1, 2000 + i) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.held_max, 8);
	CHECK_EQ_U(st.dropped_undecided, 0);
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x50, 4, 0, 1, 2010) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.held_max, 8);
	/* The APIC window aged as a whole: its 8 accesses dropped as they
	 * reached the head; the new DEV access now waits alone. */
	CHECK_EQ_U(st.dropped_undecided, 8);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 1, 2011) == 0);
	CHECK_EQ_U(l.n, 2);
	CHECK_EQ_U(l.ev[0].addr, 0x50);
	kvm_source_free(s);
}

static void user_windows(void)
{
	struct kvm_window w = { .base = DEV, .size = 0x400 };
	struct log l;
	struct kvm_source *s = make(&l, &w, 1);
	struct kvm_source_stats st;

	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x50, 4, 0, 1, 2000) == 0);
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x250, 4, 1, 1, 2001) == 0);
	CHECK_EQ_U(l.n, 2);
	CHECK_EQ_U(l.ev[1].base, DEV + 0x200);
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x450, 4, 1, 1, 2002) == 0); /* outside: waits */
	CHECK_EQ_U(l.n, 2);
	CHECK(kvm_source_end(s, 5000) == 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.devices, 2);
	CHECK_EQ_U(st.dropped_undecided, 1);
	CHECK_EQ_U(st.undecided, 1);
	kvm_source_free(s);
}

/* Lost ring records and accesses without a value: a marker and a
 * VMT_EV_LOST each, in order with the held accesses. */
static void lost_and_incomplete(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;

	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 1, 2000) == 0);
	CHECK(kvm_source_ring_lost(s, 5, 2500) == 0);
	CHECK_EQ_U(l.n, 3);
	CHECK_EQ_U(l.ev[1].type, VMT_EV_MARKER);
	CHECK_EQ_U(l.ev[2].type, VMT_EV_LOST);
	CHECK_EQ_U(l.ev[2].value, 5);
	CHECK_EQ_U(l.ev[2].ts_ns, 1500);
	CHECK(rec(s, MMIO_REC_FAST_WRITE, DEV + 0x50, 0, 0, 1, 2600) == 0);
	CHECK(rec(s, MMIO_REC_FAST_WRITE, DEV + 0x50, 0, 0, 1, 2700) == 0);
	CHECK_EQ_U(l.n, 7);
	CHECK(strstr(l.text[3], "kvm_fast_mmio") != NULL);
	CHECK_EQ_U(l.ev[4].type, VMT_EV_LOST);
	CHECK_EQ_U(l.ev[4].value, 1);
	CHECK(strstr(l.text[5], "kvm_fast_mmio") != NULL);
	/* Held: the lost count waits behind an undecided access. */
	CHECK(rec(s, MMIO_REC_WRITE, DEV + 0x450, 4, 1, 1, 2800) == 0);
	CHECK(kvm_source_ring_lost(s, 1, 2900) == 0);
	CHECK_EQ_U(l.n, 7);
	CHECK(rec(s, MMIO_REC_READ, DEV + 0x400, 4, VIRTIO_MMIO_MAGIC, 1, 3000) == 0);
	CHECK_EQ_U(l.n, 11);
	CHECK_EQ_U(l.ev[7].base, DEV + 0x400);
	CHECK_EQ_U(l.ev[7].addr, 0x50);
	CHECK_EQ_U(l.ev[9].type, VMT_EV_LOST);
	CHECK_EQ_U(l.ev[10].addr, 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.ring_lost, 6);
	CHECK_EQ_U(st.incomplete, 2);
	CHECK_EQ_U(st.lost, 8);
	kvm_source_free(s);
}

static void bad_records_and_vcpus(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;
	struct mmio_rec r = { .kind = 99, .len = 4 };

	CHECK(kvm_source_record(s, &r, sizeof(r) - 1, 0) == 0); /* short */
	CHECK(kvm_source_record(s, &r, sizeof(r), 0) == 0);     /* unknown kind */
	r.kind = MMIO_REC_WRITE;
	r.len = 3;
	CHECK(kvm_source_record(s, &r, sizeof(r), 0) == 0);     /* width 3 */
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 500, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 400, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 500, 2000) == 0);
	CHECK_EQ_U(l.n, 3);
	CHECK_EQ_U(l.ev[0].vcpu, 0);
	CHECK_EQ_U(l.ev[1].vcpu, 1);
	CHECK_EQ_U(l.ev[2].vcpu, 0);
	kvm_source_get_stats(s, &st);
	CHECK_EQ_U(st.bad, 3);
	CHECK_EQ_U(st.vcpus, 2);
	CHECK_EQ_U(st.records, 6);
	kvm_source_free(s);
}

static void emit_error(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);

	l.fail_at = 1;
	CHECK(rec(s, MMIO_REC_READ, DEV + 0x70, 4, 0, 1, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV + 0x74, 4, 0, 1, 2000) == 0);
	CHECK(rec(s, MMIO_REC_READ, DEV, 4, VIRTIO_MMIO_MAGIC, 1, 2000) == -EIO);
	kvm_source_free(s);
}

/* Records of any bytes (the ring is the kernel's, but gpa, values and
 * lengths come from the guest): nothing crashes, everything is counted,
 * and a record kind the source does not know changes nothing. */
static void random_records(void)
{
	struct log l;
	struct kvm_source *s = make(&l, NULL, 0);
	struct kvm_source_stats st;
	static uint8_t buf[sizeof(struct mem_rec) + 64];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 200000; i++) {
		size_t len;

		for (size_t j = 0; j < 64; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = (uint8_t)x;
		}
		/* Mostly valid kinds, widths and lengths, in four windows
		 * (0..0x7ff), so windows get decided either way and records
		 * reach the writer; now and then anything at all. */
		buf[28] = (uint8_t)(1 + x % 8);
		memset(buf + 10, 0, 6);
		buf[8] = (uint8_t)(x >> 8) & 0xfc;
		buf[9] = (uint8_t)((x >> 16) & 0x7);
		buf[29] = (uint8_t)(1u << ((x >> 20) % 4));
		if (x % 16 == 0) { /* a MagicValue read */
			buf[8] = 0;
			buf[9] &= 0x6;
			buf[28] = MMIO_REC_READ;
			buf[29] = 4;
			memcpy(buf + 16, &(uint64_t){ VIRTIO_MMIO_MAGIC }, 8);
		}
		len = 32;
		if (buf[28] == MMIO_REC_MEM || buf[28] == MMIO_REC_SNAP_FAIL) {
			uint32_t n = (uint32_t)((x >> 28) % 80);
			memset(buf + 18, 0, 6); /* trigger_gpa in the four windows */
			memcpy(buf + 32, &n, 4);
			len = 40 + n;
		}
		if ((x >> 36) % 8 == 0)
			len = (x >> 40) % sizeof(buf);
		l.n = 0; /* the log keeps the last LOG_MAX events only */
		CHECK(kvm_source_record(s, buf, len, (uint64_t)i * 1000) == 0);
		if (i % 1000 == 0)
			CHECK(kvm_source_tick(s, (uint64_t)i * 1000) == 0);
	}
	CHECK(kvm_source_end(s, UINT64_MAX / 2) == 0);
	kvm_source_get_stats(s, &st);
	printf("random records: %llu accesses, %llu other, %llu undecided, %llu bad, %llu snapshots, %llu lost\n", (unsigned long long)st.accesses, (unsigned long long)st.other, (unsigned long long)st.dropped_undecided, (unsigned long long)st.bad, (unsigned long long)st.snapshot_events, (unsigned long long)st.lost);
	CHECK_EQ_U(st.records, 200000);
	CHECK(st.bad > 0);
	CHECK(st.accesses > 0);
	kvm_source_free(s);
}

static void window_parse(void)
{
	struct kvm_window w;

	CHECK(kvm_window_parse("0xd0000000", &w) == 0);
	CHECK_EQ_U(w.base, 0xd0000000);
	CHECK_EQ_U(w.size, 0x200);
	CHECK(kvm_window_parse("0xd0000000+0x400", &w) == 0);
	CHECK_EQ_U(w.size, 0x400);
	CHECK(kvm_window_parse("0xd0000100", &w) < 0);
	CHECK(kvm_window_parse("0xd0000000+0x100", &w) < 0);
	CHECK(kvm_window_parse("0xd0000000+0", &w) < 0);
	CHECK(kvm_window_parse("0xd0000000+", &w) < 0);
	CHECK(kvm_window_parse("-512", &w) < 0);
	CHECK(kvm_window_parse("", &w) < 0);
	CHECK(kvm_window_parse("0xfffffffffffffe00+0x400", &w) < 0);
	CHECK(kvm_window_parse("0xd0000000x", &w) < 0);
}

int main(void)
{
	RUN(magic_first);
	RUN(held_in_order);
	RUN(aged_then_magic);
	RUN(hold_limit);
	RUN(user_windows);
	RUN(lost_and_incomplete);
	RUN(bad_records_and_vcpus);
	RUN(emit_error);
	RUN(random_records);
	RUN(window_parse);
	return harness_finish("test_kvm_source");
}
