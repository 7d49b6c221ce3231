/* Shared fixture of the emulator unit tests (see emu_fixture.h). */
#include "tests/emu/emu_fixture.h"

#include <ctype.h>
#include <string.h>

#include "capture/emu/dev_blk.h"
#include "capture/emu/dev_net.h"
#include "capture/emu/dev_rng.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

static void on_violation(void *ctx, struct emu_device *d, enum rule_id rule, const char *msg)
{
	struct fx *f = ctx;

	(void)d;
	if (f->n_viol < FX_MAX_REPORTS) {
		f->rule[f->n_viol] = rule;
		snprintf(f->msg[f->n_viol], sizeof(f->msg[0]), "%s", msg ? msg : "(null)");
	}
	f->n_viol++;
}

static void on_irq(void *ctx, struct emu_device *d, uint32_t status)
{
	struct fx *f = ctx;

	(void)d;
	f->n_irq++;
	f->last_irq_status = status;
}

static void on_store(void *ctx, enum gmem_actor who, uint64_t gpa, const void *data, uint64_t len)
{
	struct fx *f = ctx;

	(void)data;
	if (who != GMEM_DEVICE)
		return;
	if (f->dev_writes == 0 || gpa < f->dev_write_lo)
		f->dev_write_lo = gpa;
	if (len && (f->dev_writes == 0 || gpa + len - 1 > f->dev_write_hi))
		f->dev_write_hi = gpa + len - 1;
	f->dev_writes++;
}

/* The fixture's options: a 1 MiB disk, MAC 52:54:00:00:00:00, MTU 1500,
 * rng seed 1, console without echo; each model gets its own struct. */
static void fixture_opts(struct emu_device_cfg *cfg, const struct emu_model *model)
{
	static const struct dev_blk_opts blk = { .capacity = 1u << 20 };
	static const struct dev_net_opts net = { .mac = { 0x52, 0x54 }, .mtu = 1500 };
	static const struct dev_rng_opts rng = { .seed = 1 };
	const void *o = NULL;
	size_t n = 0;

	switch (model->device_id) {
	case VIRTIO_ID_BLOCK: o = &blk; n = sizeof(blk); break;
	case VIRTIO_ID_NET: o = &net; n = sizeof(net); break;
	case VIRTIO_ID_ENTROPY: o = &rng; n = sizeof(rng); break;
	}
	/* Test models of these types take no options. */
	if (model->opts_size == n) {
		cfg->opts = o;
		cfg->opts_size = n;
	}
}

static int open_dev(struct fx *f, const struct emu_model *model, uint32_t version, uint16_t queue_num_max,
		    uint64_t ram_base, uint64_t ram_size, bool packed)
{
	struct emu_device_cfg cfg;
	struct emu_hooks hooks = { .ctx = f, .irq = on_irq, .violation = on_violation };

	memset(f, 0, sizeof(*f));
	if (gmem_init(&f->gm, ram_base, ram_size) < 0)
		return -1;
	f->gm.observer = on_store;
	f->gm.observer_ctx = f;
	memset(&cfg, 0, sizeof(cfg));
	cfg.base = 0x10000000;
	cfg.version = version;
	cfg.model = model;
	cfg.queue_num_max = queue_num_max;
	cfg.offer_packed = packed;
	fixture_opts(&cfg, model);
	if (emu_device_new(&f->d, &cfg, &f->gm, &hooks) < 0) {
		gmem_release(&f->gm);
		return -1;
	}
	f->version = version;
	return 0;
}

int fx_open_ram(struct fx *f, const struct emu_model *model, uint32_t version,
		uint16_t queue_num_max, uint64_t ram_base, uint64_t ram_size)
{
	return open_dev(f, model, version, queue_num_max, ram_base, ram_size, false);
}

int fx_open_packed(struct fx *f, const struct emu_model *model, uint16_t queue_num_max)
{
	return open_dev(f, model, 2, queue_num_max, FX_RAM_BASE, FX_RAM_SIZE, true);
}

