/* Driver-side split rings in guest memory, for tests. */
#include "tests/ring_builder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/guest_mem.h"
#include "virtio/virtio.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint64_t rb_modern_bytes(uint32_t num)
{
	uint64_t used = align_up(virtq_desc_bytes(num) + virtq_avail_bytes(num), VIRTQ_USED_ALIGN);

	return used + virtq_used_bytes(num);
}

uint64_t rb_legacy_bytes(uint32_t num, uint32_t align)
{
	uint64_t used = align_up(virtq_desc_bytes(num) + virtq_avail_bytes(num), align);

	return used + align_up(virtq_used_bytes(num), align);
}

/* Zero what of [gpa, gpa + len) lies inside RAM (hostile areas may not). */
static void zero_area(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (gpa >= gm->base + gm->size || __builtin_add_overflow(gpa, len, &end))
		return;
	if (gpa < gm->base)
		gpa = gm->base;
	if (end > gm->base + gm->size)
		end = gm->base + gm->size;
	if (end > gpa)
		memset(gm->ram + (gpa - gm->base), 0, end - gpa);
}

int rb_init(struct ring_builder *rb, struct guest_mem *gm, uint32_t num,
	    uint64_t desc, uint64_t avail, uint64_t used)
{
	memset(rb, 0, sizeof(*rb));
	if (num == 0 || num > VIRTQ_SIZE_MAX)
		return -EINVAL;
	rb->next_free = calloc(num, sizeof(*rb->next_free));
	rb->chain_len = calloc(num, sizeof(*rb->chain_len));
	if (!rb->next_free || !rb->chain_len) {
		rb_release(rb);
		return -ENOMEM;
	}
	rb->gm = gm;
	rb->num = num;
	rb->desc = desc;
	rb->avail = avail;
	rb->used = used;
	for (uint32_t i = 0; i < num; i++)
		rb->next_free[i] = (uint16_t)(i + 1);
	rb->num_free = num;
	zero_area(gm, desc, virtq_desc_bytes(num));
	zero_area(gm, avail, virtq_avail_bytes(num));
	zero_area(gm, used, virtq_used_bytes(num) + 2);
	return 0;
}

int rb_init_modern(struct ring_builder *rb, struct guest_mem *gm, uint32_t num, uint64_t base)
{
	uint64_t avail = base + virtq_desc_bytes(num);

	return rb_init(rb, gm, num, base, avail, align_up(avail + virtq_avail_bytes(num), VIRTQ_USED_ALIGN));
}

int rb_init_legacy(struct ring_builder *rb, struct guest_mem *gm, uint32_t num,
		   uint64_t base, uint32_t align)
{
	uint64_t avail = base + virtq_desc_bytes(num);

	return rb_init(rb, gm, num, base, avail, align_up(avail + virtq_avail_bytes(num), align));
}

void rb_release(struct ring_builder *rb)
{
	free(rb->next_free);
	free(rb->chain_len);
	rb->next_free = NULL;
	rb->chain_len = NULL;
}

static int put16(struct guest_mem *gm, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];

	le16_put(b, v);
	return gmem_write(gm, GMEM_DRIVER, gpa, b, 2);
}

static uint16_t get16(const struct guest_mem *gm, uint64_t gpa)
{
	uint8_t b[2] = { 0, 0 };

	gmem_read(gm, gpa, b, 2);
	return le16_get(b);
}

int rb_put_desc(struct guest_mem *gm, uint64_t gpa, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	le64_put(b, addr);
	le32_put(b + 8, len);
	le16_put(b + 12, flags);
	le16_put(b + 14, next);
	return gmem_write(gm, GMEM_DRIVER, gpa, b, sizeof(b));
}

int rb_set_desc(struct ring_builder *rb, uint32_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	return rb_put_desc(rb->gm, rb->desc + (uint64_t)i * VIRTQ_DESC_SIZE, addr, len, flags, next);
}

/* Take n descriptors off the free list; their links already run in order. */
static int take_descs(struct ring_builder *rb, unsigned n)
{
	if (n == 0 || n > rb->num_free)
		return -1;
	uint16_t head = rb->free_head, last = head;
	for (unsigned i = 1; i < n; i++)
		last = rb->next_free[last];
	rb->free_head = rb->next_free[last];
	rb->num_free -= n;
	rb->chain_len[head] = (uint16_t)n;
	return head;
}

