/* Driver side of a split virtqueue; see vring.h. */
#include "capture/driver/vring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/bus.h"
#include "virtio/packed_ring.h"
#include "virtio/virtio.h"

/* Offsets inside the areas (Split Virtqueues). */
#define AVAIL_IDX 2u
#define AVAIL_RING 4u
#define USED_FLAGS 0u
#define USED_IDX 2u
#define USED_RING 4u

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int vq_store(struct drv_vring *vq, uint64_t gpa, const void *src, uint64_t len)
{
	int r = vq->bus->ops->mem_write(vq->bus->ctx, gpa, src, len);

	if (r < 0) {
		snprintf(vq->fault, sizeof(vq->fault), "queue %u: store of %llu bytes at 0x%llx failed",
			 vq->index, (unsigned long long)len, (unsigned long long)gpa);
		return -EFAULT;
	}
	return 0;
}

static int vq_store16(struct drv_vring *vq, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];

	le16_put(b, v);
	return vq_store(vq, gpa, b, sizeof(b));
}

/* Load a little-endian u16 from guest memory; a failed load reads as 0. */
static uint16_t vq_load16(struct drv_vring *vq, uint64_t gpa)
{
	uint8_t b[2] = { 0, 0 };

	if (vq->bus->ops->mem_read(vq->bus->ctx, gpa, b, sizeof(b)) < 0)
		return 0;
	return le16_get(b);
}

/* Zero [gpa, gpa + len) with recorded stores, in bounded pieces. */
static int vq_zero(struct drv_vring *vq, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[4096];

	while (len) {
		uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int r = vq_store(vq, gpa, zeros, n);

		if (r < 0)
			return r;
		gpa += n;
		len -= n;
	}
	return 0;
}

static uint64_t used_event_addr(const struct drv_vring *vq)
{
	return vq->avail + AVAIL_RING + 2ull * vq->num;
}

static uint64_t avail_event_addr(const struct drv_vring *vq)
{
	return vq->used + USED_RING + (uint64_t)VIRTQ_USED_ELEM_SIZE * vq->num;
}

/* What both ring layouts keep beside the ring: the indirect tables' pool
 * (indirect), the free list of descriptors (split) or buffer ids (packed)
 * with free_head 0, and each one's slot.  0, or -ENOMEM. */
static int vq_lists_alloc(struct drv_vring *vq, struct drv_bus *bus, uint32_t num, bool indirect)
{
	if (indirect) {
		vq->ind_pool = drv_bus_alloc(bus, (uint64_t)num * DRV_SG_MAX * VIRTQ_DESC_SIZE, VIRTQ_DESC_ALIGN);
		if (!vq->ind_pool)
			return -ENOMEM;
	}
	vq->next = calloc(num, sizeof(*vq->next));
	vq->slots = calloc(num, sizeof(*vq->slots));
	if (!vq->next || !vq->slots) {
		drv_vring_release(vq);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < num; i++)
		vq->next[i] = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = (uint16_t)(num > UINT16_MAX ? UINT16_MAX : num);
	return 0;
}

int drv_vring_alloc(struct drv_vring *vq, struct drv_bus *bus, unsigned index, uint32_t num,
		    uint32_t legacy_align, bool indirect, bool event_idx)
{
	int r;

	memset(vq, 0, sizeof(*vq));
	vq->bus = bus;
	vq->index = index;
	if (num == 0 || num > VIRTQ_SIZE_MAX || (num & (num - 1)) != 0)
		return -EINVAL;
	if (legacy_align && (legacy_align & (legacy_align - 1)) != 0)
		return -EINVAL;
	vq->num = num;
	vq->indirect = indirect;
	vq->event_idx = event_idx;

	if (legacy_align) {
		/* Legacy Interfaces: A Note on Virtqueue Layout: one block
		 * starting on a page, the used ring on the next legacy_align
		 * boundary after the avail ring (with its used_event). */
		uint64_t used_off = align_up(virtq_desc_bytes(num) + virtq_avail_bytes(num), legacy_align);
		uint64_t total = used_off + virtq_used_bytes(num);

		vq->desc = drv_bus_alloc(bus, total, DRV_LEGACY_PAGE > legacy_align ? DRV_LEGACY_PAGE : legacy_align);
		if (!vq->desc)
			return -ENOMEM;
		vq->avail = vq->desc + virtq_desc_bytes(num);
		vq->used = vq->desc + used_off;
		r = vq_zero(vq, vq->desc, total);
	} else {
		vq->desc = drv_bus_alloc(bus, virtq_desc_bytes(num), VIRTQ_DESC_ALIGN);
		vq->avail = drv_bus_alloc(bus, virtq_avail_bytes(num), VIRTQ_AVAIL_ALIGN);
		vq->used = drv_bus_alloc(bus, virtq_used_bytes(num), VIRTQ_USED_ALIGN);
		if (!vq->desc || !vq->avail || !vq->used)
			return -ENOMEM;
		r = vq_zero(vq, vq->desc, virtq_desc_bytes(num));
		if (r == 0)
			r = vq_zero(vq, vq->avail, virtq_avail_bytes(num));
		if (r == 0)
			r = vq_zero(vq, vq->used, virtq_used_bytes(num));
	}
	if (r < 0)
		return r;
	return vq_lists_alloc(vq, bus, num, indirect);
}

