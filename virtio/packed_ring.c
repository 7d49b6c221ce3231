/* The packed-ring chain walker (packed_ring.h).  Every value read through
 * ops->read is the guest's: the number of ring descriptors a chain takes
 * is bounded by num before anything is read, an indirect table by its
 * checked length, and addresses go through ops->contains. */
#include "virtio/packed_ring.h"

#include <errno.h>
#include <string.h>

void packed_ring_desc_decode(const uint8_t b[VIRTQ_DESC_SIZE], struct vring_desc *d)
{
	d->addr = le64_get(b);
	d->len = le32_get(b + 8);
	d->next = le16_get(b + 12); /* the buffer id */
	d->flags = le16_get(b + 14);
}

void packed_ring_desc_encode(uint8_t b[VIRTQ_DESC_SIZE], const struct vring_desc *d)
{
	le64_put(b, d->addr);
	le32_put(b + 8, d->len);
	le16_put(b + 12, d->next);
	le16_put(b + 14, d->flags);
}

void packed_ring_event_decode(const uint8_t b[PACKED_EVENT_SIZE], struct packed_event *e)
{
	uint16_t w = le16_get(b);

	e->off = w & 0x7fffu;
	e->wrap = w >> 15;
	e->flags = le16_get(b + 2);
}

void packed_ring_event_encode(uint8_t b[PACKED_EVENT_SIZE], const struct packed_event *e)
{
	le16_put(b, (uint16_t)((e->off & 0x7fffu) | (e->wrap ? 0x8000u : 0)));
	le16_put(b + 2, e->flags);
}

int packed_ring_check_id(uint32_t num, uint16_t slot, uint16_t id, struct vring_fault *f)
{
	if (id < num)
		return VRING_OK;
	struct vring_place at = { .head = slot, .idx = slot };
	return vring_fault_set(f, RULE_RING_HEAD_RANGE, &at, "chain at slot %u: buffer id %u outside the %u-entry queue",
			       slot, id, num);
}

/* Where the next finding goes: the walk's fault if it has none yet (a
 * salvaging walk keeps its first), else spare. */
static struct vring_fault *slot_of(struct packed_chain *out, struct vring_fault *spare)
{
	return out->c.fault.rule == RULE_NONE ? &out->c.fault : spare;
}


/* A buffer descriptor d at at: check and show it.  Returns 0 to go on,
 * VRING_BROKEN to stop, or a callback's value. */
static int take_buf(const struct vring_ops *ops, void *ctx, const struct vring_desc *d, const struct vring_place *at,
		    bool *seen_writable, struct packed_chain *out, struct vring_fault *spare)
{
	if (!ops->contains(ctx, d->addr, d->len)) {
		vring_fault_set(slot_of(out, spare), RULE_RING_BUFFER_OUTSIDE_MEMORY, at,
				"chain at slot %u: buffer 0x%llx+%u outside guest RAM", at->head,
				(unsigned long long)d->addr, d->len);
		if (!ops->salvage)
			return VRING_BROKEN;
	}
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	if (!writable && *seen_writable) {
		vring_fault_set(slot_of(out, spare), RULE_RING_WRITE_BEFORE_READ, at,
				"chain at slot %u: device-readable descriptor %u after a writable one", at->head, at->idx);
		if (!ops->salvage)
			return VRING_BROKEN;
	}
	*seen_writable |= writable;
	if (ops->on_buf)
		return ops->on_buf(ctx, d, at);
	return 0;
}

/* Read one descriptor at gpa into d: 0, VRING_MISSING, or VRING_BROKEN
 * (mem_complete and unreadable). */
static int read_desc(const struct vring_ops *ops, void *ctx, uint64_t gpa, const struct vring_place *at,
		     struct vring_desc *d, struct packed_chain *out, struct vring_fault *spare)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	int m = ops->read(ctx, gpa, b, sizeof(b));

	if (m == VRING_MEM_MISSING) {
		if (!ops->mem_complete)
			return VRING_MISSING;
		return vring_fault_set(slot_of(out, spare), RULE_RING_BUFFER_OUTSIDE_MEMORY, at,
				       "chain at slot %u: descriptor %u unreadable", at->head, at->idx);
	}
	if (m == VRING_MEM_ROUGH)
		out->c.rough = true;
	packed_ring_desc_decode(b, d);
	out->c.n_desc++;
	return 0;
}

