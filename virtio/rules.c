/* Rule catalogue: keys, sections and one-line summaries. */
#include "virtio/rules.h"

#include <stddef.h>

#define S_LAYOUT_DRV "Virtio Over MMIO / MMIO Device Register Layout: driver requirements"
#define S_LAYOUT_DEV "Virtio Over MMIO / MMIO Device Register Layout: device requirements"
#define S_INIT_MMIO "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Device Initialization"
#define S_INIT_GEN "General Initialization And Device Operation / Device Initialization"
#define S_STATUS "Basic Facilities of a Virtio Device / Device Status Field"
#define S_FEATURES "Basic Facilities of a Virtio Device / Feature Bits"
#define S_VQ_CONFIG "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Virtqueue Configuration"
#define S_VQ_RESET "Basic Facilities of a Virtio Device / Virtqueues / Virtqueue Reset"
#define S_SPLIT "Basic Facilities of a Virtio Device / Split Virtqueues"
#define S_PACKED "Basic Facilities of a Virtio Device / Packed Virtqueues"
#define S_DESC "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table"
#define S_INDIRECT "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors"
#define S_AVAIL "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Available Ring"
#define S_USED "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Used Ring"
#define S_LEGACY "Virtio Over MMIO / Legacy interface"
#define S_NOTIFY "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Available Buffer Notifications"
#define S_DEV_NOTIFY "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Notifications From The Device"
#define S_CONFIG "Basic Facilities of a Virtio Device / Device Configuration Space"
#define S_DEVICE_TYPES "Device Types"

#define DRV RULE_BY_DRIVER
#define DEV RULE_BY_DEVICE

