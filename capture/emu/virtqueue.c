/* Split virtqueue, device side.  Everything read from guest memory is
 * untrusted: indices are checked against the queue size, addresses and
 * lengths against guest RAM, and walks are bounded by the queue size. */
#include "capture/emu/virtqueue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtio.h"

static int fault(struct vq_fault *f, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fault(struct vq_fault *f, enum rule_id rule, const char *fmt, ...)
{
	va_list ap;

	f->rule = rule;
	memset(&f->at, 0, sizeof(f->at));
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int vq_setup(struct virtqueue *vq, struct guest_mem *gm, uint32_t num,
	     uint64_t desc, uint64_t avail, uint64_t used,
	     bool indirect_ok, bool event_idx, struct vq_fault *f)
{
	memset(vq, 0, sizeof(*vq));
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return fault(f, RULE_QUEUE_NUM_ZERO, "queue size %u outside 1..%u", num, VIRTQ_SIZE_MAX);
	if (num & (num - 1))
		return fault(f, RULE_QUEUE_NUM_NOT_POW2, "queue size %u is not a power of 2", num);
	if (desc % VIRTQ_DESC_ALIGN || avail % VIRTQ_AVAIL_ALIGN || used % VIRTQ_USED_ALIGN)
		return fault(f, RULE_RING_MISALIGNED, "ring areas 0x%llx/0x%llx/0x%llx not aligned to 16/2/4",
			     (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used);
	if (!gmem_contains(gm, desc, virtq_desc_bytes(num)) ||
	    !gmem_contains(gm, avail, virtq_avail_bytes(num)) ||
	    !gmem_contains(gm, used, virtq_used_bytes(num)))
		return fault(f, RULE_RING_OUTSIDE_MEMORY, "ring areas 0x%llx/0x%llx/0x%llx of a %u-entry queue are not inside guest RAM",
			     (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used, num);
	vq->scratch = calloc(2u * num, sizeof(*vq->scratch));
	if (!vq->scratch)
		return fault(f, RULE_NONE, "out of memory for a %u-entry queue", num);
	vq->gm = gm;
	vq->num = num;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->indirect_ok = indirect_ok;
	vq->event_idx = event_idx;
	vq->ring = (struct split_ring){ .num = num, .desc = desc, .avail = avail, .used = used, .indirect_ok = indirect_ok };
	/* Start from "interrupted at used index 0", so even the first used
	 * buffer interrupts only if used_event asks for it (the spec's SHOULD
	 * NOT, where vhost and QEMU interrupt unconditionally the first time). */
	vq->signalled_valid = true;
	return 0;
}

void vq_release(struct virtqueue *vq)
{
	free(vq->pub);
	free(vq->held);
	free(vq->scratch);
	memset(vq, 0, sizeof(*vq));
}

/* The ring areas were checked at set-up, so these reads cannot fail; the
 * fallback value is only for a released queue. */
static uint16_t ring_u16(const struct virtqueue *vq, uint64_t gpa)
{
	uint8_t b[2];

	if (gmem_read(vq->gm, gpa, b, 2) < 0)
		return 0;
	return le16_get(b);
}

static void ring_put_u16(struct virtqueue *vq, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];

	le16_put(b, v);
	gmem_write(vq->gm, GMEM_DEVICE, gpa, b, 2);
}

static uint16_t avail_idx(const struct virtqueue *vq)
{
	return ring_u16(vq, split_ring_avail_idx_addr(&vq->ring));
}

static bool packed_next_avail(const struct virtqueue *vq);

uint16_t vq_pending(const struct virtqueue *vq)
{
	if (!vq->scratch)
		return 0;
	if (vq->packed)
		return packed_next_avail(vq) ? 1 : 0;
	return split_ring_ahead(avail_idx(vq), vq->last_avail);
}

/* With EVENT_IDX, tell the driver how far the device has read. */
static void publish_avail_event(struct virtqueue *vq)
{
	if (vq->event_idx)
		ring_put_u16(vq, split_ring_avail_event_addr(&vq->ring), vq->last_avail);
}

/* A pop's walk: the queue and the chain being filled. */
struct pop_walk {
	struct virtqueue *vq;
	struct vq_chain *c;
};

/* The walker's view of guest RAM: all of it, so an unreadable descriptor
 * is the guest's doing (split_ring.h). */
static int walk_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	const struct pop_walk *w = ctx;

	return gmem_read(w->vq->gm, gpa, dst, len) < 0 ? VRING_MEM_MISSING : VRING_MEM_EXACT;
}

static bool walk_contains(void *ctx, uint64_t gpa, uint64_t len)
{
	const struct pop_walk *w = ctx;

	return gmem_contains(w->vq->gm, gpa, len);
}

/* Each buffer into the chain being popped. */
static int walk_buf(void *ctx, const struct vring_desc *d, const struct vring_place *at)
{
	struct pop_walk *w = ctx;
	struct vq_chain *c = w->c;
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	(void)at;
	/* At most num direct plus num indirect buffers: scratch holds 2 * num. */
	if (c->n >= 2 * w->vq->num)
		return -EOVERFLOW;
	c->bufs[c->n++] = (struct vq_buf){ .gpa = d->addr, .len = d->len, .writable = writable };
	if (writable) {
		c->writable_len += d->len;
	} else {
		c->readable_len += d->len;
		c->n_readable++;
	}
	return 0;
}

static const struct vring_ops walk_ops = {
	.read = walk_read,
	.contains = walk_contains,
	.on_buf = walk_buf,
	.mem_complete = true,
};

/* Copy a walker's finding into f. */
static int fault_from(struct vq_fault *f, const struct vring_fault *vf)
{
	f->rule = vf->rule;
	f->at = vf->at;
	snprintf(f->msg, sizeof(f->msg), "%s", vf->msg);
	return -1;
}

/* Walk the chain starting at head through the shared walker. */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *c, struct vq_fault *f)
{
	struct pop_walk pw = { .vq = vq, .c = c };
	struct vring_chain w;

	memset(c, 0, sizeof(*c));
	c->head = head;
	c->bufs = vq->scratch;
	int r = split_ring_walk(&vq->ring, head, &walk_ops, &pw, &w);
	c->indirect = w.indirect;
	if (r == VRING_OK)
		return 0;
	if (r == VRING_BROKEN)
		return fault_from(f, &w.fault);
	return fault(f, RULE_NONE, "chain at head %u: walk failed (%d)", head, r);
}

static int packed_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f);
static int packed_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f);
static bool packed_should_interrupt(struct virtqueue *vq);