void drv_vring_release(struct drv_vring *vq)
{
	if (!vq)
		return;
	free(vq->next);
	free(vq->slots);
	vq->next = NULL;
	vq->slots = NULL;
}

static int packed_add(struct drv_vring *vq, const struct drv_sg *sg, unsigned n_out, unsigned n_in, uint64_t token);
static bool packed_kick_prepare(struct drv_vring *vq);
static bool packed_has_used(struct drv_vring *vq);
static int packed_get_used(struct drv_vring *vq, uint64_t *token, uint32_t *len);

unsigned drv_vring_cost(const struct drv_vring *vq, unsigned n)
{
	return vq->indirect && n > 1 ? 1 : n;
}

static void desc_encode(uint8_t out[VIRTQ_DESC_SIZE], uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	le64_put(out, addr);
	le32_put(out + 8, len);
	le16_put(out + 12, flags);
	le16_put(out + 14, next);
}

int drv_vring_add(struct drv_vring *vq, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
		  uint64_t token)
{
	unsigned n = n_out + n_in;
	unsigned cost;
	uint16_t head = vq->free_head;
	uint32_t in_len = 0;
	uint8_t d[VIRTQ_DESC_SIZE];
	int r;

	/* A chain, direct or indirect, holds at most num descriptors
	 * (The Virtqueue Descriptor Table / Indirect Descriptors). */
	if (n == 0 || n > DRV_SG_MAX || n > vq->num)
		return -EINVAL;
	if (vq->packed)
		return packed_add(vq, sg, n_out, n_in, token);
	cost = drv_vring_cost(vq, n);
	if (vq->num_free < cost)
		return -ENOSPC;
	for (unsigned i = n_out; i < n; i++)
		in_len += sg[i].len;

	if (cost == 1 && n > 1) {
		uint8_t table[DRV_SG_MAX * VIRTQ_DESC_SIZE];
		uint64_t tgpa = vq->ind_pool + (uint64_t)head * DRV_SG_MAX * VIRTQ_DESC_SIZE;

		for (unsigned i = 0; i < n; i++) {
			uint16_t fl = (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
						 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			desc_encode(table + i * VIRTQ_DESC_SIZE, sg[i].gpa, sg[i].len, fl,
				    (uint16_t)(i + 1 < n ? i + 1 : 0));
		}
		r = vq_store(vq, tgpa, table, (uint64_t)n * VIRTQ_DESC_SIZE);
		if (r < 0)
			return r;
		desc_encode(d, tgpa, n * VIRTQ_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
		r = vq_store(vq, vq->desc + (uint64_t)head * VIRTQ_DESC_SIZE, d, sizeof(d));
		if (r < 0)
			return r;
		vq->free_head = vq->next[head];
	} else {
		uint16_t idx = head;

		/* Follow the free list; the links of the chain's members stay
		 * in next[] so the chain can be walked again when it is used. */
		for (unsigned i = 0; i < n; i++) {
			uint16_t fl = (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
						 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));

			desc_encode(d, sg[i].gpa, sg[i].len, fl, i + 1 < n ? vq->next[idx] : 0);
			r = vq_store(vq, vq->desc + (uint64_t)idx * VIRTQ_DESC_SIZE, d, sizeof(d));
			if (r < 0)
				return r;
			idx = vq->next[idx];
		}
		vq->free_head = idx;
	}
	vq->num_free = (uint16_t)(vq->num_free - cost);
	vq->slots[head] = (struct drv_vring_slot){ token, in_len, (uint16_t)cost, true };

	/* The ring entry first, then the index that publishes it. */
	r = vq_store16(vq, vq->avail + AVAIL_RING + 2ull * (vq->avail_idx & (vq->num - 1)), head);
	if (r < 0)
		return r;
	vq->avail_idx++;
	return vq_store16(vq, vq->avail + AVAIL_IDX, vq->avail_idx);
}

bool drv_vring_kick_prepare(struct drv_vring *vq)
{
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;

	if (vq->packed)
		return packed_kick_prepare(vq);
	/* Ask for an interrupt as soon as the next used entry appears:
	 * used_event names the entry the driver will take back next. */
	if (vq->event_idx && vq->used_event != vq->last_used) {
		if (vq_store16(vq, used_event_addr(vq), vq->last_used) == 0)
			vq->used_event = vq->last_used;
	}
	vq->kicked_idx = new;
	if (old == new)
		return false;
	if (vq->event_idx)
		return virtq_need_event(vq_load16(vq, avail_event_addr(vq)), new, old);
	return !(vq_load16(vq, vq->used + USED_FLAGS) & VIRTQ_USED_F_NO_NOTIFY);
}

bool drv_vring_has_used(struct drv_vring *vq)
{
	if (vq->packed)
		return packed_has_used(vq);
	return vq_load16(vq, vq->used + USED_IDX) != vq->last_used;
}

int drv_vring_get_used(struct drv_vring *vq, uint64_t *token, uint32_t *len)
{
	uint16_t used_idx = vq_load16(vq, vq->used + USED_IDX);
	uint8_t e[VIRTQ_USED_ELEM_SIZE] = { 0 };
	uint64_t egpa;
	uint32_t id, ulen;
	struct drv_vring_slot *s;

	if (vq->packed)
		return packed_get_used(vq, token, len);
	if (used_idx == vq->last_used)
		return 0;
	if ((uint16_t)(used_idx - vq->last_used) > drv_vring_in_flight(vq)) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used idx %u is %u entries ahead, but only %u buffers are in flight",
			 vq->index, used_idx, (uint16_t)(used_idx - vq->last_used), drv_vring_in_flight(vq));
		return -EPROTO;
	}
	egpa = vq->used + USED_RING + (uint64_t)VIRTQ_USED_ELEM_SIZE * (vq->last_used & (vq->num - 1));
	if (vq->bus->ops->mem_read(vq->bus->ctx, egpa, e, sizeof(e)) < 0) {
		snprintf(vq->fault, sizeof(vq->fault), "queue %u: used entry at 0x%llx unreadable",
			 vq->index, (unsigned long long)egpa);
		return -EFAULT;
	}
	id = le32_get(e);
	ulen = le32_get(e + 4);
	if (id >= vq->num || !vq->slots[id].busy) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used entry %u names descriptor %u, which is not the head of a chain in flight",
			 vq->index, vq->last_used, id);
		return -EPROTO;
	}
	s = &vq->slots[id];
	if (ulen > s->in_len) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used entry %u says %u bytes written, but the chain has %u writable bytes",
			 vq->index, vq->last_used, ulen, s->in_len);
		return -EPROTO;
	}

	/* Give the chain's descriptors back: walk to its last member and
	 * splice the whole chain onto the front of the free list. */
	uint16_t last = (uint16_t)id;
	for (unsigned i = 1; i < s->ndesc; i++)
		last = vq->next[last];
	vq->next[last] = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->num_free = (uint16_t)(vq->num_free + s->ndesc);
	s->busy = false;
	vq->last_used++;
	*token = s->token;
	*len = ulen;
	return 1;
}

