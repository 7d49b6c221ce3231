/* Building the replay machine from a trace; see setup.h. */
#include "replay/setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/dev_blk.h"
#include "capture/emu/dev_console.h"
#include "capture/emu/dev_net.h"
#include "capture/emu/dev_rng.h"
#include "capture/emu/machine.h"
#include "replay/report_add.h"
#include "virtio/config_layout.h"
#include "virtio/mmio_regs.h"
#include "virtio/names.h"
#include "virtio/virtio.h"

_Static_assert(REPLAY_DEVICES_MAX <= MACHINE_DEVICES_MAX && TRACE_IN_DEVICES_MAX == REPLAY_DEVICES_MAX,
	       "one emulated device per trace device: the bounds of replay.h, trace_in.h and machine.h agree");

/* An in-memory disk larger than this is refused (it is allocated lazily,
 * but a hostile capacity should not get that far). */
#define REPLAY_DISK_MAX (UINT64_C(1) << 40)

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

/* What every type's set-up is told about the device it configures. */
struct setup_ctx {
	const struct trace_in *t;
	const struct trace_device *td;
	const struct emu_model *model;
	unsigned instance;  /* devices of the same type before this one */
	bool from_emu;      /* the trace comes from the built-in machine */
	char *err;
	size_t errlen;
};

/* A device type replay can set up: its emulator model and how the model's
 * options follow from the trace.  opts is the model's options struct
 * (model->opts_size bytes), zeroed; an emulator trace gets the built-in
 * machine's settings first, so a changed config read shows.  Returns 0 or
 * -1 with the reason in c->err. */
struct setup_type {
	uint32_t device_id;
	int (*opts)(const struct setup_ctx *c, void *opts);
};

/* The disk size the recorded device reported. */
static int setup_blk(const struct setup_ctx *c, void *opts)
{
	struct dev_blk_opts *o = opts;
	bool known;
	uint64_t v;

	if (c->from_emu)
		return 0;
	v = config_le(c->td, VIRTIO_BLK_CFG_CAPACITY, 8, &known);
	if (!known)
		return 0;
	if (v == 0 || v > REPLAY_DISK_MAX / 512) {
		snprintf(c->err, c->errlen, "%s: recorded capacity of %llu sectors cannot be replayed (1 to %llu)",
			 c->td->name, (unsigned long long)v, (unsigned long long)(REPLAY_DISK_MAX / 512));
		return -1;
	}
	o->capacity = v * 512;
	return 0;
}

/* The recorded MAC and MTU; another guest's network was outside: its
 * frames are fed in, nothing loops back. */
static int setup_net(const struct setup_ctx *c, void *opts)
{
	struct dev_net_opts *o = opts;
	bool known;
	uint64_t v;

	if (c->from_emu)
		return 0;
	o->no_loopback = true;
	for (unsigned i = 0; i < 6; i++)
		if (c->td->config_known[VIRTIO_NET_CFG_MAC + i])
			o->mac[i] = c->td->config[VIRTIO_NET_CFG_MAC + i];
	v = config_le(c->td, VIRTIO_NET_CFG_MTU, 2, &known);
	if (known && v >= 68)
		o->mtu = (uint16_t)v;
	return 0;
}

/* The built-in workload reads back what it writes to the console;
 * another guest's console input came from outside. */
static int setup_console(const struct setup_ctx *c, void *opts)
{
	struct dev_console_opts *o = opts;

	o->echo = c->from_emu;
	return 0;
}

/* The trace's seed; other sources' bytes are supplied in order. */
static int setup_rng(const struct setup_ctx *c, void *opts)
{
	struct dev_rng_opts *o = opts;

	o->seed = c->t->seed;
	return 0;
}

/* The registry: one line per device type replay sets up. */
static const struct setup_type setup_types[] = {
	{ VIRTIO_ID_BLOCK, setup_blk },
	{ VIRTIO_ID_NET, setup_net },
	{ VIRTIO_ID_CONSOLE, setup_console },
	{ VIRTIO_ID_ENTROPY, setup_rng },
};

const struct emu_model *replay_setup_model(uint32_t device_id)
{
	for (size_t i = 0; i < sizeof(setup_types) / sizeof(setup_types[0]); i++)
		if (setup_types[i].device_id == device_id)
			return emu_model_for_id(device_id);
	return NULL;
}

