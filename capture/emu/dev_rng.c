/* virtio-rng model (Device Types / Entropy Device): one request queue whose
 * writable buffers are filled from a seeded deterministic generator, so a
 * recorded run replays byte for byte.  Not a source of real entropy. */
#include "capture/emu/dev_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/virtio.h"

/* Bytes supplied from outside, each chunk the whole answer to one
 * request (replay: what the recorded device returned). */

struct rng_chunk {
	uint8_t *data;
	uint32_t len;
};

struct rng_state {
	uint64_t seed;
	struct dev_rng_gen gen;
	uint8_t buf[4096];
	struct rng_chunk supply[DEV_RNG_SUPPLY_MAX]; /* FIFO ring */
	unsigned sup_head, sup_n;
};

int dev_rng_supply(struct emu_device *d, const uint8_t *data, uint32_t len)
{
	struct rng_state *s = emu_model_state(d);
	struct rng_chunk *c;

	if (!s || emu_device_model(d) != &emu_model_rng || s->sup_n == DEV_RNG_SUPPLY_MAX || len > DEV_RNG_CHAIN_MAX)
		return -1;
	c = &s->supply[(s->sup_head + s->sup_n) % DEV_RNG_SUPPLY_MAX];
	c->data = malloc(len ? len : 1);
	if (!c->data)
		return -1;
	memcpy(c->data, data, len);
	c->len = len;
	s->sup_n++;
	return 0;
}

/* Answer chain c with the next supplied chunk. Returns bytes written. */
static uint64_t rng_answer_supplied(struct emu_device *d, struct rng_state *s, const struct vq_chain *c)
{
	struct rng_chunk *k = &s->supply[s->sup_head];
	uint64_t n = k->len < c->writable_len ? k->len : c->writable_len;
	uint64_t w = vq_chain_write(emu_mem(d), c, 0, k->data, n);

	free(k->data);
	k->data = NULL;
	s->sup_head = (s->sup_head + 1) % DEV_RNG_SUPPLY_MAX;
	s->sup_n--;
	return w;
}

void dev_rng_gen_seed(struct dev_rng_gen *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->state = seed ? seed : DEV_RNG_SEED_DEFAULT;
}

/* splitmix64 (Steele, Lea, Flood 2014): one add and a mixing function per
 * output, every 64-bit state visited once per period. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void dev_rng_gen_fill(struct dev_rng_gen *g, uint8_t *out, size_t len)
{
	while (len) {
		if (g->n_spare == 0) {
			le64_put(g->spare, splitmix64(&g->state));
			g->n_spare = 8;
		}
		size_t n = len < g->n_spare ? len : g->n_spare;
		memcpy(out, g->spare + 8 - g->n_spare, n);
		g->n_spare -= (unsigned)n;
		out += n;
		len -= n;
	}
}

/* Fill the writable part of each available chain (up to DEV_RNG_CHAIN_MAX
 * bytes) from the stream and complete it with the byte count. */
static void rng_queue_notify(struct emu_device *d, unsigned q)
{
	struct rng_state *s = emu_model_state(d);
	struct virtqueue *vq = emu_queue(d, q);
	struct vq_chain c;
	struct vq_fault f;
	bool pushed = false;
	int r;

	if (!vq || !s)
		return;
	for (uint32_t i = 0; i < vq->num && (r = vq_pop(vq, &c, &f)) != 0; i++) {
		if (r < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		if (c.n_readable || c.writable_len == 0)
			emu_violation(d, RULE_REQUEST_MALFORMED,
				      "rng request %u: %u device-readable buffers, %llu writable bytes; expected only writable ones (Entropy Device / Device Operation)",
				      c.head, c.n_readable, (unsigned long long)c.writable_len);
		uint64_t want = c.writable_len < DEV_RNG_CHAIN_MAX ? c.writable_len : DEV_RNG_CHAIN_MAX;
		uint64_t done = 0;
		if (s->sup_n) {
			done = rng_answer_supplied(d, s, &c);
			want = 0;
		}
		while (done < want) {
			size_t n = want - done < sizeof(s->buf) ? (size_t)(want - done) : sizeof(s->buf);
			dev_rng_gen_fill(&s->gen, s->buf, n);
			uint64_t w = vq_chain_write(emu_mem(d), &c, done, s->buf, n);
			done += w;
			if (w != n)
				break; /* cannot happen: buffers were checked at pop */
		}
		if (vq_push(vq, &c, (uint32_t)done, &f) < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		pushed = true;
	}
	/* No used entry, no interrupt: it would be a spurious one. */
	if (pushed)
		emu_queue_interrupt(d, q);
}

static int rng_init(struct emu_device *d, const void *opts_v)
{
	struct rng_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->seed = opts_v ? ((const struct dev_rng_opts *)opts_v)->seed : 0;
	dev_rng_gen_seed(&s->gen, s->seed);
	emu_set_model_state(d, s);
	return 0;
}

static void rng_destroy(struct emu_device *d)
{
	struct rng_state *s = emu_model_state(d);

	for (unsigned i = 0; s && i < s->sup_n; i++)
		free(s->supply[(s->sup_head + i) % DEV_RNG_SUPPLY_MAX].data);
	free(s);
	emu_set_model_state(d, NULL);
}

/* A reset device is a fresh one: its stream starts again from the seed,
 * so what a driver sees does not depend on earlier sessions. */
static void rng_reset(struct emu_device *d)
{
	struct rng_state *s = emu_model_state(d);

	if (s)
		dev_rng_gen_seed(&s->gen, s->seed);
}

/* The built-in machine's seed drives the byte stream. */
static void rng_machine_opts(void *opts, const struct emu_machine_params *p)
{
	struct dev_rng_opts *o = opts;

	o->seed = p->seed;
}

const struct emu_model emu_model_rng = {
	.name = "rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.num_queues = 1,
	.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_RESET),
	.config_size = 0,
	.opts_size = sizeof(struct dev_rng_opts),
	.init = rng_init,
	.destroy = rng_destroy,
	.reset = rng_reset,
	.queue_notify = rng_queue_notify,
	.machine_opts = rng_machine_opts,
	.supply = dev_rng_supply,
};