/* --- Packed Virtqueues --- */

int drv_vring_alloc_packed(struct drv_vring *vq, struct drv_bus *bus, unsigned index, uint32_t num,
			   bool indirect, bool event_idx)
{
	int r;

	memset(vq, 0, sizeof(*vq));
	vq->bus = bus;
	vq->index = index;
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return -EINVAL;
	vq->packed = true;
	vq->num = num;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	/* Both wrap counters start at 1 (Driver and Device Ring Wrap Counters). */
	vq->avail_wrap = vq->used_wrap = vq->kicked_wrap = true;
	vq->desc = drv_bus_alloc(bus, virtq_desc_bytes(num), VIRTQ_DESC_ALIGN);
	vq->avail = drv_bus_alloc(bus, PACKED_EVENT_SIZE, PACKED_EVENT_ALIGN);
	vq->used = drv_bus_alloc(bus, PACKED_EVENT_SIZE, PACKED_EVENT_ALIGN);
	if (!vq->desc || !vq->avail || !vq->used)
		return -ENOMEM;
	/* All flags 0: no descriptor looks available to a device whose wrap
	 * counter is 1, none used to the driver. */
	r = vq_zero(vq, vq->desc, virtq_desc_bytes(num));
	if (r == 0)
		r = vq_zero(vq, vq->avail, PACKED_EVENT_SIZE);
	if (r == 0)
		r = vq_zero(vq, vq->used, PACKED_EVENT_SIZE);
	if (r < 0)
		return r;
	/* Buffer ids: a free list like the split ring's descriptors. */
	return vq_lists_alloc(vq, bus, num, indirect);
}

