/* Fuzz target: the emulator's virtqueue engine (split and packed) over synthetic guest
 * RAM (capture/emu/virtqueue.c), alone or behind a device model.
 *
 * Input: ring_input.h (queue size, features, ring placement, RAM image),
 * then operations.  Guest RAM is an exact-size heap block, so ASan sees
 * any read or write outside it.
 *
 * Engine mode (flags bit 3 clear): vq_setup with the input's layout, then
 *   0 pop          1 push (le32 written)      2 interrupt decision
 *   3 read (le16 offset, le16 length) of the last chain's readable part
 *   4 write (le16 offset, le16 length) into its writable part
 *   5 guest store (le16 offset, n, n bytes)   6 pending count
 *   7 queue set up again
 * checked against a reference walker written from the spec's split
 * virtqueue rules (RELIABILITY.md B01-B13): set-up accepted exactly when
 * the layout is valid; each pop returns the chain the reference walks
 * (head, buffers in order, totals, indirect), or fails with the rule the
 * reference names and changes nothing; at most queue-size hops per table
 * (so at most 2 * size buffers); every buffer inside guest RAM; reads and
 * writes copy exactly what the chain holds; the device stores only into
 * the used ring (entry, index, avail_event) and the chain's writable
 * buffers.
 *
 * Packed rings (flags bit 6): vq_setup_packed with the input's areas as
 * the descriptor ring and the two event suppression structures, the same
 * operations, against a reference written from the spec's packed
 * virtqueue rules: a chain starts where the first descriptor is available
 * for the driver's wrap counter, runs over consecutive slots (wrapping,
 * the counter flipping) while NEXT is set, at most queue-size slots, each
 * later one available too; an INDIRECT one ends it with its table; the
 * buffer id is the last descriptor's and below the queue size; the slots
 * the device holds never pass the ring (B05).  Pushes write the used
 * descriptor (id, length, both flag bits = the device's wrap counter,
 * WRITE if the chain had writable buffers) where the device's position
 * is, and nothing else.
 *
 * Device mode (bit 3 set): the model of bits 4-5 (blk, net, console, rng)
 * behind its register layout, initialized like a driver would, every queue
 * at the input's layout (queue q RI_QUEUE_STRIDE * q further on), then
 *   0 notify (queue)   1 guest store (as above)   2 register write
 *   (offset byte * 4, le32)   3 register read (offset byte * 4)   4 poll
 *   5 InterruptStatus read and acknowledge   6 reset and initialize again
 *   7 config byte write (offset, value)
 * where the device must only report known rules, store inside guest RAM,
 * and finish each step (a timeout is a bug). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/dev_blk.h"
#include "capture/emu/dev_console.h"
#include "capture/emu/dev_net.h"
#include "capture/emu/dev_rng.h"
#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "capture/emu/virtqueue.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/ring_input.h"

#define FUZZER_MAXLEN (RI_HEADER + RI_RAM_SIZE + 4096u)
#define DEV_BASE UINT64_C(0x10000000)

static struct guest_mem gm;

/* Where the device may store during the current step. */
enum expect {
	EXPECT_NOTHING,
	EXPECT_POP,     /* avail_event only (EVENT_IDX) */
	EXPECT_PUSH,    /* the used entry and the used index */
	EXPECT_WRITE,   /* the chain's writable buffers */
	EXPECT_ANY,     /* device mode: anywhere in RAM */
};

static struct {
	enum expect expect;
	const struct virtqueue *vq;
	const struct vq_chain *chain;
	uint64_t stores, bytes;
} obs;

static bool inside(uint64_t gpa, uint64_t len, uint64_t a, uint64_t alen)
{
	return gpa >= a && gpa - a <= alen && len <= alen - (gpa - a);
}

