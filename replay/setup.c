/* Building the replay machine from a trace; see setup.h. */
#include "replay/setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/rig.h"
#include "capture/emu/machine.h"
#include "replay/report_add.h"
#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

/* An in-memory disk larger than this is refused (it is allocated lazily,
 * but a hostile capacity should not get that far). */
#define REPLAY_DISK_MAX (UINT64_C(1) << 40)

static const struct emu_model *model_for(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return &emu_model_net;
	case VIRTIO_ID_BLOCK: return &emu_model_blk;
	case VIRTIO_ID_CONSOLE: return &emu_model_console;
	case VIRTIO_ID_ENTROPY: return &emu_model_rng;
	}
	return NULL;
}

static uint64_t config_le(const struct trace_device *td, unsigned off, unsigned len, bool *known)
{
	uint64_t v = 0;

	*known = true;
	for (unsigned i = 0; i < len; i++) {
		if (off + i >= EMU_CONFIG_MAX || !td->config_known[off + i]) {
			*known = false;
			return 0;
		}
		v |= (uint64_t)td->config[off + i] << (8 * i);
	}
	return v;
}

/* The model's parameters as the recorded device had them. */
static int model_opts(const struct trace_in *t, const struct trace_device *td, const struct emu_model *model,
		      unsigned n_net, struct emu_model_opts *o, char *err, size_t errlen)
{
	static const uint8_t rig_mac[6] = RIG_NET_MAC;
	bool known;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->rng_seed = t->seed;
	o->blk_capacity = RIG_BLK_CAPACITY;
	memcpy(o->net_mac, rig_mac, 6);
	o->net_mac[5] = (uint8_t)(rig_mac[5] + n_net);
	/* The built-in workload reads back what it writes to the console;
	 * another guest's console input came from outside. */
	o->console_echo = !strcmp(t->source, "emu");
	/* Another guest's network was outside; its frames are fed in. */
	o->net_no_loopback = strcmp(t->source, "emu") != 0;
	/* The built-in machine's own settings are known: an emulator trace
	 * is replayed with them, so a changed config read shows. */
	if (!strcmp(t->source, "emu"))
		return 0;
	if (model == &emu_model_blk) {
		v = config_le(td, VIRTIO_BLK_CFG_CAPACITY, 8, &known);
		if (known) {
			if (v == 0 || v > REPLAY_DISK_MAX / 512) {
				snprintf(err, errlen, "%s: recorded capacity of %llu sectors cannot be replayed (1 to %llu)",
					 td->name, (unsigned long long)v, (unsigned long long)(REPLAY_DISK_MAX / 512));
				return -1;
			}
			o->blk_capacity = v * 512;
		}
	} else if (model == &emu_model_net) {
		for (unsigned i = 0; i < 6; i++)
			if (td->config_known[VIRTIO_NET_CFG_MAC + i])
				o->net_mac[i] = td->config[VIRTIO_NET_CFG_MAC + i];
		v = config_le(td, VIRTIO_NET_CFG_MTU, 2, &known);
		if (known && v >= 68)
			o->net_mtu = (uint16_t)v;
	}
	return 0;
}

static void declare(struct replay_result *res, const struct trace_device *td, const char *what,
		    uint64_t recorded, uint64_t emulated, const char *by, const char *note)
{
	struct replay_div d;

	memset(&d, 0, sizeof(d));
	d.device = td->id;
	snprintf(d.device_name, sizeof(d.device_name), "%s", td->name);
	d.kind = "config";
	snprintf(d.where, sizeof(d.where), "%s", what);
	d.has_values = true;
	d.expected = recorded;
	d.actual = emulated;
	d.declared_by = by;
	d.at_setup = true;
	snprintf(d.note, sizeof(d.note), "%s", note);
	replay_add_declared(res, &d);
}

static const char *adopter(const struct replay_expect *e, const struct trace_device *td,
			   enum expect_what what, uint32_t reg)
{
	struct expect_subject s = {
		.dev_name = td->name, .base = td->base, .device_id = td->device_id,
		.what = what, .reg = reg, .config_off = 0, .config_len = EMU_CONFIG_MAX, .queue = -1,
	};
	if (!expect_adopts(e, td->name, td->base, td->device_id, what, reg))
		return NULL;
	const struct expect_item *it = expect_match(e, &s);
	return it ? it->text : "declared";
}

/* Take over what the declarations name; note each real difference. */
static void adopt(struct emu_device_cfg *dc, const struct trace_device *td, const struct emu_device *plain,
		  const struct replay_expect *e, struct replay_result *res)
{
	const char *by;
	char a[120], b[120], note[300];

	if (td->vendor_known && (by = adopter(e, td, EXPECT_REGISTER, MMIO_VENDOR_ID))) {
		dc->vendor_id = td->vendor_id;
		if (td->vendor_id != emu_device_vendor_id(plain))
			declare(res, td, "VendorID", td->vendor_id, emu_device_vendor_id(plain), by,
				"the emulator answers with the recorded VendorID");
	}
	if (td->features_known && (by = adopter(e, td, EXPECT_REGISTER, MMIO_DEVICE_FEATURES))) {
		uint64_t mine = emu_device_features(plain);
		dc->offer_features = true;
		dc->features = td->features_offered;
		if (mine != td->features_offered) {
			virtio_features_str(td->device_id, td->features_offered & ~mine, a, sizeof(a));
			virtio_features_str(td->device_id, mine & ~td->features_offered, b, sizeof(b));
			snprintf(note, sizeof(note), "emulator offers the recorded set; recorded only: %.100s; emulator only: %.100s",
				 td->features_offered & ~mine ? a : "-", mine & ~td->features_offered ? b : "-");
			declare(res, td, "DeviceFeatures", td->features_offered, mine, by, note);
		}
	}
	if ((by = adopter(e, td, EXPECT_REGISTER, MMIO_QUEUE_NUM_MAX))) {
		unsigned first = EMU_QUEUES_MAX, last = 0, differ = 0;
		uint16_t rec = 0;
		for (unsigned q = 0; q < EMU_QUEUES_MAX; q++) {
			if (!td->num_max[q])
				continue;
			dc->queue_num_max_q[q] = td->num_max[q];
			if (td->num_max[q] == emu_device_queue_num_max(plain))
				continue;
			if (differ++ == 0)
				first = q;
			last = q;
			rec = td->num_max[q];
		}
		if (differ) {
			snprintf(a, sizeof(a), differ == 1 ? "QueueNumMax (queue %u)" : "QueueNumMax (%u queues, %u to %u)",
				 differ == 1 ? first : differ, first, last);
			declare(res, td, a, rec, emu_device_queue_num_max(plain), by,
				"the emulator allows the recorded queue sizes");
		}
	}
}