/* The indirect table of d (at at, already checked or salvaged to entries
 * entries): every entry is a buffer of the chain, in order. */
static int walk_table(const struct vring_ops *ops, void *ctx, const struct vring_desc *ind, uint32_t entries,
		      uint16_t head, bool *seen_writable, struct packed_chain *out, struct vring_fault *spare)
{
	struct vring_desc d;
	int rc;

	for (uint32_t i = 0; i < entries; i++) {
		struct vring_place at = { .head = head, .idx = i, .pos = out->c.n_desc, .indirect = true };
		if ((rc = read_desc(ops, ctx, ind->addr + (uint64_t)i * VIRTQ_DESC_SIZE, &at, &d, out, spare)) != 0)
			return rc;
		if (ops->on_desc && (rc = ops->on_desc(ctx, &d, &at)) != 0)
			return rc;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Nested tables are never followed, even salvaging. */
			vring_fault_set(slot_of(out, spare), RULE_RING_INDIRECT_NESTED, &at,
					"chain at slot %u: indirect descriptor inside an indirect table", head);
			return VRING_BROKEN;
		}
		if ((rc = take_buf(ops, ctx, &d, &at, seen_writable, out, spare)) != 0)
			return rc;
	}
	return 0;
}

int packed_ring_walk(const struct packed_ring *r, struct packed_pos start, const struct vring_ops *ops, void *ctx,
		     struct packed_chain *out)
{
	struct vring_fault spare;
	struct packed_pos p = start;
	bool seen_writable = false;
	struct vring_desc d;
	int rc;

	memset(out, 0, sizeof(*out));
	if (r->num == 0 || r->num > VIRTQ_SIZE_MAX || start.slot >= r->num)
		return -EINVAL;
	for (;;) {
		struct vring_place at = { .head = start.slot, .idx = p.slot, .pos = out->c.n_desc };

		/* A chain of exactly num descriptors is legal (B02): the count
		 * is checked before the next one is read. */
		if (out->slots >= r->num)
			return vring_fault_set(slot_of(out, &spare), RULE_RING_CHAIN_LOOP, &at,
					       "chain at slot %u: more than %u descriptors", start.slot, r->num);
		/* One copy of the descriptor: a guest rewriting it meanwhile
		 * cannot make the checks and the use see different values. */
		if ((rc = read_desc(ops, ctx, packed_ring_desc_addr(r, p.slot), &at, &d, out, &spare)) != 0)
			return rc;
		out->slots++;
		if (ops->on_desc && (rc = ops->on_desc(ctx, &d, &at)) != 0)
			return rc;
		if (out->slots > 1 && !packed_ring_desc_avail(d.flags, p.wrap)) {
			vring_fault_set(slot_of(out, &spare), RULE_RING_PACKED_NOT_AVAIL, &at,
					"chain at slot %u: descriptor %u is not marked available (flags 0x%04x, wrap %u)",
					start.slot, p.slot, d.flags, p.wrap);
			if (!ops->salvage)
				return VRING_BROKEN;
		}
		packed_ring_advance(&p, r->num, 1);
		out->next = p;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			uint32_t entries = d.len / VIRTQ_DESC_SIZE;
			if (vring_check_indirect(&d, &at, r->indirect_ok, r->num, "slot", ops, ctx,
							 slot_of(out, &spare)) != VRING_OK) {
				/* Salvaging: follow what a lenient device would
				 * (QEMU takes the indirect descriptor as the
				 * chain's end, NEXT or not). */
				if (!ops->salvage || entries == 0)
					return VRING_BROKEN;
				if (entries > r->num)
					entries = r->num;
			}
			if (ops->on_indirect &&
			    (rc = ops->on_indirect(ctx, d.addr, entries * VIRTQ_DESC_SIZE, &at)) != 0)
				return rc;
			out->c.indirect = true;
			out->id = d.next;
			out->have_id = true;
			if ((rc = walk_table(ops, ctx, &d, entries, start.slot, &seen_writable, out, &spare)) != 0)
				return rc;
			return out->c.fault.rule == RULE_NONE ? VRING_OK : VRING_BROKEN;
		}
		if ((rc = take_buf(ops, ctx, &d, &at, &seen_writable, out, &spare)) != 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
			out->id = d.next;
			out->have_id = true;
			return out->c.fault.rule == RULE_NONE ? VRING_OK : VRING_BROKEN;
		}
	}
}
