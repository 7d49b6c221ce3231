/* The built-in virtio-mmio device emulator: one emu_device per register
 * window, a transport (modern Version 2 or legacy Version 1 layout, see
 * mmio_modern.c / mmio_legacy.c) in front of a device model (blk, net,
 * console, rng).  Driver mistakes become violation reports through the
 * hooks, never aborts; a hostile ring marks the device DEVICE_NEEDS_RESET.
 *
 * Errors: emu_device_new returns 0 or a negative errno (-EINVAL for a
 * configuration the model cannot take, -ENOMEM); register accesses cannot
 * fail.  The models' extras (dev_*.h) and emu_device_supply differ: 0, -1
 * for input refused (dev_net_receive, dev_rng_supply), -ENOTSUP, and
 * dev_console_input's positive DEV_CONSOLE_E_FULL; each says which. */
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
struct emu_device_cfg;

/* What the emulator tells its host (the machine / recorder). */
struct emu_hooks {
	void *ctx;
	/* InterruptStatus gained bits (status is the new value): assert the line. */
	void (*irq)(void *ctx, struct emu_device *d, uint32_t status);
	/* A rule was broken (by the driver, or by the guest's ring contents). */
	void (*violation)(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg);
};

/* What the built-in machine (`vmtrace record --emu`, capture/driver/rig.c)
 * and the replay of its traces tell every model alike; each model turns it
 * into its own options (emu_model.machine_opts). */
struct emu_machine_params {
	uint64_t seed;           /* the machine's seed (rng byte stream) */
	const char *blk_image;   /* backing file of disk models; NULL = in memory */
	unsigned instance;       /* devices of the same model before this one */
};

/* Bytes of the largest options struct of any model (struct dev_blk_opts,
 * dev_net_opts, ... in dev_<model>.h): callers that configure a model they
 * do not know keep its options in a struct emu_opts_buf. */
#define EMU_MODEL_OPTS_MAX 64u
struct emu_opts_buf {
	_Alignas(max_align_t) unsigned char bytes[EMU_MODEL_OPTS_MAX];
};

/* A device model. State lives in emu_model_state(d).  Its options are its
 * own struct, declared in its dev_<model>.h. */
struct emu_model {
	const char *name;   /* "blk", "net", "console", "rng" */
	uint32_t device_id;
	uint16_t num_queues;
	uint64_t features;  /* device and transport feature bits offered */
	uint32_t config_size; /* the field layout is the spec's (virtio/device_types.c) */
	size_t opts_size;   /* sizeof its options struct, at most EMU_MODEL_OPTS_MAX */
	/* Allocate state, fill config space.  opts is the model's options
	 * struct, or NULL for its defaults.  Returns 0 or negative errno. */
	int (*init)(struct emu_device *d, const void *opts);
	void (*destroy)(struct emu_device *d);
	/* Device reset (Status 0): drop in-flight state; config stays. */
	void (*reset)(struct emu_device *d);
	/* The driver notified queue q (which is ready): process what is available. */
	void (*queue_notify)(struct emu_device *d, unsigned q);
	/* Optional: a config field was written (after the bytes were stored). */
	void (*config_write)(struct emu_device *d, uint32_t offset, unsigned width);
	/* Fill opts (opts_size bytes, zeroed by the caller) for a device of
	 * the built-in machine. */
	void (*machine_opts)(void *opts, const struct emu_machine_params *p);
	/* Optional: bytes the recorded device got from outside (a received
	 * frame, entropy), for replay to hand to the driver in order.
	 * Returns 0 or -1 (refused: too long, too many waiting, device failed). */
	int (*supply)(struct emu_device *d, const uint8_t *data, uint32_t len);
};

extern const struct emu_model emu_model_blk;
extern const struct emu_model emu_model_net;
extern const struct emu_model emu_model_console;
extern const struct emu_model emu_model_rng;

/* The model registry (models.c). */
/* Model by name ("blk", "blk-ro", "net", "console", "rng"), or NULL. */
const struct emu_model *emu_model_find(const char *name);
/* The model of device type id (blk for VIRTIO_ID_BLOCK), or NULL. */
const struct emu_model *emu_model_for_id(uint32_t device_id);
/* Models in registry order, for listings and tests: i < emu_model_count(). */
size_t emu_model_count(void);
const struct emu_model *emu_model_at(size_t i);
/* Point cfg at the options model m takes in the built-in machine, kept in
 * buf (which must outlive the emu_device_new call). */
void emu_model_machine_cfg(struct emu_device_cfg *cfg, struct emu_opts_buf *buf, const struct emu_model *m,
			   const struct emu_machine_params *p);

#define EMU_QUEUES_MAX 8
#define EMU_QUEUE_NUM_MAX_DEFAULT 256u
#define EMU_CONFIG_MAX 256u /* bytes of config space a model may have */
#define EMU_VENDOR_ID 0x554d4551u /* "QEMU", as most virtio-mmio devices report */

struct emu_device_cfg {
	uint64_t base;
	uint32_t version;       /* 1 legacy, 2 modern */
	const struct emu_model *model;
	/* The model's options struct (struct dev_blk_opts for blk, ...) and
	 * its size, which must be model->opts_size; NULL: the defaults.
	 * Borrowed for the emu_device_new call. */
	const void *opts;
	size_t opts_size;
	uint16_t queue_num_max; /* 0 = EMU_QUEUE_NUM_MAX_DEFAULT */
	uint32_t vendor_id;     /* 0 = EMU_VENDOR_ID */
	/* Replay can make a device look like another implementation's: */
	uint16_t queue_num_max_q[EMU_QUEUES_MAX]; /* per queue; 0 = queue_num_max */
	/* Interrupt after every used buffer, whatever NO_INTERRUPT or
	 * used_event say: replay of a running guest's trace, whose copies of
	 * those fields may come from later than the device acted on them. */
	bool interrupt_always;
	bool offer_features;    /* offer `features` instead of the model's set */
	bool offer_packed;      /* also offer VIRTIO_F_RING_PACKED (Version 2 only) */
	uint64_t features;      /* (still limited to what the layout can offer) */
};

/* Create a device over guest memory gm (borrowed; must outlive it).
 * Returns 0, -EINVAL for a configuration the model cannot take (options
 * of another size than its own among them), or the model's error. */
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

/* Hand the device bytes its recorded twin got from outside (see
 * emu_model.supply).  Returns 0, -1 if refused, or -ENOTSUP if the model
 * takes no input. */
int emu_device_supply(struct emu_device *d, const uint8_t *data, uint32_t len);

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