int rb_add_chain(struct ring_builder *rb, const struct rb_seg *segs, unsigned n)
{
	int head = take_descs(rb, n);

	if (head < 0)
		return -1;
	uint16_t i = (uint16_t)head;
	for (unsigned k = 0; k < n; k++) {
		uint16_t flags = segs[k].writable ? VIRTQ_DESC_F_WRITE : 0;
		uint16_t next = 0;
		if (k + 1 < n) {
			flags |= VIRTQ_DESC_F_NEXT;
			next = rb->next_free[i];
		}
		rb_set_desc(rb, i, segs[k].gpa, segs[k].len, flags, next);
		i = next;
	}
	return head;
}

int rb_add_indirect(struct ring_builder *rb, uint64_t table, const struct rb_seg *segs, unsigned n)
{
	if (n == 0 || n > VIRTQ_SIZE_MAX)
		return -1;
	int head = take_descs(rb, 1);
	if (head < 0)
		return -1;
	for (unsigned k = 0; k < n; k++)
		rb_put_desc(rb->gm, table + (uint64_t)k * VIRTQ_DESC_SIZE, segs[k].gpa, segs[k].len,
			    (uint16_t)((segs[k].writable ? VIRTQ_DESC_F_WRITE : 0) |
				       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			    (uint16_t)(k + 1 < n ? k + 1 : 0));
	rb_set_desc(rb, (uint32_t)head, table, n * VIRTQ_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
	return head;
}

int rb_avail_put_raw(struct ring_builder *rb, uint32_t slot, uint16_t head)
{
	return put16(rb->gm, rb->avail + 4 + 2ull * slot, head);
}

int rb_avail_set_idx(struct ring_builder *rb, uint16_t idx)
{
	rb->avail_idx = idx;
	return put16(rb->gm, rb->avail + 2, idx);
}

int rb_avail_set_flags(struct ring_builder *rb, uint16_t flags)
{
	return put16(rb->gm, rb->avail, flags);
}

int rb_set_used_event(struct ring_builder *rb, uint16_t event)
{
	return put16(rb->gm, rb->avail + 4 + 2ull * rb->num, event);
}

int rb_publish(struct ring_builder *rb, uint16_t head)
{
	/* Ring entry first, then the index that makes it visible. */
	if (rb_avail_put_raw(rb, rb->avail_idx % rb->num, head) < 0)
		return -EFAULT;
	return rb_avail_set_idx(rb, (uint16_t)(rb->avail_idx + 1));
}

int rb_submit(struct ring_builder *rb, const struct rb_seg *segs, unsigned n)
{
	int head = rb_add_chain(rb, segs, n);

	if (head >= 0 && rb_publish(rb, (uint16_t)head) < 0)
		return -1;
	return head;
}

uint16_t rb_used_idx(const struct ring_builder *rb)
{
	return get16(rb->gm, rb->used + 2);
}

uint16_t rb_used_flags(const struct ring_builder *rb)
{
	return get16(rb->gm, rb->used);
}

uint16_t rb_avail_event(const struct ring_builder *rb)
{
	return get16(rb->gm, rb->used + 4 + 8ull * rb->num);
}

int rb_used_entry(const struct ring_builder *rb, uint32_t slot, uint32_t *id, uint32_t *len)
{
	uint8_t b[VIRTQ_USED_ELEM_SIZE];

	if (gmem_read(rb->gm, rb->used + 4 + 8ull * (slot % rb->num), b, sizeof(b)) < 0)
		return -EFAULT;
	*id = le32_get(b);
	*len = le32_get(b + 4);
	return 0;
}

int rb_used_pop(struct ring_builder *rb, uint32_t *id, uint32_t *len)
{
	if (rb_used_idx(rb) == rb->last_used)
		return 0;
	if (rb_used_entry(rb, rb->last_used, id, len) < 0)
		return 0;
	rb->last_used++;
	/* Give the chain's descriptors back, if the device named a real head. */
	if (*id < rb->num && rb->chain_len[*id]) {
		uint16_t last = (uint16_t)*id;
		for (unsigned k = 1; k < rb->chain_len[*id]; k++)
			last = rb->next_free[last];
		rb->next_free[last] = rb->free_head;
		rb->free_head = (uint16_t)*id;
		rb->num_free += rb->chain_len[*id];
		rb->chain_len[*id] = 0;
	}
	return 1;
}

void rb_arena_init(struct rb_arena *a, uint64_t start, uint64_t end)
{
	a->next = start;
	a->end = end;
}

uint64_t rb_arena_alloc(struct rb_arena *a, uint64_t len, uint64_t align)
{
	uint64_t p = align_up(a->next, align ? align : 1);

	if (p < a->next || p > a->end || len > a->end - p)
		return 0;
	a->next = p + len;
	return p;
}
