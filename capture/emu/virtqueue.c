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

uint16_t vq_pending(const struct virtqueue *vq)
{
	if (!vq->scratch)
		return 0;
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

int vq_pop(struct virtqueue *vq, struct vq_chain *c, struct vq_fault *f)
{
	if (!vq->scratch)
		return 0;
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
	return 1;
}

int vq_push(struct virtqueue *vq, const struct vq_chain *c, uint32_t written, struct vq_fault *f)
{
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];

	if (!vq->scratch)
		return fault(f, RULE_NONE, "queue is not set up");
	le32_put(elem, c->head);
	le32_put(elem + 4, written);
	if (gmem_write(vq->gm, GMEM_DEVICE, split_ring_used_elem_addr(&vq->ring, vq->used_idx), elem, sizeof(elem)) < 0)
		return fault(f, RULE_RING_OUTSIDE_MEMORY, "used ring not writable");
	vq->used_idx++;
	ring_put_u16(vq, split_ring_used_idx_addr(&vq->ring), vq->used_idx);
	vq->pushed = true;
	return 0;
}

bool vq_should_interrupt(struct virtqueue *vq)
{
	if (!vq->scratch || !vq->pushed)
		return false;
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
