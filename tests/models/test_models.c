/* The model table: lookup by name, and what every model declares. */
#include "capture/emu/dev_blk.h"
#include "capture/emu/emu.h"
#include "spec/virtio.h"
#include "tests/harness.h"

static void test_find(void)
{
	CHECK(emu_model_find("blk") == &emu_model_blk);
	CHECK(emu_model_find("blk-ro") == &emu_model_blk_ro);
	CHECK(emu_model_find("net") == &emu_model_net);
	CHECK(emu_model_find("console") == &emu_model_console);
	CHECK(emu_model_find("rng") == &emu_model_rng);
	CHECK(emu_model_find("") == NULL);
	CHECK(emu_model_find("BLK") == NULL);
	CHECK(emu_model_find("blk ") == NULL);
	CHECK(emu_model_find(NULL) == NULL);
}

/* Config field tables: sorted, non-overlapping, natural sizes, aligned,
 * inside config_size; every model offers the transport bits. */
static void test_declarations(void)
{
	const struct emu_model *all[] = { &emu_model_blk, &emu_model_blk_ro, &emu_model_net,
					  &emu_model_console, &emu_model_rng };
	const uint64_t transport = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
				   VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_RESET);

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct emu_model *m = all[i];
		harness_case = m->name;
		CHECK(m->init && m->destroy && m->reset && m->queue_notify);
		CHECK(m->num_queues >= 1 && m->num_queues <= EMU_QUEUES_MAX);
		CHECK(m->config_size <= EMU_CONFIG_MAX);
		CHECK_EQ_U(m->features & transport, transport);
		uint32_t end = 0;
		for (size_t k = 0; k < m->n_config_fields; k++) {
			const struct emu_config_field *f = &m->config_fields[k];
			CHECK(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
			CHECK(f->offset % f->size == 0 || f->size == 8);
			CHECK(f->offset >= end);
			end = f->offset + f->size;
			CHECK(end <= m->config_size);
			CHECK(f->name && *f->name);
		}
	}
}

int main(void)
{
	RUN(test_find);
	RUN(test_declarations);
	return harness_finish("test_models");
}
