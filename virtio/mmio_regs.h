/* The virtio-mmio register layouts (MMIO Device Register Layout and the
 * Legacy interface table): offsets, names and directions, shared by the
 * emulator, `vmtrace dump` and the decoder. */
#ifndef VMTRACE_VIRTIO_MMIO_REGS_H
#define VMTRACE_VIRTIO_MMIO_REGS_H

#include <stddef.h>
#include <stdint.h>

enum mmio_reg {
	MMIO_MAGIC_VALUE = 0x000,
	MMIO_VERSION = 0x004,
	MMIO_DEVICE_ID = 0x008,
	MMIO_VENDOR_ID = 0x00c,
	MMIO_DEVICE_FEATURES = 0x010,
	MMIO_DEVICE_FEATURES_SEL = 0x014,
	MMIO_DRIVER_FEATURES = 0x020,
	MMIO_DRIVER_FEATURES_SEL = 0x024,
	MMIO_GUEST_PAGE_SIZE = 0x028, /* legacy only */
	MMIO_QUEUE_SEL = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_ALIGN = 0x03c, /* legacy only */
	MMIO_QUEUE_PFN = 0x040,   /* legacy only */
	MMIO_QUEUE_READY = 0x044, /* modern only */
	MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_INTERRUPT_STATUS = 0x060,
	MMIO_INTERRUPT_ACK = 0x064,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC_LOW = 0x080,
	MMIO_QUEUE_DESC_HIGH = 0x084,
	MMIO_QUEUE_DRIVER_LOW = 0x090,
	MMIO_QUEUE_DRIVER_HIGH = 0x094,
	MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	MMIO_SHM_SEL = 0x0ac,
	MMIO_SHM_LEN_LOW = 0x0b0,
	MMIO_SHM_LEN_HIGH = 0x0b4,
	MMIO_SHM_BASE_LOW = 0x0b8,
	MMIO_SHM_BASE_HIGH = 0x0bc,
	MMIO_QUEUE_RESET = 0x0c0,
	MMIO_CONFIG_GENERATION = 0x0fc,
	MMIO_CONFIG = 0x100,
};

#define MMIO_DIR_R 1u
#define MMIO_DIR_W 2u
#define MMIO_DIR_RW 3u

/* Which layouts define a register: bit (1 << version). */
#define MMIO_IN_LEGACY (1u << 1)
#define MMIO_IN_MODERN (1u << 2)

struct mmio_reg_info {
	uint32_t offset;
	const char *name;        /* modern name */
	const char *legacy_name; /* name in the legacy table, or NULL if the same */
	uint8_t dir;             /* MMIO_DIR_* */
	uint8_t layouts;         /* MMIO_IN_* */
	uint8_t queue_reg;       /* applies to the queue selected by QueueSel */
};

/* Return the register at offset for the given Version (1 legacy, 2 modern),
 * or NULL if the offset is not a control register of that layout (Config
 * space, offsets >= 0x100, is not in the table). */
const struct mmio_reg_info *mmio_reg_lookup(uint32_t offset, uint32_t version);

/* Write a display name for an access at offset into buf: the register name,
 * "Config+0x1c" for config space, or "undefined+0x0f0".  Returns buf. */
const char *mmio_reg_describe(uint32_t offset, uint32_t version, char *buf, size_t len);

/* Table of every register of both layouts, for iteration. */
extern const struct mmio_reg_info mmio_regs[];
extern const size_t mmio_regs_count;

#endif
