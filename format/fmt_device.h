/* What the event formatter must know about each device to give an event
 * its meaning: the register layout, the device type, the selectors
 * (feature words, queue) and where each queue's rings are.  A sequential
 * reader (dump, show) lets fmt_ctx_track learn it from the register
 * writes as it goes (the ring layout, split or packed, from the
 * DriverFeatures the driver wrote); a random-access reader (the TUI) fills a device from
 * the trace.db state at a seq instead.  Everything here comes from the
 * guest or from a file: indices are checked, addresses and sizes are
 * checked for wrap before use.
 *
 * Errors: fmt_ctx_new returns 0 or -ENOMEM; nothing else fails. */
#ifndef VMTRACE_FORMAT_FMT_DEVICE_H
#define VMTRACE_FORMAT_FMT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

struct vmt_event;

/* Devices one context follows: all a trace can hold. */
#define FMT_DEVICES_MAX VMT_TRACE_DEVICES_MAX
/* Queues per device whose rings are followed; a QueueSel past it is
 * shown but its rings are not named. */
#define FMT_QUEUES_MAX 64u
/* Device label bytes kept, with the NUL ("virtio-console@0x" and 16 hex
 * digits is 34). */
#define FMT_NAME_MAX 64u

struct fmt_queue {
	uint32_t num;        /* QueueNum as written; 0 not set */
	uint64_t desc;       /* QueueDesc, QueueDriver, QueueDevice (modern), or */
	uint64_t driver;     /* the three ring addresses a caller knows for */
	uint64_t device;     /* either layout; 0 not placed */
	uint32_t pfn;        /* legacy QueuePFN; 0 none (then desc/driver/device count) */
	uint32_t align;      /* legacy QueueAlign; 0 not written (4096 assumed) */
	bool ready;          /* modern QueueReady as last written */
};

/* fmt_device.unknown: selectors a caller filling the state could not
 * give; what depends on them is not named (never named from a guess).
 * The write of the selector makes it known. */
#define FMT_UNKNOWN_DEV_FEATURES_SEL 0x1u
#define FMT_UNKNOWN_DRV_FEATURES_SEL 0x2u
#define FMT_UNKNOWN_QUEUE_SEL 0x4u
#define FMT_UNKNOWN_ALL 0x7u

struct fmt_device {
	uint64_t base;
	unsigned unknown;          /* FMT_UNKNOWN_* */
	uint32_t version;          /* 1 legacy, 2 modern, 0 unknown (named as modern) */
	uint32_t device_id;        /* 0 unknown */
	uint32_t dev_features_sel; /* DeviceFeaturesSel (legacy HostFeaturesSel) */
	uint32_t drv_features_sel; /* DriverFeaturesSel (legacy GuestFeaturesSel) */
	uint32_t queue_sel;        /* QueueSel as written, any value */
	uint32_t page_size;        /* legacy GuestPageSize; 0 not written (4096 assumed) */
	uint64_t drv_features;     /* DriverFeatures words 0 and 1 as written since the
				    * last reset (the decoder's accepted set); the
				    * rings are packed with VIRTIO_F_RING_PACKED in
				    * it (fmt_device_packed), else split */
	char name[FMT_NAME_MAX];   /* label as the trace gives it (unescaped), "" none */
	struct fmt_queue q[FMT_QUEUES_MAX];
};

/* The rings of one queue: each area's guest address and size; size 0
 * when the area is not placed, or the numbers would wrap past 2^64.  With
 * packed, the three areas are the descriptor ring (16 bytes a slot), the
 * driver event suppression area (QueueDriver, 4 bytes) and the device's
 * (QueueDevice, 4 bytes), kept in desc, avail and used. */
struct fmt_areas {
	uint32_t num;
	bool packed;
	uint64_t desc, desc_size;
	uint64_t avail, avail_size;
	uint64_t used, used_size;
};

struct fmt_ctx {
	struct fmt_device *dev[FMT_DEVICES_MAX]; /* owned; first n used */
	size_t n;
};

/* Allocate an empty context into *out.  Returns 0 or -ENOMEM. */
int fmt_ctx_new(struct fmt_ctx **out);
/* Free c and its devices; NULL is fine. */
void fmt_ctx_free(struct fmt_ctx *c);

/* The device at base, or NULL. */
struct fmt_device *fmt_ctx_find(const struct fmt_ctx *c, uint64_t base);
/* The device at base, added (all state reset, name "") if new.  NULL if
 * the context is full or out of memory. */
struct fmt_device *fmt_ctx_device(struct fmt_ctx *c, uint64_t base);

/* Set a device's label (cut to FMT_NAME_MAX - 1 bytes). */
void fmt_device_set_name(struct fmt_device *d, const char *name);

/* Forget what the driver set up (a reset: Status written 0). */
void fmt_device_reset(struct fmt_device *d);

/* Learn from one MMIO event of d: the selectors, the driver's feature
 * words 0 and 1, queue sizes and addresses, GuestPageSize, a reset, and
 * the Version and DeviceID the device answered.  Aligned 4-byte accesses and 8-byte accesses at a Low
 * register are followed; narrower or misaligned ones are not.  Other event
 * types are ignored. */
void fmt_device_track(struct fmt_device *d, const struct vmt_event *ev);

/* fmt_device_track for the device at ev->base (added if new) of an MMIO
 * event; other event types are ignored. */
void fmt_ctx_track(struct fmt_ctx *c, const struct vmt_event *ev);

/* Whether d's driver accepted VIRTIO_F_RING_PACKED: its queues are
 * packed virtqueues (as the decoder takes them: decoder/rings.c). */
bool fmt_device_packed(const struct fmt_device *d);

/* Where queue qi of d has its rings: from the legacy PFN, page size and
 * alignment when a PFN is set on a device not known to be modern, else
 * from desc/driver/device; packed (a->packed) when fmt_device_packed, the
 * areas then sized as packed rings at the same addresses (as the decoder
 * places them).  False if qi is out of range or the queue has no size. */
bool fmt_queue_areas(const struct fmt_device *d, uint32_t qi, struct fmt_areas *a);

#endif
