/* The device-type table (virtio/device_types.c): every row well formed
 * (unique ids in order, names, config fields in offset order without
 * overlap, device feature bits only, queue roles), the queue-role rules of
 * the types vmtrace decodes, and the old name calls answering from it. */
#include "tests/harness.h"
#include "virtio/config_layout.h"
#include "virtio/device_types.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

static void test_rows(void)
{
	uint32_t prev = 0;

	CHECK(devtype_count() >= 30);
	CHECK(devtype_at(devtype_count()) == NULL);
	for (size_t i = 0; i < devtype_count(); i++) {
		const struct devtype *t = devtype_at(i);
		harness_case = t->name;
		/* Sorted by id, so every id is unique and devtype_find finds it. */
		CHECK(t->id > prev);
		prev = t->id;
		CHECK(devtype_find(t->id) == t);
		CHECK(t->name && t->name[0]);
		if (t->short_name) {
			CHECK(t->short_name[0]);
			CHECK(strlen(t->short_name) < DEVTYPE_SHORT_NAME_SIZE);
			CHECK(devtype_by_short_name(t->short_name) == t);
		}
		/* Config fields: natural sizes, offset order, no overlap. */
		uint32_t end = 0;
		for (size_t k = 0; k < t->n_config; k++) {
			const struct config_field *f = &t->config[k];
			CHECK(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
			CHECK(f->offset >= end);
			CHECK(f->name && f->name[0]);
			end = (uint32_t)f->offset + f->size;
			CHECK(devtype_config_field_at(t, f->offset) == f);
			CHECK(devtype_config_field_at(t, end - 1) == f);
		}
		CHECK_EQ_U(devtype_config_size(t), end);
		CHECK(t->n_config == 0 || t->config);
		/* Device feature bits only (0-23, 41 and up), in bit order. */
		int last = -1;
		for (size_t k = 0; k < t->n_features; k++) {
			const struct devtype_feature *f = &t->features[k];
			CHECK(f->bit < 24 || (f->bit > 40 && f->bit < 64));
			CHECK((int)f->bit > last);
			last = (int)f->bit;
			CHECK(f->name && f->name[0]);
			CHECK_STR(devtype_feature_name(t->id, f->bit), f->name);
			CHECK_STR(virtio_feature_name(t->id, f->bit), f->name);
		}
		/* Queue roles: named, gated by a device feature bit if at all. */
		CHECK(t->queues_repeat <= t->n_queues);
		for (size_t k = 0; k < t->n_queues; k++) {
			const struct devtype_queue *q = &t->queues[k];
			CHECK(q->name && q->name[0]);
			CHECK(q->flow == DEVTYPE_FLOW_OUT || q->flow == DEVTYPE_FLOW_IN || q->flow == DEVTYPE_FLOW_BOTH);
			CHECK(q->feature == -1 || (q->feature >= 0 && q->feature < 64));
		}
		CHECK(!t->queue_at || t->n_queues);
		/* The old name calls answer from the table. */
		CHECK_STR(virtio_device_type_name(t->id), t->name);
	}
}

/* Types vmtrace decodes or names must stay findable with their names. */
static void test_known_types(void)
{
	static const struct { uint32_t id; const char *name, *short_name; } want[] = {
		{ VIRTIO_ID_NET, "network", "net" }, { VIRTIO_ID_BLOCK, "block", "blk" },
		{ VIRTIO_ID_CONSOLE, "console", "console" }, { VIRTIO_ID_ENTROPY, "entropy", "rng" },
		{ VIRTIO_ID_BALLOON, "memory balloon (traditional)", "balloon" }, { VIRTIO_ID_SCSI, "SCSI host", "scsi" },
		{ VIRTIO_ID_9P, "9P transport", "9p" }, { VIRTIO_ID_GPU, "GPU", "gpu" },
		{ VIRTIO_ID_INPUT, "input", "input" }, { VIRTIO_ID_VSOCK, "socket", "vsock" },
		{ VIRTIO_ID_CRYPTO, "crypto", "crypto" }, { VIRTIO_ID_IOMMU, "IOMMU", "iommu" },
		{ VIRTIO_ID_MEM, "memory", "mem" }, { VIRTIO_ID_SOUND, "audio", "snd" },
		{ VIRTIO_ID_FS, "file system", "fs" }, { VIRTIO_ID_PMEM, "PMEM", "pmem" },
		{ VIRTIO_ID_I2C, "I2C adapter", "i2c" }, { VIRTIO_ID_GPIO, "GPIO", "gpio" },
	};
	char buf[DEVTYPE_SHORT_NAME_SIZE];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct devtype *t = devtype_find(want[i].id);
		harness_case = want[i].short_name;
		CHECK(t != NULL);
		if (!t)
			continue;
		CHECK_STR(t->name, want[i].name);
		CHECK_STR(virtio_device_short_name(want[i].id, buf, sizeof(buf)), want[i].short_name);
		/* Every type vmtrace knows more than the name of has queue roles. */
		CHECK(devtype_queue_role(want[i].id, 0, 0, NULL, 0) != NULL);
	}
	harness_case = "unknown";
	CHECK(devtype_find(0) == NULL);
	CHECK(devtype_find(14) == NULL);
	CHECK(devtype_find(1000) == NULL);
	CHECK_STR(virtio_device_type_name(0), "reserved");
	CHECK(virtio_device_type_name(14) == NULL);
	CHECK_STR(virtio_device_short_name(17, buf, sizeof(buf)), "dev17");
	CHECK_STR(virtio_device_short_name(UINT32_MAX, buf, sizeof(buf)), "dev4294967295");
	CHECK(devtype_by_short_name("dev17") == NULL);
	CHECK(devtype_by_short_name(NULL) == NULL);
	/* Feature names: transport bits first, then the type's. */
	CHECK_STR(virtio_feature_name(VIRTIO_ID_SCSI, 0), "SCSI_F_INOUT");
	CHECK_STR(virtio_feature_name(VIRTIO_ID_SCSI, VIRTIO_F_VERSION_1), "VERSION_1");
	CHECK_STR(virtio_feature_name(VIRTIO_ID_BLOCK, VIRTIO_BLK_F_FLUSH), "BLK_F_FLUSH");
	CHECK(virtio_feature_name(VIRTIO_ID_ENTROPY, 0) == NULL);
	CHECK(virtio_feature_name(14, 0) == NULL);
}

