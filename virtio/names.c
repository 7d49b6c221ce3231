/* Name tables from the virtio specification. */
#include "virtio/names.h"

#include <stdio.h>
#include <string.h>

#include "virtio/virtio.h"

const char *virtio_device_type_name(uint32_t id)
{
	static const char *const names[] = {
		[0] = "reserved", [1] = "network", [2] = "block", [3] = "console",
		[4] = "entropy", [5] = "memory balloon (traditional)", [6] = "ioMemory",
		[7] = "rpmsg", [8] = "SCSI host", [9] = "9P transport", [10] = "mac80211 wlan",
		[11] = "rproc serial", [12] = "virtio CAIF", [13] = "memory balloon",
		[16] = "GPU", [17] = "timer/clock", [18] = "input", [19] = "socket",
		[20] = "crypto", [21] = "signal distribution", [22] = "pstore",
		[23] = "IOMMU", [24] = "memory", [25] = "audio", [26] = "file system",
		[27] = "PMEM", [28] = "RPMB", [29] = "mac80211 hwsim", [30] = "video encoder",
		[31] = "video decoder", [32] = "SCMI", [33] = "NitroSecureModule",
		[34] = "I2C adapter", [35] = "Watchdog", [36] = "CAN", [38] = "Parameter Server",
		[39] = "audio policy", [40] = "Bluetooth", [41] = "GPIO", [42] = "RDMA",
	};
	if (id < sizeof(names) / sizeof(names[0]))
		return names[id];
	return NULL;
}

const char *virtio_device_short_name(uint32_t id, char *buf, size_t len)
{
	switch (id) {
	case VIRTIO_ID_NET: return "net";
	case VIRTIO_ID_BLOCK: return "blk";
	case VIRTIO_ID_CONSOLE: return "console";
	case VIRTIO_ID_ENTROPY: return "rng";
	}
	snprintf(buf, len, "dev%u", id);
	return buf;
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

static const struct feature_name blk_features[] = {
	{ 0, "BLK_F_BARRIER" }, /* legacy */
	{ VIRTIO_BLK_F_SIZE_MAX, "BLK_F_SIZE_MAX" },
	{ VIRTIO_BLK_F_SEG_MAX, "BLK_F_SEG_MAX" },
	{ VIRTIO_BLK_F_GEOMETRY, "BLK_F_GEOMETRY" },
	{ VIRTIO_BLK_F_RO, "BLK_F_RO" },
	{ VIRTIO_BLK_F_BLK_SIZE, "BLK_F_BLK_SIZE" },
	{ 7, "BLK_F_SCSI" }, /* legacy */
	{ VIRTIO_BLK_F_FLUSH, "BLK_F_FLUSH" },
	{ VIRTIO_BLK_F_TOPOLOGY, "BLK_F_TOPOLOGY" },
	{ VIRTIO_BLK_F_CONFIG_WCE, "BLK_F_CONFIG_WCE" },
	{ VIRTIO_BLK_F_MQ, "BLK_F_MQ" },
	{ VIRTIO_BLK_F_DISCARD, "BLK_F_DISCARD" },
	{ VIRTIO_BLK_F_WRITE_ZEROES, "BLK_F_WRITE_ZEROES" },
	{ VIRTIO_BLK_F_LIFETIME, "BLK_F_LIFETIME" },
	{ VIRTIO_BLK_F_SECURE_ERASE, "BLK_F_SECURE_ERASE" },
	{ 0, NULL },
};

static const struct feature_name net_features[] = {
	{ VIRTIO_NET_F_CSUM, "NET_F_CSUM" },
	{ VIRTIO_NET_F_GUEST_CSUM, "NET_F_GUEST_CSUM" },
	{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, "NET_F_CTRL_GUEST_OFFLOADS" },
	{ VIRTIO_NET_F_MTU, "NET_F_MTU" },
	{ VIRTIO_NET_F_MAC, "NET_F_MAC" },
	{ 6, "NET_F_GSO" }, /* legacy */
	{ VIRTIO_NET_F_GUEST_TSO4, "NET_F_GUEST_TSO4" },
	{ VIRTIO_NET_F_GUEST_TSO6, "NET_F_GUEST_TSO6" },
	{ VIRTIO_NET_F_GUEST_ECN, "NET_F_GUEST_ECN" },
	{ VIRTIO_NET_F_GUEST_UFO, "NET_F_GUEST_UFO" },
	{ VIRTIO_NET_F_HOST_TSO4, "NET_F_HOST_TSO4" },
	{ VIRTIO_NET_F_HOST_TSO6, "NET_F_HOST_TSO6" },
	{ VIRTIO_NET_F_HOST_ECN, "NET_F_HOST_ECN" },
	{ VIRTIO_NET_F_HOST_UFO, "NET_F_HOST_UFO" },
	{ VIRTIO_NET_F_MRG_RXBUF, "NET_F_MRG_RXBUF" },
	{ VIRTIO_NET_F_STATUS, "NET_F_STATUS" },
	{ VIRTIO_NET_F_CTRL_VQ, "NET_F_CTRL_VQ" },
	{ VIRTIO_NET_F_CTRL_RX, "NET_F_CTRL_RX" },
	{ VIRTIO_NET_F_CTRL_VLAN, "NET_F_CTRL_VLAN" },
	{ 20, "NET_F_CTRL_RX_EXTRA" },
	{ VIRTIO_NET_F_GUEST_ANNOUNCE, "NET_F_GUEST_ANNOUNCE" },
	{ VIRTIO_NET_F_MQ, "NET_F_MQ" },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, "NET_F_CTRL_MAC_ADDR" },
	{ 41, "NET_F_DEVICE_STATS" },
	{ 52, "NET_F_VQ_NOTF_COAL" },
	{ 53, "NET_F_NOTF_COAL" },
	{ 54, "NET_F_GUEST_USO4" },
	{ 55, "NET_F_GUEST_USO6" },
	{ 56, "NET_F_HOST_USO" },
	{ 57, "NET_F_HASH_REPORT" },
	{ 59, "NET_F_GUEST_HDRLEN" },
	{ 60, "NET_F_RSS" },
	{ 61, "NET_F_RSC_EXT" },
	{ 62, "NET_F_STANDBY" },
	{ VIRTIO_NET_F_SPEED_DUPLEX, "NET_F_SPEED_DUPLEX" },
	{ 0, NULL },
};

static const struct feature_name console_features[] = {
	{ VIRTIO_CONSOLE_F_SIZE, "CONSOLE_F_SIZE" },
	{ VIRTIO_CONSOLE_F_MULTIPORT, "CONSOLE_F_MULTIPORT" },
	{ VIRTIO_CONSOLE_F_EMERG_WRITE, "CONSOLE_F_EMERG_WRITE" },
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
	switch (device_id) {
	case VIRTIO_ID_BLOCK: return lookup(blk_features, bit);
	case VIRTIO_ID_NET: return lookup(net_features, bit);
	case VIRTIO_ID_CONSOLE: return lookup(console_features, bit);
	default: return NULL; /* entropy has no feature bits */
	}
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
