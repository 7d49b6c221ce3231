/* The registries of the layers above the device-type table, each keyed by
 * device id: the decoder's request decoders (decoder/req_registry.c), the
 * emulator's models (capture/emu/models.c) and replay's set-up
 * (replay/setup.c).  blk, net, console and rng are found in all three and
 * agree with the table; a type known by name only is in none. */
#include <errno.h>

#include "capture/emu/dev_blk.h"
#include "capture/emu/emu.h"
#include "capture/emu/guest_mem.h"
#include "capture/event.h"
#include "decoder/req.h"
#include "replay/setup.h"
#include "tests/decoder/dec_fixture.h"
#include "tests/harness.h"
#include "virtio/device_types.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

static const uint32_t decoded[] = { VIRTIO_ID_BLOCK, VIRTIO_ID_NET, VIRTIO_ID_CONSOLE, VIRTIO_ID_ENTROPY };

static void test_decoded_types(void)
{
	for (size_t i = 0; i < sizeof(decoded) / sizeof(decoded[0]); i++) {
		uint32_t id = decoded[i];
		const struct devtype *t = devtype_find(id);
		char buf[DEVTYPE_SHORT_NAME_SIZE];
		harness_case = virtio_device_short_name(id, buf, sizeof(buf));
		CHECK(t && t->n_queues && t->config_checked);
		/* decoder */
		const struct req_decoder *rd = req_decoder_find(id);
		CHECK(rd && rd->device_id == id && rd->avail && rd->used);
		/* emulator: the model of the type carries the table's short name */
		const struct emu_model *m = emu_model_for_id(id);
		CHECK(m && m->device_id == id);
		if (!m)
			continue;
		CHECK_STR(m->name, t->short_name);
		CHECK(emu_model_find(m->name) == m);
		CHECK(m->init && m->machine_opts);
		CHECK(m->opts_size > 0 && m->opts_size <= EMU_MODEL_OPTS_MAX);
		/* Every queue the model has is a data queue of the type's. */
		for (unsigned q = 0; q < m->num_queues; q++) {
			const struct devtype_queue *r = devtype_queue_role(id, q, m->features, NULL, 0);
			CHECK(r && r->data);
		}
		/* Its config space is inside the table's layout. */
		CHECK(m->config_size <= devtype_config_size(t));
		/* Every feature bit it offers has a name. */
		for (unsigned bit = 0; bit < 64; bit++)
			if (m->features & VIRTIO_BIT(bit))
				CHECK(virtio_feature_name(id, bit) != NULL);
		/* replay */
		CHECK(replay_setup_model(id) == m);
	}
}

/* Every model in the emulator's registry is of a type of the table; its
 * options are refused with another model's size and taken with its own. */
static void test_models(void)
{
	struct guest_mem gm;

	CHECK(emu_model_count() >= 4);
	CHECK(emu_model_at(emu_model_count()) == NULL);
	if (gmem_init(&gm, 0x40000000, 1u << 20) < 0) {
		CHECK(!"gmem_init");
		return;
	}
	for (size_t i = 0; i < emu_model_count(); i++) {
		const struct emu_model *m = emu_model_at(i);
		struct emu_device_cfg cfg = { .base = 0x10000000, .version = 2, .model = m };
		struct emu_opts_buf opts;
		struct emu_machine_params mp = { .seed = 1 };
		struct emu_device *d = NULL;
		harness_case = m->name;
		CHECK(devtype_find(m->device_id) != NULL);
		CHECK(emu_model_for_id(m->device_id) != NULL);
		emu_model_machine_cfg(&cfg, &opts, m, &mp);
		CHECK(cfg.opts != NULL && cfg.opts_size == m->opts_size);
		CHECK_EQ_U(emu_device_new(&d, &cfg, &gm, NULL), 0);
		emu_device_free(d);
		d = NULL;
		cfg.opts_size = m->opts_size + 1;
		CHECK_EQ_U(emu_device_new(&d, &cfg, &gm, NULL), (uint64_t)-EINVAL);
		CHECK(d == NULL);
		/* No options: the model's defaults. */
		cfg.opts = NULL;
		cfg.opts_size = 0;
		CHECK_EQ_U(emu_device_new(&d, &cfg, &gm, NULL), 0);
		emu_device_free(d);
	}
	gmem_release(&gm);
	harness_case = "find";
	CHECK(emu_model_for_id(VIRTIO_ID_BLOCK) == &emu_model_blk);
	CHECK(emu_model_find("blk-ro") == &emu_model_blk_ro);
	CHECK(emu_model_find(NULL) == NULL);
}

