/* The model table: lookup by name, and what every model declares. */
#include "capture/emu/dev_blk.h"
#include "capture/emu/emu.h"
#include "virtio/virtio.h"
#include "virtio/config_layout.h"
#include "tests/harness.h"
#include "tests/models/model_util.h"

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
		size_t n_fields;
		const struct config_field *fields = config_layout(m->device_id, &n_fields);
		for (size_t k = 0; k < n_fields; k++) {
			const struct config_field *f = &fields[k];
			CHECK(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
			CHECK(f->offset % f->size == 0 || f->size == 8);
			CHECK(f->offset >= end);
			end = f->offset + f->size;
			/* The model's config ends at a field boundary; fields past it
			 * belong to features it does not offer (net speed, RSS). */
			CHECK(f->offset >= m->config_size || end <= m->config_size);
			CHECK(f->name && *f->name);
		}
	}
}

static uint64_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33) % n;
}

/* Random chains (any mix of readable and writable buffers, odd lengths,
 * random blk headers) on every queue of every model: each is completed,
 * never dropped, and nothing is read or written outside the buffers
 * (checked by the sanitizer build). */
static void test_random_requests(void)
{
	const struct emu_model *all[] = { &emu_model_blk, &emu_model_net, &emu_model_console, &emu_model_rng };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct tdev t;
		unsigned submitted[EMU_QUEUES_MAX] = { 0 }, used[EMU_QUEUES_MAX] = { 0 };
		uint32_t id, len;
		harness_case = all[i]->name;
		CHECK_EQ_U(tdev_open(&t, all[i], 2, NULL, UINT64_MAX), 0);
		uint64_t pool = tdev_alloc(&t, 1u << 20);
		for (unsigned k = 0; k < 2000 && !emu_device_broken(t.d); k++) {
			unsigned q = rnd(all[i]->num_queues);
			struct rb_seg s[6];
			unsigned n = 1 + rnd(6);
			for (unsigned j = 0; j < n; j++) {
				uint32_t l = rnd(4) == 0 ? rnd(4) : 1 + rnd(3000);
				s[j] = (struct rb_seg){ pool + rnd((1u << 20) - l), l, rnd(2) == 0 };
			}
			/* Readable buffers first, as the ring requires; a blk
			 * chain ends in a writable status byte (test_blk covers one
			 * without: it fails the device). */
			struct rb_seg tmp[6];
			unsigned m = 0;
			for (unsigned j = 0; j < n; j++)
				if (!s[j].writable)
					tmp[m++] = s[j];
			for (unsigned j = 0; j < n; j++)
				if (s[j].writable)
					tmp[m++] = s[j];
			memcpy(s, tmp, sizeof(s[0]) * n);
			if (all[i] == &emu_model_blk) {
				s[n - 1].writable = true;
				s[n - 1].len |= 1;
			}
			/* Half the time a plausible blk header in front. */
			if (all[i] == &emu_model_blk && !s[0].writable && rnd(2)) {
				uint8_t h[16];
				le32_put(h, rnd(10));
				le32_put(h + 4, 0);
				le64_put(h + 8, rnd(3000));
				tdev_put(&t, s[0].gpa, h, 16);
				s[0].len = 16;
			}
			if (rb_submit(&t.rb[q], s, n) < 0) {
				/* Ring full: let the device drain it. */
				tdev_notify(&t, q);
			} else {
				submitted[q]++;
			}
			if (rnd(4) == 0)
				tdev_notify(&t, q);
			for (unsigned qq = 0; qq < all[i]->num_queues; qq++)
				while (tdev_used(&t, qq, &id, &len))
					used[qq]++;
		}
		if (getenv("TDEV_VERBOSE"))
			fprintf(stderr, "%s: %u/%u %u/%u broken %d viol %u\n", all[i]->name, used[0], submitted[0], used[1], submitted[1], emu_device_broken(t.d), t.violations);
		/* A blk chain with no writable byte fails the device: legal. */
		if (!emu_device_broken(t.d)) {
			for (unsigned q = 0; q < all[i]->num_queues; q++) {
				tdev_notify(&t, q);
				while (tdev_used(&t, q, &id, &len))
					used[q]++;
			}
			/* The receive queues keep buffers until there is something to put in them. */
			for (unsigned q = 0; q < all[i]->num_queues; q++)
				if (!((all[i] == &emu_model_net || all[i] == &emu_model_console) && q == 0))
					CHECK_EQ_U(used[q], submitted[q]);
		}
		tdev_close(&t);
	}
}

int main(void)
{
	RUN(test_find);
	RUN(test_declarations);
	RUN(test_random_requests);
	return harness_finish("test_models");
}
