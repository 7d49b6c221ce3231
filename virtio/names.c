/* Names of virtio numbers: status bits and transport feature bits here;
 * device types and their feature bits come from the device-type table. */
#include "virtio/names.h"

#include <stdio.h>
#include <string.h>

#include "virtio/device_types.h"
#include "virtio/virtio.h"

const char *virtio_device_type_name(uint32_t id)
{
	const struct devtype *t = devtype_find(id);

	/* 0 is no type: "reserved (invalid)" in the spec's list. */
	if (id == 0)
		return "reserved";
	return t ? t->name : NULL;
}

const char *virtio_device_short_name(uint32_t id, char *buf, size_t len)
{
	return devtype_short_name(id, buf, len);
}

/* Append s to buf at *pos with a separator, truncating safely. */
static void join(char *buf, size_t len, size_t *pos, const char *sep, const char *s)
{
	int n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? sep : "", s);
	if (n > 0)
		*pos = (*pos + (size_t)n < len) ? *pos + (size_t)n : len - 1;
}

const char *virtio_status_str(uint32_t status, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ VIRTIO_STATUS_ACKNOWLEDGE, "ACKNOWLEDGE" },
		{ VIRTIO_STATUS_DRIVER, "DRIVER" },
		{ VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK" },
		{ VIRTIO_STATUS_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_STATUS_DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET" },
		{ VIRTIO_STATUS_FAILED, "FAILED" },
	};
	size_t pos = 0;
	uint32_t rest = status;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (status == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (status & bits[i].bit) {
			join(buf, len, &pos, "|", bits[i].name);
			rest &= ~bits[i].bit;
		}
	}
	if (rest) {
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%x", rest);
		join(buf, len, &pos, "|", hex);
	}
	return buf;
}

struct feature_name {
	unsigned bit;
	const char *name;
};

static const struct feature_name transport_features[] = {
	{ VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY" },
	{ VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT" },
	{ VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC" },
	{ VIRTIO_F_EVENT_IDX, "EVENT_IDX" },
	{ VIRTIO_F_VERSION_1, "VERSION_1" },
	{ VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM" },
	{ VIRTIO_F_RING_PACKED, "RING_PACKED" },
	{ VIRTIO_F_IN_ORDER, "IN_ORDER" },
	{ VIRTIO_F_ORDER_PLATFORM, "ORDER_PLATFORM" },
	{ VIRTIO_F_SR_IOV, "SR_IOV" },
	{ VIRTIO_F_NOTIFICATION_DATA, "NOTIFICATION_DATA" },
	{ VIRTIO_F_NOTIF_CONFIG_DATA, "NOTIF_CONFIG_DATA" },
	{ VIRTIO_F_RING_RESET, "RING_RESET" },
	{ 0, NULL },
};

static const char *lookup(const struct feature_name *t, unsigned bit)
{
	for (; t->name; t++)
		if (t->bit == bit)
			return t->name;
	return NULL;
}

const char *virtio_feature_name(uint32_t device_id, unsigned bit)
{
	const char *n = lookup(transport_features, bit);

	if (n)
		return n;
	/* Device feature bits are 0-23 and 41 and up (Feature Bits). */
	return devtype_feature_name(device_id, bit);
}

const char *virtio_features_str(uint32_t device_id, uint64_t features, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(features & VIRTIO_BIT(bit)))
			continue;
		const char *n = virtio_feature_name(device_id, bit);
		char tmp[16];
		if (!n) {
			snprintf(tmp, sizeof(tmp), "bit%u", bit);
			n = tmp;
		}
		join(buf, len, &pos, " ", n);
	}
	if (pos == 0)
		snprintf(buf, len, "none");
	return buf;
}
