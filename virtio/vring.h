/* What every virtqueue chain walker shares, whatever the ring layout: the
 * descriptor as decoded, the place of a finding in a chain, the finding
 * itself (a rule of virtio/rules.h with its message), and the ops through
 * which a walker reads guest memory and shows its caller each step.
 *
 * The split-ring walker (virtio/split_ring.h) is built on these; a
 * packed-ring walker (Packed Virtqueues) would take the same ops and report
 * the same way, so its callers (the emulator, the decoder, the QEMU ring
 * snapshots) stay as they are.
 *
 * Errors: walkers return 0 (chain complete), a positive VRING_* result
 * (documented below; input problems, never fatal), or a negative errno
 * passed back from a callback. */
#ifndef VMTRACE_VIRTIO_VRING_H
#define VMTRACE_VIRTIO_VRING_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/rules.h"

/* One message line, the longest a walker writes (fits vq_fault.msg). */
#define VRING_MSG_MAX 192u

/* A descriptor as decoded from guest memory (little-endian on the wire).
 * Split rings: addr, len, flags, next.  Packed rings would put the
 * buffer id where split rings have next. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VIRTQ_DESC_F_* */
	uint16_t next;  /* split: index of the next descriptor if F_NEXT */
};

/* Where in a chain a descriptor, or a finding, is. */
struct vring_place {
	uint16_t head;  /* the chain's head (descriptor index in the ring's table) */
	uint32_t idx;   /* descriptor index in its table (ring or indirect) */
	uint32_t pos;   /* position in the chain: descriptors read before it,
			 * the one naming an indirect table included */
	bool indirect;  /* idx is an entry of an indirect table */
};

/* A broken rule: which, where, and one line saying so (no queue prefix:
 * callers that know the queue add it). */
struct vring_fault {
	enum rule_id rule; /* RULE_NONE if nothing was broken */
	struct vring_place at;
	char msg[VRING_MSG_MAX];
};

/* What a walk found, whatever its result and the ring layout. */
struct vring_chain {
	uint32_t n_desc;  /* descriptors read (shown to on_desc) */
	bool indirect;    /* the walk entered an indirect table */
	bool rough;       /* a descriptor came from VRING_MEM_ROUGH bytes */
	struct vring_fault fault; /* filled when the walk returns VRING_BROKEN */
};

/* Results of a walk (positive: input, not errors of vmtrace). */
enum vring_result {
	VRING_OK = 0,      /* the chain ended at a descriptor without NEXT */
	VRING_BROKEN = 1,  /* a rule was broken: see the fault */
	VRING_MISSING = 2, /* a descriptor's bytes were not available (a
			    * trace that did not hold them); no rule broken */
	VRING_STOPPED = 3, /* a callback returned VRING_STOPPED */
};

/* What a read of guest memory gave. */
enum vring_mem {
	VRING_MEM_EXACT = 0,   /* the bytes as the guest had them */
	VRING_MEM_ROUGH = 1,   /* copied, but from a best-effort snapshot that
				* may be torn: findings on them are doubtful */
	VRING_MEM_MISSING = 2, /* not available; dst is undefined */
};

/* The caller's side of a walk.  read and contains are required; the
 * visitors may be NULL.  A visitor returns 0 to go on, VRING_STOPPED to end
 * the walk quietly, or a negative errno to abort it (passed back). */
struct vring_ops {
	/* Copy len bytes of guest memory at gpa into dst: a vring_mem value. */
	int (*read)(void *ctx, uint64_t gpa, void *dst, uint32_t len);
	/* True if [gpa, gpa + len) lies in guest RAM and does not wrap around
	 * the address space (buffers and indirect tables must). */
	bool (*contains)(void *ctx, uint64_t gpa, uint64_t len);
	/* Every descriptor as read, before it is checked (so the last one a
	 * broken walk shows is the one that broke the rule). */
	int (*on_desc)(void *ctx, const struct vring_desc *d, const struct vring_place *at);
	/* The indirect descriptor at at is followed: bytes (a multiple of 16)
	 * of its table at table are read next.  Without salvage the
	 * descriptor passed every check, so bytes is its length. */
	int (*on_indirect)(void *ctx, uint64_t table, uint32_t bytes, const struct vring_place *at);
	/* Each buffer that passed the checks, in chain order (readable ones
	 * first, as the chain is legal only that way). */
	int (*on_buf)(void *ctx, const struct vring_desc *d, const struct vring_place *at);
	/* read sees all of guest RAM (the emulator): a descriptor it cannot
	 * read broke ring-buffer-outside-memory.  Otherwise (a trace) it is
	 * VRING_MISSING. */
	bool mem_complete;
	/* Copy, do not judge (the QEMU ring snapshots, which take what the
	 * decoder may need and leave the judging to it): a broken rule stops
	 * the walk only where the chain cannot be followed (a loop, next out
	 * of range, a nested table, a table shorter than one descriptor);
	 * otherwise the walk goes on as far as a lenient device would (a
	 * table of at most the queue size whole descriptors, NEXT beside
	 * INDIRECT ignored, every buffer shown to on_buf) and the first
	 * finding is kept. */
	bool salvage;
};

/* Fill f (rule, place, message) and return VRING_BROKEN. */
int vring_fault_set(struct vring_fault *f, enum rule_id rule, const struct vring_place *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An indirect descriptor d at place at, in a ring of num entries whose
 * driver did (indirect_ok) or did not negotiate INDIRECT_DESC: VRING_OK if
 * its table may be followed, else VRING_BROKEN with the rule in *f.  The
 * messages name the chain by "<chain_word> <at->head>" ("head" in split
 * rings, "slot" in packed ones). */
int vring_check_indirect(const struct vring_desc *d, const struct vring_place *at, bool indirect_ok, uint32_t num,
			 const char *chain_word, const struct vring_ops *ops, void *ctx, struct vring_fault *f);

#endif
