/* The device-type table (virtio 1.2, Device Types); see device_types.h.
 * Numbers and names are the spec's; feature names drop the VIRTIO_ prefix
 * as the rest of vmtrace prints them. */
#include "virtio/device_types.h"

#include <stdio.h>
#include <string.h>

#include "virtio/virtio.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ALWAYS (-1)

/* --- network (Network Device) --- */

static const struct devtype_feature net_features[] = {
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
};

/* mac is a byte array: each byte is its own 8-bit field. */
static const struct config_field net_config[] = {
	{ 0, 1, false, "mac[0]" },
	{ 1, 1, false, "mac[1]" },
	{ 2, 1, false, "mac[2]" },
	{ 3, 1, false, "mac[3]" },
	{ 4, 1, false, "mac[4]" },
	{ 5, 1, false, "mac[5]" },
	{ 6, 2, false, "status" },
	{ 8, 2, false, "max_virtqueue_pairs" },
	{ 10, 2, false, "mtu" },
	{ 12, 4, false, "speed" },
	{ 16, 1, false, "duplex" },
	{ 17, 1, false, "rss_max_key_size" },
	{ 18, 2, false, "rss_max_indirection_table_length" },
	{ 20, 4, false, "supported_hash_types" },
};

static const struct devtype_queue net_queues[] = {
	{ "receiveq", DEVTYPE_FLOW_IN, true, ALWAYS },
	{ "transmitq", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "controlq", DEVTYPE_FLOW_BOTH, false, VIRTIO_NET_F_CTRL_VQ },
};

/* Receive queues are even, transmit odd: max_virtqueue_pairs pairs with
 * MQ (one without), then the control queue with CTRL_VQ. */
static const struct devtype_queue *net_queue_at(const struct devtype *t, unsigned q, uint64_t features,
						const uint8_t *config, uint32_t config_len)
{
	unsigned pairs = 1;

	(void)t;
	if ((features & VIRTIO_BIT(VIRTIO_NET_F_MQ)) && config && config_len >= VIRTIO_NET_CFG_MAX_VQ_PAIRS + 2) {
		pairs = le16_get(config + VIRTIO_NET_CFG_MAX_VQ_PAIRS);
		if (pairs == 0)
			pairs = 1;
	}
	if (q < 2 * pairs)
		return &net_queues[q % 2];
	if (q == 2 * pairs && (features & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ)))
		return &net_queues[2];
	return NULL;
}

/* --- block (Block Device) --- */

static const struct devtype_feature blk_features[] = {
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
};

static const struct config_field blk_config[] = {
	{ 0, 8, false, "capacity" },
	{ 8, 4, false, "size_max" },
	{ 12, 4, false, "seg_max" },
	{ 16, 2, false, "geometry.cylinders" },
	{ 18, 1, false, "geometry.heads" },
	{ 19, 1, false, "geometry.sectors" },
	{ 20, 4, false, "blk_size" },
	{ 24, 1, false, "topology.physical_block_exp" },
	{ 25, 1, false, "topology.alignment_offset" },
	{ 26, 2, false, "topology.min_io_size" },
	{ 28, 4, false, "topology.opt_io_size" },
	{ 32, 1, true, "writeback" },
	{ 33, 1, false, "unused0" },
	{ 34, 2, false, "num_queues" },
	{ 36, 4, false, "max_discard_sectors" },
	{ 40, 4, false, "max_discard_seg" },
	{ 44, 4, false, "discard_sector_alignment" },
	{ 48, 4, false, "max_write_zeroes_sectors" },
	{ 52, 4, false, "max_write_zeroes_seg" },
	{ 56, 1, false, "write_zeroes_may_unmap" },
	{ 60, 4, false, "max_secure_erase_sectors" },
	{ 64, 4, false, "max_secure_erase_seg" },
	{ 68, 4, false, "secure_erase_sector_alignment" },
};

/* num_queues request queues with MQ: every queue is one. */
static const struct devtype_queue blk_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- console (Console Device) --- */

