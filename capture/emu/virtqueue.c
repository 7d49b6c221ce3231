/* Split virtqueue, device side.  Everything read from guest memory is
 * untrusted: indices are checked against the queue size, addresses and
 * lengths against guest RAM, and walks are bounded by the queue size. */
#include "capture/emu/virtqueue.h"

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
	/* Start from "interrupted at used index 0", so even the first used
	 * buffer interrupts only if used_event asks for it (the spec's SHOULD
	 * NOT, where vhost and QEMU interrupt unconditionally the first time). */
	vq->signalled_valid = true;
	return 0;
}

void vq_release(struct virtqueue *vq)
{
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
	return ring_u16(vq, vq->avail + 2);
}

uint16_t vq_pending(const struct virtqueue *vq)
{
	if (!vq->scratch)
		return 0;
	return (uint16_t)(avail_idx(vq) - vq->last_avail);
}

/* With EVENT_IDX, tell the driver how far the device has read. */
static void publish_avail_event(struct virtqueue *vq)
{
	if (vq->event_idx)
		ring_put_u16(vq, vq->used + 4 + 8ull * vq->num, vq->last_avail);
}

struct raw_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Copy descriptor i of the table at gpa (checked to hold n entries) once. */
static int read_desc(const struct guest_mem *gm, uint64_t table, uint32_t i, struct raw_desc *d)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	if (gmem_read(gm, table + (uint64_t)i * VIRTQ_DESC_SIZE, b, sizeof(b)) < 0)
		return -1;
	d->addr = le64_get(b);
	d->len = le32_get(b + 8);
	d->flags = le16_get(b + 12);
	d->next = le16_get(b + 14);
	return 0;
}

/* Walk the chain starting at head: at most num direct descriptors, then at
 * most one indirect table of at most num entries. */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *c, struct vq_fault *f)
{
	uint64_t table = vq->desc;
	uint32_t table_len = vq->num;
	uint32_t idx = head, hops = 0;
	bool indirect = false, seen_writable = false;
	struct raw_desc d;

	memset(c, 0, sizeof(*c));
	c->head = head;
	c->bufs = vq->scratch;
	for (;;) {
		if (hops++ >= table_len)
			return fault(f, RULE_RING_CHAIN_LOOP, "chain at head %u: more than %u descriptors%s (a loop?)",
				     head, table_len, indirect ? " in its indirect table" : "");
		if (read_desc(vq->gm, table, idx, &d) < 0)
			return fault(f, RULE_RING_BUFFER_OUTSIDE_MEMORY, "chain at head %u: descriptor %u unreadable", head, idx);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return fault(f, RULE_RING_INDIRECT_NESTED, "chain at head %u: indirect descriptor inside an indirect table", head);
			if (!vq->indirect_ok)
				return fault(f, RULE_RING_INDIRECT_NOT_NEGOTIATED, "chain at head %u: descriptor %u is indirect but INDIRECT_DESC was not negotiated", head, idx);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return fault(f, RULE_RING_INDIRECT_WITH_NEXT, "chain at head %u: descriptor %u has both INDIRECT and NEXT", head, idx);
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE || d.len / VIRTQ_DESC_SIZE > vq->num)
				return fault(f, RULE_RING_INDIRECT_LEN, "chain at head %u: indirect table length %u is not a multiple of 16 in 16..%u",
					     head, d.len, vq->num * VIRTQ_DESC_SIZE);
			if (!gmem_contains(vq->gm, d.addr, d.len))
				return fault(f, RULE_RING_BUFFER_OUTSIDE_MEMORY, "chain at head %u: indirect table 0x%llx+%u outside guest RAM",
					     head, (unsigned long long)d.addr, d.len);
			table = d.addr;
			table_len = d.len / VIRTQ_DESC_SIZE;
			idx = 0;
			hops = 0;
			indirect = true;
			c->indirect = true;
			continue;
		}
		if (!gmem_contains(vq->gm, d.addr, d.len))
			return fault(f, RULE_RING_BUFFER_OUTSIDE_MEMORY, "chain at head %u: buffer 0x%llx+%u outside guest RAM",
				     head, (unsigned long long)d.addr, d.len);
		bool writable = d.flags & VIRTQ_DESC_F_WRITE;
		if (!writable && seen_writable)
			return fault(f, RULE_RING_WRITE_BEFORE_READ, "chain at head %u: device-readable descriptor %u after a writable one", head, idx);
		seen_writable |= writable;
		/* At most num direct plus num indirect buffers: scratch holds 2 * num. */
		c->bufs[c->n++] = (struct vq_buf){ .gpa = d.addr, .len = d.len, .writable = writable };
		if (writable)
			c->writable_len += d.len;
		else {
			c->readable_len += d.len;
			c->n_readable++;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= table_len)
			return fault(f, RULE_RING_NEXT_RANGE, "chain at head %u: next %u of descriptor %u is outside the %u-entry %s",
				     head, d.next, idx, table_len, indirect ? "indirect table" : "queue");
		idx = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f)
{
	if (!vq->scratch)
		return 0;
	uint16_t pending = vq_pending(vq);
	if (pending == 0) {
		publish_avail_event(vq);
		return 0;
	}
	if (pending > vq->num)
		return fault(f, RULE_RING_AVAIL_JUMP, "available index %u is %u entries ahead of the device (%u), more than the queue size %u",
			     avail_idx(vq), pending, vq->last_avail, vq->num);
	uint16_t head = ring_u16(vq, vq->avail + 4 + 2ull * (vq->last_avail % vq->num));
	if (head >= vq->num)
		return fault(f, RULE_RING_HEAD_RANGE, "available ring slot %u holds head %u, outside the %u-entry queue",
			     vq->last_avail % vq->num, head, vq->num);
	if (walk_chain(vq, head, c, f) < 0)
		return -1;
	vq->last_avail++;
	publish_avail_event(vq);
	return 1;
}

int vq_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f)
{
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];

	if (!vq->scratch)
		return fault(f, RULE_NONE, "queue is not set up");
	le32_put(elem, c->head);
	le32_put(elem + 4, written);
	if (gmem_write(vq->gm, GMEM_DEVICE, vq->used + 4 + 8ull * (vq->used_idx % vq->num), elem, sizeof(elem)) < 0)
		return fault(f, RULE_RING_OUTSIDE_MEMORY, "used ring not writable");
	vq->used_idx++;
	ring_put_u16(vq, vq->used + 2, vq->used_idx);
	vq->pushed = true;
	return 0;
}

bool vq_should_interrupt(struct virtqueue *vq)
{
	if (!vq->scratch || !vq->pushed)
		return false;
	vq->pushed = false;
	if (!vq->event_idx)
		return !(ring_u16(vq, vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t used_event = ring_u16(vq, vq->avail + 4 + 2ull * vq->num);
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
