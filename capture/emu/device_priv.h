/* Internals of an emulated virtio-mmio device, shared by the common
 * register code (device.c) and the two layouts behind an ops table
 * (mmio_modern.c for Version 2, mmio_legacy.c for Version 1). */
#ifndef VMTRACE_EMU_DEVICE_PRIV_H
#define VMTRACE_EMU_DEVICE_PRIV_H

#include "capture/emu/emu.h"
#include "virtio/mmio_checker.h"

struct emu_queue {
	uint32_t num;      /* QueueNum as written */
	bool ready;        /* modern QueueReady */
	uint64_t desc, driver, device; /* modern area addresses */
	uint32_t pfn;      /* legacy QueuePFN */
	uint32_t align;    /* legacy QueueAlign */
	bool live;         /* vq is set up and may be processed */
	struct virtqueue vq;
};

/* What differs between the layouts. read/write return false for an offset
 * the layout does not define (the caller then treats it as undefined). */
struct emu_transport {
	uint32_t version;
	uint64_t features_mask; /* feature bits this layout can offer */
	bool (*read)(struct emu_device *d, uint32_t offset, uint32_t *value);
	bool (*write)(struct emu_device *d, uint32_t offset, uint32_t value);
};

extern const struct emu_transport emu_transport_modern;
extern const struct emu_transport emu_transport_legacy;

struct emu_device {
	uint64_t base;
	uint32_t vendor_id;
	const struct emu_transport *tp;
	const struct emu_model *model;
	void *model_state;
	struct guest_mem *gm;
	struct emu_hooks hooks;
	struct mmio_checker checker;

	uint64_t offered;     /* model features & layout mask */
	uint64_t driver_features;
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel;
	uint32_t queue_sel;
	uint16_t queue_num_max;
	uint16_t queue_num_max_q[EMU_QUEUES_MAX]; /* per queue, 0 if not set */
	uint32_t int_status;
	uint32_t config_gen;
	uint32_t shm_sel;
	uint32_t guest_page_size; /* legacy */
	bool broken;          /* DEVICE_NEEDS_RESET set: queues are not processed */
	bool interrupt_always; /* ignore the driver's suppression (replay) */
	unsigned violations;
	uint8_t config[EMU_CONFIG_MAX];
	struct emu_queue q[EMU_QUEUES_MAX];
};

/* QueueNumMax of queue idx. */
static inline uint16_t emu_queue_num_max(const struct emu_device *d, unsigned idx)
{
	return idx < EMU_QUEUES_MAX && d->queue_num_max_q[idx] ? d->queue_num_max_q[idx] : d->queue_num_max;
}

/* The selected queue if it exists on this device, else NULL. */
struct emu_queue *emu_selected_queue(struct emu_device *d);
/* Make q live over the given areas; on a bad layout mark the device as
 * needing reset (the checker has already reported the rule). */
void emu_queue_activate(struct emu_device *d, unsigned idx, uint64_t desc, uint64_t driver, uint64_t device);
/* Stop using queue idx (QueueReady 0, QueuePFN 0, QueueReset, reset). */
void emu_queue_deactivate(struct emu_device *d, unsigned idx);
/* Set DEVICE_NEEDS_RESET without a new report. */
void emu_device_set_needs_reset(struct emu_device *d);

#endif
