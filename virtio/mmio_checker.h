/* The driver-side rules of the virtio-mmio transport as one state machine
 * per device.  It is fed every completed register access (offset, width,
 * direction, value as read or written) and reports each broken rule once
 * where it happens.  The emulator feeds it the accesses it serves; the
 * decoder feeds it the accesses of a trace from any source; both therefore
 * report exactly the same violations for the same accesses. */
#ifndef VMTRACE_VIRTIO_MMIO_CHECKER_H
#define VMTRACE_VIRTIO_MMIO_CHECKER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/rules.h"

/* Queues tracked per device; QueueSel values beyond are reported as
 * unavailable queues but not tracked. */
#define MMIO_CHECK_QUEUES 64

typedef void (*mmio_violation_fn)(void *ctx, enum rule_id rule, const char *msg);

struct mmio_check_queue {
	uint32_t num_max;    /* last QueueNumMax read */
	bool num_max_known;
	uint32_t num;        /* last QueueNum written */
	bool ready;          /* modern QueueReady 1, or legacy QueuePFN != 0 */
	bool ready_readback; /* QueueReady 0 written, not read back yet */
	uint64_t desc, driver, device; /* modern area addresses as written */
	uint32_t pfn, align; /* legacy */
};

struct mmio_checker {
	mmio_violation_fn report;
	void *ctx;
	uint64_t ram_base, ram_size; /* guest RAM if known (size 0 = unknown) */

	uint32_t version;   /* from the Version read (or given); 0 unknown */
	uint32_t device_id; /* from the DeviceID read; 0 unknown or placeholder */
	bool read_magic, read_version, read_device_id;
	bool init_order_reported, id_zero_reported;

	uint32_t status;    /* as last written or read */
	bool features_ok_unchecked; /* FEATURES_OK set, Status not re-read yet */
	bool dev_sel_written, drv_sel_written;
	uint32_t dev_sel, drv_sel;
	uint64_t offered;   /* DeviceFeatures words read so far */
	uint8_t offered_words; /* bit w: word w of DeviceFeatures was read */
	uint64_t accepted;  /* DriverFeatures as written */
	uint64_t negotiated; /* accepted at FEATURES_OK (legacy: DRIVER_OK) */
	bool negotiated_valid;

	bool page_size_set; /* legacy GuestPageSize */
	uint32_t page_size;
	uint32_t queue_sel;
	struct mmio_check_queue q[MMIO_CHECK_QUEUES];
};

/* Start checking a device. version may be 0 (learned from the Version
 * read) or 1/2 when the caller knows it. */
void mmio_checker_init(struct mmio_checker *c, uint32_t version, mmio_violation_fn report, void *ctx);

/* Feed one completed access: value is what was read or written, already
 * masked to width. */
void mmio_checker_access(struct mmio_checker *c, uint32_t offset, unsigned width, bool is_write, uint64_t value);

#endif