int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f)
{
	if (!vq->scratch)
		return 0;
	if (vq->packed) {
		int r = packed_pop(vq, c, f);
		if (r == 1)
			c->ord = vq->popped++;
		return r;
	}
	struct vring_fault vf;
	uint16_t idx = avail_idx(vq);
	if (idx == vq->last_avail) {
		publish_avail_event(vq);
		return 0;
	}
	if (split_ring_check_avail(vq->num, idx, vq->last_avail, &vf) != VRING_OK)
		return fault_from(f, &vf);
	uint16_t head = ring_u16(vq, split_ring_avail_slot_addr(&vq->ring, vq->last_avail));
	if (split_ring_check_head(vq->num, vq->last_avail, head, &vf) != VRING_OK)
		return fault_from(f, &vf);
	if (walk_chain(vq, head, c, f) < 0)
		return -1;
	vq->last_avail++;
	publish_avail_event(vq);
	c->ord = vq->popped++;
	return 1;
}

int vq_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f)
{
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];

	if (!vq->scratch)
		return fault(f, RULE_NONE, "queue is not set up");
	if (vq->hold) {
		/* The driver cannot have more chains out than the ring holds. */
		if (vq->n_held >= vq->num)
			return fault(f, RULE_RING_AVAIL_JUMP, "more than %u chains used and not yet published", vq->num);
		if (vq->packed && (c->slots == 0 || c->slots > vq->outstanding))
			return fault(f, RULE_NONE, "chain of buffer id %u was not popped from this queue", c->head);
		vq->held[vq->n_held++] = (struct vq_held){ .ord = c->ord, .head = c->head, .len = written,
							   .slots = vq->packed ? c->slots : 1,
							   .writable = c->n > c->n_readable };
		return 0;
	}
	if (vq->packed)
		return packed_push(vq, c, written, f);
	le32_put(elem, c->head);
	le32_put(elem + 4, written);
	if (gmem_write(vq->gm, GMEM_DEVICE, split_ring_used_elem_addr(&vq->ring, vq->used_idx), elem, sizeof(elem)) < 0)
		return fault(f, RULE_RING_OUTSIDE_MEMORY, "used ring not writable");
	vq->used_idx++;
	ring_put_u16(vq, split_ring_used_idx_addr(&vq->ring), vq->used_idx);
	vq->pushed = true;
	return 0;
}