static const struct setup_type *setup_type_find(uint32_t device_id)
{
	for (size_t i = 0; i < sizeof(setup_types) / sizeof(setup_types[0]); i++)
		if (setup_types[i].device_id == device_id && emu_model_for_id(device_id))
			return &setup_types[i];
	return NULL;
}

/* The model's options as the recorded device had them, into buf. */
static int model_opts(const struct setup_ctx *c, const struct setup_type *st, struct emu_device_cfg *dc,
		      struct emu_opts_buf *buf)
{
	struct emu_machine_params mp = { .seed = c->t->seed, .instance = c->instance };

	/* Start from the built-in machine's settings (an emulator trace is
	 * replayed with them), then let the type adjust. */
	emu_model_machine_cfg(dc, buf, c->model, &mp);
	if (!dc->opts) {
		dc->opts = buf->bytes;
		dc->opts_size = c->model->opts_size;
	}
	return st->opts(c, buf->bytes);
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

/* Whether the emulator cannot replay td: SETUP_OK, SETUP_LEAVE_OUT (a
 * type without a model, or no DeviceID read: listed, its events not
 * compared, the others replay) or SETUP_STOP (a set-up of a modelled type
 * the model cannot follow: multiqueue blk, or packed rings negotiated
 * though the recorded device never offered them, a trace at odds with
 * itself; the whole replay stops, since an exact trace's device stores
 * carry no device and cannot be kept apart from the other devices'), with
 * the reason in why. */
enum { SETUP_OK, SETUP_LEAVE_OUT, SETUP_STOP };

/* The emulated device offers VIRTIO_F_RING_PACKED where the recorded one
 * did.  Packed rings replay from every source: the emulator's traces
 * store every ring write, QEMU's ring copies are sorted into the driver's
 * and the device's parts (snapshot.c) and its reports followed
 * (engine.c). */
static bool packed_offered(const struct trace_device *td)
{
	uint64_t bit = UINT64_C(1) << VIRTIO_F_RING_PACKED;

	return td->features_known && (td->features_offered & bit);
}

static int setup_refuse(const struct trace_device *td, const struct emu_model *model, char *why, size_t whylen)
{
	const char *type = virtio_device_type_name(td->device_id);

	if (!td->device_id_known) {
		snprintf(why, whylen, "no DeviceID read: the device type is not known");
		return SETUP_LEAVE_OUT;
	}
	if (!model) {
		snprintf(why, whylen, "the emulator has no %s device model (DeviceID %u)", type ? type : "such",
			 td->device_id);
		return SETUP_LEAVE_OUT;
	}
	if ((td->features_negotiated & (UINT64_C(1) << VIRTIO_F_RING_PACKED)) && !packed_offered(td)) {
		/* The trace is at odds with itself: which ring layout the
		 * recorded device used cannot be told. */
		snprintf(why, whylen, td->features_known ? "negotiated VIRTIO_F_RING_PACKED (bit %d), which the device never offered"
			 : "negotiated VIRTIO_F_RING_PACKED (bit %d) with no DeviceFeatures read", VIRTIO_F_RING_PACKED);
		return SETUP_STOP;
	}
	if (td->device_id == VIRTIO_ID_BLOCK && (td->features_negotiated & (UINT64_C(1) << VIRTIO_BLK_F_MQ))) {
		snprintf(why, whylen, "negotiated VIRTIO_BLK_F_MQ (bit %d): the blk model has one request queue",
			 VIRTIO_BLK_F_MQ);
		return SETUP_STOP;
	}
	return SETUP_OK;
}

/* Registers only: widen [*base, *base + *size) to hold every ring of the
 * queues table (addresses from the file: each end checked for wrapping),
 * in whole MiB.  known: the range holds a real RAM layout to keep;
 * otherwise it is replaced.  Left as it was when there are no rings or the
 * result would exceed GMEM_SIZE_MAX (queues set up there then fail as
 * outside RAM, and Status reads show it). */
static void ram_cover_rings(const struct trace_in *t, bool known, uint64_t *base, uint64_t *size)
{
	uint64_t lo = known ? *base : UINT64_MAX, hi = known ? *base + *size : 0;

	for (size_t i = 0; i < t->n_rings; i++) {
		const struct trace_rings *rg = &t->rings[i];
		const uint64_t start[3] = { rg->desc, rg->avail, rg->used };
		const uint64_t len[3] = { 16ull * rg->num, 6ull + 2ull * rg->num, 6ull + 8ull * rg->num };
		for (unsigned k = 0; k < 3; k++) {
			if (start[k] > UINT64_MAX - len[k] - 0xfffff)
				return;
			lo = start[k] < lo ? start[k] : lo;
			hi = start[k] + len[k] > hi ? start[k] + len[k] : hi;
		}
	}
	if (hi == 0 || lo >= hi)
		return;
	lo &= ~UINT64_C(0xfffff);
	hi = (hi + 0xfffff) & ~UINT64_C(0xfffff);
	if (hi - lo > GMEM_SIZE_MAX)
		return;
	*base = lo;
	*size = hi - lo;
}

int replay_rig_build(struct replay_rig *rig, const struct trace_in *t, const struct replay_expect *e,
		     bool registers_only, struct replay_result *res, char *err, size_t errlen)
{
	uint64_t ram_base = t->ram_base, ram_size = t->ram_size;
	unsigned n_models = 0;
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
	/* An emulator trace's RAM is exact: a ring outside it failed in the
	 * recording too.  Other sources (QEMU's RAM split around 4 GiB, a
	 * machine type whose layout is unknown) may not say where the rings
	 * were, and their device took them. */
	if (registers_only && (!t->ram_known || strcmp(t->source, "emu") != 0))
		ram_cover_rings(t, t->ram_known, &ram_base, &ram_size);
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
		const struct setup_type *st = setup_type_find(td->device_id);
		const struct emu_model *model = st ? emu_model_for_id(td->device_id) : NULL;
		struct emu_device_cfg dc;
		struct emu_opts_buf opts;
		struct emu_device *plain = NULL, *d = NULL;

		if (td->device_id_known && td->device_id == 0) {
			rig->empty[i] = true;
			snprintf(rig->why_not[i], sizeof(rig->why_not[i]), "empty transport (DeviceID 0): no device behind the window");
			continue;
		}
		r = setup_refuse(td, model, rig->why_not[i], sizeof(rig->why_not[i]));
		if (r == SETUP_STOP) {
			snprintf(err, errlen, "cannot replay %s: %s", td->name, rig->why_not[i]);
			return -1;
		}
		if (r == SETUP_LEAVE_OUT)
			continue;
		memset(&dc, 0, sizeof(dc));
		dc.base = td->base;
		dc.version = td->version == 1 ? 1 : 2;
		dc.offer_packed = packed_offered(td);
		dc.model = model;
		/* A running guest's flags and used_event were copied late; what
		 * the recorded device decided shows in InterruptStatus reads. */
		dc.interrupt_always = strcmp(t->source, "emu") != 0;
		struct setup_ctx c = {
			.t = t, .td = td, .model = model, .from_emu = !strcmp(t->source, "emu"),
			.err = err, .errlen = errlen,
		};
		for (unsigned j = 0; j < i; j++)
			if (t->dev[j].device_id == td->device_id && rig->dev[j])
				c.instance++;
		if (model_opts(&c, st, &dc, &opts) < 0)
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
		char names[96], why[200] = "";
		unsigned n_empty = 0;
		for (unsigned i = 0; i < t->n_dev; i++) {
			if (rig->empty[i])
				n_empty++;
			else if (!why[0])
				snprintf(why, sizeof(why), "; %s: %s", t->dev[i].name, rig->why_not[i]);
		}
		size_t pos = 0;
		names[0] = '\0';
		for (size_t k = 0; k < sizeof(setup_types) / sizeof(setup_types[0]); k++) {
			const struct emu_model *m = emu_model_for_id(setup_types[k].device_id);
			int n = m ? snprintf(names + pos, sizeof(names) - pos, "%s%s", pos ? ", " : "", m->name) : 0;
			if (n > 0 && pos + (size_t)n < sizeof(names))
				pos += (size_t)n;
		}
		if (n_empty == t->n_dev)
			snprintf(err, errlen, "none of the trace's %u devices can be replayed: all are empty transports (DeviceID 0)",
				 t->n_dev);
		else
			snprintf(err, errlen, "none of the trace's %u devices can be replayed (the emulator models %s)%s", t->n_dev,
				 names, why);
		return -1;
	}
	return 0;
}

void replay_rig_free(struct replay_rig *rig)
{
	machine_free(rig->m);
	rig->m = NULL;
}