static void pk_desc_encode(uint8_t out[VIRTQ_DESC_SIZE], uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = id };

	packed_ring_desc_encode(out, &d);
}

/* A ring position and wrap counter as one number modulo 2 * num, so the
 * event test below works across laps. */
static uint32_t pk_linear(const struct drv_vring *vq, uint16_t pos, bool wrap)
{
	return pos + (wrap ? 0 : vq->num);
}

/* True if linear position event lies in [old, new) modulo 2 * num: the
 * packed form of virtq_need_event (Event Suppression Structure Format). */
static bool pk_need_event(const struct drv_vring *vq, uint32_t event, uint32_t new, uint32_t old)
{
	uint32_t m = 2 * vq->num;

	return (new + m - event - 1) % m < (new + m - old) % m;
}

static int packed_add(struct drv_vring *vq, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
		      uint64_t token)
{
	unsigned n = n_out + n_in;
	unsigned cost = drv_vring_cost(vq, n);
	uint16_t id = vq->free_head;
	uint16_t head_pos = vq->next_avail;
	bool head_wrap = vq->avail_wrap;
	uint8_t head[VIRTQ_DESC_SIZE];
	uint32_t in_len = 0;
	int r;

	if (vq->num_free < cost || vq->chains >= vq->num)
		return -ENOSPC;
	for (unsigned i = n_out; i < n; i++)
		in_len += sg[i].len;

	if (cost == 1 && n > 1) {
		/* Indirect: the table's entries carry only WRITE (no NEXT, no
		 * id, no AVAIL/USED); the ring descriptor names the table. */
		uint8_t table[DRV_SG_MAX * VIRTQ_DESC_SIZE];
		uint64_t tgpa = vq->ind_pool + (uint64_t)id * DRV_SG_MAX * VIRTQ_DESC_SIZE;

		for (unsigned i = 0; i < n; i++)
			pk_desc_encode(table + i * VIRTQ_DESC_SIZE, sg[i].gpa, sg[i].len, 0,
				       (uint16_t)(i >= n_out ? VIRTQ_DESC_F_WRITE : 0));
		r = vq_store(vq, tgpa, table, (uint64_t)n * VIRTQ_DESC_SIZE);
		if (r < 0)
			return r;
		pk_desc_encode(head, tgpa, n * VIRTQ_DESC_SIZE, id,
			       (uint16_t)(VIRTQ_DESC_F_INDIRECT | packed_ring_avail_flags(head_wrap)));
	} else {
		uint16_t pos = head_pos;
		bool wrap = head_wrap;

		for (unsigned i = 0; i < n; i++) {
			uint16_t fl = (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
						 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | packed_ring_avail_flags(wrap));
			uint8_t d[VIRTQ_DESC_SIZE];

			if (i == 0) {
				pk_desc_encode(head, sg[i].gpa, sg[i].len, id, fl);
			} else {
				pk_desc_encode(d, sg[i].gpa, sg[i].len, id, fl);
				r = vq_store(vq, vq->desc + (uint64_t)pos * VIRTQ_DESC_SIZE, d, sizeof(d));
				if (r < 0)
					return r;
			}
			if (++pos == vq->num) {
				pos = 0;
				wrap = !wrap;
			}
		}
	}
	/* The head last: its flags make the whole chain available at once
	 * (Supplying Buffers to The Device: the first descriptor's flags
	 * are written after the rest of the chain). */
	r = vq_store(vq, vq->desc + (uint64_t)head_pos * VIRTQ_DESC_SIZE, head, sizeof(head));
	if (r < 0)
		return r;
	vq->next_avail = (uint16_t)(head_pos + cost);
	if (vq->next_avail >= vq->num) {
		vq->next_avail = (uint16_t)(vq->next_avail - vq->num);
		vq->avail_wrap = !vq->avail_wrap;
	}
	vq->free_head = vq->next[id];
	vq->num_free = (uint16_t)(vq->num_free - cost);
	vq->slots[id] = (struct drv_vring_slot){ token, in_len, (uint16_t)cost, true };
	vq->chains++;
	return 0;
}

