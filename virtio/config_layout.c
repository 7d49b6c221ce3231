/* Config space layouts, as the device-type table (device_types.c) has
 * them: only the layouts vmtrace checks accesses against are returned. */
#include "virtio/config_layout.h"

#include "virtio/device_types.h"

/* The row of device_id if its layout is checked, else NULL. */
static const struct devtype *checked(uint32_t device_id)
{
	const struct devtype *t = devtype_find(device_id);

	return t && t->config_checked ? t : NULL;
}

const struct config_field *config_layout(uint32_t device_id, size_t *n)
{
	const struct devtype *t = checked(device_id);

	*n = t ? t->n_config : 0;
	return t && t->n_config ? t->config : NULL;
}

const struct config_field *config_field_at(uint32_t device_id, uint32_t off)
{
	return devtype_config_field_at(checked(device_id), off);
}

bool config_layout_known(uint32_t device_id)
{
	/* The entropy device has no configuration space at all: known, empty. */
	return checked(device_id) != NULL;
}

uint32_t config_layout_size(uint32_t device_id)
{
	return devtype_config_size(checked(device_id));
}