/* Checked layouts (width rules) are exactly blk, net, console and entropy;
 * the others only name their fields. */
static void test_config_layouts(void)
{
	size_t n;

	CHECK(config_layout(VIRTIO_ID_BLOCK, &n) != NULL && n == 23);
	CHECK_EQ_U(config_layout_size(VIRTIO_ID_BLOCK), 72);
	CHECK_STR(config_field_at(VIRTIO_ID_BLOCK, 0x14)->name, "blk_size");
	CHECK_STR(config_field_at(VIRTIO_ID_NET, 5)->name, "mac[5]");
	CHECK_STR(config_field_at(VIRTIO_ID_CONSOLE, 8)->name, "emerg_wr");
	CHECK(config_layout_known(VIRTIO_ID_ENTROPY));
	CHECK(config_layout(VIRTIO_ID_ENTROPY, &n) == NULL && n == 0);
	CHECK_EQ_U(config_layout_size(VIRTIO_ID_ENTROPY), 0);
	CHECK(!config_layout_known(VIRTIO_ID_SCSI));
	CHECK(config_field_at(VIRTIO_ID_SCSI, 0) == NULL);
	CHECK(!config_layout_known(99));
	CHECK_STR(devtype_config_field_at(devtype_find(VIRTIO_ID_SCSI), 24)->name, "cdb_size");
	CHECK_STR(devtype_config_field_at(devtype_find(VIRTIO_ID_CRYPTO), 52)->name, "max_size");
	CHECK(devtype_config_field_at(devtype_find(VIRTIO_ID_GPIO), 2) == NULL);
	CHECK(devtype_config_field_at(NULL, 0) == NULL);
}

static const char *role(uint32_t id, unsigned q, uint64_t features, const uint8_t *cfg, uint32_t cfg_len)
{
	const struct devtype_queue *r = devtype_queue_role(id, q, features, cfg, cfg_len);
	return r ? r->name : "-";
}

