/* virtio-blk model: config, every request type, error paths, both
 * register layouts, file-backed and in-memory images. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "capture/emu/dev_blk.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/models/model_util.h"

#define ALL UINT64_MAX

/* Header, optional data buffer, status byte: the usual three-part request. */
static uint64_t put_hdr(struct tdev *t, uint32_t type, uint64_t sector)
{
	uint8_t h[16] = { 0 };
	uint64_t gpa = tdev_alloc(t, sizeof(h));

	le32_put(h, type);
	le64_put(h + 8, sector);
	tdev_put(t, gpa, h, sizeof(h));
	return gpa;
}

/* Run one request and return its status byte (0xee if none was written);
 * *used gets the used length. */
static unsigned blk_do(struct tdev *t, uint32_t type, uint64_t sector, uint64_t data,
		       uint32_t len, uint32_t *used)
{
	struct rb_seg s[3];
	unsigned n = 0;
	uint64_t st = tdev_alloc(t, 1);
	uint8_t status = 0xee;
	uint32_t id, ulen = 0;

	tdev_put(t, st, &status, 1);
	s[n++] = (struct rb_seg){ put_hdr(t, type, sector), 16, false };
	if (len)
		s[n++] = (struct rb_seg){ data, len, type != VIRTIO_BLK_T_OUT };
	s[n++] = (struct rb_seg){ st, 1, true };
	int head = tdev_submit(t, 0, s, n);
	tdev_notify(t, 0);
	CHECK_EQ_U(tdev_used(t, 0, &id, &ulen), 1);
	CHECK_EQ_U(id, (uint32_t)head);
	if (used)
		*used = ulen;
	tdev_get(t, st, &status, 1);
	return status;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
}

static void test_config(void)
{
	struct tdev t;
	uint64_t f;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	CHECK_EQ_U(t.violations, 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_DEVICE_ID, 4), VIRTIO_ID_BLOCK);
	f = tdev_features(&t);
	CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX));
	CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE));
	CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	CHECK(f & VIRTIO_BIT(VIRTIO_F_RING_RESET));
	CHECK(!(f & VIRTIO_BIT(VIRTIO_BLK_F_RO)));
	/* The 64-bit capacity as two 32-bit halves, low first. */
	uint64_t cap = tdev_read(&t, MMIO_CONFIG + 0, 4) | tdev_read(&t, MMIO_CONFIG + 4, 4) << 32;
	CHECK_EQ_U(cap, DEV_BLK_CAPACITY_DEFAULT / 512);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_BLK_CFG_SIZE_MAX, 4), 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_BLK_CFG_SEG_MAX, 4), DEV_BLK_SEG_MAX);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 1), 0);
	CHECK_EQ_U(emu_device_model(t.d)->config_size, 72);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);

	struct dev_blk_opts o = { .capacity = 4096 };
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), 0);
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG, 4), 8);
	tdev_close(&t);

	/* Capacity must be whole sectors. */
	o.capacity = 4097;
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), (uint64_t)-EINVAL);

	/* Legacy: only the low 32 feature bits are offered. */
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 1, NULL, ALL), 0);
	f = tdev_features(&t);
	CHECK(!(f >> 32));
	CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG + VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	tdev_close(&t);
}

static void rw_roundtrip(uint32_t version)
{
	struct tdev t;
	uint8_t out[1024], in[1024];
	uint32_t used;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, version, NULL, ALL), 0);
	fill(out, sizeof(out), version);
	uint64_t wbuf = tdev_alloc(&t, sizeof(out));
	tdev_put(&t, wbuf, out, sizeof(out));
	unsigned irqs = t.irqs;
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 5, wbuf, sizeof(out), &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, 1);
	CHECK(t.irqs > irqs);
	CHECK_EQ_U(tdev_ack(&t), VIRTIO_MMIO_INT_VRING);

	uint64_t rbuf = tdev_alloc(&t, sizeof(in));
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 5, rbuf, sizeof(in), &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, sizeof(in) + 1);
	tdev_get(&t, rbuf, in, sizeof(in));
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	/* The neighbouring sectors were untouched. */
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 4, rbuf, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(tdev_ptr(&t, rbuf, 512)[0] == 0 && tdev_ptr(&t, rbuf, 512)[511] == 0);
	CHECK_EQ_U(dev_blk_stats(t.d)->writes, 1);
	CHECK_EQ_U(dev_blk_stats(t.d)->reads, 2);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_rw_modern(void) { rw_roundtrip(2); }
static void test_rw_legacy(void) { rw_roundtrip(1); }

/* Headers, data and status split and merged across descriptors however the
 * driver likes (no fixed layout), directly and through an indirect table. */