int fx_open(struct fx *f, const struct emu_model *model, uint32_t version, uint16_t queue_num_max)
{
	return fx_open_ram(f, model, version, queue_num_max, FX_RAM_BASE, FX_RAM_SIZE);
}

void fx_close(struct fx *f)
{
	emu_device_free(f->d);
	f->d = NULL;
	rb_release(&f->rb);
	gmem_release(&f->gm);
}

void fx_clear(struct fx *f)
{
	f->n_viol = 0;
	f->n_irq = 0;
	f->last_irq_status = 0;
	f->dev_writes = 0;
	f->dev_write_lo = f->dev_write_hi = 0;
}

uint32_t fx_rd(struct fx *f, uint32_t off)
{
	return (uint32_t)emu_mmio_read(f->d, off, 4);
}

void fx_wr(struct fx *f, uint32_t off, uint32_t v)
{
	emu_mmio_write(f->d, off, 4, v);
}

void fx_probe(struct fx *f)
{
	fx_rd(f, MMIO_MAGIC_VALUE);
	fx_rd(f, MMIO_VERSION);
	fx_rd(f, MMIO_DEVICE_ID);
}

uint32_t fx_negotiate(struct fx *f, uint64_t accept)
{
	fx_wr(f, MMIO_STATUS, 0);
	fx_wr(f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	fx_wr(f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fx_wr(f, MMIO_DEVICE_FEATURES_SEL, 0);
	fx_rd(f, MMIO_DEVICE_FEATURES);
	if (f->version == 2) {
		fx_wr(f, MMIO_DEVICE_FEATURES_SEL, 1);
		fx_rd(f, MMIO_DEVICE_FEATURES);
	}
	fx_wr(f, MMIO_DRIVER_FEATURES_SEL, 0);
	fx_wr(f, MMIO_DRIVER_FEATURES, (uint32_t)accept);
	if (f->version == 2) {
		fx_wr(f, MMIO_DRIVER_FEATURES_SEL, 1);
		fx_wr(f, MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
		fx_wr(f, MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	} else {
		fx_wr(f, MMIO_GUEST_PAGE_SIZE, 4096);
	}
	return fx_rd(f, MMIO_STATUS);
}

void fx_queue_modern(struct fx *f, uint32_t q, uint32_t num, uint64_t desc, uint64_t driver, uint64_t device)
{
	fx_wr(f, MMIO_QUEUE_SEL, q);
	fx_rd(f, MMIO_QUEUE_READY);
	fx_rd(f, MMIO_QUEUE_NUM_MAX);
	fx_wr(f, MMIO_QUEUE_NUM, num);
	fx_wr(f, MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	fx_wr(f, MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	fx_wr(f, MMIO_QUEUE_DRIVER_LOW, (uint32_t)driver);
	fx_wr(f, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
	fx_wr(f, MMIO_QUEUE_DEVICE_LOW, (uint32_t)device);
	fx_wr(f, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
	fx_wr(f, MMIO_QUEUE_READY, 1);
}

void fx_queue_legacy(struct fx *f, uint32_t q, uint32_t num, uint32_t align, uint32_t pfn)
{
	fx_wr(f, MMIO_QUEUE_SEL, q);
	fx_rd(f, MMIO_QUEUE_PFN);
	fx_rd(f, MMIO_QUEUE_NUM_MAX);
	fx_wr(f, MMIO_QUEUE_NUM, num);
	fx_wr(f, MMIO_QUEUE_ALIGN, align);
	fx_wr(f, MMIO_QUEUE_PFN, pfn);
}

void fx_driver_ok(struct fx *f)
{
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;

	if (f->version == 2)
		s |= VIRTIO_STATUS_FEATURES_OK;
	fx_wr(f, MMIO_STATUS, s);
}

int fx_start(struct fx *f, uint64_t accept, uint32_t num)
{
	uint32_t st;
	int r;

	fx_probe(f);
	if (f->version == 1)
		accept &= UINT32_MAX;
	st = fx_negotiate(f, accept);
	if (f->version == 2 && !(st & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	rb_release(&f->rb);
	if (f->version == 2) {
		r = rb_init_modern(&f->rb, &f->gm, num, FX_RING_GPA);
		if (r < 0)
			return -1;
		fx_queue_modern(f, 0, num, f->rb.desc, f->rb.avail, f->rb.used);
	} else {
		r = rb_init_legacy(&f->rb, &f->gm, num, FX_RING_GPA, 4096);
		if (r < 0)
			return -1;
		fx_queue_legacy(f, 0, num, 4096, (uint32_t)(FX_RING_GPA / 4096));
	}
	fx_driver_ok(f);
	rb_arena_init(&f->arena, FX_BUF_GPA, f->gm.base + f->gm.size);
	return 0;
}

void fx_notify(struct fx *f, uint32_t q)
{
	fx_wr(f, MMIO_QUEUE_NOTIFY, q);
}

unsigned fx_count(const struct fx *f, enum rule_id rule)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->n_viol && i < FX_MAX_REPORTS; i++)
		n += f->rule[i] == rule;
	return n;
}

void fx_expect_at(const char *file, int line, const struct fx *f, const int *want, unsigned n)
{
	bool ok = f->n_viol == n;

	for (unsigned i = 0; ok && i < n; i++)
		ok = (int)f->rule[i] == want[i];
	if (ok)
		return;
	fprintf(stderr, "%s:%d: [%s] violations: expected", file, line, harness_case);
	for (unsigned i = 0; i < n; i++)
		fprintf(stderr, " %s", rule_lookup((uint32_t)want[i])->key);
	if (n == 0)
		fprintf(stderr, " none");
	fprintf(stderr, ", got %u:\n", f->n_viol);
	for (unsigned i = 0; i < f->n_viol && i < FX_MAX_REPORTS; i++)
		fprintf(stderr, "    %s: %s\n", rule_lookup(f->rule[i])->key, f->msg[i]);
	harness_failures++;
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

void fx_expect_msg_at(const char *file, int line, const struct fx *f, unsigned i, const char *needle)
{
	if (i < f->n_viol && i < FX_MAX_REPORTS && contains_nocase(f->msg[i], needle))
		return;
	fprintf(stderr, "%s:%d: [%s] violation %u should mention \"%s\": %s\n", file, line, harness_case, i,
		needle, i < f->n_viol && i < FX_MAX_REPORTS ? f->msg[i] : "(no such violation)");
	harness_failures++;
}

/* --- the test-only walker model --- */

struct fx_walker_stats fx_walker;

static void walker_notify(struct emu_device *d, unsigned q)
{
	struct virtqueue *vq = emu_queue(d, q);
	struct vq_chain c;
	struct vq_fault flt;
	uint8_t buf[64];
	bool pushed = false;
	int r;

	if (!vq)
		return;
	for (uint32_t i = 0; i < vq->num && (r = vq_pop(vq, &c, &flt)) != 0; i++) {
		if (r < 0) {
			emu_device_fail(d, flt.rule, "%s", flt.msg);
			return;
		}
		fx_walker.chains++;
		fx_walker.bufs += c.n;
		fx_walker.readable += c.readable_len;
		fx_walker.writable += c.writable_len;
		vq_chain_read(emu_mem(d), &c, 0, buf, sizeof(buf));
		if (vq_push(vq, &c, 0, &flt) < 0) {
			emu_device_fail(d, flt.rule, "%s", flt.msg);
			return;
		}
		pushed = true;
	}
	if (pushed)
		emu_queue_interrupt(d, q);
}

const struct emu_model fx_model_walker = {
	.name = "walker",
	.device_id = VIRTIO_ID_ENTROPY,
	.num_queues = 1,
	.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_RESET),
	.queue_notify = walker_notify,
};