static void test_queue_roles(void)
{
	uint64_t mq = VIRTIO_BIT(VIRTIO_NET_F_MQ), ctrl = VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ);
	uint8_t net_cfg[12] = { 0 };

	/* blk: every queue is a request queue (num_queues with MQ). */
	for (unsigned q = 0; q < 8; q++)
		CHECK_STR(role(VIRTIO_ID_BLOCK, q, 0, NULL, 0), "requestq");
	CHECK(devtype_queue_role(VIRTIO_ID_BLOCK, 0, 0, NULL, 0)->flow == DEVTYPE_FLOW_BOTH);
	CHECK(devtype_queue_role(VIRTIO_ID_BLOCK, DEVTYPE_QUEUE_INDEX_MAX, 0, NULL, 0) == NULL);
	/* rng: one queue the device writes. */
	CHECK_STR(role(VIRTIO_ID_ENTROPY, 0, 0, NULL, 0), "requestq");
	CHECK(devtype_queue_role(VIRTIO_ID_ENTROPY, 0, 0, NULL, 0)->flow == DEVTYPE_FLOW_IN);
	CHECK_STR(role(VIRTIO_ID_ENTROPY, 1, 0, NULL, 0), "-");
	/* net: one pair; the control queue with CTRL_VQ; pairs from config with MQ. */
	CHECK_STR(role(VIRTIO_ID_NET, 0, 0, NULL, 0), "receiveq");
	CHECK(devtype_queue_role(VIRTIO_ID_NET, 0, 0, NULL, 0)->flow == DEVTYPE_FLOW_IN);
	CHECK_STR(role(VIRTIO_ID_NET, 1, 0, NULL, 0), "transmitq");
	CHECK(devtype_queue_role(VIRTIO_ID_NET, 1, 0, NULL, 0)->flow == DEVTYPE_FLOW_OUT);
	CHECK_STR(role(VIRTIO_ID_NET, 2, 0, NULL, 0), "-");
	CHECK_STR(role(VIRTIO_ID_NET, 2, ctrl, NULL, 0), "controlq");
	CHECK(!devtype_queue_role(VIRTIO_ID_NET, 2, ctrl, NULL, 0)->data);
	le16_put(net_cfg + VIRTIO_NET_CFG_MAX_VQ_PAIRS, 3);
	CHECK_STR(role(VIRTIO_ID_NET, 5, mq | ctrl, net_cfg, sizeof(net_cfg)), "transmitq");
	CHECK_STR(role(VIRTIO_ID_NET, 6, mq | ctrl, net_cfg, sizeof(net_cfg)), "controlq");
	CHECK_STR(role(VIRTIO_ID_NET, 7, mq | ctrl, net_cfg, sizeof(net_cfg)), "-");
	CHECK_STR(role(VIRTIO_ID_NET, 5, ctrl, net_cfg, sizeof(net_cfg)), "-");     /* no MQ: one pair */
	CHECK_STR(role(VIRTIO_ID_NET, 2, mq | ctrl, net_cfg, 9), "controlq");       /* config too short */
	le16_put(net_cfg + VIRTIO_NET_CFG_MAX_VQ_PAIRS, 0);
	CHECK_STR(role(VIRTIO_ID_NET, 2, mq, net_cfg, sizeof(net_cfg)), "-");       /* 0 pairs reads as 1 */
	/* console: port 0; with MULTIPORT control queues then port pairs. */
	uint64_t mp = VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT);
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 0, 0, NULL, 0), "receiveq");
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 1, 0, NULL, 0), "transmitq");
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 2, 0, NULL, 0), "-");
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 2, mp, NULL, 0), "control receiveq");
	CHECK(!devtype_queue_role(VIRTIO_ID_CONSOLE, 3, mp, NULL, 0)->data);
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 3, mp, NULL, 0), "control transmitq");
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 4, mp, NULL, 0), "receiveq");
	CHECK_STR(role(VIRTIO_ID_CONSOLE, 9, mp, NULL, 0), "transmitq");
	CHECK(devtype_queue_role(VIRTIO_ID_CONSOLE, 9, mp, NULL, 0)->data);
	/* scsi: control, event, then request queues. */
	CHECK_STR(role(VIRTIO_ID_SCSI, 0, 0, NULL, 0), "controlq");
	CHECK_STR(role(VIRTIO_ID_SCSI, 1, 0, NULL, 0), "eventq");
	CHECK_STR(role(VIRTIO_ID_SCSI, 7, 0, NULL, 0), "requestq");
	/* balloon: optional queues are numbered after the present ones. */
	CHECK_STR(role(VIRTIO_ID_BALLOON, 2, 0, NULL, 0), "-");
	CHECK_STR(role(VIRTIO_ID_BALLOON, 2, VIRTIO_BIT(5), NULL, 0), "reporting_vq");
	CHECK_STR(role(VIRTIO_ID_BALLOON, 2, VIRTIO_BIT(1) | VIRTIO_BIT(5), NULL, 0), "statsq");
	CHECK_STR(role(VIRTIO_ID_BALLOON, 3, VIRTIO_BIT(1) | VIRTIO_BIT(5), NULL, 0), "reporting_vq");
	/* crypto: max_dataqueues data queues, then control. */
	uint8_t crypto_cfg[8] = { 0 };
	le32_put(crypto_cfg + 4, 2);
	CHECK_STR(role(VIRTIO_ID_CRYPTO, 1, 0, crypto_cfg, 8), "dataq");
	CHECK_STR(role(VIRTIO_ID_CRYPTO, 2, 0, crypto_cfg, 8), "controlq");
	CHECK_STR(role(VIRTIO_ID_CRYPTO, 3, 0, crypto_cfg, 8), "-");
	CHECK_STR(role(VIRTIO_ID_CRYPTO, 1, 0, NULL, 0), "controlq");
	/* vsock, input, 9p: fixed queues. */
	CHECK_STR(role(VIRTIO_ID_VSOCK, 2, 0, NULL, 0), "event");
	CHECK_STR(role(VIRTIO_ID_VSOCK, 3, 0, NULL, 0), "-");
	CHECK_STR(role(VIRTIO_ID_INPUT, 1, 0, NULL, 0), "statusq");
	CHECK_STR(role(VIRTIO_ID_9P, 0, 0, NULL, 0), "requestq");
	/* Types known by name only, and unknown ids, have no roles. */
	CHECK_STR(role(17, 0, 0, NULL, 0), "-");
	CHECK_STR(role(99, 0, 0, NULL, 0), "-");
}

