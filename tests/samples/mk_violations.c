/* Write samples/violations.vmt: a short session of a careless driver on
 * the built-in emulator (a modern blk and a legacy rng device), breaking
 * the rules real drivers break, so that the golden outputs of dump, show,
 * info and replay show violations, a device that needs a reset, and one
 * anomaly.  samples/README.md says what the trace holds, event by event.
 *
 * The driver side and the emulated devices' answers come from the
 * emulator (capture/emu/machine.h), exactly as `vmtrace record --emu`
 * records them, with the emulator's own violation events.  Two parts are
 * written by hand, after the emulator's part of the rng session: the rng
 * device's answers to its second and third requests (a used entry naming
 * id 7 of a 4-entry queue, then a used length beyond the chain's writable
 * bytes) and an interrupt for no new used entry, which the emulator never
 * gives, and one best-effort ring snapshot of the
 * kind QEMU recordings hold, torn, so that the decoder reports an anomaly.
 *
 * Deterministic: no clock, no PID, no path but the one given; the
 * timestamps count events.  Running it twice gives the same bytes.
 *
 *   mk_violations OUT.vmt */
#include <stdio.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "capture/emu/machine.h"
#include "capture/rawtrace.h"
#include "tests/ring_builder.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define RAM_BASE UINT64_C(0x40000000)
#define RAM_SIZE UINT64_C(0x10000)
#define BLK UINT64_C(0x10000000)
#define RNG UINT64_C(0x10000200)
#define BLK_RING RAM_BASE                  /* modern queue 0 of blk, 8 entries */
#define RNG_PFN 0x40001u                   /* legacy queue 0 of rng, 4 entries */
#define RNG_PAGE 4096u
#define ARENA (RAM_BASE + 0x8000)          /* request buffers */
#define TICK_NS 100u

struct gen {
	struct rawtrace_writer *w;
	struct machine *m;
	int err; /* first writer error */
};

/* Every event goes out here, the machine's and the hand-written ones, so
 * the timestamps count events across both. */
static void emit(struct gen *g, const struct vmt_event *ev)
{
	struct vmt_event e = *ev;
	int r;

	e.source = VMT_SRC_EMU;
	e.ts_ns = rawtrace_writer_events(g->w) * TICK_NS;
	r = rawtrace_writer_append(g->w, &e, NULL);
	if (r < 0 && !g->err)
		g->err = r;
}

static void on_machine_event(void *ctx, const struct vmt_event *ev)
{
	emit(ctx, ev);
}

/* --- the driver, through the emulated machine --- */

static uint32_t rd(struct gen *g, uint64_t base, uint32_t off)
{
	return (uint32_t)machine_mmio_read(g->m, base + off, 4);
}

static void wr(struct gen *g, uint64_t base, uint32_t off, uint32_t v)
{
	machine_mmio_write(g->m, base + off, 4, v);
}

static void marker(struct gen *g, const char *text)
{
	machine_marker(g->m, text);
}

/* --- the recorded device's side, by hand (the emulator is not told) --- */

static void hand_mmio(struct gen *g, uint64_t base, uint32_t off, int dir, uint32_t v)
{
	struct vmt_event e = { .type = VMT_EV_MMIO, .base = base, .addr = off, .dir = (uint8_t)dir,
			       .width = 4, .value = v };
	emit(g, &e);
}

/* A store the device made: into guest RAM (so the driver sees it) and
 * into the trace, without the machine's observer. */
static void hand_device_store(struct gen *g, uint64_t gpa, const void *data, uint32_t len)
{
	uint8_t *p = gmem_ptr(machine_mem(g->m), gpa, len);
	struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_DEVICE_WRITE, .addr = gpa, .len = len,
			       .data = data };

	if (p)
		memcpy(p, data, len);
	emit(g, &e);
}

static void hand_irq(struct gen *g, uint64_t base, uint32_t status)
{
	struct vmt_event e = { .type = VMT_EV_IRQ, .base = base, .width = 1, .value = status };
	emit(g, &e);
}

static void put_le16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *b, uint32_t v) { put_le16(b, (uint16_t)v); put_le16(b + 2, (uint16_t)(v >> 16)); }

