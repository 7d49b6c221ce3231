/* The built-in virtio-mmio driver: probe (MMIO Device Initialization),
 * device initialization (General Initialization And Device Operation /
 * Device Initialization), queue set-up for the modern and legacy register
 * layouts (transport_modern.c / transport_legacy.c), configuration space
 * reads, interrupt handling and synchronous request helpers for the
 * workloads.  It follows the specification to the letter: a trace of it
 * must decode with zero violations.
 *
 * Errors: 0 for success; a positive DRV_E_* (below) when the device is
 * absent, refuses or misbehaves, or a workload's result is wrong (what a
 * run reports, not a fault of vmtrace); a negative errno for the driver's
 * own failures (-EINVAL for a call against the contract, -ENOMEM, -EFAULT
 * from the bus, -EBUSY).  drv_get_used returns 1 for a buffer taken back, 0
 * for none.  d->err says why whenever an error is returned. */
#ifndef VMTRACE_DRIVER_DRIVER_H
#define VMTRACE_DRIVER_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/driver/bus.h"
#include "capture/driver/vring.h"

/* Positive results (documented outcomes, not crashes of the driver). */
#define DRV_E_ABSENT 1      /* nothing to drive: bad MagicValue/Version, or DeviceID 0 */
#define DRV_E_REFUSED 2     /* the device refused or misbehaved (FEATURES_OK, queues, I/O) */
#define DRV_E_VERIFY 3      /* a workload's results were wrong */
#define DRV_E_UNSUPPORTED 4 /* no built-in workload for this device type */

#define DRV_QUEUES_MAX 4
/* Queue size asked for when the workload does not say (capped by QueueNumMax). */
#define DRV_QUEUE_SIZE_DEFAULT 64u
/* Polls of the used ring / interrupt line before a request counts as lost.
 * The emulator completes requests synchronously, so one poll suffices;
 * the bound keeps a silent device from hanging the driver. */
#define DRV_POLL_MAX 64u
/* Reads of a config area before giving up on a ConfigGeneration that keeps moving. */
#define DRV_CONFIG_RETRIES 8u

struct drv_dev;

/* The parts of initialization that differ between the register layouts. */
struct drv_transport {
	const char *name; /* "modern", "legacy" */
	/* After DriverFeatures were written: modern sets FEATURES_OK and
	 * checks it stuck; legacy has no FEATURES_OK. */
	int (*features_done)(struct drv_dev *d);
	/* Set up queue q with at most num_pref entries. */
	int (*queue_setup)(struct drv_dev *d, unsigned q, uint32_t num_pref);
	/* ConfigGeneration, or 0 without any access (legacy has none). */
	uint32_t (*config_generation)(struct drv_dev *d);
};

extern const struct drv_transport drv_transport_modern;
extern const struct drv_transport drv_transport_legacy;

struct drv_dev {
	struct drv_bus *bus;
	uint64_t base;
	uint32_t version;    /* 1 legacy, 2 modern */
	uint32_t device_id;
	uint32_t vendor_id;
	const struct drv_transport *tp;
	uint32_t status;     /* Status bits the driver has set so far */
	uint64_t offered;    /* DeviceFeatures, both words */
	uint64_t features;   /* accepted (DriverFeatures) */
	bool use_indirect;   /* INDIRECT_DESC accepted: multi-buffer chains go indirect */
	bool page_size_set;  /* legacy: GuestPageSize written */
	unsigned n_queues;
	struct drv_vring vq[DRV_QUEUES_MAX];
	unsigned interrupts; /* interrupts handled */
	unsigned config_changes;
	unsigned requests;   /* used buffers taken back, all queues */
	char err[256];       /* why the last call failed */
};

/* Register access relative to the device base (always 32 bits wide). */
uint32_t drv_reg_read(struct drv_dev *d, uint32_t offset);
void drv_reg_write(struct drv_dev *d, uint32_t offset, uint32_t value);

/* Record a failure reason in d->err; returns code so callers can
 * `return drv_error(d, DRV_E_REFUSED, ...)`. */
