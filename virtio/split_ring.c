/* The split-ring chain walker (split_ring.h).  Every value read through
 * ops->read is the guest's: indices are checked against the table they
 * index, lengths and addresses through ops->contains, and the hop count
 * of each table is bounded by its size before anything is read. */
#include "virtio/split_ring.h"

#include <errno.h>
#include <string.h>

void split_ring_desc_decode(const uint8_t b[VIRTQ_DESC_SIZE], struct vring_desc *d)
{
	d->addr = le64_get(b);
	d->len = le32_get(b + 8);
	d->flags = le16_get(b + 12);
	d->next = le16_get(b + 14);
}

/* Where the next finding goes: the walk's fault if it has none yet (a
 * salvaging walk keeps its first), else spare. */
static struct vring_fault *slot(struct vring_chain *out, struct vring_fault *spare)
{
	return out->fault.rule == RULE_NONE ? &out->fault : spare;
}


int split_ring_walk(const struct split_ring *r, uint16_t head, const struct vring_ops *ops, void *ctx,
		    struct vring_chain *out)
{
	struct vring_fault spare;
	uint64_t table;
	uint32_t table_len, idx = head, hops = 0;
	bool seen_writable = false;
	uint8_t b[VIRTQ_DESC_SIZE];
	struct vring_desc d;
	int rc;

	memset(out, 0, sizeof(*out));
	if (r->num == 0 || r->num > VIRTQ_SIZE_MAX || head >= r->num)
		return -EINVAL;
	table = r->desc;
	table_len = r->num;
	for (;;) {
		struct vring_place at = { .head = head, .idx = idx, .pos = out->n_desc, .indirect = out->indirect };

		/* A chain of exactly table_len descriptors is legal (B02): the
		 * count is checked before the next one is read. */
		if (hops++ >= table_len)
			return vring_fault_set(slot(out, &spare), RULE_RING_CHAIN_LOOP, &at,
					       "chain at head %u: more than %u descriptors%s (a loop?)",
					       head, table_len, out->indirect ? " in its indirect table" : "");
		/* One copy of the descriptor: a guest rewriting it meanwhile
		 * cannot make the checks and the use see different values. */
		int m = ops->read(ctx, table + (uint64_t)idx * VIRTQ_DESC_SIZE, b, sizeof(b));
		if (m == VRING_MEM_MISSING) {
			if (!ops->mem_complete)
				return VRING_MISSING;
			return vring_fault_set(slot(out, &spare), RULE_RING_BUFFER_OUTSIDE_MEMORY, &at,
					       "chain at head %u: descriptor %u unreadable", head, idx);
		}
		if (m == VRING_MEM_ROUGH)
			out->rough = true;
		split_ring_desc_decode(b, &d);
		out->n_desc++;
		if (ops->on_desc && (rc = ops->on_desc(ctx, &d, &at)) != 0)
			return rc;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			uint32_t entries = d.len / VIRTQ_DESC_SIZE;
			if (vring_check_indirect(&d, &at, r->indirect_ok, r->num, "head", ops, ctx,
							 slot(out, &spare)) != VRING_OK) {
				/* Salvaging: follow what a lenient device would. */
				if (!ops->salvage || at.indirect || entries == 0)
					return VRING_BROKEN;
				if (entries > r->num)
					entries = r->num;
			}
			if (ops->on_indirect &&
			    (rc = ops->on_indirect(ctx, d.addr, entries * VIRTQ_DESC_SIZE, &at)) != 0)
				return rc;
			table = d.addr;
			table_len = entries;
			idx = 0;
			hops = 0;
			out->indirect = true;
			continue;
		}
		if (!ops->contains(ctx, d.addr, d.len)) {
			vring_fault_set(slot(out, &spare), RULE_RING_BUFFER_OUTSIDE_MEMORY, &at,
					"chain at head %u: buffer 0x%llx+%u outside guest RAM",
					head, (unsigned long long)d.addr, d.len);
			if (!ops->salvage)
				return VRING_BROKEN;
		}
		bool writable = d.flags & VIRTQ_DESC_F_WRITE;
		if (!writable && seen_writable) {
			vring_fault_set(slot(out, &spare), RULE_RING_WRITE_BEFORE_READ, &at,
					"chain at head %u: device-readable descriptor %u after a writable one", head, idx);
			if (!ops->salvage)
				return VRING_BROKEN;
		}
		seen_writable |= writable;
		if (ops->on_buf && (rc = ops->on_buf(ctx, &d, &at)) != 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return out->fault.rule == RULE_NONE ? VRING_OK : VRING_BROKEN;
		if (d.next >= table_len)
			return vring_fault_set(slot(out, &spare), RULE_RING_NEXT_RANGE, &at,
					       "chain at head %u: next %u of descriptor %u is outside the %u-entry %s",
					       head, d.next, idx, table_len, out->indirect ? "indirect table" : "queue");
		idx = d.next;
	}
}

int split_ring_check_avail(uint32_t num, uint16_t idx, uint16_t last, struct vring_fault *f)
{
	uint16_t n = split_ring_ahead(idx, last);

	if (n <= num)
		return VRING_OK;
	return vring_fault_set(f, RULE_RING_AVAIL_JUMP, NULL,
			       "available index %u is %u entries ahead of the device (%u), more than the queue size %u",
			       idx, n, last, num);
}

int split_ring_check_head(uint32_t num, uint16_t pos, uint16_t head, struct vring_fault *f)
{
	if (num && head < num)
		return VRING_OK;
	uint32_t slot = num ? pos % num : 0;
	struct vring_place at = { .head = head, .idx = slot };
	return vring_fault_set(f, RULE_RING_HEAD_RANGE, &at,
			       "available ring slot %u holds head %u, outside the %u-entry queue", slot, head, num);
}