static void observe(void *ctx, enum gmem_actor who, uint64_t gpa, const void *data, uint64_t len)
{
	const struct virtqueue *vq = obs.vq;
	bool ok = false;

	(void)ctx;
	(void)data;
	if (who != GMEM_DEVICE)
		return;
	obs.stores++;
	obs.bytes += len;
	if (!inside(gpa, len, gm.base, RI_RAM_SIZE))
		fuzz_fail("device store 0x%llx+%llu outside guest RAM", (unsigned long long)gpa, (unsigned long long)len);
	switch (obs.expect) {
	case EXPECT_NOTHING:
		break;
	case EXPECT_POP:
		if (vq->packed)
			ok = vq->event_idx && gpa == vq->used && len == PACKED_EVENT_SIZE;
		else
			ok = vq->event_idx && gpa == vq->used + 4 + 8ull * vq->num && len == 2;
		break;
	case EXPECT_PUSH:
		if (vq->packed) {
			/* The used descriptor at the device's position: length and
			 * id, then the flags. */
			uint64_t d = vq->desc + 16ull * vq->next_used.slot;
			ok = (gpa == d + 8 && len == 6) || (gpa == d + 14 && len == 2);
			break;
		}
		ok = (gpa == vq->used + 2 && len == 2) ||
		     (len == 8 && gpa >= vq->used + 4 && gpa < vq->used + 4 + 8ull * vq->num && (gpa - vq->used - 4) % 8 == 0);
		break;
	case EXPECT_WRITE:
		for (uint32_t i = obs.chain->n_readable; i < obs.chain->n && !ok; i++)
			ok = inside(gpa, len, obs.chain->bufs[i].gpa, obs.chain->bufs[i].len);
		break;
	case EXPECT_ANY:
		ok = true;
		break;
	}
	if (!ok)
		fuzz_fail("unexpected device store 0x%llx+%llu (step %d)", (unsigned long long)gpa,
			  (unsigned long long)len, (int)obs.expect);
}

/* --- the reference: the split virtqueue rules, from the spec --- */

struct ref_chain {
	uint16_t head;
	uint32_t n, n_readable;
	bool indirect;
	uint64_t readable, writable;
	struct vq_buf bufs[2 * VIRTQ_SIZE_MAX];
};

struct ref {
	uint32_t num;
	uint64_t desc, avail, used;
	bool indirect_ok;
	uint16_t last_avail;
};

static bool ram_has(uint64_t gpa, uint64_t len)
{
	return inside(gpa, len, gm.base, RI_RAM_SIZE);
}

static const uint8_t *at(uint64_t gpa)
{
	return gm.ram + (gpa - gm.base);
}

/* The rule a set-up breaks, or RULE_NONE. */
static enum rule_id ref_setup(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return RULE_QUEUE_NUM_ZERO;
	if (num & (num - 1))
		return RULE_QUEUE_NUM_NOT_POW2;
	if (desc % 16 || avail % 2 || used % 4)
		return RULE_RING_MISALIGNED;
	if (!ram_has(desc, 16ull * num) || !ram_has(avail, 6 + 2ull * num) || !ram_has(used, 6 + 8ull * num))
		return RULE_RING_OUTSIDE_MEMORY;
	return RULE_NONE;
}

/* Walk the next available chain.  Returns 1 (chain in *c), 0 (none) or
 * -1 (*rule broken). */
static int ref_pop(const struct ref *r, struct ref_chain *c, enum rule_id *rule)
{
	uint16_t pending = (uint16_t)(le16_get(at(r->avail + 2)) - r->last_avail);

	if (pending == 0)
		return 0;
	if (pending > r->num)
		return *rule = RULE_RING_AVAIL_JUMP, -1;
	uint16_t head = le16_get(at(r->avail + 4 + 2ull * (r->last_avail % r->num)));
	if (head >= r->num)
		return *rule = RULE_RING_HEAD_RANGE, -1;
	memset(c, 0, offsetof(struct ref_chain, bufs));
	c->head = head;
	uint64_t table = r->desc;
	uint32_t size = r->num, i = head, steps = 0;
	bool writable_seen = false;
	for (;;) {
		/* A table of size entries has at most size descriptors in a chain. */
		if (++steps > size)
			return *rule = RULE_RING_CHAIN_LOOP, -1;
		const uint8_t *d = at(table + 16ull * i);
		uint64_t addr = le64_get(d);
		uint32_t len = le32_get(d + 8);
		uint16_t flags = le16_get(d + 12), next = le16_get(d + 14);
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (c->indirect)
				return *rule = RULE_RING_INDIRECT_NESTED, -1;
			if (!r->indirect_ok)
				return *rule = RULE_RING_INDIRECT_NOT_NEGOTIATED, -1;
			if (flags & VIRTQ_DESC_F_NEXT)
				return *rule = RULE_RING_INDIRECT_WITH_NEXT, -1;
			if (len < 16 || len % 16 || len / 16 > r->num)
				return *rule = RULE_RING_INDIRECT_LEN, -1;
			if (!ram_has(addr, len))
				return *rule = RULE_RING_BUFFER_OUTSIDE_MEMORY, -1;
			c->indirect = true;
			table = addr;
			size = len / 16;
			i = 0;
			steps = 0;
			continue;
		}
		if (!ram_has(addr, len))
			return *rule = RULE_RING_BUFFER_OUTSIDE_MEMORY, -1;
		bool w = flags & VIRTQ_DESC_F_WRITE;
		if (!w && writable_seen)
			return *rule = RULE_RING_WRITE_BEFORE_READ, -1;
		writable_seen |= w;
		c->bufs[c->n++] = (struct vq_buf){ addr, len, w };
		if (w) {
			c->writable += len;
		} else {
			c->readable += len;
			c->n_readable++;
		}
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (next >= size)
			return *rule = RULE_RING_NEXT_RANGE, -1;
		i = next;
	}
}