/* Config bytes as recorded, where declared. */
static void adopt_config(struct emu_device *d, const struct trace_device *td, const struct replay_expect *e,
			 struct replay_result *res)
{
	const char *by = adopter(e, td, EXPECT_CONFIG, MMIO_CONFIG);
	uint8_t *cfg = emu_config(d);
	unsigned size = emu_device_model(d)->config_size, n = 0, first = 0;
	uint8_t plain_first = 0;

	if (!by)
		return;
	for (unsigned i = 0; i < size; i++) {
		if (td->config_known[i] && cfg[i] != td->config[i]) {
			if (n++ == 0) {
				first = i;
				plain_first = cfg[i];
			}
			cfg[i] = td->config[i];
		}
	}
	if (n) {
		const struct config_field *f = config_field_at(td->device_id, first);
		char where[96];
		snprintf(where, sizeof(where), "config space: %u byte%s differ, the first at +0x%x (%s)", n,
			 n == 1 ? "" : "s", first, f ? f->name : "unnamed");
		declare(res, td, where, td->config[first], plain_first, by,
			"the emulator presents the recorded config bytes");
	}
}

int replay_rig_build(struct replay_rig *rig, const struct trace_in *t, const struct replay_expect *e,
		     struct replay_result *res, char *err, size_t errlen)
{
	uint64_t ram_base = t->ram_base, ram_size = t->ram_size;
	unsigned n_net = 0, n_models = 0;
	int r;

	memset(rig, 0, sizeof(*rig));
	if (!t->ram_known) {
		/* No record of the machine's RAM (BPF traces): cover every
		 * guest address the trace stored bytes at, from 0. */
		ram_base = 0;
		ram_size = (t->mem_hi + 0xfffff) & ~UINT64_C(0xfffff);
		if (ram_size == 0)
			ram_size = UINT64_C(1) << 30;
	}
	if (ram_size == 0 || ram_size > GMEM_SIZE_MAX || ram_base > UINT64_MAX - ram_size) {
		snprintf(err, errlen, "%s: guest RAM at 0x%llx+0x%llx cannot be replayed", t->source,
			 (unsigned long long)ram_base, (unsigned long long)ram_size);
		return -1;
	}
	r = machine_new(&rig->m, ram_base, ram_size);
	if (r < 0) {
		snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
			 (unsigned long long)(ram_size >> 20), strerror(-r));
		return -1;
	}
	for (unsigned i = 0; i < t->n_dev; i++) {
		const struct trace_device *td = &t->dev[i];
		const struct emu_model *model = model_for(td->device_id);
		struct emu_device_cfg dc;
		struct emu_device *plain = NULL, *d = NULL;

		if (!model) {
			const char *type = virtio_device_type_name(td->device_id);
			if (td->device_id == 0)
				snprintf(rig->why_not[i], sizeof(rig->why_not[i]), "no DeviceID read (or 0: no device behind the window)");
			else
				snprintf(rig->why_not[i], sizeof(rig->why_not[i]), "the emulator has no %s device model (DeviceID %u)",
					 type ? type : "such", td->device_id);
			continue;
		}
		memset(&dc, 0, sizeof(dc));
		dc.base = td->base;
		dc.version = td->version == 1 ? 1 : 2;
		dc.model = model;
		/* A running guest's flags and used_event were copied late; what
		 * the recorded device decided shows in InterruptStatus reads. */
		dc.interrupt_always = strcmp(t->source, "emu") != 0;
		if (model_opts(t, td, model, model == &emu_model_net ? n_net++ : 0, &dc.opts, err, errlen) < 0)
			return -1;
		/* A plain device first: what the emulator presents of itself. */
		struct guest_mem *gm = machine_mem(rig->m);
		if ((r = emu_device_new(&plain, &dc, gm, NULL)) < 0) {
			snprintf(err, errlen, "cannot create %s in the emulator: %s", td->name, strerror(-r));
			return -1;
		}
		adopt(&dc, td, plain, e, res);
		emu_device_free(plain);
		if ((r = machine_add_device(rig->m, &dc, &d)) < 0) {
			snprintf(err, errlen, "cannot create %s in the emulator: %s", td->name, strerror(-r));
			return -1;
		}
		adopt_config(d, td, e, res);
		rig->dev[i] = d;
		n_models++;
	}
	if (n_models == 0) {
		snprintf(err, errlen, "none of the trace's %u devices has a model in the emulator (blk, net, console, rng)",
			 t->n_dev);
		return -1;
	}
	return 0;
}

void replay_rig_free(struct replay_rig *rig)
{
	machine_free(rig->m);
	rig->m = NULL;
}