static void test_segments(void)
{
	struct tdev t;
	uint8_t pat[2048], got[2048];
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	fill(pat, sizeof(pat), 3);
	uint64_t hdr = put_hdr(&t, VIRTIO_BLK_T_OUT, 10);
	uint64_t data = tdev_alloc(&t, sizeof(pat));
	tdev_put(&t, data, pat, sizeof(pat));
	uint64_t st = tdev_alloc(&t, 1);
	struct rb_seg w[] = {
		{ hdr, 8, false }, { hdr + 8, 8, false },
		{ data, 100, false }, { data + 100, 1948, false },
		{ st, 1, true },
	};
	tdev_submit(&t, 0, w, 5);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], VIRTIO_BLK_S_OK);

	/* IN with the status byte sharing the last data buffer. */
	hdr = put_hdr(&t, VIRTIO_BLK_T_IN, 10);
	uint64_t rd = tdev_alloc(&t, sizeof(got) + 1);
	struct rb_seg r[] = {
		{ hdr, 16, false },
		{ rd, 512, true }, { rd + 512, 1024, true }, { rd + 1536, 513, true },
	};
	tdev_submit(&t, 0, r, 4);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, sizeof(got) + 1);
	tdev_get(&t, rd, got, sizeof(got));
	CHECK(memcmp(got, pat, sizeof(got)) == 0);
	CHECK_EQ_U(tdev_ptr(&t, rd + sizeof(got), 1)[0], VIRTIO_BLK_S_OK);

	/* The same read through an indirect table. */
	memset(tdev_ptr(&t, rd, sizeof(got)), 0, sizeof(got));
	uint64_t table = tdev_alloc(&t, 4 * VIRTQ_DESC_SIZE);
	int head = rb_add_indirect(&t.rb[0], table, r, 4);
	CHECK(head >= 0);
	rb_publish(&t.rb[0], (uint16_t)head);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(id, (uint32_t)head);
	CHECK_EQ_U(len, sizeof(got) + 1);
	tdev_get(&t, rd, got, sizeof(got));
	CHECK(memcmp(got, pat, sizeof(got)) == 0);
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

/* Several chains in one notification are all served, in ring order. */
static void test_batch(void)
{
	struct tdev t;
	int heads[8];
	uint64_t st[8];
	uint32_t id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	for (int i = 0; i < 8; i++) {
		uint64_t data = tdev_alloc(&t, 512);
		memset(tdev_ptr(&t, data, 512), 'a' + i, 512);
		st[i] = tdev_alloc(&t, 1);
		struct rb_seg s[] = { { put_hdr(&t, VIRTIO_BLK_T_OUT, (uint64_t)i), 16, false },
				      { data, 512, false }, { st[i], 1, true } };
		heads[i] = tdev_submit(&t, 0, s, 3);
	}
	tdev_notify(&t, 0);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
		CHECK_EQ_U(id, (uint32_t)heads[i]);
		CHECK_EQ_U(tdev_ptr(&t, st[i], 1)[0], VIRTIO_BLK_S_OK);
	}
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 0);
	uint64_t rd = tdev_alloc(&t, 8 * 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 0, rd, 8 * 512, NULL), VIRTIO_BLK_S_OK);
	for (int i = 0; i < 8; i++)
		CHECK_EQ_U(tdev_ptr(&t, rd + 512u * i, 512)[100], 'a' + i);
	tdev_close(&t);
}

static void test_flush_getid_unsupp(void)
{
	struct tdev t;
	uint32_t used;
	char id[21] = { 0 };

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, 1);
	CHECK_EQ_U(dev_blk_stats(t.d)->flushes, 1);
	CHECK_EQ_U(t.violations, 0);
	/* A flush must carry sector 0: reported, still served. */
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_FLUSH, 7, 0, 0, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);

	uint64_t buf = tdev_alloc(&t, 20);
	memset(tdev_ptr(&t, buf, 20), 'x', 20);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_GET_ID, 0, buf, 20, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, 21);
	tdev_get(&t, buf, id, 20);
	CHECK_STR(id, DEV_BLK_ID);
	CHECK_EQ_U(tdev_ptr(&t, buf, 20)[19], 0); /* NUL-padded */
	/* A short id buffer gets a prefix. */
	buf = tdev_alloc(&t, 8);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_GET_ID, 0, buf, 7, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, 8);
	CHECK(memcmp(tdev_ptr(&t, buf, 7), DEV_BLK_ID, 7) == 0);
	CHECK_EQ_U(tdev_ptr(&t, buf, 8)[7], 0);

	uint32_t types[] = { VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
			     VIRTIO_BLK_T_GET_LIFETIME, 99, 0xffffffffu };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK_EQ_U(blk_do(&t, types[i], 0, 0, 0, &used), VIRTIO_BLK_S_UNSUPP);
		CHECK_EQ_U(used, 1);
	}
	CHECK_EQ_U(dev_blk_stats(t.d)->unsupported, 5);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	tdev_close(&t);
}

