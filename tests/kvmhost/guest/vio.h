/* The guest's virtio-mmio driver core: probe (MMIO Device
 * Initialization), device initialization up to FEATURES_OK (General
 * Initialization And Device Operation), split-queue set-up in the modern
 * (Version 2) and legacy (Version 1) register layouts, configuration
 * reads under ConfigGeneration, and synchronous requests.
 *
 * Interrupts are never delivered (the host has no interrupt controller):
 * the driver polls.  After every notify it reads InterruptStatus until the
 * used-buffer bit shows, acknowledges exactly the bits it saw, and then
 * takes the used entry.  Each InterruptStatus read is a VM exit, which is
 * also what lets a host that receives QueueNotify through an ioeventfd
 * run the device before answering. */
#ifndef VMTRACE_KVMHOST_GUEST_VIO_H
#define VMTRACE_KVMHOST_GUEST_VIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIO_QUEUES_MAX 2
#define VIO_QUEUE_SIZE 16u  /* queue size asked for (capped by QueueNumMax) */
#define VIO_LEGACY_PAGE 4096u /* GuestPageSize and QueueAlign */
#define VIO_POLL_MAX 1000u  /* InterruptStatus reads before a request counts as lost */
#define VIO_CONFIG_TRIES 4u /* config reads before a moving ConfigGeneration wins */

/* Failure steps (the low byte of KH_FAIL codes). */
enum vio_step {
	STEP_MAGIC = 1,
	STEP_VERSION,
	STEP_DEVICE_ID,
	STEP_RESET,
	STEP_VERSION_1,
	STEP_FEATURES_OK,
	STEP_QUEUE_BUSY,
	STEP_QUEUE_MAX,
	STEP_NO_MEMORY,
	STEP_SILENT,
	STEP_NEEDS_RESET,
	STEP_USED_ID,
	STEP_CONFIG,
	STEP_UNKNOWN_DEVICE,
	STEP_BLK_STATUS = 0x20,
	STEP_BLK_DATA,
	STEP_NET_LEN = 0x30,
	STEP_NET_DATA,
	STEP_NET_LINK,
	STEP_CONSOLE_LEN = 0x40,
	STEP_CONSOLE_DATA,
	STEP_RNG_LEN = 0x50,
	STEP_RNG_DATA,
};

struct vio_queue {
	uint32_t num;                /* queue size, a power of two */
	uint32_t desc, avail, used;  /* guest-physical addresses of the three areas */
	uint16_t next_avail;         /* the driver's avail idx */
	uint16_t last_used;          /* used entries taken back */
};

struct vio_dev {
	uint32_t base;
	unsigned index;     /* position in the boot block (for failure codes) */
	uint32_t version;   /* 1 legacy, 2 modern */
	uint32_t device_id;
	uint32_t vendor_id;
	uint32_t status;    /* Status bits set so far */
	uint32_t offered[2]; /* DeviceFeatures words 0 and 1 */
	uint32_t accepted[2];
	bool page_size_set; /* legacy: GuestPageSize written */
	unsigned n_queues;
	struct vio_queue q[VIO_QUEUES_MAX];
};

/* One buffer of a request. */
struct vio_buf {
	uint32_t addr;
	uint32_t len;
	bool writable; /* the device writes it */
};

/* Report a failure: a message line to the host, FAILED in Status once
 * initialization has begun, and the KH_FAIL code to return. */
uint32_t vio_fail(struct vio_dev *d, enum vio_step step, const char *what, uint32_t a, uint32_t b);

/* MagicValue, Version (must be want_version), DeviceID (0: no device,
 * returns 0 with device_id 0 and nothing else touched), VendorID. */
uint32_t vio_probe(struct vio_dev *d, unsigned index, uint32_t base, uint32_t want_version);

/* Reset, ACKNOWLEDGE, DRIVER, both DeviceFeatures words, accept
 * want & offered (plus VERSION_1 on a modern device; a legacy driver
 * writes word 1 as 0), and on a modern device FEATURES_OK and its
 * re-read.  Returns 0 or a KH_FAIL code. */
uint32_t vio_init(struct vio_dev *d, uint32_t want_lo, uint32_t want_hi);

/* Set up queues 0..n-1. Returns 0 or a KH_FAIL code. */
uint32_t vio_setup_queues(struct vio_dev *d, unsigned n);

static inline bool vio_has(const struct vio_dev *d, unsigned bit)
{
	return (d->accepted[bit / 32] >> (bit % 32)) & 1;
}

/* ConfigGeneration (modern) or 0 without an access (legacy). */
uint32_t vio_config_generation(struct vio_dev *d);

/* Set DRIVER_OK. */
void vio_driver_ok(struct vio_dev *d);

/* Make a request of n buffers (readable ones first) available on queue
 * q, using descriptors 0..n-1: a queue has one request in flight at a time. */
void vio_submit(struct vio_dev *d, unsigned q, const struct vio_buf *bufs, unsigned n);

/* Write QueueNotify. */
void vio_notify(struct vio_dev *d, unsigned q);

/* Poll (see above) until queue q has a used entry; check it names
 * descriptor 0 and store its length in *len.  Returns 0 or a KH_FAIL code. */
uint32_t vio_wait(struct vio_dev *d, unsigned q, uint32_t *len);

#endif