/* --- the reference for packed rings, from the spec --- */

struct pref {
	uint32_t num;
	uint64_t desc, drv, dev;
	bool indirect_ok;
	uint32_t aslot, uslot;  /* the device's read and used positions */
	bool awrap, uwrap;      /* and their wrap counters */
	uint32_t outstanding;   /* slots popped, not yet used */
};

static enum rule_id ref_setup_packed(uint32_t num, uint64_t desc, uint64_t drv, uint64_t dev)
{
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return RULE_QUEUE_NUM_ZERO;
	if (desc % 16 || drv % 4 || dev % 4)
		return RULE_RING_MISALIGNED;
	if (!ram_has(desc, 16ull * num) || !ram_has(drv, 4) || !ram_has(dev, 4))
		return RULE_RING_OUTSIDE_MEMORY;
	return RULE_NONE;
}

static void pref_reset(struct pref *r)
{
	r->aslot = r->uslot = 0;
	r->awrap = r->uwrap = true;
	r->outstanding = 0;
}

/* Available for the driver's wrap counter: AVAIL (bit 7) equal to it,
 * USED (bit 15) not. */
static bool pref_avail(uint16_t flags, bool wrap)
{
	return ((flags >> 7) & 1) == wrap && ((flags >> 15) & 1) != wrap;
}

/* A buffer of the chain: 0, or the rule it breaks. */
static enum rule_id pref_buf(struct ref_chain *c, uint64_t addr, uint32_t len, uint16_t flags, bool *writable_seen)
{
	if (!ram_has(addr, len))
		return RULE_RING_BUFFER_OUTSIDE_MEMORY;
	bool w = flags & VIRTQ_DESC_F_WRITE;
	if (!w && *writable_seen)
		return RULE_RING_WRITE_BEFORE_READ;
	*writable_seen |= w;
	c->bufs[c->n++] = (struct vq_buf){ addr, len, w };
	if (w) {
		c->writable += len;
	} else {
		c->readable += len;
		c->n_readable++;
	}
	return RULE_NONE;
}

/* Walk the chain at the read position: 1 (chain in *c, *slots ring
 * slots), 0 (nothing available) or -1 (*rule broken). */
static int ref_pop_packed(const struct pref *r, struct ref_chain *c, uint32_t *slots, enum rule_id *rule)
{
	if (!pref_avail(le16_get(at(r->desc + 16ull * r->aslot + 14)), r->awrap))
		return 0;
	memset(c, 0, offsetof(struct ref_chain, bufs));
	uint32_t slot = r->aslot, k = 0;
	bool wrap = r->awrap, writable_seen = false;
	for (;;) {
		/* NEXT on the num-th descriptor: longer than the ring. */
		if (k >= r->num)
			return *rule = RULE_RING_CHAIN_LOOP, -1;
		const uint8_t *d = at(r->desc + 16ull * slot);
		uint64_t addr = le64_get(d);
		uint32_t len = le32_get(d + 8);
		uint16_t id = le16_get(d + 12), flags = le16_get(d + 14);
		if (++k > 1 && !pref_avail(flags, wrap))
			return *rule = RULE_RING_PACKED_NOT_AVAIL, -1;
		if (++slot == r->num) {
			slot = 0;
			wrap = !wrap;
		}
		enum rule_id e;
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (!r->indirect_ok)
				return *rule = RULE_RING_INDIRECT_NOT_NEGOTIATED, -1;
			if (flags & VIRTQ_DESC_F_NEXT)
				return *rule = RULE_RING_INDIRECT_WITH_NEXT, -1;
			if (len < 16 || len % 16 || len / 16 > r->num)
				return *rule = RULE_RING_INDIRECT_LEN, -1;
			if (!ram_has(addr, len))
				return *rule = RULE_RING_BUFFER_OUTSIDE_MEMORY, -1;
			c->indirect = true;
			/* Every entry is a buffer; NEXT and ids there mean nothing. */
			for (uint32_t i = 0; i < len / 16; i++) {
				const uint8_t *t = at(addr + 16ull * i);
				uint16_t tf = le16_get(t + 14);
				if (tf & VIRTQ_DESC_F_INDIRECT)
					return *rule = RULE_RING_INDIRECT_NESTED, -1;
				if ((e = pref_buf(c, le64_get(t), le32_get(t + 8), tf, &writable_seen)) != RULE_NONE)
					return *rule = e, -1;
			}
			c->head = id;
			break;
		}
		if ((e = pref_buf(c, addr, len, flags, &writable_seen)) != RULE_NONE)
			return *rule = e, -1;
		if (!(flags & VIRTQ_DESC_F_NEXT)) {
			c->head = id;
			break;
		}
	}
	if (c->head >= r->num)
		return *rule = RULE_RING_HEAD_RANGE, -1;
	if (r->outstanding + k > r->num)
		return *rule = RULE_RING_AVAIL_JUMP, -1;
	*slots = k;
	return 1;
}

