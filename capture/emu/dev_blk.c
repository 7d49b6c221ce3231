/* virtio-blk device model (Device Types / Block Device): one request queue
 * over a backing file (pread/pwrite) or an in-memory image.  Requests are
 * served synchronously inside queue_notify, so nothing is ever in flight
 * between calls.  Data moves between guest buffers and the image through a
 * fixed bounce buffer: no allocation is ever sized by the guest. */
#include "capture/emu/dev_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/emu/emu.h"
#include "virtio/virtio.h"

#define BLK_CONFIG_SIZE 72u
#define BLK_BOUNCE 65536u
#define BLK_FEATURES (VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | \
		      VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
		      VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
		      VIRTIO_BIT(VIRTIO_F_RING_RESET))

struct blk_state {
	int fd;              /* backing file, or -1 for the in-memory image */
	uint8_t *image;      /* in-memory image (capacity_bytes); owned */
	uint64_t capacity;   /* sectors */
	bool read_only;
	struct dev_blk_stats stats;
	uint8_t bounce[BLK_BOUNCE];
};

/* Move len bytes at image byte offset pos to/from buf. Returns 0 or -errno. */
static int blk_io(struct blk_state *s, bool write, uint64_t pos, uint8_t *buf, size_t len)
{
	if (s->fd < 0) {
		if (write)
			memcpy(s->image + pos, buf, len);
		else
			memcpy(buf, s->image + pos, len);
		return 0;
	}
	while (len) {
		ssize_t r = write ? pwrite(s->fd, buf, len, (off_t)pos)
				  : pread(s->fd, buf, len, (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			/* The file shrank under us: read zeros, fail writes. */
			if (write)
				return -EIO;
			memset(buf, 0, len);
			return 0;
		}
		buf += r;
		pos += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

/* Serve an IN (write == false) or OUT request of data_len bytes at sector.
 * For IN the data goes to the writable part from offset 0; for OUT it comes
 * from the readable part after the header.  Returns the status byte and
 * sets *moved to the bytes written into guest buffers. */
static uint8_t blk_rw(struct emu_device *d, struct blk_state *s, const struct vq_chain *c,
		      bool write, uint64_t sector, uint64_t data_len, uint64_t *moved)
{
	struct guest_mem *gm = emu_mem(d);
	uint64_t n_sectors = data_len / VIRTIO_BLK_SECTOR_SIZE;
	uint64_t done = 0;

	*moved = 0;
	if (sector > s->capacity || n_sectors > s->capacity - sector) {
		s->stats.ioerr++;
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && s->read_only) {
		s->stats.ioerr++;
		return VIRTIO_BLK_S_IOERR;
	}
	uint64_t pos = sector * VIRTIO_BLK_SECTOR_SIZE;
	while (done < data_len) {
		size_t chunk = data_len - done < BLK_BOUNCE ? (size_t)(data_len - done) : BLK_BOUNCE;
		if (write) {
			if (vq_chain_read(gm, c, VIRTIO_BLK_REQ_HDR_SIZE + done, s->bounce, chunk) != chunk ||
			    blk_io(s, true, pos + done, s->bounce, chunk) < 0) {
				s->stats.ioerr++;
				return VIRTIO_BLK_S_IOERR;
			}
		} else {
			if (blk_io(s, false, pos + done, s->bounce, chunk) < 0) {
				s->stats.ioerr++;
				return VIRTIO_BLK_S_IOERR;
			}
			uint64_t w = vq_chain_write(gm, c, done, s->bounce, chunk);
			*moved += w;
			if (w != chunk) {
				s->stats.ioerr++;
				return VIRTIO_BLK_S_IOERR;
			}
		}
		done += chunk;
	}
	if (write)
		s->stats.writes++;
	else
		s->stats.reads++;
	return VIRTIO_BLK_S_OK;
}

/* Serve one request chain. Returns the used length, or -1 if the chain has
 * no writable status byte (the device then fails: nothing can be reported
 * back for this request). */
static int64_t blk_request(struct emu_device *d, struct blk_state *s, const struct vq_chain *c)
{
	struct guest_mem *gm = emu_mem(d);
	uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE];
	uint64_t moved = 0;
	uint8_t status;

	if (c->writable_len == 0)
		return -1;
	/* The status is the last writable byte; the data part lies between
	 * the header and it (readable for OUT, writable for IN). */
	uint64_t status_off = c->writable_len - 1;

	if (c->readable_len < VIRTIO_BLK_REQ_HDR_SIZE) {
		emu_violation(d, RULE_REQUEST_MALFORMED,
			      "blk request %u: header is %llu bytes, needs %u (Block Device / Device Operation)",
			      c->head, (unsigned long long)c->readable_len, VIRTIO_BLK_REQ_HDR_SIZE);
		s->stats.malformed++;
		s->stats.ioerr++;
		status = VIRTIO_BLK_S_IOERR;
		goto complete;
	}
	vq_chain_read(gm, c, 0, hdr, sizeof(hdr));
	uint32_t type = le32_get(hdr);
	uint64_t sector = le64_get(hdr + 8);
	uint64_t out_len = c->readable_len - VIRTIO_BLK_REQ_HDR_SIZE;
	uint64_t in_len = status_off;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool write = type == VIRTIO_BLK_T_OUT;
		uint64_t data_len = write ? out_len : in_len;
		uint64_t stray = write ? in_len : out_len;
		if (stray || data_len % VIRTIO_BLK_SECTOR_SIZE || data_len > DEV_BLK_DATA_MAX) {
			emu_violation(d, RULE_REQUEST_MALFORMED,
				      "blk %s request %u: %llu data bytes%s%s (Block Device / Device Operation)",
				      write ? "OUT" : "IN", c->head, (unsigned long long)data_len,
				      data_len % VIRTIO_BLK_SECTOR_SIZE ? ", not a multiple of 512" :
				      data_len > DEV_BLK_DATA_MAX ? ", above the device's limit" : "",
				      stray ? write ? ", extra device-writable bytes" : ", extra device-readable bytes" : "");
			s->stats.malformed++;
			s->stats.ioerr++;
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		status = blk_rw(d, s, c, write, sector, data_len, &moved);
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		if (sector != 0 || out_len || in_len)
			emu_violation(d, RULE_REQUEST_MALFORMED,
				      "blk FLUSH request %u: sector %llu and %llu data bytes, expected 0 and 0 (Block Device / Device Operation)",
				      c->head, (unsigned long long)sector, (unsigned long long)(out_len + in_len));
		status = VIRTIO_BLK_S_OK;
		if (s->fd >= 0 && fsync(s->fd) < 0) {
			s->stats.ioerr++;
			status = VIRTIO_BLK_S_IOERR;
		}
		s->stats.flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		/* The id is NUL-padded to 20 bytes; a shorter buffer gets a prefix. */
		uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
		memcpy(id, DEV_BLK_ID, sizeof(DEV_BLK_ID) - 1);
		uint64_t n = in_len < sizeof(id) ? in_len : sizeof(id);
		moved = vq_chain_write(gm, c, 0, id, n);
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		s->stats.unsupported++;
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
complete:
	vq_chain_write(gm, c, status_off, &status, 1);
	return (int64_t)moved + 1;
}

/* Serve every request available on q (at most its size per call), then
 * interrupt once.  A broken ring or a request with no status byte fails
 * the device and stops processing. */
static void blk_queue_notify(struct emu_device *d, unsigned q)
{
	struct blk_state *s = emu_model_state(d);
	struct virtqueue *vq = emu_queue(d, q);
	struct vq_chain c;
	struct vq_fault f;
	bool pushed = false;
	int r;

	if (!vq || !s)
		return;
	/* At most num chains per notify: the ring cannot hold more, and a
	 * driver refilling it concurrently cannot keep us here forever. */
	for (uint32_t i = 0; i < vq->num && (r = vq_pop(vq, &c, &f)) != 0; i++) {
		if (r < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		int64_t used = blk_request(d, s, &c);
		if (used < 0) {
			s->stats.malformed++;
			emu_device_fail(d, RULE_REQUEST_MALFORMED,
					"blk request %u has no device-writable status byte (Block Device / Device Operation)",
					c.head);
			return;
		}
		if (vq_push(vq, &c, (uint32_t)used, &f) < 0) {
			emu_device_fail(d, f.rule, "%s", f.msg);
			return;
		}
		pushed = true;
	}
	/* No used entry, no interrupt: it would be a spurious one. */
	if (pushed)
		emu_queue_interrupt(d, q);
}

/* Open the backing file or allocate the in-memory image, fill config space. */
static int blk_init(struct emu_device *d, const void *opts_v)
{
	static const struct dev_blk_opts defaults;
	const struct dev_blk_opts *opts = opts_v ? opts_v : &defaults;
	struct blk_state *s = calloc(1, sizeof(*s));
	uint8_t *cfg = emu_config(d);
	int r;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->read_only = opts->read_only;
	if (opts->image) {
		struct stat st;
		s->fd = open(opts->image, (s->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (s->fd < 0 || fstat(s->fd, &st) < 0) {
			r = -errno;
			goto fail;
		}
		s->capacity = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR_SIZE;
	} else {
		uint64_t bytes = opts->capacity ? opts->capacity : DEV_BLK_CAPACITY_DEFAULT;
		if (bytes % VIRTIO_BLK_SECTOR_SIZE || bytes > SIZE_MAX) {
			r = -EINVAL;
			goto fail;
		}
		s->image = calloc(1, (size_t)bytes);
		if (!s->image) {
			r = -ENOMEM;
			goto fail;
		}
		s->capacity = bytes / VIRTIO_BLK_SECTOR_SIZE;
	}

	memset(cfg, 0, BLK_CONFIG_SIZE);
	le64_put(cfg + VIRTIO_BLK_CFG_CAPACITY, s->capacity);
	le32_put(cfg + VIRTIO_BLK_CFG_SEG_MAX, DEV_BLK_SEG_MAX);
	le32_put(cfg + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE);
	le16_put(cfg + 34, 1); /* num_queues, meaningful with MQ only */
	emu_set_model_state(d, s);
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->image);
	free(s);
	return r;
}

static void blk_destroy(struct emu_device *d)
{
	struct blk_state *s = emu_model_state(d);

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->image);
	free(s);
	emu_set_model_state(d, NULL);
}

/* Requests complete inside queue_notify, so a reset has nothing to drop. */
static void blk_reset(struct emu_device *d)
{
}

const struct dev_blk_stats *dev_blk_stats(const struct emu_device *d)
{
	const struct emu_model *m = emu_device_model(d);
	const struct blk_state *s;

	if (m != &emu_model_blk && m != &emu_model_blk_ro)
		return NULL;
	s = emu_model_state(d);
	return s ? &s->stats : NULL;
}

/* The built-in machine's disk: its image file if given, else 1 MiB. */
static void blk_machine_opts(void *opts, const struct emu_machine_params *p)
{
	struct dev_blk_opts *o = opts;

	o->image = p->blk_image;
	o->capacity = DEV_BLK_CAPACITY_DEFAULT;
}

const struct emu_model emu_model_blk = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.features = BLK_FEATURES,
	.config_size = BLK_CONFIG_SIZE,
	.opts_size = sizeof(struct dev_blk_opts),
	.init = blk_init,
	.destroy = blk_destroy,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
	.machine_opts = blk_machine_opts,
};

/* The model's feature set is fixed, so a device offering VIRTIO_BLK_F_RO is
 * a model of its own; it serves its image read-only whatever the options. */
static int blk_ro_init(struct emu_device *d, const void *opts)
{
	struct dev_blk_opts o = { 0 };

	if (opts)
		o = *(const struct dev_blk_opts *)opts;
	o.read_only = true;
	return blk_init(d, &o);
}

const struct emu_model emu_model_blk_ro = {
	.name = "blk-ro",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.features = BLK_FEATURES | VIRTIO_BIT(VIRTIO_BLK_F_RO),
	.config_size = BLK_CONFIG_SIZE,
	.opts_size = sizeof(struct dev_blk_opts),
	.init = blk_ro_init,
	.destroy = blk_destroy,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
	.machine_opts = blk_machine_opts,
};