/* Types the table names but vmtrace does not decode have no hooks. */
static void test_name_only_types(void)
{
	static const uint32_t ids[] = { 17, 99 };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		harness_case = "name-only";
		CHECK(req_decoder_find(ids[i]) == NULL);
		CHECK(emu_model_for_id(ids[i]) == NULL);
		CHECK(replay_setup_model(ids[i]) == NULL);
	}
}

/* The decoder through the table: a scsi device is named by the table and
 * its requestq (queue 2) is a data queue: a chain there gets a scsi row
 * (this one, readable only, has no room for a response: malformed, no
 * op); a net control queue (CTRL_VQ) is a queue of the type but no data
 * queue. */
static void test_decoder_roles(void)
{
	struct fx fx;

	fx_open(&fx, "scsi.db");
	fx.qsize = 8;
	fx_init_device(&fx, VIRTIO_ID_SCSI, VIRTIO_BIT(VIRTIO_F_VERSION_1), 3);
	fx_desc(&fx, FX_DESC(2), 0, FX_RAM_BASE + 0x10000, 64, 0, 0);
	fx_publish(&fx, 2, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 2);
	fx_used(&fx, 2, 0, 0);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT name FROM devices"), "virtio-scsi@0x10000000");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains WHERE queue = 2"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM used WHERE queue = 2"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE kind = 'scsi' AND queue = 2 AND op IS NULL"), 1);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests"), 1);
	fx_close(&fx);

	fx_open(&fx, "netctrl.db");
	fx.qsize = 8;
	fx_init_device(&fx, VIRTIO_ID_NET, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ), 3);
	fx_desc(&fx, FX_DESC(2), 0, FX_RAM_BASE + 0x10000, 2, 0, 1);
	fx_desc(&fx, FX_DESC(2), 1, FX_RAM_BASE + 0x10010, 1, VIRTQ_DESC_F_WRITE, 0);
	fx_publish(&fx, 2, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 2);
	fx_desc(&fx, FX_DESC(1), 0, FX_RAM_BASE + 0x20000, 60, 0, 0);
	fx_publish(&fx, 1, 0);
	fx_mmio(&fx, true, MMIO_QUEUE_NOTIFY, 1);
	fx_finish(&fx);
	CHECK_STR(fx_text(&fx, "SELECT name FROM devices"), "virtio-net@0x10000000");
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM chains"), 2);
	CHECK_EQ_U(fx_int(&fx, "SELECT count(*) FROM requests WHERE queue = 2"), 0);
	CHECK_STR(fx_text(&fx, "SELECT kind FROM requests WHERE queue = 1"), "net-tx");
	fx_close(&fx);
}

/* Device labels through the raw encoding: a label longer than its 32-byte
 * field comes back whole, a short one as it was. */
static void test_label_encoding(void)
{
	struct vmt_device_desc d = { .base = UINT64_MAX - 0x1ff, .size = 0x200, .device_id = VIRTIO_ID_CONSOLE,
				     .version = 2 }, back;
	uint8_t enc[VMT_DEVICE_DESC_BYTES];

	devtype_label(d.name, sizeof(d.name), d.device_id, true, d.base);
	CHECK_STR(d.name, "virtio-console@0xfffffffffffffe00");
	CHECK(strlen(d.name) > VMT_DEVICE_DESC_NAME_BYTES);
	vmt_device_desc_encode(&d, enc);
	CHECK_EQ_U(vmt_device_desc_decode(&back, enc, sizeof(enc)), 0);
	CHECK_STR(back.name, d.name);
	snprintf(d.name, sizeof(d.name), "%s", "virtio-blk@0x10000000");
	vmt_device_desc_encode(&d, enc);
	CHECK_EQ_U(vmt_device_desc_decode(&back, enc, sizeof(enc)), 0);
	CHECK_STR(back.name, "virtio-blk@0x10000000");
	/* Exactly the field's size: kept, not rebuilt. */
	snprintf(d.name, sizeof(d.name), "%s", "qemu-region-name-of-32-bytes-xyz");
	CHECK_EQ_U(strlen(d.name), VMT_DEVICE_DESC_NAME_BYTES);
	vmt_device_desc_encode(&d, enc);
	CHECK_EQ_U(vmt_device_desc_decode(&back, enc, sizeof(enc)), 0);
	CHECK_STR(back.name, d.name);
}

int main(void)
{
	RUN(test_decoded_types);
	RUN(test_models);
	RUN(test_name_only_types);
	RUN(test_decoder_roles);
	RUN(test_label_encoding);
	return harness_finish("test_registries");
}