static void compare_chain(const struct vq_chain *a, const struct ref_chain *b, uint32_t num)
{
	if (a->n > 2 * num)
		fuzz_fail("chain of %u buffers in a %u-entry queue", a->n, num);
	if (a->head != b->head || a->n != b->n || a->n_readable != b->n_readable || a->indirect != b->indirect ||
	    a->readable_len != b->readable || a->writable_len != b->writable)
		fuzz_fail("chain at head %u: %u buffers (%u readable, %llu+%llu bytes, indirect %d), reference: head %u, %u (%u, %llu+%llu, %d)",
			  a->head, a->n, a->n_readable, (unsigned long long)a->readable_len,
			  (unsigned long long)a->writable_len, a->indirect, b->head, b->n, b->n_readable,
			  (unsigned long long)b->readable, (unsigned long long)b->writable, b->indirect);
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->bufs[i].gpa != b->bufs[i].gpa || a->bufs[i].len != b->bufs[i].len ||
		    a->bufs[i].writable != b->bufs[i].writable)
			fuzz_fail("chain at head %u: buffer %u differs from the reference", a->head, i);
		if (!ram_has(a->bufs[i].gpa, a->bufs[i].len))
			fuzz_fail("chain at head %u: buffer %u outside guest RAM", a->head, i);
	}
}

/* Bytes [off, off + len) of the chain's readable (or writable) part as
 * the reference sees them: the count that exists. */
static uint64_t ref_span(const struct vq_chain *c, bool writable, uint64_t off, uint64_t len)
{
	uint64_t total = writable ? c->writable_len : c->readable_len;

	if (off >= total)
		return 0;
	return total - off < len ? total - off : len;
}