static const struct rule_info rules[RULE_COUNT] = {
	[RULE_NONE] = { RULE_NONE, "none", "", RULE_INFO, DRV, "no rule" },
	[RULE_REG_WIDTH] = { RULE_REG_WIDTH, "register-width", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"control registers must be accessed 32 bits wide" },
	[RULE_REG_ALIGN] = { RULE_REG_ALIGN, "register-alignment", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"control register accesses must be 32-bit aligned" },
	[RULE_CONFIG_WIDTH] = { RULE_CONFIG_WIDTH, "config-access-width", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"config fields must be accessed with their own width (32 bits for 64-bit fields), aligned" },
	[RULE_WRITE_READ_ONLY] = { RULE_WRITE_READ_ONLY, "write-read-only", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"the driver must not write to read-only registers" },
	[RULE_READ_WRITE_ONLY] = { RULE_READ_WRITE_ONLY, "read-write-only", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"the driver must not read from write-only registers" },
	[RULE_UNDEFINED_OFFSET] = { RULE_UNDEFINED_OFFSET, "undefined-offset", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"the driver must not access locations not described in the register layout" },
	[RULE_INIT_ORDER] = { RULE_INIT_ORDER, "init-order", S_INIT_MMIO, RULE_ERROR, DRV,
		"initialization starts by reading MagicValue, Version, then DeviceID" },
	[RULE_DEVICE_ID_ZERO] = { RULE_DEVICE_ID_ZERO, "device-id-zero", S_INIT_MMIO, RULE_ERROR, DRV,
		"after reading DeviceID 0 the driver must not access any other register" },
	[RULE_DEVICE_FEATURES_SEL] = { RULE_DEVICE_FEATURES_SEL, "device-features-sel", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"DeviceFeaturesSel must be written before reading DeviceFeatures" },
	[RULE_DRIVER_FEATURES_SEL] = { RULE_DRIVER_FEATURES_SEL, "driver-features-sel", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"DriverFeaturesSel must be written before writing DriverFeatures" },
	[RULE_STATUS_ORDER] = { RULE_STATUS_ORDER, "status-order", S_INIT_GEN, RULE_ERROR, DRV,
		"status bits are set in the order ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK" },
	[RULE_STATUS_CLEARED] = { RULE_STATUS_CLEARED, "status-cleared", S_STATUS, RULE_ERROR, DRV,
		"the driver must not clear a device status bit except by reset" },
	[RULE_FEATURES_OK_NOT_REREAD] = { RULE_FEATURES_OK_NOT_REREAD, "features-ok-not-reread", S_INIT_GEN, RULE_ERROR, DRV,
		"after setting FEATURES_OK the driver must re-read Status to check it is still set" },
	[RULE_FEATURES_NOT_OFFERED] = { RULE_FEATURES_NOT_OFFERED, "features-not-offered", S_FEATURES, RULE_ERROR, DRV,
		"the driver must not accept a feature the device did not offer" },
	[RULE_VERSION_1_NOT_ACCEPTED] = { RULE_VERSION_1_NOT_ACCEPTED, "version-1-not-accepted", S_FEATURES, RULE_ERROR, DRV,
		"a driver of a Version 2 device must accept VIRTIO_F_VERSION_1 when offered" },
	[RULE_FEATURES_AFTER_FEATURES_OK] = { RULE_FEATURES_AFTER_FEATURES_OK, "features-after-features-ok", S_INIT_GEN, RULE_ERROR, DRV,
		"the driver must not change accepted features after FEATURES_OK" },
	[RULE_QUEUE_NUM_ABOVE_MAX] = { RULE_QUEUE_NUM_ABOVE_MAX, "queue-num-above-max", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"QueueNum must not exceed QueueNumMax" },
	[RULE_QUEUE_NUM_NOT_POW2] = { RULE_QUEUE_NUM_NOT_POW2, "queue-num-not-power-of-2", S_SPLIT, RULE_ERROR, DRV,
		"a split virtqueue's size must be a power of 2" },
	[RULE_QUEUE_WRITE_WHILE_READY] = { RULE_QUEUE_WRITE_WHILE_READY, "queue-write-while-ready", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"queue size and area registers must not be accessed while QueueReady is set" },
	[RULE_QUEUE_SEL_RANGE] = { RULE_QUEUE_SEL_RANGE, "queue-sel-unavailable", S_VQ_CONFIG, RULE_ERROR, DRV,
		"a queue whose QueueNumMax reads 0 is not available and must not be set up" },
	[RULE_QUEUE_RESET_NOT_NEGOTIATED] = { RULE_QUEUE_RESET_NOT_NEGOTIATED, "queue-reset-not-negotiated", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"QueueReset may only be used when VIRTIO_F_RING_RESET was negotiated" },
	[RULE_RING_MISALIGNED] = { RULE_RING_MISALIGNED, "ring-misaligned", S_SPLIT, RULE_ERROR, DRV,
		"split ring areas must be aligned: descriptors 16, driver area 2, device area 4 bytes" },
	[RULE_RING_OUTSIDE_MEMORY] = { RULE_RING_OUTSIDE_MEMORY, "ring-outside-memory", S_SPLIT, RULE_ERROR, DRV,
		"virtqueue areas must lie inside guest memory" },
	[RULE_QUEUE_NUM_ZERO] = { RULE_QUEUE_NUM_ZERO, "queue-num-zero", S_VQ_CONFIG, RULE_ERROR, DRV,
		"a queue enabled with size 0 cannot be used" },
	[RULE_LEGACY_PFN_BEFORE_PAGE_SIZE] = { RULE_LEGACY_PFN_BEFORE_PAGE_SIZE, "legacy-pfn-before-page-size", S_LEGACY, RULE_ERROR, DRV,
		"GuestPageSize must be written before any QueuePFN" },
	[RULE_LEGACY_PAGE_SIZE_NOT_POW2] = { RULE_LEGACY_PAGE_SIZE_NOT_POW2, "legacy-page-size-not-power-of-2", S_LEGACY, RULE_WARNING, DRV,
		"GuestPageSize should be a power of 2" },
	[RULE_LEGACY_ALIGN_NOT_POW2] = { RULE_LEGACY_ALIGN_NOT_POW2, "legacy-align-not-power-of-2", S_LEGACY, RULE_WARNING, DRV,
		"QueueAlign should be a power of 2" },
	[RULE_NOTIFY_BEFORE_DRIVER_OK] = { RULE_NOTIFY_BEFORE_DRIVER_OK, "notify-before-driver-ok", S_INIT_GEN, RULE_ERROR, DRV,
		"the driver must not notify the device before setting DRIVER_OK" },
	[RULE_NOTIFY_UNKNOWN_QUEUE] = { RULE_NOTIFY_UNKNOWN_QUEUE, "notify-unknown-queue", S_NOTIFY, RULE_ERROR, DRV,
		"QueueNotify names a queue that does not exist or is not ready" },
	[RULE_INTERRUPT_ACK_UNDEFINED] = { RULE_INTERRUPT_ACK_UNDEFINED, "interrupt-ack-undefined-bits", S_LAYOUT_DRV, RULE_ERROR, DRV,
		"InterruptACK must not set undefined bits" },
	[RULE_CONFIG_WRITE_BEFORE_FEATURES_OK] = { RULE_CONFIG_WRITE_BEFORE_FEATURES_OK, "config-write-before-features-ok", S_INIT_GEN, RULE_ERROR, DRV,
		"the driver must not write device configuration before FEATURES_OK" },
	[RULE_RING_HEAD_RANGE] = { RULE_RING_HEAD_RANGE, "ring-head-out-of-range", S_AVAIL, RULE_ERROR, DRV,
		"an available ring entry must name a descriptor inside the table" },
	[RULE_RING_NEXT_RANGE] = { RULE_RING_NEXT_RANGE, "ring-next-out-of-range", S_DESC, RULE_ERROR, DRV,
		"a descriptor's next must index inside its table" },
	[RULE_RING_CHAIN_LOOP] = { RULE_RING_CHAIN_LOOP, "ring-chain-too-long", S_DESC, RULE_ERROR, DRV,
		"a descriptor chain must not be longer than the queue size (a loop never ends)" },
	[RULE_RING_AVAIL_JUMP] = { RULE_RING_AVAIL_JUMP, "ring-avail-idx-jump", S_AVAIL, RULE_ERROR, DRV,
		"the available index must not move more than the queue size ahead of the device" },
	[RULE_RING_BUFFER_OUTSIDE_MEMORY] = { RULE_RING_BUFFER_OUTSIDE_MEMORY, "ring-buffer-outside-memory", S_DESC, RULE_ERROR, DRV,
		"a descriptor's buffer (address + length) must lie inside guest memory" },
	[RULE_RING_INDIRECT_NOT_NEGOTIATED] = { RULE_RING_INDIRECT_NOT_NEGOTIATED, "ring-indirect-not-negotiated", S_INDIRECT, RULE_ERROR, DRV,
		"VIRTQ_DESC_F_INDIRECT needs VIRTIO_F_INDIRECT_DESC" },
	[RULE_RING_INDIRECT_LEN] = { RULE_RING_INDIRECT_LEN, "ring-indirect-length", S_INDIRECT, RULE_ERROR, DRV,
		"an indirect table's length must be a non-zero multiple of 16 within the queue size" },
	[RULE_RING_INDIRECT_NESTED] = { RULE_RING_INDIRECT_NESTED, "ring-indirect-nested", S_INDIRECT, RULE_ERROR, DRV,
		"the driver must not set VIRTQ_DESC_F_INDIRECT inside an indirect table" },
	[RULE_RING_INDIRECT_WITH_NEXT] = { RULE_RING_INDIRECT_WITH_NEXT, "ring-indirect-with-next", S_INDIRECT, RULE_ERROR, DRV,
		"the driver must not set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT" },
	[RULE_RING_WRITE_BEFORE_READ] = { RULE_RING_WRITE_BEFORE_READ, "ring-readable-after-writable", S_DESC, RULE_ERROR, DRV,
		"device-readable descriptors must come before device-writable ones in a chain" },
	[RULE_REQUEST_MALFORMED] = { RULE_REQUEST_MALFORMED, "request-malformed", S_DEVICE_TYPES, RULE_ERROR, DRV,
		"a request does not have the layout its device type defines" },
	[RULE_DEV_INTERRUPT_SPURIOUS] = { RULE_DEV_INTERRUPT_SPURIOUS, "device-interrupt-spurious", S_LAYOUT_DEV, RULE_ERROR, DEV,
		"InterruptStatus bits must correspond to events that took place" },
	[RULE_DEV_USED_IDX_BACKWARDS] = { RULE_DEV_USED_IDX_BACKWARDS, "device-used-idx-backwards", S_USED, RULE_ERROR, DEV,
		"the used index only moves forward" },
	[RULE_DEV_USED_ID_NOT_IN_FLIGHT] = { RULE_DEV_USED_ID_NOT_IN_FLIGHT, "device-used-id-not-in-flight", S_USED, RULE_ERROR, DEV,
		"a used ring entry must name the head of a chain the driver made available" },
	[RULE_DEV_USED_LEN_TOO_LONG] = { RULE_DEV_USED_LEN_TOO_LONG, "device-used-len-too-long", S_USED, RULE_ERROR, DEV,
		"a used length must not exceed the writable part of the chain" },
	[RULE_DEV_BAD_MAGIC] = { RULE_DEV_BAD_MAGIC, "device-bad-magic", S_LAYOUT_DEV, RULE_ERROR, DEV,
		"the device must return 0x74726976 in MagicValue" },
	[RULE_DEV_BAD_VERSION] = { RULE_DEV_BAD_VERSION, "device-bad-version", S_LAYOUT_DEV, RULE_ERROR, DEV,
		"the device must return 2 (or 1 for legacy) in Version" },
	[RULE_QUEUE_READY_NOT_READ_BACK] = { RULE_QUEUE_READY_NOT_READ_BACK, "queue-ready-not-read-back", S_LAYOUT_DRV, RULE_WARNING, DRV,
		"after writing 0 to QueueReady the driver must read it back" },
	[RULE_SHM_UNEXPECTED] = { RULE_SHM_UNEXPECTED, "shm-unexpected", S_INIT_MMIO, RULE_INFO, DRV,
		"drivers not expecting shared memory must not use the shared memory registers" },
	[RULE_RING_OVERLAP] = { RULE_RING_OVERLAP, "ring-areas-overlap", S_SPLIT, RULE_ERROR, DRV,
		"the descriptor, driver and device areas of a queue must not overlap" },
	[RULE_RING_COPY_TORN] = { RULE_RING_COPY_TORN, "ring-copy-torn", S_SPLIT, RULE_WARNING, DEV,
		"a ring copy must show the chain the device reported taking (else the copy was torn or missed)" },
	[RULE_RING_PACKED_NOT_AVAIL] = { RULE_RING_PACKED_NOT_AVAIL, "ring-packed-desc-not-avail", S_PACKED, RULE_WARNING, DRV,
		"every descriptor of a packed-ring chain should be marked available for the wrap counter of its slot" },
};

const struct rule_info *rule_lookup(uint32_t id)
{
	static const struct rule_info unknown = { RULE_NONE, "unknown-rule", "", RULE_ERROR, DRV,
		"a rule this version of vmtrace does not know" };

	if (id >= RULE_COUNT || rules[id].key == NULL)
		return &unknown;
	return &rules[id];
}

const char *rule_severity_name(enum rule_severity s)
{
	switch (s) {
	case RULE_INFO: return "info";
	case RULE_WARNING: return "warning";
	case RULE_ERROR: return "error";
	}
	return "?";
}