static bool packed_kick_prepare(struct drv_vring *vq)
{
	uint32_t old = pk_linear(vq, vq->kicked_pos, vq->kicked_wrap);
	uint32_t new = pk_linear(vq, vq->next_avail, vq->avail_wrap);
	uint8_t ev[PACKED_EVENT_SIZE] = { 0 };

	/* Ask for a used-buffer notification at the next used descriptor
	 * (RING_EVENT_FLAGS_DESC needs EVENT_IDX; without it the zeroed
	 * area says RING_EVENT_FLAGS_ENABLE: every used buffer). */
	if (vq->event_idx) {
		struct packed_event e = { .off = vq->next_used, .wrap = vq->used_wrap, .flags = PACKED_EVENT_F_DESC };
		uint16_t off_wrap = (uint16_t)(e.off | (e.wrap ? 0x8000u : 0));

		if (!vq->drv_event_set || vq->drv_event != off_wrap) {
			uint8_t b[PACKED_EVENT_SIZE];

			packed_ring_event_encode(b, &e);
			if (vq_store(vq, vq->avail, b, sizeof(b)) == 0) {
				vq->drv_event = off_wrap;
				vq->drv_event_set = true;
			}
		}
	}
	vq->kicked_pos = vq->next_avail;
	vq->kicked_wrap = vq->avail_wrap;
	if (old == new)
		return false;
	if (vq->bus->ops->mem_read(vq->bus->ctx, vq->used, ev, sizeof(ev)) < 0)
		return true;
	struct packed_event e;
	packed_ring_event_decode(ev, &e);
	e.flags &= 3u; /* the others are reserved */
	if (e.flags == PACKED_EVENT_F_DESC && vq->event_idx) {
		/* An offset past the ring cannot name a descriptor: notify. */
		if (e.off >= vq->num)
			return true;
		return pk_need_event(vq, pk_linear(vq, e.off, e.wrap), new, old);
	}
	return e.flags != PACKED_EVENT_F_DISABLE;
}

/* Read the descriptor at the next used position; true if it is used in
 * the driver's current used lap. */
static bool pk_used_desc(struct drv_vring *vq, uint8_t d[VIRTQ_DESC_SIZE])
{
	uint64_t gpa = vq->desc + (uint64_t)vq->next_used * VIRTQ_DESC_SIZE;

	if (vq->bus->ops->mem_read(vq->bus->ctx, gpa, d, VIRTQ_DESC_SIZE) < 0)
		return false;
	return packed_ring_desc_used(le16_get(d + 14), vq->used_wrap);
}

static bool packed_has_used(struct drv_vring *vq)
{
	uint8_t d[VIRTQ_DESC_SIZE];

	return vq->chains && pk_used_desc(vq, d);
}

static int packed_get_used(struct drv_vring *vq, uint64_t *token, uint32_t *len)
{
	uint8_t d[VIRTQ_DESC_SIZE];
	struct drv_vring_slot *s;

	if (!pk_used_desc(vq, d))
		return 0;
	struct vring_desc ud;
	packed_ring_desc_decode(d, &ud);
	uint16_t id = ud.next;
	uint32_t ulen = ud.len;
	if (!vq->chains) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used descriptor at %u (buffer id %u) while no buffer is in flight", vq->index,
			 vq->next_used, id);
		return -EPROTO;
	}
	if (id >= vq->num || !vq->slots[id].busy) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used descriptor at %u names buffer id %u, which is not in flight", vq->index,
			 vq->next_used, id);
		return -EPROTO;
	}
	s = &vq->slots[id];
	if (ulen > s->in_len) {
		snprintf(vq->fault, sizeof(vq->fault),
			 "queue %u: used descriptor at %u says %u bytes written, but the buffer has %u writable bytes",
			 vq->index, vq->next_used, ulen, s->in_len);
		return -EPROTO;
	}
	/* The device skips the chain's descriptors (Used Descriptors). */
	vq->next_used = (uint16_t)(vq->next_used + s->ndesc);
	if (vq->next_used >= vq->num) {
		vq->next_used = (uint16_t)(vq->next_used - vq->num);
		vq->used_wrap = !vq->used_wrap;
	}
	vq->num_free = (uint16_t)(vq->num_free + s->ndesc);
	vq->next[id] = vq->free_head;
	vq->free_head = id;
	vq->chains--;
	s->busy = false;
	*token = s->token;
	*len = ulen;
	return 1;
}