int drv_error(struct drv_dev *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Emit a marker (workload phase) on the bus. */
void drv_marker(struct drv_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Probe the register window at base: read MagicValue and Version, then
 * DeviceID, and only for a non-zero DeviceID, VendorID.  Nothing else is
 * touched.  Returns 0, or DRV_E_ABSENT with d->err saying why (for DeviceID
 * 0, a placeholder, that is not an error). */
int drv_probe(struct drv_dev *d, struct drv_bus *bus, uint64_t base);

/* Reset the device: write Status 0 and read it back (the reset is done
 * when it reads 0), as a driver does before initializing it or when it
 * lets go of it.  Returns 0, or DRV_E_REFUSED if Status does not read 0. */
int drv_reset(struct drv_dev *d);

/* Reset (drv_reset) and initialize up to feature negotiation: Status 0 (read back),
 * ACKNOWLEDGE, DRIVER, read both DeviceFeatures words, accept
 * wanted ∩ offered (plus VERSION_1 on a modern device, which must offer
 * it), write both DriverFeatures words, and on a modern device
 * FEATURES_OK with the re-read.  On failure after ACKNOWLEDGE the device
 * is left with FAILED set.  Returns 0, DRV_E_REFUSED or negative errno. */
int drv_init(struct drv_dev *d, uint64_t wanted);

/* Set up queues 0..n-1 (each up to num_pref entries). Returns 0 or an error. */
int drv_setup_queues(struct drv_dev *d, unsigned n, uint32_t num_pref);

/* Set DRIVER_OK. */
void drv_driver_ok(struct drv_dev *d);

/* Tell the device it failed us: set FAILED (only once initialization has
 * begun). */
void drv_set_failed(struct drv_dev *d);

/* Free host memory of the queues. The device is left as it is. */
void drv_release(struct drv_dev *d);

static inline bool drv_has(const struct drv_dev *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

/* Device configuration space, each field read with its own width (8, 16
 * or 32 bits; 64-bit fields as two 32-bit reads) on both layouts: legacy
 * devices allow byte-wise reads too (Linux does that), but field widths
 * satisfy both register-layout tables and keep one code path.  A
 * group of reads that must be consistent goes between drv_config_begin
 * and drv_config_retry (ConfigGeneration on modern; legacy has none):
 *   do { g = drv_config_begin(d); ...reads... } while (drv_config_retry(d, &g, &tries)); */
uint8_t drv_config_read8(struct drv_dev *d, uint32_t off);
uint16_t drv_config_read16(struct drv_dev *d, uint32_t off);
uint32_t drv_config_read32(struct drv_dev *d, uint32_t off);
/* 64-bit fields are two 32-bit reads, low word first. */
uint64_t drv_config_read64(struct drv_dev *d, uint32_t off);
uint32_t drv_config_begin(struct drv_dev *d);
/* True if the generation moved since begin and another try is allowed. */
bool drv_config_retry(struct drv_dev *d, uint32_t gen, unsigned *tries);

/* If the interrupt line is up: read InterruptStatus, acknowledge exactly
 * the defined bits that were set (undefined ones are ignored, as the
 * driver must), and after a configuration change read Status to see
 * whether the device needs a reset.  *handled gets the bits acknowledged
 * (0 if the line was down).  Returns 0, or DRV_E_REFUSED if the device
 * set DEVICE_NEEDS_RESET. */
int drv_handle_interrupt(struct drv_dev *d, uint32_t *handled);

/* Make a request available on queue q (see drv_vring_add). */
int drv_submit(struct drv_dev *d, unsigned q, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
	       uint64_t token);
/* Notify the device about queue q if it wants a notification. */
void drv_kick(struct drv_dev *d, unsigned q);
/* Take back one used buffer of queue q: 1 (filled), 0 (none) or an error. */
int drv_get_used(struct drv_dev *d, unsigned q, uint64_t *token, uint32_t *len);
/* Wait until queue q has a used buffer: handle interrupts and poll, at
 * most DRV_POLL_MAX times.  Returns 0, or DRV_E_REFUSED if the device
 * stays silent or asks for a reset. */
int drv_wait(struct drv_dev *d, unsigned q);
/* One synchronous request: submit, kick, wait, take it back.  *len gets
 * the bytes the device wrote. */
int drv_transact(struct drv_dev *d, unsigned q, const struct drv_sg *sg, unsigned n_out, unsigned n_in,
		 uint32_t *len);

/* Read QueueNumMax of the selected queue q and choose its size: the
 * largest power of two <= min(QueueNumMax, num_pref, VIRTQ_SIZE_MAX), or
 * with packed rings negotiated that minimum itself.
 * Returns 0 with *num set, or DRV_E_REFUSED if the queue is not available. */
int drv_queue_size(struct drv_dev *d, unsigned q, uint32_t num_pref, uint32_t *num);

#endif
