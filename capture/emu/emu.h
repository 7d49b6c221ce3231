/* The built-in virtio-mmio device emulator: one emu_device per register
 * window, a transport (modern Version 2 or legacy Version 1 layout, see
 * mmio_modern.c / mmio_legacy.c) in front of a device model (blk, net,
 * console, rng).  Driver mistakes become violation reports through the
 * hooks, never aborts; a hostile ring marks the device DEVICE_NEEDS_RESET. */
#ifndef VMTRACE_EMU_EMU_H
#define VMTRACE_EMU_EMU_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/emu/guest_mem.h"
#include "capture/emu/virtqueue.h"
#include "virtio/rules.h"

struct emu_device;

/* What the emulator tells its host (the machine / recorder). */
struct emu_hooks {
	void *ctx;
	/* InterruptStatus gained bits (status is the new value): assert the line. */
	void (*irq)(void *ctx, struct emu_device *d, uint32_t status);
	/* A rule was broken (by the driver, or by the guest's ring contents). */
	void (*violation)(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg);
};

/* Options for every device model; each model reads the ones it needs. */
struct emu_model_opts {
	const char *blk_image;     /* backing file; NULL = in-memory image */
	uint64_t blk_capacity;     /* bytes of the in-memory image (multiple of 512) */
	bool blk_read_only;
	uint8_t net_mac[6];
	uint16_t net_mtu;
	bool net_no_loopback;      /* transmitted frames are not looped back */
	const char *console_in;    /* file read as console input; NULL = input buffer */
	const char *console_out;   /* file console output is appended to; NULL = output buffer */
	const uint8_t *console_input; /* initial input bytes when console_in is NULL */
	size_t console_input_len;
	bool console_echo;         /* loop output back as input (default workload check) */
	uint64_t rng_seed;
};

/* A device model. State lives in emu_model_state(d). */
struct emu_model {
	const char *name;   /* "blk", "net", "console", "rng" */
	uint32_t device_id;
	uint16_t num_queues;
	uint64_t features;  /* device and transport feature bits offered */
	uint32_t config_size; /* the field layout is the spec's (virtio/config_layout.c) */
	/* Allocate state, fill config space. Returns 0 or negative errno. */
	int (*init)(struct emu_device *d, const struct emu_model_opts *opts);
	void (*destroy)(struct emu_device *d);
	/* Device reset (Status 0): drop in-flight state; config stays. */
	void (*reset)(struct emu_device *d);
	/* The driver notified queue q (which is ready): process what is available. */
	void (*queue_notify)(struct emu_device *d, unsigned q);
	/* Optional: a config field was written (after the bytes were stored). */
	void (*config_write)(struct emu_device *d, uint32_t offset, unsigned width);
};

extern const struct emu_model emu_model_blk;
extern const struct emu_model emu_model_net;
extern const struct emu_model emu_model_console;
extern const struct emu_model emu_model_rng;

/* Model by name ("blk", "net", "console", "rng"), or NULL. */
const struct emu_model *emu_model_find(const char *name);

#define EMU_QUEUES_MAX 8
#define EMU_QUEUE_NUM_MAX_DEFAULT 256u
#define EMU_CONFIG_MAX 256u /* bytes of config space a model may have */
#define EMU_VENDOR_ID 0x554d4551u /* "QEMU", as most virtio-mmio devices report */

struct emu_device_cfg {
	uint64_t base;
	uint32_t version;       /* 1 legacy, 2 modern */
	const struct emu_model *model;
	struct emu_model_opts opts;
	uint16_t queue_num_max; /* 0 = EMU_QUEUE_NUM_MAX_DEFAULT */
	uint32_t vendor_id;     /* 0 = EMU_VENDOR_ID */
	/* Replay can make a device look like another implementation's: */
	uint16_t queue_num_max_q[EMU_QUEUES_MAX]; /* per queue; 0 = queue_num_max */
	/* Interrupt after every used buffer, whatever NO_INTERRUPT or
	 * used_event say: replay of a running guest's trace, whose copies of
	 * those fields may come from later than the device acted on them. */
	bool interrupt_always;
	bool offer_features;    /* offer `features` instead of the model's set */
	uint64_t features;      /* (still limited to what the layout can offer) */
};

/* Create a device over guest memory gm (borrowed; must outlive it). */
int emu_device_new(struct emu_device **out, const struct emu_device_cfg *cfg,
		   struct guest_mem *gm, const struct emu_hooks *hooks);
void emu_device_free(struct emu_device *d); /* NULL is a no-op */

/* Register access at offset from the device base. Accesses that break a
 * rule are reported; a read then returns 0 and a write is ignored, as QEMU
 * does. */
uint64_t emu_mmio_read(struct emu_device *d, uint32_t offset, unsigned width);
void emu_mmio_write(struct emu_device *d, uint32_t offset, unsigned width, uint64_t value);

/* Let the device process what the driver made available on every live
 * queue without a notification, as a device may at any time (replay uses
 * it where the recorded device worked on its own schedule). */
void emu_device_poll(struct emu_device *d);

/* Device state for hosts and tests. */
uint64_t emu_device_base(const struct emu_device *d);
uint32_t emu_device_version(const struct emu_device *d);
const struct emu_model *emu_device_model(const struct emu_device *d);
uint32_t emu_device_vendor_id(const struct emu_device *d);
uint16_t emu_device_queue_num_max(const struct emu_device *d);
uint32_t emu_device_status(const struct emu_device *d);
uint32_t emu_interrupt_status(const struct emu_device *d);
uint64_t emu_device_features(const struct emu_device *d);   /* offered (after layout filtering) */
uint64_t emu_driver_features(const struct emu_device *d);   /* as written by the driver */
unsigned emu_violation_count(const struct emu_device *d);

/* --- for device models --- */

void *emu_model_state(const struct emu_device *d);
void emu_set_model_state(struct emu_device *d, void *state);
struct guest_mem *emu_mem(const struct emu_device *d);
uint8_t *emu_config(struct emu_device *d); /* config space bytes, model's layout */
uint64_t emu_negotiated(const struct emu_device *d); /* accepted features once FEATURES_OK */
bool emu_has_feature(const struct emu_device *d, unsigned bit);
/* Queue q if it is live (ready, set up, device not broken), else NULL. */
struct virtqueue *emu_queue(struct emu_device *d, unsigned q);
/* After pushing used entries on q: raise the used-buffer interrupt if the
 * queue's suppression rules allow. */
void emu_queue_interrupt(struct emu_device *d, unsigned q);
/* The config space changed: bump ConfigGeneration, raise config interrupt. */
void emu_config_changed(struct emu_device *d);
/* Report a broken rule without changing device state. */
void emu_violation(struct emu_device *d, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Report a rule whose breach stops the device: record it, set
 * DEVICE_NEEDS_RESET, raise the config-change interrupt (modern only) and
 * stop processing queues until reset. */
void emu_device_fail(struct emu_device *d, enum rule_id rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool emu_device_broken(const struct emu_device *d);

#endif