/* The last sector is readable; one past it (or wrapping around) is IOERR. */
static void test_range(void)
{
	struct dev_blk_opts o = { .capacity = 64 * 512 };
	struct tdev t;
	uint32_t used;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), 0);
	uint64_t buf = tdev_alloc(&t, 1024);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 63, buf, 512, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(used, 513);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 63, buf, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 64, buf, 512, &used), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(used, 1);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 63, buf, 1024, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 64, buf, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, UINT64_MAX, buf, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, UINT64_C(1) << 56, buf, 1024, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(dev_blk_stats(t.d)->ioerr, 5);
	/* Out of range is a device answer, not a driver violation. */
	CHECK_EQ_U(t.violations, 0);
	tdev_close(&t);
}

static void test_malformed(void)
{
	struct tdev t;
	uint32_t used, id, len;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	uint64_t buf = tdev_alloc(&t, 1024);
	memset(tdev_ptr(&t, buf, 1024), 0x5a, 1024);
	/* Data not a multiple of 512: IOERR and nothing written. */
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 0, buf, 100, &used), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(used, 1);
	CHECK_EQ_U(tdev_ptr(&t, buf, 1)[0], 0x5a);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 0, buf, 513, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 2);

	/* A header shorter than 16 bytes. */
	uint64_t st = tdev_alloc(&t, 1);
	struct rb_seg s1[] = { { put_hdr(&t, VIRTIO_BLK_T_IN, 0), 15, false }, { st, 1, true } };
	tdev_submit(&t, 0, s1, 2);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, 1);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 3);

	/* A write with device-writable data besides the status. */
	struct rb_seg s2[] = { { put_hdr(&t, VIRTIO_BLK_T_OUT, 0), 16, false },
			       { buf, 512, false }, { buf + 512, 512, true }, { st, 1, true } };
	tdev_submit(&t, 0, s2, 4);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 4);
	CHECK(!emu_device_broken(t.d));

	/* No device-writable byte for the status: the device gives up. */
	tdev_ack(&t);
	struct rb_seg s3[] = { { put_hdr(&t, VIRTIO_BLK_T_IN, 0), 16, false } };
	tdev_submit(&t, 0, s3, 1);
	tdev_notify(&t, 0);
	CHECK(emu_device_broken(t.d));
	CHECK(tdev_read(&t, MMIO_STATUS, 4) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK(tdev_ack(&t) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 0);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 5);
	/* Further requests wait for a reset... */
	uint8_t mark = 0xee;
	tdev_put(&t, st, &mark, 1);
	struct rb_seg s4[] = { { put_hdr(&t, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
	tdev_submit(&t, 0, s4, 2);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 0);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], 0xee);
	/* ...after which the device works again. */
	tdev_write(&t, MMIO_STATUS, 4, 0);
	tdev_reinit(&t, ALL);
	CHECK(!emu_device_broken(t.d));
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	tdev_close(&t);
}

/* A broken ring (head out of range) fails the device; the model survives. */
static void test_hostile_ring(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	rb_avail_put_raw(&t.rb[0], 0, 1000);
	rb_avail_set_idx(&t.rb[0], 1);
	tdev_notify(&t, 0);
	CHECK(emu_device_broken(t.d));
	CHECK_EQ_U(t.rule_count[RULE_RING_HEAD_RANGE], 1);
	tdev_close(&t);
}

/* The data limit: DEV_BLK_DATA_MAX is served, the next valid size is not.
 * One 1 MiB guest buffer repeated keeps guest RAM small. */
static void test_data_limit(void)
{
	struct dev_blk_opts o = { .capacity = DEV_BLK_DATA_MAX + (UINT64_C(1) << 20) };
	const uint32_t piece = 1u << 20;
	const unsigned n = (unsigned)(DEV_BLK_DATA_MAX / piece);
	struct rb_seg s[64];
	struct tdev t;
	uint32_t id, len;

	CHECK(n + 3 <= 64);
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), 0);
	uint64_t buf = tdev_alloc(&t, piece);
	uint64_t st = tdev_alloc(&t, 1);
	s[0] = (struct rb_seg){ put_hdr(&t, VIRTIO_BLK_T_IN, 0), 16, false };
	for (unsigned i = 0; i < n; i++)
		s[1 + i] = (struct rb_seg){ buf, piece, true };
	s[1 + n] = (struct rb_seg){ st, 1, true };
	tdev_submit(&t, 0, s, n + 2);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, DEV_BLK_DATA_MAX + 1);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], VIRTIO_BLK_S_OK);

	s[1 + n] = (struct rb_seg){ buf, 512, true };
	s[2 + n] = (struct rb_seg){ st, 1, true };
	tdev_submit(&t, 0, s, n + 3);
	tdev_notify(&t, 0);
	CHECK_EQ_U(tdev_used(&t, 0, &id, &len), 1);
	CHECK_EQ_U(len, 1);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(t.rule_count[RULE_REQUEST_MALFORMED], 1);
	tdev_close(&t);
}

