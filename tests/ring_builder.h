/* Test helper: the driver side of a split virtqueue built directly in a
 * struct guest_mem.  Well-formed use (rb_add_chain, rb_publish,
 * rb_used_pop) behaves like a careful driver; the raw writers
 * (rb_put_desc, rb_avail_put_raw, rb_avail_set_idx, any addresses given
 * to rb_init) let hostile-ring tests build every broken layout: loops,
 * out-of-range indices, misaligned or overlapping areas, areas outside RAM.
 * Guest stores go through gmem_write as GMEM_DRIVER. */
#ifndef VMTRACE_TESTS_RING_BUILDER_H
#define VMTRACE_TESTS_RING_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

/* One buffer of a chain, as the driver describes it. */
struct rb_seg {
	uint64_t gpa;
	uint32_t len;
	bool writable; /* VIRTQ_DESC_F_WRITE */
};

struct ring_builder {
	struct guest_mem *gm; /* borrowed */
	uint32_t num;
	uint64_t desc, avail, used; /* guest-physical addresses of the areas */
	uint16_t avail_idx;   /* the avail idx the driver has published */
	uint16_t last_used;   /* used entries taken by rb_used_pop */
	uint32_t num_free;    /* free descriptors */
	uint16_t free_head;
	uint16_t *next_free;  /* free-list links; num entries, owned */
	uint16_t *chain_len;  /* descriptors held by each in-flight head, 0 if none; owned */
};

/* A bump allocator for buffers in guest memory. */
struct rb_arena {
	uint64_t next, end;
};

/* Bytes a ring of num entries takes with the modern layout of rb_init_modern
 * and with the legacy layout (used ring at the next multiple of align). */
uint64_t rb_modern_bytes(uint32_t num);
uint64_t rb_legacy_bytes(uint32_t num, uint32_t align);

/* Build a ring of num (1..VIRTQ_SIZE_MAX) entries at the given addresses,
 * which are not checked (hostile layouts are allowed); the parts of the
 * areas inside RAM are zeroed.  Returns 0, -EINVAL or -ENOMEM. */
int rb_init(struct ring_builder *rb, struct guest_mem *gm, uint32_t num,
	    uint64_t desc, uint64_t avail, uint64_t used);
/* Modern layout from base (16-aligned): descriptors, avail, used (4-aligned). */
int rb_init_modern(struct ring_builder *rb, struct guest_mem *gm, uint32_t num, uint64_t base);
/* Legacy layout (Legacy Interfaces: A Note on Virtqueue Layout): base is
 * the queue's page, the used ring starts at the next multiple of align. */
int rb_init_legacy(struct ring_builder *rb, struct guest_mem *gm, uint32_t num,
		   uint64_t base, uint32_t align);
void rb_release(struct ring_builder *rb); /* safe on a zeroed builder */

/* Add a chain of n segments (readable ones should come first) taken from
 * the free descriptors.  Returns the head, or -1 if n is 0 or does not fit.
 * The chain is not made available until rb_publish. */
int rb_add_chain(struct ring_builder *rb, const struct rb_seg *segs, unsigned n);
/* Write an indirect table of n segments at table (16-aligned guest memory)
 * and take one descriptor pointing at it.  Returns the head or -1. */
int rb_add_indirect(struct ring_builder *rb, uint64_t table, const struct rb_seg *segs, unsigned n);
/* Make head available: avail ring slot, then avail idx. Returns 0 or -EFAULT. */
int rb_publish(struct ring_builder *rb, uint16_t head);
/* rb_add_chain + rb_publish. Returns the head or -1. */
int rb_submit(struct ring_builder *rb, const struct rb_seg *segs, unsigned n);

/* Take the next used entry: 1 with *id and *len filled (the chain's
 * descriptors are freed if id is an in-flight head), 0 if none is new. */
int rb_used_pop(struct ring_builder *rb, uint32_t *id, uint32_t *len);

/* Raw accessors, for hostile rings and for checks. Writers return 0 or -EFAULT. */
int rb_put_desc(struct guest_mem *gm, uint64_t gpa, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next);
int rb_set_desc(struct ring_builder *rb, uint32_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next); /* descriptor i of the table, i unchecked */
int rb_avail_put_raw(struct ring_builder *rb, uint32_t slot, uint16_t head); /* slot unchecked */
int rb_avail_set_idx(struct ring_builder *rb, uint16_t idx); /* also sets rb->avail_idx */
int rb_avail_set_flags(struct ring_builder *rb, uint16_t flags);
int rb_set_used_event(struct ring_builder *rb, uint16_t event);
uint16_t rb_used_idx(const struct ring_builder *rb);
uint16_t rb_used_flags(const struct ring_builder *rb);
uint16_t rb_avail_event(const struct ring_builder *rb);
/* Used ring entry at slot (mod num). Returns 0 or -EFAULT. */
int rb_used_entry(const struct ring_builder *rb, uint32_t slot, uint32_t *id, uint32_t *len);

void rb_arena_init(struct rb_arena *a, uint64_t start, uint64_t end);
/* len bytes aligned to align (a power of two), or 0 if they do not fit. */
uint64_t rb_arena_alloc(struct rb_arena *a, uint64_t len, uint64_t align);

#endif
