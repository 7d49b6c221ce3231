/* Config space layouts of blk, net and console (virtio 1.2). */
#include "virtio/config_layout.h"

#include "virtio/virtio.h"

static const struct config_field blk_fields[] = {
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

/* mac is a byte array: each byte is its own 8-bit field. */
static const struct config_field net_fields[] = {
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

static const struct config_field console_fields[] = {
	{ 0, 2, false, "cols" },
	{ 2, 2, false, "rows" },
	{ 4, 4, false, "max_nr_ports" },
	{ 8, 4, true, "emerg_wr" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct config_field *config_layout(uint32_t device_id, size_t *n)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK: *n = N(blk_fields); return blk_fields;
	case VIRTIO_ID_NET: *n = N(net_fields); return net_fields;
	case VIRTIO_ID_CONSOLE: *n = N(console_fields); return console_fields;
	}
	*n = 0;
	return NULL;
}

const struct config_field *config_field_at(uint32_t device_id, uint32_t off)
{
	size_t n;
	const struct config_field *f = config_layout(device_id, &n);

	for (size_t i = 0; i < n; i++)
		if (off >= f[i].offset && off < (uint32_t)f[i].offset + f[i].size)
			return &f[i];
	return NULL;
}

bool config_layout_known(uint32_t device_id)
{
	size_t n;

	/* The entropy device has no configuration space at all. */
	return device_id == VIRTIO_ID_ENTROPY || config_layout(device_id, &n) != NULL;
}

uint32_t config_layout_size(uint32_t device_id)
{
	size_t n;
	const struct config_field *f = config_layout(device_id, &n);

	return n ? (uint32_t)f[n - 1].offset + f[n - 1].size : 0;
}