/* Labels: the longest fits DEVTYPE_LABEL_SIZE; unknown types by number,
 * windows without a type as virtio-mmio. */
static void test_labels(void)
{
	char buf[DEVTYPE_LABEL_SIZE];
	char big[128];

	CHECK_STR(devtype_label(buf, sizeof(buf), VIRTIO_ID_BLOCK, true, 0x10000000), "virtio-blk@0x10000000");
	CHECK_STR(devtype_label(buf, sizeof(buf), VIRTIO_ID_SCSI, true, 0xfeb00000), "virtio-scsi@0xfeb00000");
	CHECK_STR(devtype_label(buf, sizeof(buf), 99, true, 0x1000), "virtio-dev99@0x1000");
	CHECK_STR(devtype_label(buf, sizeof(buf), VIRTIO_ID_BLOCK, false, 0x1000), "virtio-mmio@0x1000");
	CHECK_STR(devtype_label(buf, sizeof(buf), 0, true, 0x1000), "virtio-mmio@0x1000");
	CHECK_STR(devtype_label(buf, sizeof(buf), VIRTIO_ID_CONSOLE, true, UINT64_MAX),
		  "virtio-console@0xffffffffffffffff");
	/* Every type's label at the highest base fits without cutting. */
	for (size_t i = 0; i < devtype_count(); i++) {
		devtype_label(big, sizeof(big), devtype_at(i)->id, true, UINT64_MAX);
		CHECK(strlen(big) < DEVTYPE_LABEL_SIZE);
	}
	devtype_label(big, sizeof(big), UINT32_MAX, true, UINT64_MAX);
	CHECK(strlen(big) < DEVTYPE_LABEL_SIZE);
}

int main(void)
{
	RUN(test_rows);
	RUN(test_known_types);
	RUN(test_config_layouts);
	RUN(test_queue_roles);
	RUN(test_labels);
	return harness_finish("test_device_types");
}
