/* The register tables of the spec's MMIO Device Register Layout and
 * MMIO Device Legacy Register Layout. */
#include "virtio/mmio_regs.h"

#include <stdio.h>

#define BOTH (MMIO_IN_LEGACY | MMIO_IN_MODERN)
#define LEG MMIO_IN_LEGACY
#define MOD MMIO_IN_MODERN

const struct mmio_reg_info mmio_regs[] = {
	{ MMIO_MAGIC_VALUE, "MagicValue", NULL, MMIO_DIR_R, BOTH, 0 },
	{ MMIO_VERSION, "Version", NULL, MMIO_DIR_R, BOTH, 0 },
	{ MMIO_DEVICE_ID, "DeviceID", NULL, MMIO_DIR_R, BOTH, 0 },
	{ MMIO_VENDOR_ID, "VendorID", NULL, MMIO_DIR_R, BOTH, 0 },
	{ MMIO_DEVICE_FEATURES, "DeviceFeatures", "HostFeatures", MMIO_DIR_R, BOTH, 0 },
	{ MMIO_DEVICE_FEATURES_SEL, "DeviceFeaturesSel", "HostFeaturesSel", MMIO_DIR_W, BOTH, 0 },
	{ MMIO_DRIVER_FEATURES, "DriverFeatures", "GuestFeatures", MMIO_DIR_W, BOTH, 0 },
	{ MMIO_DRIVER_FEATURES_SEL, "DriverFeaturesSel", "GuestFeaturesSel", MMIO_DIR_W, BOTH, 0 },
	{ MMIO_GUEST_PAGE_SIZE, "GuestPageSize", NULL, MMIO_DIR_W, LEG, 0 },
	{ MMIO_QUEUE_SEL, "QueueSel", NULL, MMIO_DIR_W, BOTH, 0 },
	{ MMIO_QUEUE_NUM_MAX, "QueueNumMax", NULL, MMIO_DIR_R, BOTH, 1 },
	{ MMIO_QUEUE_NUM, "QueueNum", NULL, MMIO_DIR_W, BOTH, 1 },
	{ MMIO_QUEUE_ALIGN, "QueueAlign", NULL, MMIO_DIR_W, LEG, 1 },
	{ MMIO_QUEUE_PFN, "QueuePFN", NULL, MMIO_DIR_RW, LEG, 1 },
	{ MMIO_QUEUE_READY, "QueueReady", NULL, MMIO_DIR_RW, MOD, 1 },
	{ MMIO_QUEUE_NOTIFY, "QueueNotify", NULL, MMIO_DIR_W, BOTH, 0 },
	{ MMIO_INTERRUPT_STATUS, "InterruptStatus", NULL, MMIO_DIR_R, BOTH, 0 },
	{ MMIO_INTERRUPT_ACK, "InterruptACK", NULL, MMIO_DIR_W, BOTH, 0 },
	{ MMIO_STATUS, "Status", NULL, MMIO_DIR_RW, BOTH, 0 },
	{ MMIO_QUEUE_DESC_LOW, "QueueDescLow", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_QUEUE_DESC_HIGH, "QueueDescHigh", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_QUEUE_DRIVER_LOW, "QueueDriverLow", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_QUEUE_DRIVER_HIGH, "QueueDriverHigh", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_QUEUE_DEVICE_LOW, "QueueDeviceLow", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_QUEUE_DEVICE_HIGH, "QueueDeviceHigh", NULL, MMIO_DIR_W, MOD, 1 },
	{ MMIO_SHM_SEL, "SHMSel", NULL, MMIO_DIR_W, MOD, 0 },
	{ MMIO_SHM_LEN_LOW, "SHMLenLow", NULL, MMIO_DIR_R, MOD, 0 },
	{ MMIO_SHM_LEN_HIGH, "SHMLenHigh", NULL, MMIO_DIR_R, MOD, 0 },
	{ MMIO_SHM_BASE_LOW, "SHMBaseLow", NULL, MMIO_DIR_R, MOD, 0 },
	{ MMIO_SHM_BASE_HIGH, "SHMBaseHigh", NULL, MMIO_DIR_R, MOD, 0 },
	{ MMIO_QUEUE_RESET, "QueueReset", NULL, MMIO_DIR_RW, MOD, 1 },
	{ MMIO_CONFIG_GENERATION, "ConfigGeneration", NULL, MMIO_DIR_R, MOD, 0 },
};
const size_t mmio_regs_count = sizeof(mmio_regs) / sizeof(mmio_regs[0]);

const struct mmio_reg_info *mmio_reg_lookup(uint32_t offset, uint32_t version)
{
	uint8_t want = version == 1 ? MMIO_IN_LEGACY : MMIO_IN_MODERN;

	for (size_t i = 0; i < mmio_regs_count; i++)
		if (mmio_regs[i].offset == offset)
			return (mmio_regs[i].layouts & want) ? &mmio_regs[i] : NULL;
	return NULL;
}

const char *mmio_reg_describe(uint32_t offset, uint32_t version, char *buf, size_t len)
{
	const struct mmio_reg_info *r;

	if (offset >= MMIO_CONFIG) {
		snprintf(buf, len, "Config+0x%x", offset - MMIO_CONFIG);
		return buf;
	}
	/* A misaligned access is named after the register it falls in. */
	r = mmio_reg_lookup(offset & ~3u, version);
	if (!r) {
		snprintf(buf, len, "undefined+0x%03x", offset);
		return buf;
	}
	const char *name = (version == 1 && r->legacy_name) ? r->legacy_name : r->name;
	if (offset & 3u)
		snprintf(buf, len, "%s+%u", name, offset & 3u);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}
