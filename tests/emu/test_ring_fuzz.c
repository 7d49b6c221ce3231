/* Seeded random rings: descriptor tables, indirect tables and available
 * rings full of biased garbage, notified through a real device.  Each run
 * must end either with every pending chain used or with the device
 * stopped on one ring violation; a reference walker written from the spec
 * (split virtqueue rules, at most queue-size hops per table) predicts
 * which, and how many chains are used before the bad one.  Fixed seed,
 * bounded time; run it under ASan/UBSan. */
#include <string.h>
#include <time.h>

#include "capture/emu/emu.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/emu/emu_fixture.h"
#include "tests/harness.h"

#define ITERATIONS 20000
#define RNG_ITERATIONS 2000
#define RAM_SIZE UINT64_C(0x50000)
#define RAM_END (FX_RAM_BASE + RAM_SIZE)
#define TABLES_GPA (FX_BUF_GPA)  /* indirect tables live here */
#define TABLES_N 64u             /* descriptors in that region */
#define QMAX 16u

static uint64_t prng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t prng(void)
{
	/* xorshift64* */
	prng_state ^= prng_state >> 12;
	prng_state ^= prng_state << 25;
	prng_state ^= prng_state >> 27;
	return prng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(prng() % n);
}

static uint64_t rand_addr(void)
{
	switch (below(10)) {
	case 0: return RAM_END - below(64);
	case 1: return FX_RAM_BASE - below(64);
	case 2: return prng();
	case 3: return UINT64_MAX - below(64);
	case 4: return TABLES_GPA + 16ull * below(TABLES_N);
	default: return FX_RAM_BASE + below((uint32_t)RAM_SIZE);
	}
}

static uint32_t rand_len(void)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return (uint32_t)prng();
	case 3: return 16u * (1 + below(QMAX + 2));
	default: return below(256);
	}
}

static uint16_t rand_flags(void)
{
	uint16_t f = 0;

	if (below(3))
		f |= VIRTQ_DESC_F_NEXT;
	if (below(2))
		f |= VIRTQ_DESC_F_WRITE;
	if (below(6) == 0)
		f |= VIRTQ_DESC_F_INDIRECT;
	if (below(50) == 0)
		f |= (uint16_t)prng();
	return f;
}

static uint16_t rand_index(uint32_t n)
{
	switch (below(12)) {
	case 0: return (uint16_t)prng();
	case 1: return (uint16_t)n;
	default: return (uint16_t)below(n);
	}
}

/* --- the reference walker --- */

struct ref {
	const struct guest_mem *gm;
	uint32_t num;
	uint64_t desc;
	bool indirect_ok;
};

static bool ref_in_ram(const struct guest_mem *gm, uint64_t a, uint64_t len)
{
	return a >= gm->base && a - gm->base <= gm->size && len <= gm->size - (a - gm->base);
}

static void ref_desc(const struct guest_mem *gm, uint64_t gpa, uint64_t *addr, uint32_t *len,
		     uint16_t *flags, uint16_t *next)
{
	const uint8_t *p = gm->ram + (gpa - gm->base);

	*addr = le64_get(p);
	*len = le32_get(p + 8);
	*flags = le16_get(p + 12);
	*next = le16_get(p + 14);
}

/* true if the chain at head is well formed. */
static bool ref_chain_ok(const struct ref *r, uint16_t head)
{
	uint64_t table = r->desc;
	uint32_t table_len = r->num, idx = head, hops = 0;
	bool in_indirect = false, seen_w = false;

	if (head >= r->num)
		return false;
	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		if (++hops > table_len)
			return false; /* longer than the table: a loop */
		ref_desc(r->gm, table + 16ull * idx, &addr, &len, &flags, &next);
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (in_indirect || !r->indirect_ok || (flags & VIRTQ_DESC_F_NEXT))
				return false;
			if (len == 0 || len % 16 || len / 16 > r->num || !ref_in_ram(r->gm, addr, len))
				return false;
			table = addr;
			table_len = len / 16;
			idx = 0;
			hops = 0;
			in_indirect = true;
			continue;
		}
		if (!ref_in_ram(r->gm, addr, len))
			return false;
		if (flags & VIRTQ_DESC_F_WRITE)
			seen_w = true;
		else if (seen_w)
			return false;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (next >= table_len)
			return false;
		idx = next;
	}
}

static bool is_ring_rule(enum rule_id r)
{
	return r >= RULE_RING_HEAD_RANGE && r <= RULE_RING_WRITE_BEFORE_READ;
}

/* Fill the rings with garbage; returns the available index published. */
static uint16_t scramble(struct fx *f, uint32_t num)
{
	for (uint32_t i = 0; i < num; i++)
		rb_set_desc(&f->rb, i, rand_addr(), rand_len(), rand_flags(), rand_index(num));
	for (uint32_t i = 0; i < TABLES_N; i++)
		rb_put_desc(&f->gm, TABLES_GPA + 16ull * i, rand_addr(), rand_len(), rand_flags(),
			    rand_index(below(2) ? 4 : QMAX));
	for (uint32_t i = 0; i < num; i++)
		rb_avail_put_raw(&f->rb, i, rand_index(num));
	rb_avail_set_flags(&f->rb, (uint16_t)below(2));
	rb_set_used_event(&f->rb, (uint16_t)below(4));
	uint16_t idx;
	switch (below(8)) {
	case 0: idx = (uint16_t)prng(); break;
	case 1: idx = (uint16_t)(num + 1 + below(4)); break;
	default: idx = (uint16_t)below(num + 1); break;
	}
	rb_avail_set_idx(&f->rb, idx);
	return idx;
}