/* The device completes a request its own way: used entry (id, len) at
 * the next used slot, the used index, the interrupt; the driver reads
 * InterruptStatus and acknowledges. */
static void hand_used(struct gen *g, struct ring_builder *rb, uint16_t *used_idx, uint32_t id, uint32_t len)
{
	uint8_t elem[8], idx[2];

	put_le32(elem, id);
	put_le32(elem + 4, len);
	hand_device_store(g, rb->used + 4 + 8u * (*used_idx % rb->num), elem, sizeof(elem));
	put_le16(idx, ++*used_idx);
	hand_device_store(g, rb->used + 2, idx, sizeof(idx));
	hand_irq(g, RNG, VIRTIO_MMIO_INT_VRING);
	hand_mmio(g, RNG, MMIO_INTERRUPT_STATUS, VMT_DIR_READ, VIRTIO_MMIO_INT_VRING);
	hand_mmio(g, RNG, MMIO_INTERRUPT_ACK, VMT_DIR_WRITE, VIRTIO_MMIO_INT_VRING);
}

/* --- the session --- */

static void blk_queue_areas(struct gen *g, const struct ring_builder *rb)
{
	wr(g, BLK, MMIO_QUEUE_DESC_LOW, (uint32_t)rb->desc);
	wr(g, BLK, MMIO_QUEUE_DESC_HIGH, (uint32_t)(rb->desc >> 32));
	wr(g, BLK, MMIO_QUEUE_DRIVER_LOW, (uint32_t)rb->avail);
	wr(g, BLK, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(rb->avail >> 32));
	wr(g, BLK, MMIO_QUEUE_DEVICE_LOW, (uint32_t)rb->used);
	wr(g, BLK, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(rb->used >> 32));
}

static const uint32_t blk_features_lo = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
					VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