static void engine_packed(const struct ring_input *ri)
{
	static struct ref_chain rc;
	static uint8_t buf[0x10000];
	struct virtqueue vq;
	struct vq_chain c, last;
	struct vq_fault f;
	struct pref r = { .num = ri->num, .desc = ri->desc, .drv = ri->avail, .dev = ri->used,
			  .indirect_ok = ri->indirect };
	struct fuzz_in in = ri->ops;
	bool chain_ok = false, have_last = false;
	uint32_t pops = 0, pushes = 0;
	enum rule_id rule;

	pref_reset(&r);
	obs.vq = &vq;
	obs.chain = &c;
	memset(&vq, 0, sizeof(vq));
	enum rule_id want_setup = ref_setup_packed(ri->num, ri->desc, ri->avail, ri->used);
	obs.expect = EXPECT_NOTHING;
	int e = vq_setup_packed(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, ri->event_idx, &f);
	if ((e == 0) != (want_setup == RULE_NONE) || (e != 0 && f.rule != want_setup))
		fuzz_fail("packed set-up of %u entries at 0x%llx/0x%llx/0x%llx: %d (rule %d), reference rule %d", ri->num,
			  (unsigned long long)ri->desc, (unsigned long long)ri->avail, (unsigned long long)ri->used, e,
			  e ? (int)f.rule : 0, (int)want_setup);
	if (e != 0)
		return;
	for (unsigned ops = 0; ops < RI_OPS_MAX && fuzz_left(&in); ops++) {
		uint8_t op = (uint8_t)fuzz_take(&in, 1);
		switch (op % 8) {
		case 0: {
			struct packed_pos before = vq.next_avail;
			uint32_t slots = 0;
			int expect = ref_pop_packed(&r, &rc, &slots, &rule);
			obs.expect = EXPECT_POP;
			int got = vq_pop(&vq, &c, &f);
			if (got != expect)
				fuzz_fail("packed pop at slot %u: %d, reference %d (rule %d; engine rule %d)", r.aslot, got,
					  expect, expect < 0 ? (int)rule : 0, got < 0 ? (int)f.rule : 0);
			if (got < 0 && (f.rule != rule || vq.next_avail.slot != before.slot ||
					vq.next_avail.wrap != before.wrap || vq.outstanding != r.outstanding))
				fuzz_fail("packed pop failed with rule %d (reference %d), or moved", (int)f.rule, (int)rule);
			if (got < 0 && !memchr(f.msg, '\0', sizeof(f.msg)))
				fuzz_fail("fault message not terminated");
			if (got == 1) {
				compare_chain(&c, &rc, ri->num);
				if (c.slots != slots)
					fuzz_fail("packed chain of %u slots, reference %u", c.slots, slots);
				r.aslot += slots;
				if (r.aslot >= r.num) {
					r.aslot -= r.num;
					r.awrap = !r.awrap;
				}
				r.outstanding += slots;
				if (vq.next_avail.slot != r.aslot || vq.next_avail.wrap != r.awrap ||
				    vq.outstanding != r.outstanding)
					fuzz_fail("packed read position %u/%d held %u, reference %u/%d held %u",
						  vq.next_avail.slot, vq.next_avail.wrap, vq.outstanding, r.aslot, r.awrap,
						  r.outstanding);
				last = c;
				last.bufs = NULL;
				have_last = true;
				pops++;
			}
			chain_ok = got == 1;
			break;
		}
		case 1: {
			uint32_t written = (uint32_t)fuzz_take(&in, 4);
			if (!have_last)
				break;
			bool want_ok = last.slots <= r.outstanding;
			obs.expect = EXPECT_PUSH;
			int got = vq_push(&vq, &last, written, &f);
			if ((got == 0) != want_ok)
				fuzz_fail("packed push of %u slots with %u held: %d", last.slots, r.outstanding, got);
			if (got != 0)
				break;
			const uint8_t *d = at(r.desc + 16ull * r.uslot);
			uint16_t flags = le16_get(d + 14);
			bool a = (flags >> 7) & 1, u = (flags >> 15) & 1, w = flags & VIRTQ_DESC_F_WRITE;
			if (le32_get(d + 8) != written || le16_get(d + 12) != last.head || a != r.uwrap || u != r.uwrap ||
			    w != (last.n > last.n_readable))
				fuzz_fail("used descriptor at slot %u: len %u id %u flags 0x%x; expected len %u id %u wrap %d",
					  r.uslot, le32_get(d + 8), le16_get(d + 12), flags, written, last.head, r.uwrap);
			r.uslot += last.slots;
			if (r.uslot >= r.num) {
				r.uslot -= r.num;
				r.uwrap = !r.uwrap;
			}
			r.outstanding -= last.slots;
			pushes++;
			break;
		}
		case 2:
			obs.expect = EXPECT_NOTHING;
			vq_should_interrupt(&vq);
			break;
		case 3:
		case 4: {
			uint64_t off = fuzz_take(&in, 2), len = fuzz_take(&in, 2);
			bool w = op % 8 == 4;
			if (!chain_ok)
				break;
			uint64_t expect = ref_span(&c, w, off, len);
			obs.expect = w ? EXPECT_WRITE : EXPECT_NOTHING;
			uint64_t got = w ? vq_chain_write(&gm, &c, off, buf, len) : vq_chain_read(&gm, &c, off, buf, len);
			if (got != expect)
				fuzz_fail("%s %llu of [%llu, +%llu) of a packed chain", w ? "wrote" : "read",
					  (unsigned long long)got, (unsigned long long)off, (unsigned long long)len);
			break;
		}
		case 5: {
			uint64_t off = fuzz_take(&in, 2) % RI_RAM_SIZE, n = fuzz_take(&in, 1) % 33;
			for (uint64_t i = 0; i < n && fuzz_left(&in) && off + i < RI_RAM_SIZE; i++)
				gm.ram[off + i] = (uint8_t)fuzz_take(&in, 1);
			break;
		}
		case 6: {
			bool avail = pref_avail(le16_get(at(r.desc + 16ull * r.aslot + 14)), r.awrap);
			if (vq_pending(&vq) != (avail ? 1 : 0))
				fuzz_fail("packed pending %u, reference %d", vq_pending(&vq), avail);
			break;
		}
		default:
			vq_release(&vq);
			obs.expect = EXPECT_NOTHING;
			if (vq_setup_packed(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, ri->event_idx,
					    &f) != 0)
				fuzz_fail("packed set-up accepted once, then refused: %s", f.msg);
			pref_reset(&r);
			chain_ok = have_last = false;
			break;
		}
	}
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "packed engine: %u pops, %u pushes, %llu device stores\n", pops, pushes,
			(unsigned long long)obs.stores);
	vq_release(&vq);
}

