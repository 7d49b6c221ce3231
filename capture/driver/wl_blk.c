/* virtio-blk workload: write a known pattern to sectors 0..N-1 in several
 * requests made available together, read it back one request at a time,
 * compare, flush (if offered) and ask for the device id.  Each request is
 * header (device-readable), data segments, status byte (device-writable);
 * multi-sector data is split into segments so chains are longer than one
 * buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/driver/driver.h"
#include "capture/driver/workload.h"
#include "virtio/virtio.h"

/* Data segment size the workload aims for (so requests of more than four
 * sectors span several descriptors). */
#define BLK_SEG_BYTES 2048u
/* Written into each status byte before a request, so a device that never
 * writes the status is caught. */
#define BLK_STATUS_UNSET 0xffu

/* Options: --workload blk:sectors=N,requests=N. */
enum { BLK_OPT_SECTORS, BLK_OPT_REQUESTS };
static const struct drv_wl_key blk_keys[] = {
	[BLK_OPT_SECTORS] = { "sectors", 1, 8192, 32, "sectors written and read back" },
	[BLK_OPT_REQUESTS] = { "requests", 1, 256, 8, "requests they are split into" },
};
/* This workload (end of file): its options are read through it. */
extern const struct drv_workload drv_wl_blk;

struct blk_state {
	uint64_t capacity; /* 512-byte sectors */
	uint32_t size_max; /* 0 = not negotiated */
	uint32_t seg_max;  /* 0 = not negotiated */
	uint32_t blk_size; /* 0 = not negotiated */
	/* Guest memory of the run. */
	uint64_t hdrs;     /* one 16-byte header per request */
	uint64_t status;   /* one status byte per request */
	uint64_t wbuf;     /* the pattern, as written */
	uint64_t rbuf;     /* where it is read back */
	uint64_t idbuf;    /* VIRTIO_BLK_ID_BYTES */
	unsigned n_req;
	unsigned *start;   /* first sector of each request; malloc */
	unsigned *count;   /* sectors of each request; malloc */
};

static int blk_read_config(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct blk_state *s = state;
	unsigned tries = 0;
	uint32_t gen;

	do {
		gen = drv_config_begin(d);
		s->capacity = drv_config_read64(d, VIRTIO_BLK_CFG_CAPACITY);
		if (drv_has(d, VIRTIO_BLK_F_SIZE_MAX))
			s->size_max = drv_config_read32(d, VIRTIO_BLK_CFG_SIZE_MAX);
		if (drv_has(d, VIRTIO_BLK_F_SEG_MAX))
			s->seg_max = drv_config_read32(d, VIRTIO_BLK_CFG_SEG_MAX);
		if (drv_has(d, VIRTIO_BLK_F_BLK_SIZE))
			s->blk_size = drv_config_read32(d, VIRTIO_BLK_CFG_BLK_SIZE);
	} while (drv_config_retry(d, gen, &tries));
	return 0;
}

/* Split the request's data [gpa, gpa + bytes) into segments at sg.
 * Returns the number of segments, or 0 with d->err set if the device's
 * seg_max / size_max limits cannot hold it. */
static unsigned blk_segments(struct drv_dev *d, const struct blk_state *s, uint64_t gpa, uint32_t bytes,
			     struct drv_sg *sg, unsigned max_segs)
{
	uint32_t seg = BLK_SEG_BYTES;
	unsigned n;

	if (s->size_max && s->size_max < seg)
		seg = s->size_max & ~(VIRTIO_BLK_SECTOR_SIZE - 1);
	if (seg == 0) {
		drv_error(d, DRV_E_REFUSED, "size_max %u is smaller than a sector", s->size_max);
		return 0;
	}
	n = (unsigned)((bytes + (uint64_t)seg - 1) / seg);
	if (n > max_segs) {
		/* Fewer, larger segments, still whole sectors. */
		uint64_t per = (bytes + (uint64_t)max_segs - 1) / max_segs;

		per = (per + VIRTIO_BLK_SECTOR_SIZE - 1) & ~(uint64_t)(VIRTIO_BLK_SECTOR_SIZE - 1);
		if (s->size_max && per > s->size_max) {
			drv_error(d, DRV_E_REFUSED, "a request of %u bytes needs more than %u segments of size_max %u",
				  bytes, max_segs, s->size_max);
			return 0;
		}
		seg = (uint32_t)per;
		n = (unsigned)((bytes + (uint64_t)seg - 1) / seg);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = i * seg;

		sg[i].gpa = gpa + off;
		sg[i].len = bytes - off < seg ? bytes - off : seg;
	}
	return n;
}