static int blk_session(struct gen *g, struct guest_mem *gm)
{
	struct ring_builder rb = { 0 };
	struct rb_arena arena;
	uint8_t hdr[16] = { 1 /* VIRTIO_BLK_T_OUT */ }, data[512];
	uint32_t id, len;
	int r = -1;

	marker(g, "blk: probe");
	rd(g, BLK, MMIO_MAGIC_VALUE);
	rd(g, BLK, MMIO_DEVICE_ID);              /* init-order: Version not read yet */
	rd(g, BLK, MMIO_VERSION);
	rd(g, BLK, MMIO_VENDOR_ID);
	wr(g, BLK, MMIO_STATUS, 0);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* status-order: DRIVER_OK with no feature negotiation at all */
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	rd(g, BLK, MMIO_STATUS);
	wr(g, BLK, MMIO_STATUS, 0);

	marker(g, "blk: features");
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	rd(g, BLK, MMIO_DEVICE_FEATURES);        /* device-features-sel */
	wr(g, BLK, MMIO_DEVICE_FEATURES_SEL, 0);
	rd(g, BLK, MMIO_DEVICE_FEATURES);
	wr(g, BLK, MMIO_DEVICE_FEATURES_SEL, 1);
	rd(g, BLK, MMIO_DEVICE_FEATURES);
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 0);
	/* features-not-offered: MQ taken for granted; the device refuses FEATURES_OK */
	wr(g, BLK, MMIO_DRIVER_FEATURES, blk_features_lo | VIRTIO_BIT(VIRTIO_BLK_F_MQ));
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(g, BLK, MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	wr(g, BLK, MMIO_QUEUE_SEL, 0);           /* features-ok-not-reread */
	rd(g, BLK, MMIO_STATUS);                 /* FEATURES_OK is clear: start over */
	wr(g, BLK, MMIO_STATUS, 0);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(g, BLK, MMIO_DRIVER_FEATURES, blk_features_lo);
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(g, BLK, MMIO_DRIVER_FEATURES, 1);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	rd(g, BLK, MMIO_STATUS);

	marker(g, "blk: queue 0");
	wr(g, BLK, MMIO_QUEUE_SEL, 0);
	rd(g, BLK, MMIO_QUEUE_NUM_MAX);
	wr(g, BLK, MMIO_QUEUE_NUM, 1024);        /* queue-num-above-max: the driver's own default */
	wr(g, BLK, MMIO_QUEUE_NUM, 8);
	if (rb_init_modern(&rb, gm, 8, BLK_RING) < 0)
		goto cleanup;
	blk_queue_areas(g, &rb);
	wr(g, BLK, MMIO_QUEUE_READY, 1);
	wr(g, BLK, MMIO_QUEUE_NUM, 8);           /* queue-write-while-ready */
	wr(g, BLK, MMIO_QUEUE_READY, 0);
	wr(g, BLK, MMIO_QUEUE_NUM, 8);           /* queue-ready-not-read-back (warning) */
	wr(g, BLK, MMIO_QUEUE_READY, 1);
	machine_mmio_read(g->m, BLK + MMIO_CONFIG, 8); /* config-access-width: capacity read 64 bits wide */
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	   VIRTIO_STATUS_DRIVER_OK);

	marker(g, "blk: write sector 0");
	rb_arena_init(&arena, ARENA, ARENA + 0x1000);
	uint64_t h = rb_arena_alloc(&arena, sizeof(hdr), 16), d = rb_arena_alloc(&arena, sizeof(data), 16),
		 s = rb_arena_alloc(&arena, 1, 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	if (!h || !d || !s || machine_mem_write(g->m, h, hdr, sizeof(hdr)) < 0 ||
	    machine_mem_write(g->m, d, data, sizeof(data)) < 0)
		goto cleanup;
	const struct rb_seg req[] = { { h, sizeof(hdr), false }, { d, sizeof(data), false }, { s, 1, true } };
	if (rb_submit(&rb, req, 3) < 0)
		goto cleanup;
	wr(g, BLK, MMIO_QUEUE_NOTIFY, 0);
	machine_mmio_read(g->m, BLK + MMIO_INTERRUPT_STATUS, 2); /* register-width */
	rd(g, BLK, MMIO_INTERRUPT_STATUS);
	wr(g, BLK, MMIO_INTERRUPT_ACK, 0x5);     /* interrupt-ack-undefined-bits */
	if (rb_used_pop(&rb, &id, &len) != 1)
		goto cleanup;

	marker(g, "blk: flush");
	/* ring-chain-too-long: descriptors 5 and 6 point at each other */
	if (rb_set_desc(&rb, 5, h, sizeof(hdr), VIRTQ_DESC_F_NEXT, 6) < 0 ||
	    rb_set_desc(&rb, 6, d, sizeof(data), VIRTQ_DESC_F_NEXT, 5) < 0 || rb_publish(&rb, 5) < 0)
		goto cleanup;
	wr(g, BLK, MMIO_QUEUE_NOTIFY, 0);        /* the device stops: DEVICE_NEEDS_RESET */
	rd(g, BLK, MMIO_INTERRUPT_STATUS);
	wr(g, BLK, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	rd(g, BLK, MMIO_STATUS);
	wr(g, BLK, MMIO_STATUS, 0);
	wr(g, BLK, MMIO_QUEUE_NOTIFY, 0);        /* notify-before-driver-ok: a kick after the reset */

	marker(g, "blk: probe again");
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(g, BLK, MMIO_DRIVER_FEATURES, blk_features_lo);
	wr(g, BLK, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(g, BLK, MMIO_DRIVER_FEATURES, 1);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	rd(g, BLK, MMIO_STATUS);
	wr(g, BLK, MMIO_QUEUE_SEL, 0);
	rd(g, BLK, MMIO_QUEUE_NUM_MAX);
	wr(g, BLK, MMIO_QUEUE_NUM, 8);
	rb_release(&rb);
	if (rb_init_modern(&rb, gm, 8, BLK_RING) < 0)
		goto cleanup;
	blk_queue_areas(g, &rb);
	wr(g, BLK, MMIO_QUEUE_READY, 1);
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	   VIRTIO_STATUS_DRIVER_OK);
	/* ring-avail-idx-jump: the driver kept its old index (2) and added
	 * 7 more: 9 entries ahead of the device on an 8-entry queue */
	if (rb_avail_set_idx(&rb, 9) < 0)
		goto cleanup;
	wr(g, BLK, MMIO_QUEUE_NOTIFY, 0);        /* the device stops again */
	rd(g, BLK, MMIO_INTERRUPT_STATUS);
	wr(g, BLK, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	rd(g, BLK, MMIO_STATUS);
	/* The driver gives up on the device. */
	wr(g, BLK, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	   VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED);
	r = 0;
cleanup:
	rb_release(&rb);
	return r;
}

static void rng_queue(struct gen *g, uint32_t align)
{
	wr(g, RNG, MMIO_QUEUE_SEL, 0);
	rd(g, RNG, MMIO_QUEUE_NUM_MAX);
	wr(g, RNG, MMIO_QUEUE_NUM, 4);
	wr(g, RNG, MMIO_QUEUE_ALIGN, align);
	wr(g, RNG, MMIO_QUEUE_PFN, RNG_PFN);
}

static int rng_session(struct gen *g, struct guest_mem *gm)
{
	struct ring_builder rb = { 0 };
	struct rb_arena arena;
	uint16_t used_idx;
	uint32_t id, len;
	int r = -1;

	marker(g, "rng: probe");
	rd(g, RNG, MMIO_MAGIC_VALUE);
	rd(g, RNG, MMIO_VERSION);
	rd(g, RNG, MMIO_DEVICE_ID);
	rd(g, RNG, MMIO_VENDOR_ID);
	wr(g, RNG, MMIO_STATUS, 0);
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(g, RNG, MMIO_DEVICE_FEATURES_SEL, 0);
	rd(g, RNG, MMIO_DEVICE_FEATURES);
	wr(g, RNG, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(g, RNG, MMIO_DRIVER_FEATURES, 0);
	wr(g, RNG, MMIO_GUEST_PAGE_SIZE, RNG_PAGE);
	rng_queue(g, RNG_PAGE - 1);              /* legacy-align-not-power-of-2: the device cannot place the queue */
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	rd(g, RNG, MMIO_STATUS);                 /* DEVICE_NEEDS_RESET */
	wr(g, RNG, MMIO_STATUS, 0);

	marker(g, "rng: probe again");
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(g, RNG, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(g, RNG, MMIO_DRIVER_FEATURES, 0);
	wr(g, RNG, MMIO_GUEST_PAGE_SIZE, RNG_PAGE);
	if (rb_init_legacy(&rb, gm, 4, (uint64_t)RNG_PFN * RNG_PAGE, RNG_PAGE) < 0)
		goto cleanup;
	rng_queue(g, RNG_PAGE);
	wr(g, RNG, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);

	marker(g, "rng: read 16 bytes");
	rb_arena_init(&arena, ARENA + 0x1000, ARENA + 0x2000);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t buf = rb_arena_alloc(&arena, 16, 16);
		const struct rb_seg seg = { buf, 16, true };
		int head = buf ? rb_submit(&rb, &seg, 1) : -1;

		if (head < 0)
			goto cleanup;
		if (i == 0) {
			/* The emulated device answers. */
			wr(g, RNG, MMIO_QUEUE_NOTIFY, 0);
			rd(g, RNG, MMIO_INTERRUPT_STATUS);
			wr(g, RNG, MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
			if (rb_used_pop(&rb, &id, &len) != 1)
				goto cleanup;
			used_idx = rb_used_idx(&rb);
			continue;
		}
		/* By hand from here: the recorded device misbehaves. */
		hand_mmio(g, RNG, MMIO_QUEUE_NOTIFY, VMT_DIR_WRITE, 0);
		if (i == 1) {
			/* device-used-id-not-in-flight: id 7 of a 4-entry queue */
			hand_used(g, &rb, &used_idx, 7, 16);
		} else {
			/* device-used-len-too-long: 64 bytes into a 16-byte buffer */
			uint8_t bytes[16];
			for (unsigned k = 0; k < sizeof(bytes); k++)
				bytes[k] = (uint8_t)(0xa0 + k);
			hand_device_store(g, buf, bytes, sizeof(bytes));
			hand_used(g, &rb, &used_idx, (uint32_t)head, 64);
		}
		while (rb_used_pop(&rb, &id, &len) == 1)
			;
	}

	/* device-interrupt-spurious: the used-buffer interrupt again, with
	 * no new used entry since the acknowledgement */
	hand_irq(g, RNG, VIRTIO_MMIO_INT_VRING);
	hand_mmio(g, RNG, MMIO_INTERRUPT_STATUS, VMT_DIR_READ, VIRTIO_MMIO_INT_VRING);
	hand_mmio(g, RNG, MMIO_INTERRUPT_ACK, VMT_DIR_WRITE, VIRTIO_MMIO_INT_VRING);

	/* A best-effort copy of the available ring, torn: its index counts a
	 * fourth entry whose slot still holds stale bytes (head 9). */
	{
		uint8_t avail[4 + 2 * 4 + 2] = { 0 };
		put_le16(avail + 2, (uint16_t)(rb.avail_idx + 1));
		for (unsigned k = 0; k < 4; k++)
			if (gmem_read(gm, rb.avail + 4 + 2 * k, avail + 4 + 2 * k, 2) < 0)
				goto cleanup;
		put_le16(avail + 4 + 2 * (rb.avail_idx % 4), 9);
		struct vmt_event e = { .type = VMT_EV_MEM, .flags = VMT_MEM_SNAPSHOT | VMT_MEM_BEST_EFFORT,
				       .addr = rb.avail, .len = sizeof(avail), .data = avail };
		emit(g, &e);
	}
	r = 0;
cleanup:
	rb_release(&rb);
	return r;
}

static int add_device(struct machine *m, const struct emu_model *model, uint64_t base, uint32_t version, unsigned n)
{
	struct emu_machine_params p = { .seed = 1, .instance = n };
	struct emu_device_cfg cfg = { .base = base, .version = version, .model = model };
	struct emu_opts_buf buf;

	emu_model_machine_cfg(&cfg, &buf, model, &p);
	return machine_add_device(m, &cfg, NULL);
}

int main(int argc, char **argv)
{
	struct rawtrace_meta meta = { 0 };
	struct gen g = { 0 };
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: mk_violations OUT.vmt\n");
		return 2;
	}
	r = machine_new(&g.m, RAM_BASE, RAM_SIZE);
	if (r == 0)
		r = add_device(g.m, emu_model_find("blk"), BLK, 2, 0);
	if (r == 0)
		r = add_device(g.m, emu_model_find("rng"), RNG, 1, 0);
	meta.source = VMT_SRC_EMU;
	meta.ram_base = RAM_BASE;
	meta.ram_size = RAM_SIZE;
	for (unsigned i = 0; r == 0 && i < machine_device_count(g.m); i++) {
		struct vmt_device_desc d;

		machine_device_desc(g.m, i, &d);
		r = rawtrace_meta_add_device(&meta, &d);
	}
	if (r == 0)
		r = rawtrace_meta_set(&meta, "command", "tests/samples/mk_violations samples/violations.vmt");
	if (r == 0)
		r = rawtrace_meta_set(&meta, "seed", "1");
	if (r == 0)
		r = rawtrace_writer_open(&g.w, argv[1], &meta, NULL);
	rawtrace_meta_clear(&meta);
	if (r < 0) {
		fprintf(stderr, "mk_violations: cannot write '%s': %s\n", argv[1], strerror(-r));
		machine_free(g.m);
		return 1;
	}
	machine_set_observer(g.m, on_machine_event, &g);
	r = blk_session(&g, machine_mem(g.m));
	if (r == 0)
		r = rng_session(&g, machine_mem(g.m));
	machine_set_observer(g.m, NULL, NULL);
	machine_free(g.m);
	if (r < 0)
		fprintf(stderr, "mk_violations: the session went wrong (a ring or a request did not fit)\n");
	r = rawtrace_writer_close(g.w, 0, "normal") < 0 || g.err < 0 || r < 0;
	if (r)
		fprintf(stderr, "mk_violations: a write to '%s' failed\n", argv[1]);
	return r;
}