static void engine(const struct ring_input *ri)
{
	static struct ref_chain rc;
	static uint8_t buf[0x10000], want[0x10000];
	struct virtqueue vq;
	struct vq_chain c;
	struct vq_fault f;
	struct ref r = { ri->num, ri->desc, ri->avail, ri->used, ri->indirect, 0 };
	struct fuzz_in in = ri->ops;
	bool chain_ok = false, have_head = false;
	uint16_t last_head = 0;
	enum rule_id rule;

	obs.vq = &vq;
	obs.chain = &c;
	memset(&vq, 0, sizeof(vq));
	enum rule_id want_setup = ref_setup(ri->num, ri->desc, ri->avail, ri->used);
	obs.expect = EXPECT_NOTHING;
	int e = vq_setup(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, ri->event_idx, &f);
	if ((e == 0) != (want_setup == RULE_NONE) || (e != 0 && f.rule != want_setup))
		fuzz_fail("set-up of %u entries at 0x%llx/0x%llx/0x%llx: %d (rule %d), reference rule %d", ri->num,
			  (unsigned long long)ri->desc, (unsigned long long)ri->avail, (unsigned long long)ri->used, e,
			  e ? (int)f.rule : 0, (int)want_setup);
	if (e != 0)
		return;
	for (unsigned ops = 0; ops < RI_OPS_MAX && fuzz_left(&in); ops++) {
		uint8_t op = (uint8_t)fuzz_take(&in, 1);
		switch (op % 8) {
		case 0: {
			uint16_t before = vq.last_avail;
			int expect = ref_pop(&r, &rc, &rule);
			obs.expect = EXPECT_POP;
			int got = vq_pop(&vq, &c, &f);
			if (got != expect)
				fuzz_fail("pop: %d, reference %d (rule %d)", got, expect, expect < 0 ? (int)rule : 0);
			if (got < 0 && (f.rule != rule || vq.last_avail != before))
				fuzz_fail("pop failed with rule %d (reference %d), index %u -> %u", (int)f.rule, (int)rule,
					  before, vq.last_avail);
			if (got < 0 && !memchr(f.msg, '\0', sizeof(f.msg)))
				fuzz_fail("fault message not terminated");
			if (got == 1) {
				compare_chain(&c, &rc, ri->num);
				r.last_avail++;
				last_head = c.head;
				have_head = true;
			}
			chain_ok = got == 1;
			break;
		}
		case 1: {
			uint32_t written = (uint32_t)fuzz_take(&in, 4);
			if (!have_head)
				break;
			struct vq_chain h = { .head = last_head };
			uint16_t idx = vq.used_idx;
			obs.expect = EXPECT_PUSH;
			if (vq_push(&vq, &h, written, &f) != 0)
				fuzz_fail("push failed: %s", f.msg);
			if (vq.used_idx != (uint16_t)(idx + 1) || le16_get(at(vq.used + 2)) != vq.used_idx)
				fuzz_fail("used index %u after a push from %u (ring says %u)", vq.used_idx, idx,
					  le16_get(at(vq.used + 2)));
			break;
		}
		case 2:
			obs.expect = EXPECT_NOTHING;
			vq_should_interrupt(&vq);
			break;
		case 3:
		case 4: {
			uint64_t off = fuzz_take(&in, 2), len = fuzz_take(&in, 2);
			bool w = op % 8 == 4;
			if (!chain_ok)
				break;
			uint64_t expect = ref_span(&c, w, off, len);
			if (w) {
				for (uint64_t i = 0; i < len; i++)
					buf[i] = (uint8_t)(i * 13 + 7);
				obs.expect = EXPECT_WRITE;
				uint64_t got = vq_chain_write(&gm, &c, off, buf, len);
				if (got != expect)
					fuzz_fail("wrote %llu of [%llu, +%llu) into %llu writable bytes", (unsigned long long)got,
						  (unsigned long long)off, (unsigned long long)len, (unsigned long long)c.writable_len);
			} else {
				/* What the readable buffers hold, gathered by hand. */
				uint64_t n = 0, skip = off;
				for (uint32_t i = 0; i < c.n_readable && n < expect; i++) {
					uint64_t blen = c.bufs[i].len;
					if (skip >= blen) {
						skip -= blen;
						continue;
					}
					uint64_t take = blen - skip < expect - n ? blen - skip : expect - n;
					memcpy(want + n, at(c.bufs[i].gpa + skip), take);
					n += take;
					skip = 0;
				}
				obs.expect = EXPECT_NOTHING;
				uint64_t got = vq_chain_read(&gm, &c, off, buf, len);
				if (got != expect || memcmp(buf, want, got) != 0)
					fuzz_fail("read %llu of [%llu, +%llu) from %llu readable bytes (%s)", (unsigned long long)got,
						  (unsigned long long)off, (unsigned long long)len,
						  (unsigned long long)c.readable_len, got == expect ? "other bytes" : "short");
			}
			break;
		}
		case 5: {
			uint64_t off = fuzz_take(&in, 2) % RI_RAM_SIZE, n = fuzz_take(&in, 1) % 33;
			for (uint64_t i = 0; i < n && fuzz_left(&in) && off + i < RI_RAM_SIZE; i++)
				gm.ram[off + i] = (uint8_t)fuzz_take(&in, 1);
			break;
		}
		case 6:
			if (vq_pending(&vq) != (uint16_t)(le16_get(at(r.avail + 2)) - r.last_avail))
				fuzz_fail("pending %u, reference %u", vq_pending(&vq),
					  (uint16_t)(le16_get(at(r.avail + 2)) - r.last_avail));
			break;
		default:
			vq_release(&vq);
			obs.expect = EXPECT_NOTHING;
			if (vq_setup(&vq, &gm, ri->num, ri->desc, ri->avail, ri->used, ri->indirect, ri->event_idx, &f) != 0)
				fuzz_fail("set-up accepted once, then refused: %s", f.msg);
			r.last_avail = 0;
			chain_ok = have_head = false;
			break;
		}
	}
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "engine: %u pops, used index %u, %llu device stores\n", r.last_avail, vq.used_idx,
			(unsigned long long)obs.stores);
	vq_release(&vq);
}

