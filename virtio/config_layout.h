/* Device-specific configuration space layouts (Device Types), used for the
 * per-field access width rules and to name config fields.  The fields
 * themselves live in the device-type table (device_types.c); these calls
 * answer only for the types whose whole layout vmtrace checks (blk, net,
 * console, entropy).  devtype_config_field_at names fields of the others. */
#ifndef VMTRACE_VIRTIO_CONFIG_LAYOUT_H
#define VMTRACE_VIRTIO_CONFIG_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_field {
	uint16_t offset; /* from the start of config space (register 0x100) */
	uint8_t size;    /* 1, 2, 4 or 8 bytes */
	bool writable;   /* the driver may write it */
	const char *name;
};

/* Fields of device_id's config space in offset order, or NULL (and *n = 0)
 * for device types whose layout vmtrace does not know. */
const struct config_field *config_layout(uint32_t device_id, size_t *n);

/* True if vmtrace knows device_id's layout (entropy: known and empty). */
bool config_layout_known(uint32_t device_id);

/* Bytes the known layout spans (0 for entropy or unknown types). */
uint32_t config_layout_size(uint32_t device_id);

/* The field containing byte offset off, or NULL. */
const struct config_field *config_field_at(uint32_t device_id, uint32_t off);

#endif