static const struct devtype_feature console_features[] = {
	{ VIRTIO_CONSOLE_F_SIZE, "CONSOLE_F_SIZE" },
	{ VIRTIO_CONSOLE_F_MULTIPORT, "CONSOLE_F_MULTIPORT" },
	{ VIRTIO_CONSOLE_F_EMERG_WRITE, "CONSOLE_F_EMERG_WRITE" },
};

static const struct config_field console_config[] = {
	{ 0, 2, false, "cols" },
	{ 2, 2, false, "rows" },
	{ 4, 4, false, "max_nr_ports" },
	{ 8, 4, true, "emerg_wr" },
};

/* Port 0 on queues 0/1; with MULTIPORT the control queues on 2/3 and the
 * other ports' pairs from 4 on. */
static const struct devtype_queue console_queues[] = {
	{ "receiveq", DEVTYPE_FLOW_IN, true, ALWAYS },
	{ "transmitq", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "control receiveq", DEVTYPE_FLOW_IN, false, VIRTIO_CONSOLE_F_MULTIPORT },
	{ "control transmitq", DEVTYPE_FLOW_OUT, false, VIRTIO_CONSOLE_F_MULTIPORT },
	{ "receiveq", DEVTYPE_FLOW_IN, true, VIRTIO_CONSOLE_F_MULTIPORT },
	{ "transmitq", DEVTYPE_FLOW_OUT, true, VIRTIO_CONSOLE_F_MULTIPORT },
};

/* --- entropy (Entropy Device): no feature bits, no config space --- */

static const struct devtype_queue rng_queues[] = {
	{ "requestq", DEVTYPE_FLOW_IN, true, ALWAYS },
};

/* --- traditional memory balloon (Traditional Memory Balloon Device) --- */

static const struct devtype_feature balloon_features[] = {
	{ 0, "BALLOON_F_MUST_TELL_HOST" },
	{ 1, "BALLOON_F_STATS_VQ" },
	{ 2, "BALLOON_F_DEFLATE_ON_OOM" },
	{ 3, "BALLOON_F_FREE_PAGE_HINT" },
	{ 4, "BALLOON_F_PAGE_POISON" },
	{ 5, "BALLOON_F_PAGE_REPORTING" },
};

static const struct config_field balloon_config[] = {
	{ 0, 4, false, "num_pages" },
	{ 4, 4, true, "actual" },
	{ 8, 4, false, "free_page_hint_cmd_id" },
	{ 12, 4, true, "poison_val" },
};

static const struct devtype_queue balloon_queues[] = {
	{ "inflateq", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "deflateq", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "statsq", DEVTYPE_FLOW_OUT, true, 1 }, /* the guest's memory statistics (decoder/req_balloon.c) */
	{ "free_page_vq", DEVTYPE_FLOW_OUT, true, 3 },
	{ "reporting_vq", DEVTYPE_FLOW_OUT, true, 5 },
};

/* --- SCSI host (SCSI Host Device) --- */

static const struct devtype_feature scsi_features[] = {
	{ 0, "SCSI_F_INOUT" },
	{ 1, "SCSI_F_HOTPLUG" },
	{ 2, "SCSI_F_CHANGE" },
	{ 3, "SCSI_F_T10_PI" },
};

static const struct config_field scsi_config[] = {
	{ 0, 4, false, "num_queues" },
	{ 4, 4, false, "seg_max" },
	{ 8, 4, false, "max_sectors" },
	{ 12, 4, false, "cmd_per_lun" },
	{ 16, 4, false, "event_info_size" },
	{ 20, 4, true, "sense_size" },
	{ 24, 4, true, "cdb_size" },
	{ 28, 2, false, "max_channel" },
	{ 30, 2, false, "max_target" },
	{ 32, 4, false, "max_lun" },
};