int vq_hold(struct virtqueue *vq)
{
	if (!vq->scratch)
		return -1;
	if (vq->hold)
		return 0;
	vq->held = calloc(vq->num, sizeof(*vq->held));
	if (!vq->held)
		return -1;
	vq->hold = true;
	vq->n_held = 0;
	return 0;
}

uint16_t vq_held_slots(const struct virtqueue *vq, uint64_t ord)
{
	for (uint32_t i = 0; vq->hold && i < vq->n_held; i++)
		if (vq->held[i].ord == ord)
			return vq->held[i].slots;
	return 0;
}

static int packed_place(struct virtqueue *vq, const struct vq_held *h, uint16_t pos);

int vq_publish(struct virtqueue *vq, uint64_t ord, uint16_t pos)
{
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];

	if (!vq->hold || pos >= vq->num)
		return -1;
	for (uint32_t i = 0; i < vq->n_held; i++) {
		if (vq->held[i].ord != ord)
			continue;
		if (vq->packed) {
			if (packed_place(vq, &vq->held[i], pos) < 0)
				return -1;
		} else {
			le32_put(elem, vq->held[i].head);
			le32_put(elem + 4, vq->held[i].len);
			/* The used ring was checked to lie in guest RAM at set-up. */
			(void)gmem_write(vq->gm, GMEM_DEVICE,
					 split_ring_used_elem_addr(&vq->ring, (uint16_t)(vq->used_idx + pos)), elem,
					 sizeof(elem));
		}
		memmove(vq->held + i, vq->held + i + 1, (vq->n_held - i - 1) * sizeof(*vq->held));
		vq->n_held--;
		return 0;
	}
	return 1;
}

int vq_flush(struct virtqueue *vq, uint16_t count)
{
	if (!vq->scratch || count > vq->num)
		return -1;
	if (count == 0)
		return 0;
	if (vq->packed) {
		/* The slots handed back leave the device's hands (a flush past
		 * what was popped, from a device that used more than it took,
		 * empties them). */
		packed_ring_advance(&vq->next_used, vq->num, count);
		vq->outstanding = count < vq->outstanding ? vq->outstanding - count : 0;
		vq->pub_slots = 0;
		vq->pushed = true;
		return 0;
	}
	vq->used_idx = (uint16_t)(vq->used_idx + count);
	ring_put_u16(vq, split_ring_used_idx_addr(&vq->ring), vq->used_idx);
	vq->pushed = true;
	return 0;
}