/* Write the header of request i and reset its status byte; fill sg with
 * header, data segments and status. *n_out / *n_in get the split. */
static int blk_prepare(struct drv_dev *d, struct blk_state *s, unsigned i, uint32_t type, uint64_t sector,
		       uint64_t data, uint32_t bytes, bool data_in, struct drv_sg *sg, unsigned *n_out,
		       unsigned *n_in)
{
	uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE] = { 0 };
	uint8_t unset = BLK_STATUS_UNSET;
	uint32_t chain_max = d->vq[0].num < DRV_SG_MAX ? d->vq[0].num : DRV_SG_MAX;
	unsigned max_segs, nd = 0;
	int r;

	/* A chain (direct or indirect) holds at most the queue size:
	 * header and status leave the rest for data. */
	if (chain_max < 3)
		return drv_error(d, DRV_E_REFUSED, "a queue of %u entries cannot hold a request of 3 buffers",
				 d->vq[0].num);
	max_segs = chain_max - 2;
	if (s->seg_max && s->seg_max < max_segs)
		max_segs = s->seg_max;
	le32_put(hdr, type);
	le64_put(hdr + 8, sector);
	r = drv_mem_write(d, s->hdrs + (uint64_t)i * VIRTIO_BLK_REQ_HDR_SIZE, hdr, sizeof(hdr));
	if (r == 0)
		r = drv_mem_write(d, s->status + i, &unset, 1);
	if (r != 0)
		return r;
	sg[0] = (struct drv_sg){ s->hdrs + (uint64_t)i * VIRTIO_BLK_REQ_HDR_SIZE, VIRTIO_BLK_REQ_HDR_SIZE };
	if (bytes) {
		nd = blk_segments(d, s, data, bytes, sg + 1, max_segs);
		if (nd == 0)
			return DRV_E_REFUSED;
	}
	sg[1 + nd] = (struct drv_sg){ s->status + i, 1 };
	*n_out = data_in ? 1 : 1 + nd;
	*n_in = data_in ? nd + 1 : 1;
	return 0;
}

/* Check request i completed: status byte OK and used length as expected. */
static int blk_check(struct drv_dev *d, struct blk_state *s, unsigned i, const char *what, uint32_t len,
		     uint32_t want_len, bool unsupp_ok, uint8_t *status_out)
{
	uint8_t st;
	int r = drv_mem_read(d, s->status + i, &st, 1);

	if (r != 0)
		return r;
	if (status_out)
		*status_out = st;
	if (st == VIRTIO_BLK_S_UNSUPP && unsupp_ok)
		return 0;
	if (st != VIRTIO_BLK_S_OK)
		return drv_error(d, DRV_E_VERIFY, "%s request %u: status %u (%s)", what, i, st,
				 st == VIRTIO_BLK_S_IOERR ? "IOERR" : st == VIRTIO_BLK_S_UNSUPP ? "UNSUPP" :
				 st == BLK_STATUS_UNSET ? "never written" : "undefined");
	if (len != want_len)
		return drv_error(d, DRV_E_VERIFY, "%s request %u: device reports %u bytes written, expected %u",
				 what, i, len, want_len);
	return 0;
}

/* Take back every used write request; *done counts them. */
static int blk_harvest_writes(struct drv_dev *d, struct blk_state *s, unsigned *done)
{
	uint64_t tok;
	uint32_t len;
	int r;

	while ((r = drv_get_used(d, 0, &tok, &len)) == 1) {
		if (tok >= s->n_req)
			return drv_error(d, DRV_E_REFUSED, "write: unknown request %llu completed",
					 (unsigned long long)tok);
		r = blk_check(d, s, (unsigned)tok, "write", len, 1, false, NULL);
		if (r != 0)
			return r;
		(*done)++;
	}
	return r;
}

/* All writes are made available before one notification (so the device
 * sees a batch), waiting only when the ring is full. */
