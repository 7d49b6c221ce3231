/* The device-type table: one row per virtio device type id (Device Types
 * chapter of the virtio 1.2 specification), with what vmtrace knows of the
 * type: its names, its device feature bits, its configuration layout and
 * the roles of its virtqueues.  Every layer asks this table instead of
 * switching on the type; the layers above virtio/ keep one registry each
 * (decoder/req_registry.c, capture/emu/models.c, replay/setup.c) for the
 * code that is theirs, keyed by the same id.
 *
 * Adding a device type:
 *  - virtio/virtio.h: its VIRTIO_ID_ (and request-format constants);
 *  - virtio/device_types.c: its row, with its feature, config and queue
 *    arrays (labels, feature and config names, checked layouts follow);
 * then, for each layer that should do more than name it:
 *  - decoder: decoder/req_<type>.c defining req_decoder_<type>, one line
 *    in decoder/req_registry.c, one in decoder/meson.build;
 *  - emulator: capture/emu/dev_<type>.c/.h (the model, its options
 *    struct, its machine_opts), one line in capture/emu/models.c, one in
 *    capture/emu/meson.build;
 *  - replay: its set-up hook and registry line in replay/setup.c;
 *  - built-in driver: capture/driver/wl_<type>.c (its workload and its
 *    --workload options), one line in capture/driver/wl_registry.c, one
 *    in capture/driver/meson.build;
 *  - its request kind's name in tracedb/tdb_vocab.c/.h (and docs/schema.md).
 * Replay takes outside input from the data queues of flow IN this table
 * names, so replay/trace_in.c needs nothing.
 *
 * Errors: lookups return NULL (or a "dev<id>" spelling) for ids the table
 * does not have; nothing here fails otherwise. */
#ifndef VMTRACE_VIRTIO_DEVICE_TYPES_H
#define VMTRACE_VIRTIO_DEVICE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/config_layout.h"

/* Bytes of a short name with its NUL: "console", or "dev4294967295" for
 * ids without one (the longest spelling). */
#define DEVTYPE_SHORT_NAME_SIZE 16u
/* Bytes of a device label with its NUL: "virtio-" + short name + "@0x" +
 * up to 16 hex digits = 7 + 15 + 3 + 16 + 1 = 42, rounded up.  Every
 * buffer that holds a device label ("virtio-console@0xfeb02e00") is this
 * size. */
#define DEVTYPE_LABEL_SIZE 48u
/* Virtqueues a device type may name: virtio-mmio's QueueSel is 32 bits,
 * but no type of the spec defines more than 2 + 2^16 queues (net: 0x8000
 * pairs and a control queue); roles beyond this are not looked up. */
#define DEVTYPE_QUEUE_INDEX_MAX 0x10001u

/* Which way a queue's buffers carry data (Virtqueues: device-readable
 * buffers go out, device-writable ones come in). */
enum devtype_flow {
	DEVTYPE_FLOW_OUT,  /* driver to device: readable buffers (transmitq) */
	DEVTYPE_FLOW_IN,   /* device to driver: writable buffers (receiveq, eventq) */
	DEVTYPE_FLOW_BOTH, /* a request out and its response in (requestq, controlq) */
};

/* One queue role of a type, in the spec's queue order. */
struct devtype_queue {
	const char *name;       /* the spec's name: "requestq", "receiveq", ... */
	enum devtype_flow flow;
	bool data;              /* carries the type's payload (decoded as requests);
				 * false: control and event queues */
	int feature;            /* the queue exists only if this feature bit is
				 * negotiated; -1: always */
};

/* A device feature bit's name, without the VIRTIO_ prefix ("BLK_F_FLUSH"). */
struct devtype_feature {
	unsigned bit;
	const char *name;
};

struct devtype;

/* Queue q's role given the negotiated features and the config bytes the
 * driver saw (config_len of them), or NULL if q is not a queue of the
 * type (or the type does not say). */
typedef const struct devtype_queue *devtype_queue_fn(const struct devtype *t, unsigned q, uint64_t features,
						     const uint8_t *config, uint32_t config_len);

struct devtype {
	uint32_t id;                 /* VIRTIO_ID_*: DeviceID register value */
	const char *name;            /* the spec's Device Types name: "block" */
	const char *short_name;      /* label name: "blk"; NULL: "dev<id>" */
	/* Device feature bits (0-23, 41 and up), in bit order; NULL if none
	 * are known (or the type has none: entropy). */
	const struct devtype_feature *features;
	size_t n_features;
	/* Configuration fields in offset order, without overlap. */
	const struct config_field *config;
	size_t n_config;
	/* True if config is the whole layout and accesses are checked against
	 * it (an access outside every field breaks a rule); false: the fields
	 * only name bytes (types vmtrace does not decode yet). */
	bool config_checked;
	/* Queue roles in queue order: entries whose feature is not negotiated
	 * are skipped; past the end, the last queues_repeat entries repeat. */
	const struct devtype_queue *queues;
	size_t n_queues;
	size_t queues_repeat;
	/* Optional: the role of queue q where the generic rule above does not
	 * fit (counts read from config space: net, crypto). */
	devtype_queue_fn *queue_at;
};

/* The row of device type id, or NULL if the spec assigns it no type. */
const struct devtype *devtype_find(uint32_t id);
/* The row whose short name is name ("blk"), or NULL. */
const struct devtype *devtype_by_short_name(const char *name);
/* Rows in id order, for listings and tests: i < devtype_count(). */
size_t devtype_count(void);
const struct devtype *devtype_at(size_t i);

/* The short name of type id ("blk"), or "dev<id>" written into buf (at
 * least DEVTYPE_SHORT_NAME_SIZE bytes for every id).  Returns buf or a
 * constant. */
const char *devtype_short_name(uint32_t id, char *buf, size_t len);
/* The device label of the window at base: "virtio-blk@0x10000000", or
 * "virtio-mmio@0x..." when the type is not known (id_known false or id 0).
 * len should be DEVTYPE_LABEL_SIZE.  Returns buf. */
const char *devtype_label(char *buf, size_t len, uint32_t id, bool id_known, uint64_t base);

/* Name of device feature bit of type id ("BLK_F_FLUSH"), or NULL; the
 * transport bits (24-40) are named by virtio_feature_name (names.h). */
const char *devtype_feature_name(uint32_t id, unsigned bit);

/* The config field of type t holding byte offset off, or NULL. */
const struct config_field *devtype_config_field_at(const struct devtype *t, uint32_t off);
/* Bytes t's known fields span (0 if none). */
uint32_t devtype_config_size(const struct devtype *t);

/* Role of queue q of a device of type id: see devtype_queue_fn.  NULL for
 * types without a row, queues beyond the type's, and q at or above
 * DEVTYPE_QUEUE_INDEX_MAX. */
const struct devtype_queue *devtype_queue_role(uint32_t id, unsigned q, uint64_t features,
					       const uint8_t *config, uint32_t config_len);

#endif