static void test_fuzz_walker(void)
{
	struct fx f;
	unsigned processed_runs = 0, failed_runs = 0, mismatches = 0;
	clock_t t0 = clock();

	if (fx_open_ram(&f, &fx_model_walker, 2, QMAX, FX_RAM_BASE, RAM_SIZE) < 0) {
		CHECK(!"fx_open_ram");
		return;
	}
	for (unsigned it = 0; it < ITERATIONS; it++) {
		uint32_t num = 1u << below(5);
		uint64_t accept = VIRTIO_BIT(VIRTIO_F_VERSION_1);
		if (below(2))
			accept |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
		if (below(2))
			accept |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
		fx_clear(&f);
		if (fx_start(&f, accept, num) < 0 || f.n_viol) {
			CHECK(!"start failed");
			break;
		}
		uint16_t idx = scramble(&f, num);
		uint16_t heads[QMAX];
		for (uint32_t i = 0; i < num; i++) {
			uint8_t b[2];
			gmem_read(&f.gm, f.rb.avail + 4 + 2ull * i, b, 2);
			heads[i] = le16_get(b);
		}
		/* Predict: the chains used before the first bad one. */
		struct ref r = { &f.gm, num, f.rb.desc, (accept & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)) != 0 };
		bool expect_fail = idx > num;
		uint32_t expect_used = 0;
		for (uint32_t i = 0; !expect_fail && i < idx; i++) {
			if (!ref_chain_ok(&r, heads[i]))
				expect_fail = true;
			else
				expect_used++;
		}
		if (expect_fail && idx > num)
			expect_used = 0;

		fx_notify(&f, 0);
		if (below(4) == 0)
			fx_notify(&f, 0);

		bool broken = emu_device_broken(f.d);
		uint16_t used = rb_used_idx(&f.rb);
		bool ok = true;
		if (broken) {
			failed_runs++;
			ok = f.n_viol == 1 && is_ring_rule(f.rule[0]) &&
			     (fx_rd(&f, MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		} else {
			processed_runs++;
			ok = f.n_viol == 0 && used == idx;
			for (uint32_t i = 0; ok && i < used; i++) {
				uint32_t id, len;
				ok = rb_used_entry(&f.rb, i, &id, &len) == 0 && id == heads[i] && len == 0;
			}
		}
		if (ok && (broken != expect_fail || used != expect_used))
			ok = false;
		if (!ok) {
			if (mismatches++ < 5) {
				fprintf(stderr, "  iteration %u: num %u idx %u: broken %d (expected %d), used %u (expected %u), %u violation(s)%s%s\n",
					it, num, idx, broken, expect_fail, used, expect_used, f.n_viol,
					f.n_viol ? ": " : "", f.n_viol ? f.msg[0] : "");
			}
		}
		fx_wr(&f, MMIO_STATUS, 0);
	}
	CHECK_EQ_U(mismatches, 0);
	/* The generator must exercise both outcomes. */
	CHECK(processed_runs > ITERATIONS / 10);
	CHECK(failed_runs > ITERATIONS / 10);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0);
	printf("walker fuzz: %u runs processed, %u stopped on a violation, %.2f s\n", processed_runs, failed_runs, secs);
	fx_close(&f);
}

/* The real rng model over the same garbage: it writes into the buffers
 * (possibly over the rings themselves), so only the invariants hold. */
static void test_fuzz_rng(void)
{
	struct fx f;
	unsigned bad = 0;
	clock_t t0 = clock();

	if (fx_open_ram(&f, &emu_model_rng, 2, QMAX, FX_RAM_BASE, RAM_SIZE) < 0) {
		CHECK(!"fx_open_ram");
		return;
	}
	for (unsigned it = 0; it < RNG_ITERATIONS; it++) {
		uint32_t num = 1u << below(5);
		fx_clear(&f);
		if (fx_start(&f, emu_device_features(f.d), num) < 0) {
			CHECK(!"start failed");
			break;
		}
		uint16_t idx = scramble(&f, num);
		fx_notify(&f, 0);
		bool broken = emu_device_broken(f.d);
		if (broken && (fx_count(&f, RULE_NONE) || f.n_viol == 0 ||
			       !is_ring_rule(f.rule[f.n_viol - 1])))
			bad++;
		if (!broken && idx <= num && fx_count(&f, RULE_REQUEST_MALFORMED) != f.n_viol)
			bad++;
		if (f.dev_writes && (f.dev_write_lo < FX_RAM_BASE || f.dev_write_hi >= RAM_END))
			bad++;
		fx_wr(&f, MMIO_STATUS, 0);
	}
	CHECK_EQ_U(bad, 0);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	fx_close(&f);
}

int main(void)
{
	RUN(test_fuzz_walker);
	RUN(test_fuzz_rng);
	return harness_finish("test_ring_fuzz");
}