static int blk_write_all(struct drv_dev *d, struct blk_state *s)
{
	struct drv_sg sg[DRV_SG_MAX];
	unsigned n_out, n_in, done = 0;
	int r;

	for (unsigned i = 0; i < s->n_req; i++) {
		r = blk_prepare(d, s, i, VIRTIO_BLK_T_OUT, s->start[i],
				s->wbuf + (uint64_t)s->start[i] * VIRTIO_BLK_SECTOR_SIZE,
				s->count[i] * VIRTIO_BLK_SECTOR_SIZE, false, sg, &n_out, &n_in);
		if (r != 0)
			return r;
		while ((r = drv_submit(d, 0, sg, n_out, n_in, i)) == -ENOSPC) {
			drv_kick(d, 0);
			r = drv_wait(d, 0);
			if (r == 0)
				r = blk_harvest_writes(d, s, &done);
			if (r != 0)
				return r;
		}
		if (r != 0)
			return r;
	}
	drv_kick(d, 0);
	while (done < s->n_req) {
		r = drv_wait(d, 0);
		if (r == 0)
			r = blk_harvest_writes(d, s, &done);
		if (r != 0)
			return r;
	}
	return 0;
}

static int blk_read_all(struct drv_dev *d, struct blk_state *s)
{
	struct drv_sg sg[DRV_SG_MAX];
	unsigned n_out, n_in;
	uint32_t len, bytes;
	int r;

	for (unsigned i = 0; i < s->n_req; i++) {
		bytes = s->count[i] * VIRTIO_BLK_SECTOR_SIZE;
		r = blk_prepare(d, s, i, VIRTIO_BLK_T_IN, s->start[i],
				s->rbuf + (uint64_t)s->start[i] * VIRTIO_BLK_SECTOR_SIZE, bytes, true, sg, &n_out,
				&n_in);
		if (r == 0)
			r = drv_transact(d, 0, sg, n_out, n_in, &len);
		if (r == 0)
			r = blk_check(d, s, i, "read", len, bytes + 1, false, NULL);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Request sizes: an even split, then half of every even-numbered request
 * moved to its neighbour, so sizes differ (2 and 6 sectors for the
 * defaults) and some requests span several segments. */
static void blk_plan(struct blk_state *s, unsigned sectors)
{
	unsigned base = sectors / s->n_req, rem = sectors % s->n_req, at = 0;

	for (unsigned i = 0; i < s->n_req; i++)
		s->count[i] = base + (i < rem);
	for (unsigned i = 0; i + 1 < s->n_req; i += 2) {
		unsigned m = s->count[i] / 2;

		s->count[i] -= m;
		s->count[i + 1] += m;
	}
	for (unsigned i = 0; i < s->n_req; i++) {
		s->start[i] = at;
		at += s->count[i];
	}
}

static int blk_verify(struct drv_dev *d, struct blk_state *s, const uint8_t *pat, uint8_t *got, size_t bytes)
{
	size_t at;
	int r = drv_mem_read(d, s->rbuf, got, bytes);

	if (r != 0)
		return r;
	at = drv_first_diff(pat, got, bytes);
	if (at < bytes)
		return drv_error(d, DRV_E_VERIFY,
				 "read-back mismatch at sector %zu byte %zu: got 0x%02x, wrote 0x%02x",
				 at / VIRTIO_BLK_SECTOR_SIZE, at % VIRTIO_BLK_SECTOR_SIZE, got[at], pat[at]);
	return 0;
}

static int blk_flush_and_id(struct drv_dev *d, struct blk_state *s)
{
	struct drv_sg sg[DRV_SG_MAX];
	unsigned n_out, n_in;
	uint32_t len;
	uint8_t st, id[VIRTIO_BLK_ID_BYTES + 1];
	int r;

	/* Flush is defined only with VIRTIO_BLK_F_FLUSH. */
	if (drv_has(d, VIRTIO_BLK_F_FLUSH)) {
		drv_marker(d, "blk: flush");
		r = blk_prepare(d, s, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, sg, &n_out, &n_in);
		if (r == 0)
			r = drv_transact(d, 0, sg, n_out, n_in, &len);
		if (r == 0)
			r = blk_check(d, s, 0, "flush", len, 1, false, NULL);
		if (r != 0)
			return r;
	} else {
		drv_marker(d, "blk: flush skipped (VIRTIO_BLK_F_FLUSH not offered)");
	}

	drv_marker(d, "blk: get-id");
	r = blk_prepare(d, s, 0, VIRTIO_BLK_T_GET_ID, 0, s->idbuf, VIRTIO_BLK_ID_BYTES, true, sg, &n_out, &n_in);
	if (r == 0)
		r = drv_transact(d, 0, sg, n_out, n_in, &len);
	if (r == 0)
		r = blk_check(d, s, 0, "get-id", len, VIRTIO_BLK_ID_BYTES + 1, true, &st);
	if (r != 0)
		return r;
	if (st == VIRTIO_BLK_S_UNSUPP) {
		drv_marker(d, "blk: get-id unsupported by the device");
		return 0;
	}
	memset(id, 0, sizeof(id));
	r = drv_mem_read(d, s->idbuf, id, VIRTIO_BLK_ID_BYTES);
	if (r != 0)
		return r;
	/* The id is a string of up to 20 bytes, NUL-padded if shorter. */
	for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && id[i]; i++)
		if (id[i] < 0x20 || id[i] > 0x7e)
			id[i] = '?';
	drv_marker(d, "blk: id '%s'", (char *)id);
	return 0;
}

static int blk_run(struct drv_dev *d, void *state, const struct drv_wl_opts *o)
{
	struct blk_state *s = state;
	unsigned sectors = drv_wl_opt(o, &drv_wl_blk, BLK_OPT_SECTORS);
	unsigned requests = drv_wl_opt(o, &drv_wl_blk, BLK_OPT_REQUESTS);
	size_t bytes = (size_t)sectors * VIRTIO_BLK_SECTOR_SIZE;
	uint8_t *pat = NULL, *got = NULL;
	int r;

	if (drv_has(d, VIRTIO_BLK_F_RO))
		return drv_error(d, DRV_E_REFUSED, "device is read-only (VIRTIO_BLK_F_RO): cannot run the write workload");
	if (s->capacity < sectors)
		return drv_error(d, DRV_E_REFUSED, "capacity %llu sectors is less than the %u the workload writes",
				 (unsigned long long)s->capacity, sectors);
	s->n_req = requests < sectors ? requests : sectors;
	s->start = calloc(s->n_req, sizeof(*s->start));
	s->count = calloc(s->n_req, sizeof(*s->count));
	pat = malloc(bytes);
	got = malloc(bytes);
	if (!s->start || !s->count || !pat || !got) {
		r = drv_error(d, -ENOMEM, "out of memory");
		goto out;
	}
	blk_plan(s, sectors);
	s->hdrs = drv_mem_alloc(d, (uint64_t)s->n_req * VIRTIO_BLK_REQ_HDR_SIZE, 16);
	s->status = drv_mem_alloc(d, s->n_req, 1);
	s->wbuf = drv_mem_alloc(d, bytes, VIRTIO_BLK_SECTOR_SIZE);
	s->rbuf = drv_mem_alloc(d, bytes, VIRTIO_BLK_SECTOR_SIZE);
	s->idbuf = drv_mem_alloc(d, VIRTIO_BLK_ID_BYTES, 4);
	if (!s->hdrs || !s->status || !s->wbuf || !s->rbuf || !s->idbuf) {
		r = -ENOMEM;
		goto out;
	}

	/* Each sector gets its own pattern stream, so a device that reads
	 * the wrong sector is caught, not just one that corrupts bytes. */
	for (unsigned i = 0; i < sectors; i++)
		drv_pattern(pat + (size_t)i * VIRTIO_BLK_SECTOR_SIZE, VIRTIO_BLK_SECTOR_SIZE, o->seed, i);
	drv_marker(d, "blk: write %u sector%s at 0 in %u request%s", sectors, drv_plural(sectors), s->n_req,
		   drv_plural(s->n_req));
	r = drv_mem_write(d, s->wbuf, pat, bytes);
	if (r == 0)
		r = blk_write_all(d, s);
	if (r != 0)
		goto out;
	drv_marker(d, "blk: read %u sector%s at 0 in %u request%s", sectors, drv_plural(sectors), s->n_req,
		   drv_plural(s->n_req));
	r = blk_read_all(d, s);
	if (r != 0)
		goto out;
	drv_marker(d, "blk: compare %u sector%s", sectors, drv_plural(sectors));
	r = blk_verify(d, s, pat, got, bytes);
	if (r != 0)
		goto out;
	r = blk_flush_and_id(d, s);
out:
	free(pat);
	free(got);
	free(s->start);
	free(s->count);
	s->start = s->count = NULL;
	return r;
}

const struct drv_workload drv_wl_blk = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.summary = "write a pattern to sectors 0..N-1, read it back, flush, get-id",
	.keys = blk_keys,
	.n_keys = sizeof(blk_keys) / sizeof(blk_keys[0]),
	.n_queues = 1,
	.features = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_RO),
	.state_size = sizeof(struct blk_state),
	.read_config = blk_read_config,
	.run = blk_run,
};