/* --- device mode --- */

static unsigned violations;

static void on_irq(void *ctx, struct emu_device *d, uint32_t status)
{
	(void)ctx;
	(void)d;
	if (status == 0 || status & ~VIRTIO_MMIO_INT_MASK)
		fuzz_fail("interrupt with InterruptStatus 0x%x", status);
}

static void on_violation(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg)
{
	(void)ctx;
	(void)d;
	violations++;
	if (rule == RULE_NONE || rule >= RULE_COUNT || strcmp(rule_lookup(rule)->key, "unknown-rule") == 0)
		fuzz_fail("violation with rule %d: %s", (int)rule, msg);
	if (!msg || strlen(msg) > 1024)
		fuzz_fail("violation message missing or unbounded");
}

static void dev_init(struct emu_device *d, const struct ring_input *ri, const struct emu_model *m)
{
	uint64_t offered = 0, accept;

	emu_mmio_read(d, MMIO_MAGIC_VALUE, 4);
	emu_mmio_read(d, MMIO_VERSION, 4);
	emu_mmio_read(d, MMIO_DEVICE_ID, 4);
	emu_mmio_write(d, MMIO_STATUS, 4, 0);
	emu_mmio_write(d, MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE);
	emu_mmio_write(d, MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t w = 0; w < 2; w++) {
		emu_mmio_write(d, MMIO_DEVICE_FEATURES_SEL, 4, w);
		offered |= emu_mmio_read(d, MMIO_DEVICE_FEATURES, 4) << (32 * w);
	}
	accept = offered;
	if (!ri->packed)
		accept &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (!ri->indirect)
		accept &= ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (!ri->event_idx)
		accept &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	for (uint32_t w = 0; w < 2; w++) {
		emu_mmio_write(d, MMIO_DRIVER_FEATURES_SEL, 4, w);
		emu_mmio_write(d, MMIO_DRIVER_FEATURES, 4, (uint32_t)(accept >> (32 * w)));
	}
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	if (!ri->legacy) {
		st |= VIRTIO_STATUS_FEATURES_OK;
		emu_mmio_write(d, MMIO_STATUS, 4, st);
		emu_mmio_read(d, MMIO_STATUS, 4);
	} else {
		emu_mmio_write(d, MMIO_GUEST_PAGE_SIZE, 4, RI_PAGE);
	}
	for (uint32_t q = 0; q < m->num_queues; q++) {
		uint64_t shift = (uint64_t)RI_QUEUE_STRIDE * q;
		emu_mmio_write(d, MMIO_QUEUE_SEL, 4, q);
		emu_mmio_read(d, MMIO_QUEUE_NUM_MAX, 4);
		emu_mmio_write(d, MMIO_QUEUE_NUM, 4, ri->num);
		if (ri->legacy) {
			emu_mmio_write(d, MMIO_QUEUE_ALIGN, 4, ri->align);
			emu_mmio_write(d, MMIO_QUEUE_PFN, 4, ri->pfn + (uint32_t)(shift / RI_PAGE));
			continue;
		}
		uint64_t a[3] = { ri->desc + shift, ri->avail + shift, ri->used + shift };
		for (int i = 0; i < 3; i++) {
			emu_mmio_write(d, MMIO_QUEUE_DESC_LOW + 0x10 * i, 4, (uint32_t)a[i]);
			emu_mmio_write(d, MMIO_QUEUE_DESC_HIGH + 0x10 * i, 4, (uint32_t)(a[i] >> 32));
		}
		emu_mmio_write(d, MMIO_QUEUE_READY, 4, 1);
	}
	emu_mmio_write(d, MMIO_STATUS, 4, st | VIRTIO_STATUS_DRIVER_OK);
}

