/* Findings of virtqueue walkers (vring.h). */
#include "virtio/vring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtio/virtio.h"

int vring_fault_set(struct vring_fault *f, enum rule_id rule, const struct vring_place *at, const char *fmt, ...)
{
	va_list ap;

	f->rule = rule;
	if (at)
		f->at = *at;
	else
		memset(&f->at, 0, sizeof(f->at));
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return VRING_BROKEN;
}

int vring_check_indirect(const struct vring_desc *d, const struct vring_place *at, bool indirect_ok, uint32_t num,
			 const char *w, const struct vring_ops *ops, void *ctx, struct vring_fault *f)
{
	if (at->indirect)
		return vring_fault_set(f, RULE_RING_INDIRECT_NESTED, at,
				       "chain at %s %u: indirect descriptor inside an indirect table", w, at->head);
	if (!indirect_ok)
		return vring_fault_set(f, RULE_RING_INDIRECT_NOT_NEGOTIATED, at,
				       "chain at %s %u: descriptor %u is indirect but INDIRECT_DESC was not negotiated",
				       w, at->head, at->idx);
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return vring_fault_set(f, RULE_RING_INDIRECT_WITH_NEXT, at,
				       "chain at %s %u: descriptor %u has both INDIRECT and NEXT", w, at->head, at->idx);
	/* The table's entries count against the queue size (a chain is never
	 * longer than the queue), so a guest length cannot buy a long walk. */
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE || d->len / VIRTQ_DESC_SIZE > num)
		return vring_fault_set(f, RULE_RING_INDIRECT_LEN, at,
				       "chain at %s %u: indirect table length %u is not a multiple of 16 in 16..%u",
				       w, at->head, d->len, num * VIRTQ_DESC_SIZE);
	if (!ops->contains(ctx, d->addr, d->len))
		return vring_fault_set(f, RULE_RING_BUFFER_OUTSIDE_MEMORY, at,
				       "chain at %s %u: indirect table 0x%llx+%u outside guest RAM",
				       w, at->head, (unsigned long long)d->addr, d->len);
	return VRING_OK;
}