bool vq_should_interrupt(struct virtqueue *vq)
{
	if (!vq->scratch || !vq->pushed)
		return false;
	if (vq->packed)
		return packed_should_interrupt(vq);
	vq->pushed = false;
	if (!vq->event_idx)
		return !(ring_u16(vq, split_ring_avail_flags_addr(&vq->ring)) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t used_event = ring_u16(vq, split_ring_used_event_addr(&vq->ring));
	bool valid = vq->signalled_valid;
	uint16_t old = vq->signalled_used;
	vq->signalled_valid = true;
	vq->signalled_used = vq->used_idx;
	return !valid || virtq_need_event(used_event, vq->used_idx, old);
}

uint64_t vq_chain_read(const struct guest_mem *gm, const struct vq_chain *c,
		       uint64_t off, void *dst, uint64_t len)
{
	uint8_t *out = dst;
	uint64_t done = 0;

	for (unsigned i = 0; i < c->n_readable && done < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		uint64_t n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (gmem_read(gm, b->gpa + off, out + done, n) < 0)
			break;
		done += n;
		off = 0;
	}
	return done;
}

uint64_t vq_chain_write(struct guest_mem *gm, const struct vq_chain *c,
			uint64_t off, const void *src, uint64_t len)
{
	const uint8_t *in = src;
	uint64_t done = 0;

	for (unsigned i = c->n_readable; i < c->n && done < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		uint64_t n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (gmem_write(gm, GMEM_DEVICE, b->gpa + off, in + done, n) < 0)
			break;
		done += n;
		off = 0;
	}
	return done;
}

/* --- Packed Virtqueues --- */

int vq_setup_packed(struct virtqueue *vq, struct guest_mem *gm, uint32_t num,
		    uint64_t desc, uint64_t driver, uint64_t device,
		    bool indirect_ok, bool event_idx, struct vq_fault *f)
{
	memset(vq, 0, sizeof(*vq));
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return fault(f, RULE_QUEUE_NUM_ZERO, "queue size %u outside 1..%u", num, VIRTQ_SIZE_MAX);
	if (desc % PACKED_DESC_ALIGN || driver % PACKED_EVENT_ALIGN || device % PACKED_EVENT_ALIGN)
		return fault(f, RULE_RING_MISALIGNED, "packed ring areas 0x%llx/0x%llx/0x%llx not aligned to 16/4/4",
			     (unsigned long long)desc, (unsigned long long)driver, (unsigned long long)device);
	if (!gmem_contains(gm, desc, packed_ring_desc_bytes(num)) || !gmem_contains(gm, driver, PACKED_EVENT_SIZE) ||
	    !gmem_contains(gm, device, PACKED_EVENT_SIZE))
		return fault(f, RULE_RING_OUTSIDE_MEMORY,
			     "packed ring areas 0x%llx/0x%llx/0x%llx of a %u-entry queue are not inside guest RAM",
			     (unsigned long long)desc, (unsigned long long)driver, (unsigned long long)device, num);
	/* A chain is at most num ring descriptors or one indirect table of
	 * at most num entries (packed_ring.h): 2 * num covers both. */
	vq->scratch = calloc(2u * num, sizeof(*vq->scratch));
	vq->pub = calloc(num, sizeof(*vq->pub));
	if (!vq->scratch || !vq->pub) {
		free(vq->scratch);
		free(vq->pub);
		vq->scratch = NULL;
		vq->pub = NULL;
		return fault(f, RULE_NONE, "out of memory for a %u-entry queue", num);
	}
	vq->gm = gm;
	vq->num = num;
	vq->desc = desc;
	vq->avail = driver;
	vq->used = device;
	vq->indirect_ok = indirect_ok;
	vq->event_idx = event_idx;
	vq->packed = true;
	vq->pring = (struct packed_ring){ .num = num, .desc = desc, .driver_event = driver, .device_event = device,
					  .indirect_ok = indirect_ok };
	/* Both wrap counters start at 1 (Driver and Device Ring Wrap
	 * Counters); "interrupted at slot 0" as for split rings. */
	vq->next_avail = vq->next_used = vq->signalled = (struct packed_pos){ .slot = 0, .wrap = true };
	return 0;
}

static bool packed_next_avail(const struct virtqueue *vq)
{
	uint16_t flags = ring_u16(vq, packed_ring_flags_addr(&vq->pring, vq->next_avail.slot));

	return packed_ring_desc_avail(flags, vq->next_avail.wrap);
}

/* With EVENT_IDX, tell the driver where the device reads next (device
 * event suppression, RING_EVENT_FLAGS_DESC), when that changed. */
static void packed_publish_event(struct virtqueue *vq)
{
	struct packed_event e = { .off = vq->next_avail.slot, .wrap = vq->next_avail.wrap, .flags = PACKED_EVENT_F_DESC };
	uint16_t off_wrap = (uint16_t)(e.off | (e.wrap ? 0x8000u : 0));
	uint8_t b[PACKED_EVENT_SIZE];

	if (!vq->event_idx || (vq->dev_event_set && vq->dev_event == off_wrap))
		return;
	packed_ring_event_encode(b, &e);
	if (gmem_write(vq->gm, GMEM_DEVICE, vq->pring.device_event, b, sizeof(b)) == 0) {
		vq->dev_event = off_wrap;
		vq->dev_event_set = true;
	}
}

static int packed_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f)
{
	struct pop_walk pw = { .vq = vq, .c = c };
	struct packed_chain pc;
	struct vring_fault vf;

	/* The first descriptor's flags make the chain available; the walker
	 * checks the others. */
	if (!packed_next_avail(vq)) {
		packed_publish_event(vq);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	c->bufs = vq->scratch;
	int r = packed_ring_walk(&vq->pring, vq->next_avail, &walk_ops, &pw, &pc);
	c->indirect = pc.c.indirect;
	if (r == VRING_BROKEN)
		return fault_from(f, &pc.c.fault);
	if (r != VRING_OK)
		return fault(f, RULE_NONE, "chain at slot %u: walk failed (%d)", vq->next_avail.slot, r);
	if (packed_ring_check_id(vq->num, vq->next_avail.slot, pc.id, &vf) != VRING_OK)
		return fault_from(f, &vf);
	/* Slots the device holds (popped, not used) plus this chain cannot
	 * pass the ring: more would mean the driver made descriptors
	 * available over ones the device has not given back. */
	if (vq->outstanding + pc.slots > vq->num)
		return fault(f, RULE_RING_AVAIL_JUMP,
			     "chain at slot %u: %u more descriptors available while the device holds %u of a %u-entry ring",
			     vq->next_avail.slot, pc.slots, vq->outstanding, vq->num);
	c->head = pc.id;
	c->slots = (uint16_t)pc.slots;
	vq->outstanding += pc.slots;
	vq->next_avail = pc.next;
	packed_publish_event(vq);
	return 1;
}

/* Write the used descriptor of h pos slots after the next used slot:
 * length and buffer id, then the flags that hand the descriptor back
 * (WRITE: the length is meaningful).  Returns 0, or -1 if the entry
 * would not fit before num slots or the ring is not writable. */
static int packed_place(struct virtqueue *vq, const struct vq_held *h, uint16_t pos)
{
	struct packed_pos at = vq->next_used;
	uint8_t b[6];

	if ((uint32_t)pos + h->slots > vq->num)
		return -1;
	packed_ring_advance(&at, vq->num, pos);
	le32_put(b, h->len);
	le16_put(b + 4, h->head);
	if (gmem_write(vq->gm, GMEM_DEVICE, packed_ring_desc_addr(&vq->pring, at.slot) + 8, b, sizeof(b)) < 0)
		return -1;
	uint16_t flags = packed_ring_used_flags(at.wrap);
	if (h->writable)
		flags |= VIRTQ_DESC_F_WRITE;
	ring_put_u16(vq, packed_ring_flags_addr(&vq->pring, at.slot), flags);
	vq->pub[at.slot] = (struct vq_pub){ .id = h->head, .slots = h->slots, .len = h->len };
	vq->pub_slots += h->slots;
	return 0;
}

static int packed_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f)
{
	struct vq_held h = { .head = c->head, .slots = c->slots, .len = written, .writable = c->n > c->n_readable };

	if (c->slots == 0 || c->slots > vq->outstanding)
		return fault(f, RULE_NONE, "chain of buffer id %u was not popped from this queue", c->head);
	if (packed_place(vq, &h, 0) < 0)
		return fault(f, RULE_RING_OUTSIDE_MEMORY, "descriptor ring not writable");
	vq->pub_slots = 0;
	packed_ring_advance(&vq->next_used, vq->num, c->slots);
	vq->outstanding -= c->slots;
	vq->pushed = true;
	return 0;
}