static void device(const struct ring_input *ri)
{
	const struct emu_model *m = ri_models[ri->model];
	struct emu_hooks hooks = { .irq = on_irq, .violation = on_violation };
	struct emu_device_cfg cfg;
	struct emu_device *d;
	struct fuzz_in in = ri->ops;

	memset(&cfg, 0, sizeof(cfg));
	cfg.base = DEV_BASE;
	cfg.version = ri->legacy ? 1 : 2;
	cfg.model = m;
	cfg.queue_num_max = VIRTQ_SIZE_MAX;
	cfg.offer_packed = ri->packed;
	/* Each model's own options: a 64 KiB disk, a MAC, console echo, seed 1. */
	static const struct dev_blk_opts blk = { .capacity = 64 * 1024 };
	static const struct dev_net_opts net = { .mac = { 0x52 } };
	static const struct dev_console_opts con = { .echo = true };
	static const struct dev_rng_opts rng = { .seed = 1 };
	switch (m->device_id) {
	case VIRTIO_ID_BLOCK: cfg.opts = &blk; cfg.opts_size = sizeof(blk); break;
	case VIRTIO_ID_NET: cfg.opts = &net; cfg.opts_size = sizeof(net); break;
	case VIRTIO_ID_CONSOLE: cfg.opts = &con; cfg.opts_size = sizeof(con); break;
	case VIRTIO_ID_ENTROPY: cfg.opts = &rng; cfg.opts_size = sizeof(rng); break;
	}
	if (emu_device_new(&d, &cfg, &gm, &hooks) != 0)
		fuzz_fail("emu_device_new");
	obs.expect = EXPECT_ANY;
	dev_init(d, ri, m);
	for (unsigned ops = 0; ops < RI_OPS_MAX && fuzz_left(&in); ops++) {
		uint8_t op = (uint8_t)fuzz_take(&in, 1);
		switch (op % 8) {
		case 0:
			emu_mmio_write(d, MMIO_QUEUE_NOTIFY, 4, (uint32_t)fuzz_take(&in, 1) % (m->num_queues + 1u));
			break;
		case 1: {
			uint64_t off = fuzz_take(&in, 2) % RI_RAM_SIZE, n = fuzz_take(&in, 1) % 33;
			for (uint64_t i = 0; i < n && fuzz_left(&in) && off + i < RI_RAM_SIZE; i++)
				gm.ram[off + i] = (uint8_t)fuzz_take(&in, 1);
			break;
		}
		case 2: {
			uint32_t off = (uint32_t)fuzz_take(&in, 1) * 4 % 0x200;
			emu_mmio_write(d, off, 4, (uint32_t)fuzz_take(&in, 4));
			break;
		}
		case 3:
			emu_mmio_read(d, (uint32_t)fuzz_take(&in, 1) * 4 % 0x200, 4);
			break;
		case 4:
			emu_device_poll(d);
			break;
		case 5: {
			uint32_t st = (uint32_t)emu_mmio_read(d, MMIO_INTERRUPT_STATUS, 4);
			if (st & ~VIRTIO_MMIO_INT_MASK)
				fuzz_fail("InterruptStatus 0x%x", st);
			emu_mmio_write(d, MMIO_INTERRUPT_ACK, 4, st);
			break;
		}
		case 6:
			dev_init(d, ri, m);
			break;
		default: {
			uint32_t off = MMIO_CONFIG + (uint32_t)fuzz_take(&in, 1) % 64;
			emu_mmio_write(d, off, 1, fuzz_take(&in, 1));
			break;
		}
		}
	}
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "device %s: %u violations, %llu device stores (%llu bytes), status 0x%x\n", m->name,
			violations, (unsigned long long)obs.stores, (unsigned long long)obs.bytes, emu_device_status(d));
	emu_device_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ring_input ri;

	if (size > FUZZER_MAXLEN)
		return 0;
	if (!ri_parse(&ri, data, size))
		return 0;
	if (!gm.ram) {
		/* Exact size on the heap (gmem_init maps pages): ASan sees any
		 * access past either end. */
		gm.ram = malloc(RI_RAM_SIZE);
		if (!gm.ram)
			return 0;
		gm.size = RI_RAM_SIZE;
		gm.observer = observe;
	}
	gm.base = ri.ram_base;
	ri_fill_ram(&ri, gm.ram);
	memset(&obs, 0, sizeof(obs));
	violations = 0;
	if (ri.device_mode)
		device(&ri);
	else if (ri.packed)
		engine_packed(&ri);
	else
		engine(&ri);
	return 0;
}