static void test_file_backed(void)
{
	const char *path = harness_tmpfile("blk.img");
	uint8_t img[64 * 512 + 100], got[512];
	struct tdev t;

	fill(img, sizeof(img), 9);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_U(write(fd, img, sizeof(img)), sizeof(img));

	struct dev_blk_opts o = { .image = path };
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), 0);
	/* A partial last sector is not part of the disk. */
	CHECK_EQ_U(tdev_read(&t, MMIO_CONFIG, 4), 64);
	uint64_t buf = tdev_alloc(&t, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 3, buf, 512, NULL), VIRTIO_BLK_S_OK);
	tdev_get(&t, buf, got, 512);
	CHECK(memcmp(got, img + 3 * 512, 512) == 0);
	memset(tdev_ptr(&t, buf, 512), 0xa5, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 4, buf, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(pread(fd, got, 512, 4 * 512), 512);
	CHECK(got[0] == 0xa5 && got[511] == 0xa5);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 64, buf, 512, NULL), VIRTIO_BLK_S_IOERR);
	tdev_close(&t);

	/* Read-only: reads work, writes fail and change nothing. */
	o.read_only = true;
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), 0);
	buf = tdev_alloc(&t, 512);
	memset(tdev_ptr(&t, buf, 512), 0x11, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 5, buf, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(pread(fd, got, 512, 5 * 512), 512);
	CHECK(memcmp(got, img + 5 * 512, 512) == 0);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 5, buf, 512, NULL), VIRTIO_BLK_S_OK);
	tdev_close(&t);
	close(fd);
	unlink(path);

	o.image = harness_tmpfile("does-not-exist.img");
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, &o, ALL), (uint64_t)-ENOENT);
}

static void test_read_only_model(void)
{
	struct tdev t;

	CHECK(emu_model_find("blk-ro") == &emu_model_blk_ro);
	CHECK_EQ_U(tdev_open(&t, &emu_model_blk_ro, 2, NULL, ALL), 0);
	CHECK(tdev_features(&t) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	uint64_t buf = tdev_alloc(&t, 512);
	memset(tdev_ptr(&t, buf, 512), 0x77, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 0, buf, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 0, buf, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(tdev_ptr(&t, buf, 1)[0], 0);
	tdev_close(&t);
}

/* Reset keeps the disk contents (they are not in-flight state). */
static void test_reset(void)
{
	struct tdev t;

	CHECK_EQ_U(tdev_open(&t, &emu_model_blk, 2, NULL, ALL), 0);
	uint64_t buf = tdev_alloc(&t, 512);
	memset(tdev_ptr(&t, buf, 512), 0x42, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_OUT, 9, buf, 512, NULL), VIRTIO_BLK_S_OK);
	/* A request left available at reset is never served. */
	uint64_t st = tdev_alloc(&t, 1);
	struct rb_seg s[] = { { put_hdr(&t, VIRTIO_BLK_T_FLUSH, 0), 16, false }, { st, 1, true } };
	tdev_submit(&t, 0, s, 2);
	tdev_write(&t, MMIO_STATUS, 4, 0);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], 0);
	tdev_reinit(&t, ALL);
	memset(tdev_ptr(&t, buf, 512), 0, 512);
	CHECK_EQ_U(blk_do(&t, VIRTIO_BLK_T_IN, 9, buf, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ_U(tdev_ptr(&t, buf, 1)[0], 0x42);
	CHECK_EQ_U(tdev_ptr(&t, st, 1)[0], 0);
	tdev_close(&t);
}

int main(void)
{
	RUN(test_config);
	RUN(test_rw_modern);
	RUN(test_rw_legacy);
	RUN(test_segments);
	RUN(test_batch);
	RUN(test_flush_getid_unsupp);
	RUN(test_range);
	RUN(test_malformed);
	RUN(test_hostile_ring);
	RUN(test_data_limit);
	RUN(test_file_backed);
	RUN(test_read_only_model);
	RUN(test_reset);
	return harness_finish("test_blk");
}
