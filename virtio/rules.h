/* The catalogue of spec rules vmtrace checks.  Each broken rule becomes a
 * violation record (in the raw trace, from the emulator) or a violation row
 * (in trace.db, from the decoder); both name the rule by its stable key and
 * cite the spec section it comes from. */
#ifndef VMTRACE_VIRTIO_RULES_H
#define VMTRACE_VIRTIO_RULES_H

#include <stdint.h>

enum rule_severity {
	RULE_INFO = 0,    /* allowed, but worth knowing */
	RULE_WARNING = 1, /* a SHOULD broken, or a likely mistake */
	RULE_ERROR = 2,   /* a MUST broken */
};

/* Who broke the rule. */
enum rule_actor {
	RULE_BY_DRIVER = 0,
	RULE_BY_DEVICE = 1,
};

/* Stable numbers: they are stored in raw traces; append, never renumber. */
enum rule_id {
	RULE_NONE = 0,
	/* Register access (MMIO Device Register Layout, driver requirements). */
	RULE_REG_WIDTH = 1,
	RULE_REG_ALIGN = 2,
	RULE_CONFIG_WIDTH = 3,
	RULE_WRITE_READ_ONLY = 4,
	RULE_READ_WRITE_ONLY = 5,
	RULE_UNDEFINED_OFFSET = 6,
	/* Initialization (Device Initialization, driver requirements). */
	RULE_INIT_ORDER = 7,
	RULE_DEVICE_ID_ZERO = 8,
	RULE_DEVICE_FEATURES_SEL = 9,
	RULE_DRIVER_FEATURES_SEL = 10,
	RULE_STATUS_ORDER = 11,
	RULE_STATUS_CLEARED = 12,
	RULE_FEATURES_OK_NOT_REREAD = 13,
	RULE_FEATURES_NOT_OFFERED = 14,
	RULE_VERSION_1_NOT_ACCEPTED = 15,
	RULE_FEATURES_AFTER_FEATURES_OK = 16,
	/* Queue set-up (Virtqueue Configuration). */
	RULE_QUEUE_NUM_ABOVE_MAX = 17,
	RULE_QUEUE_NUM_NOT_POW2 = 18,
	RULE_QUEUE_WRITE_WHILE_READY = 19,
	RULE_QUEUE_SEL_RANGE = 20,
	RULE_QUEUE_RESET_NOT_NEGOTIATED = 21,
	RULE_RING_MISALIGNED = 22,
	RULE_RING_OUTSIDE_MEMORY = 23,
	RULE_QUEUE_NUM_ZERO = 24,
	/* Legacy interface. */
	RULE_LEGACY_PFN_BEFORE_PAGE_SIZE = 25,
	RULE_LEGACY_PAGE_SIZE_NOT_POW2 = 26,
	RULE_LEGACY_ALIGN_NOT_POW2 = 27,
	/* Notifications. */
	RULE_NOTIFY_BEFORE_DRIVER_OK = 28,
	RULE_NOTIFY_UNKNOWN_QUEUE = 29,
	RULE_INTERRUPT_ACK_UNDEFINED = 30,
	RULE_CONFIG_WRITE_BEFORE_FEATURES_OK = 31,
	/* Ring contents (Virtqueues), found while the device walks a ring. */
	RULE_RING_HEAD_RANGE = 32,
	RULE_RING_NEXT_RANGE = 33,
	RULE_RING_CHAIN_LOOP = 34,
	RULE_RING_AVAIL_JUMP = 35,
	RULE_RING_BUFFER_OUTSIDE_MEMORY = 36,
	RULE_RING_INDIRECT_NOT_NEGOTIATED = 37,
	RULE_RING_INDIRECT_LEN = 38,
	RULE_RING_INDIRECT_NESTED = 39,
	RULE_RING_INDIRECT_WITH_NEXT = 40,
	RULE_RING_WRITE_BEFORE_READ = 41,
	RULE_REQUEST_MALFORMED = 42,
	/* Device-side misbehaviour seen in a trace. */
	RULE_DEV_INTERRUPT_SPURIOUS = 43,
	RULE_DEV_USED_IDX_BACKWARDS = 44,
	RULE_DEV_USED_ID_NOT_IN_FLIGHT = 45,
	RULE_DEV_USED_LEN_TOO_LONG = 46,
	RULE_DEV_BAD_MAGIC = 47,
	RULE_DEV_BAD_VERSION = 48,
	RULE_QUEUE_READY_NOT_READ_BACK = 49,
	RULE_SHM_UNEXPECTED = 50,
	RULE_RING_OVERLAP = 51,
	/* A ring copy against the device's own report (QEMU trace events):
	 * recorded as an anomaly, never a violation. */
	RULE_RING_COPY_TORN = 52,
	/* Packed rings (Packed Virtqueues): a chain descriptor after the
	 * first not marked available for its slot's wrap counter. */
	RULE_RING_PACKED_NOT_AVAIL = 53,
	RULE_COUNT
};

struct rule_info {
	enum rule_id id;
	const char *key;     /* stable kebab-case name, e.g. "status-order" */
	const char *section; /* spec section name the rule comes from */
	enum rule_severity severity;
	enum rule_actor actor;
	const char *summary; /* one line: what the rule says */
};

/* Return the catalogue entry for id; an unknown id gets a placeholder
 * entry whose key is "unknown-rule" (ids come from untrusted traces). */
const struct rule_info *rule_lookup(uint32_t id);
const char *rule_severity_name(enum rule_severity s);

#endif