/* A ring position as one number modulo 2 * num (the wrap counter is the
 * lap's parity), for the event test across laps. */
static uint32_t packed_linear(const struct virtqueue *vq, uint16_t slot, bool wrap)
{
	return slot + (wrap ? 0 : vq->num);
}

static bool packed_should_interrupt(struct virtqueue *vq)
{
	uint8_t b[PACKED_EVENT_SIZE] = { 0 };
	struct packed_event e;
	struct packed_pos old = vq->signalled;

	vq->pushed = false;
	vq->signalled = vq->next_used;
	(void)gmem_read(vq->gm, vq->pring.driver_event, b, sizeof(b));
	packed_ring_event_decode(b, &e);
	e.flags &= 3u; /* the other bits are reserved */
	if (e.flags == PACKED_EVENT_F_DISABLE)
		return false;
	/* RING_EVENT_FLAGS_DESC without EVENT_IDX, and the reserved value 3,
	 * are read as ENABLE: the driver gets its interrupt. */
	if (e.flags != PACKED_EVENT_F_DESC || !vq->event_idx || e.off >= vq->num)
		return true;
	/* Interrupt if the used descriptor at the event position was written
	 * since the last decision: event in [old, new) modulo 2 * num. */
	uint32_t m = 2 * vq->num;
	uint32_t event = packed_linear(vq, e.off, e.wrap);
	uint32_t new = packed_linear(vq, vq->next_used.slot, vq->next_used.wrap);
	uint32_t prev = packed_linear(vq, old.slot, old.wrap);
	return (new + m - event - 1) % m < (new + m - prev) % m;
}