static const struct devtype_queue scsi_queues[] = {
	{ "controlq", DEVTYPE_FLOW_BOTH, false, ALWAYS },
	{ "eventq", DEVTYPE_FLOW_IN, false, ALWAYS },
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- 9P transport --- */

static const struct devtype_feature p9_features[] = {
	{ 0, "9P_MOUNT_TAG" },
};

/* tag_len bytes of tag follow: a variable length the fields cannot name. */
static const struct config_field p9_config[] = {
	{ 0, 2, false, "tag_len" },
};

static const struct devtype_queue p9_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- GPU (GPU Device) --- */

static const struct devtype_feature gpu_features[] = {
	{ 0, "GPU_F_VIRGL" },
	{ 1, "GPU_F_EDID" },
	{ 2, "GPU_F_RESOURCE_UUID" },
	{ 3, "GPU_F_RESOURCE_BLOB" },
	{ 4, "GPU_F_CONTEXT_INIT" },
};

static const struct config_field gpu_config[] = {
	{ 0, 4, false, "events_read" },
	{ 4, 4, true, "events_clear" },
	{ 8, 4, false, "num_scanouts" },
	{ 12, 4, false, "num_capsets" },
};

static const struct devtype_queue gpu_queues[] = {
	{ "controlq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
	{ "cursorq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- input (Input Device): no feature bits --- */

/* A 128-byte union follows at 8 (string, bitmap, absinfo, devids). */
static const struct config_field input_config[] = {
	{ 0, 1, true, "select" },
	{ 1, 1, true, "subsel" },
	{ 2, 1, false, "size" },
};

static const struct devtype_queue input_queues[] = {
	{ "eventq", DEVTYPE_FLOW_IN, true, ALWAYS },
	{ "statusq", DEVTYPE_FLOW_OUT, true, ALWAYS },
};

/* --- socket (Socket Device) --- */

static const struct devtype_feature vsock_features[] = {
	{ 0, "VSOCK_F_STREAM" },
	{ 1, "VSOCK_F_SEQPACKET" },
};

static const struct config_field vsock_config[] = {
	{ 0, 8, false, "guest_cid" },
};

static const struct devtype_queue vsock_queues[] = {
	{ "rx", DEVTYPE_FLOW_IN, true, ALWAYS },
	{ "tx", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "event", DEVTYPE_FLOW_IN, false, ALWAYS },
};

/* --- crypto (Crypto Device) --- */

static const struct devtype_feature crypto_features[] = {
	{ 0, "CRYPTO_F_REVISION_1" },
	{ 1, "CRYPTO_F_CIPHER_STATELESS_MODE" },
	{ 2, "CRYPTO_F_HASH_STATELESS_MODE" },
	{ 3, "CRYPTO_F_MAC_STATELESS_MODE" },
	{ 4, "CRYPTO_F_AEAD_STATELESS_MODE" },
	{ 5, "CRYPTO_F_AKCIPHER_STATELESS_MODE" },
};

static const struct config_field crypto_config[] = {
	{ 0, 4, false, "status" },
	{ 4, 4, false, "max_dataqueues" },
	{ 8, 4, false, "crypto_services" },
	{ 12, 4, false, "cipher_algo_l" },
	{ 16, 4, false, "cipher_algo_h" },
	{ 20, 4, false, "hash_algo" },
	{ 24, 4, false, "mac_algo_l" },
	{ 28, 4, false, "mac_algo_h" },
	{ 32, 4, false, "aead_algo" },
	{ 36, 4, false, "max_cipher_key_len" },
	{ 40, 4, false, "max_auth_key_len" },
	{ 44, 4, false, "akcipher_algo" },
	{ 48, 8, false, "max_size" },
};

static const struct devtype_queue crypto_queues[] = {
	{ "dataq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
	{ "controlq", DEVTYPE_FLOW_BOTH, true, ALWAYS }, /* sessions: decoded as requests */
};

/* max_dataqueues data queues (at least one), then the control queue. */
static const struct devtype_queue *crypto_queue_at(const struct devtype *t, unsigned q, uint64_t features,
						   const uint8_t *config, uint32_t config_len)
{
	uint32_t n = 1;

	(void)t;
	(void)features;
	if (config && config_len >= 8 && le32_get(config + 4) != 0)
		n = le32_get(config + 4);
	if (q < n)
		return &crypto_queues[0];
	return q == n ? &crypto_queues[1] : NULL;
}

/* --- IOMMU (IOMMU device) --- */

static const struct devtype_feature iommu_features[] = {
	{ 0, "IOMMU_F_INPUT_RANGE" },
	{ 1, "IOMMU_F_DOMAIN_RANGE" },
	{ 2, "IOMMU_F_MAP_UNMAP" },
	{ 3, "IOMMU_F_BYPASS" },
	{ 4, "IOMMU_F_PROBE" },
	{ 5, "IOMMU_F_MMIO" },
	{ 6, "IOMMU_F_BYPASS_CONFIG" },
};

static const struct config_field iommu_config[] = {
	{ 0, 8, false, "page_size_mask" },
	{ 8, 8, false, "input_range.start" },
	{ 16, 8, false, "input_range.end" },
	{ 24, 4, false, "domain_range.start" },
	{ 28, 4, false, "domain_range.end" },
	{ 32, 4, false, "probe_size" },
	{ 36, 1, true, "bypass" },
};

static const struct devtype_queue iommu_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
	{ "eventq", DEVTYPE_FLOW_IN, false, ALWAYS },
};

/* --- memory (Memory Device) --- */

static const struct devtype_feature mem_features[] = {
	{ 0, "MEM_F_ACPI_PXM" },
	{ 1, "MEM_F_UNPLUGGED_INACCESSIBLE" },
};

static const struct config_field mem_config[] = {
	{ 0, 8, false, "block_size" },
	{ 8, 2, false, "node_id" },
	{ 16, 8, false, "addr" },
	{ 24, 8, false, "region_size" },
	{ 32, 8, false, "usable_region_size" },
	{ 40, 8, false, "plugged_size" },
	{ 48, 8, false, "requested_size" },
};

static const struct devtype_queue mem_queues[] = {
	{ "guest-request", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- audio (Sound Device) --- */

static const struct config_field snd_config[] = {
	{ 0, 4, false, "jacks" },
	{ 4, 4, false, "streams" },
	{ 8, 4, false, "chmaps" },
};

static const struct devtype_queue snd_queues[] = {
	{ "controlq", DEVTYPE_FLOW_BOTH, false, ALWAYS },
	{ "eventq", DEVTYPE_FLOW_IN, false, ALWAYS },
	{ "txq", DEVTYPE_FLOW_OUT, true, ALWAYS },
	{ "rxq", DEVTYPE_FLOW_IN, true, ALWAYS },
};

/* --- file system (File System Device) --- */

static const struct devtype_feature fs_features[] = {
	{ 0, "FS_F_NOTIFICATION" },
};

/* tag is a 36-byte string at 0. */
static const struct config_field fs_config[] = {
	{ 36, 4, false, "num_request_queues" },
	{ 40, 4, false, "notify_buf_size" },
};

static const struct devtype_queue fs_queues[] = {
	{ "hiprio", DEVTYPE_FLOW_BOTH, true, ALWAYS },
	{ "notification", DEVTYPE_FLOW_IN, false, 0 },
	{ "request", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- PMEM (PMEM Device) --- */

static const struct devtype_feature pmem_features[] = {
	{ 0, "PMEM_F_SHMEM_REGION" },
};

static const struct config_field pmem_config[] = {
	{ 0, 8, false, "start" },
	{ 8, 8, false, "size" },
};

static const struct devtype_queue pmem_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- I2C adapter (I2C Adapter Device): no config space --- */

static const struct devtype_feature i2c_features[] = {
	{ 0, "I2C_F_ZERO_LENGTH_REQUEST" },
};

static const struct devtype_queue i2c_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
};

/* --- GPIO (GPIO Device) --- */

static const struct devtype_feature gpio_features[] = {
	{ 0, "GPIO_F_IRQ" },
};

static const struct config_field gpio_config[] = {
	{ 0, 2, false, "ngpio" },
	{ 4, 4, false, "gpio_names_size" },
};

static const struct devtype_queue gpio_queues[] = {
	{ "requestq", DEVTYPE_FLOW_BOTH, true, ALWAYS },
	{ "eventq", DEVTYPE_FLOW_IN, false, 0 },
};

/* --- the table, in id order --- */

#define FEATURES(a) .features = a, .n_features = N(a)
#define CONFIG(a) .config = a, .n_config = N(a)
#define QUEUES(a, rep) .queues = a, .n_queues = N(a), .queues_repeat = rep

static const struct devtype types[] = {
	{ .id = VIRTIO_ID_NET, .name = "network", .short_name = "net", FEATURES(net_features), CONFIG(net_config),
	  .config_checked = true, QUEUES(net_queues, 0), .queue_at = net_queue_at },
	{ .id = VIRTIO_ID_BLOCK, .name = "block", .short_name = "blk", FEATURES(blk_features), CONFIG(blk_config),
	  .config_checked = true, QUEUES(blk_queues, 1) },
	{ .id = VIRTIO_ID_CONSOLE, .name = "console", .short_name = "console", FEATURES(console_features),
	  CONFIG(console_config), .config_checked = true, QUEUES(console_queues, 2) },
	{ .id = VIRTIO_ID_ENTROPY, .name = "entropy", .short_name = "rng", .config_checked = true,
	  QUEUES(rng_queues, 0) },
	{ .id = VIRTIO_ID_BALLOON, .name = "memory balloon (traditional)", .short_name = "balloon",
	  FEATURES(balloon_features), CONFIG(balloon_config), QUEUES(balloon_queues, 0) },
	{ .id = 6, .name = "ioMemory" },
	{ .id = 7, .name = "rpmsg", .short_name = "rpmsg" },
	{ .id = VIRTIO_ID_SCSI, .name = "SCSI host", .short_name = "scsi", FEATURES(scsi_features),
	  CONFIG(scsi_config), QUEUES(scsi_queues, 1) },
	{ .id = VIRTIO_ID_9P, .name = "9P transport", .short_name = "9p", FEATURES(p9_features), CONFIG(p9_config),
	  QUEUES(p9_queues, 0) },
	{ .id = 10, .name = "mac80211 wlan" },
	{ .id = 11, .name = "rproc serial" },
	{ .id = 12, .name = "virtio CAIF" },
	{ .id = 13, .name = "memory balloon" },
	{ .id = VIRTIO_ID_GPU, .name = "GPU", .short_name = "gpu", FEATURES(gpu_features), CONFIG(gpu_config),
	  QUEUES(gpu_queues, 0) },
	{ .id = 17, .name = "timer/clock" },
	{ .id = VIRTIO_ID_INPUT, .name = "input", .short_name = "input", CONFIG(input_config),
	  QUEUES(input_queues, 0) },
	{ .id = VIRTIO_ID_VSOCK, .name = "socket", .short_name = "vsock", FEATURES(vsock_features),
	  CONFIG(vsock_config), QUEUES(vsock_queues, 0) },
	{ .id = VIRTIO_ID_CRYPTO, .name = "crypto", .short_name = "crypto", FEATURES(crypto_features),
	  CONFIG(crypto_config), QUEUES(crypto_queues, 0), .queue_at = crypto_queue_at },
	{ .id = 21, .name = "signal distribution" },
	{ .id = 22, .name = "pstore" },
	{ .id = VIRTIO_ID_IOMMU, .name = "IOMMU", .short_name = "iommu", FEATURES(iommu_features),
	  CONFIG(iommu_config), QUEUES(iommu_queues, 0) },
	{ .id = VIRTIO_ID_MEM, .name = "memory", .short_name = "mem", FEATURES(mem_features), CONFIG(mem_config),
	  QUEUES(mem_queues, 0) },
	{ .id = VIRTIO_ID_SOUND, .name = "audio", .short_name = "snd", CONFIG(snd_config), QUEUES(snd_queues, 0) },
	{ .id = VIRTIO_ID_FS, .name = "file system", .short_name = "fs", FEATURES(fs_features), CONFIG(fs_config),
	  QUEUES(fs_queues, 1) },
	{ .id = VIRTIO_ID_PMEM, .name = "PMEM", .short_name = "pmem", FEATURES(pmem_features), CONFIG(pmem_config),
	  QUEUES(pmem_queues, 0) },
	{ .id = 28, .name = "RPMB" },
	{ .id = 29, .name = "mac80211 hwsim" },
	{ .id = 30, .name = "video encoder" },
	{ .id = 31, .name = "video decoder" },
	{ .id = 32, .name = "SCMI" },
	{ .id = 33, .name = "NitroSecureModule" },
	{ .id = VIRTIO_ID_I2C, .name = "I2C adapter", .short_name = "i2c", FEATURES(i2c_features),
	  QUEUES(i2c_queues, 0) },
	{ .id = 35, .name = "Watchdog" },
	{ .id = 36, .name = "CAN" },
	{ .id = 38, .name = "Parameter Server" },
	{ .id = 39, .name = "audio policy" },
	{ .id = 40, .name = "Bluetooth" },
	{ .id = VIRTIO_ID_GPIO, .name = "GPIO", .short_name = "gpio", FEATURES(gpio_features), CONFIG(gpio_config),
	  QUEUES(gpio_queues, 0) },
	{ .id = 42, .name = "RDMA" },
};

/* --- lookups --- */

const struct devtype *devtype_find(uint32_t id)
{
	/* Ids are sorted: binary search. */
	size_t lo = 0, hi = N(types);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (types[mid].id == id)
			return &types[mid];
		if (types[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct devtype *devtype_by_short_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N(types); i++)
		if (types[i].short_name && !strcmp(types[i].short_name, name))
			return &types[i];
	return NULL;
}

size_t devtype_count(void)
{
	return N(types);
}

const struct devtype *devtype_at(size_t i)
{
	return i < N(types) ? &types[i] : NULL;
}

const char *devtype_short_name(uint32_t id, char *buf, size_t len)
{
	const struct devtype *t = devtype_find(id);

	if (t && t->short_name)
		return t->short_name;
	if (len)
		snprintf(buf, len, "dev%u", id);
	return buf;
}

const char *devtype_label(char *buf, size_t len, uint32_t id, bool id_known, uint64_t base)
{
	char tmp[DEVTYPE_SHORT_NAME_SIZE];

	if (len == 0)
		return buf;
	if (id_known && id != 0)
		snprintf(buf, len, "virtio-%s@0x%llx", devtype_short_name(id, tmp, sizeof(tmp)),
			 (unsigned long long)base);
	else
		snprintf(buf, len, "virtio-mmio@0x%llx", (unsigned long long)base);
	return buf;
}

const char *devtype_feature_name(uint32_t id, unsigned bit)
{
	const struct devtype *t = devtype_find(id);

	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_features; i++)
		if (t->features[i].bit == bit)
			return t->features[i].name;
	return NULL;
}

const struct config_field *devtype_config_field_at(const struct devtype *t, uint32_t off)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_config; i++)
		if (off >= t->config[i].offset && off < (uint32_t)t->config[i].offset + t->config[i].size)
			return &t->config[i];
	return NULL;
}

uint32_t devtype_config_size(const struct devtype *t)
{
	if (!t || !t->n_config)
		return 0;
	return (uint32_t)t->config[t->n_config - 1].offset + t->config[t->n_config - 1].size;
}

static bool queue_present(const struct devtype_queue *e, uint64_t features)
{
	return e->feature < 0 || (features & VIRTIO_BIT((unsigned)e->feature));
}

/* The generic rule: the entries present under features, in order, then
 * the present ones among the last queues_repeat entries over and over. */
static const struct devtype_queue *generic_queue_at(const struct devtype *t, unsigned q, uint64_t features)
{
	size_t n_present = 0, n_group = 0;

	for (size_t i = 0; i < t->n_queues; i++) {
		if (!queue_present(&t->queues[i], features))
			continue;
		if (n_present++ == q)
			return &t->queues[i];
		if (i >= t->n_queues - t->queues_repeat)
			n_group++;
	}
	if (n_group == 0)
		return NULL;
	size_t k = (q - n_present) % n_group;
	for (size_t i = t->n_queues - t->queues_repeat; i < t->n_queues; i++) {
		if (!queue_present(&t->queues[i], features))
			continue;
		if (k-- == 0)
			return &t->queues[i];
	}
	return NULL;
}

const struct devtype_queue *devtype_queue_role(uint32_t id, unsigned q, uint64_t features,
					       const uint8_t *config, uint32_t config_len)
{
	const struct devtype *t = devtype_find(id);

	if (!t || q >= DEVTYPE_QUEUE_INDEX_MAX)
		return NULL;
	if (t->queue_at)
		return t->queue_at(t, q, features, config, config_len);
	return generic_queue_at(t, q, features);
}
