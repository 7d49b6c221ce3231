/* Raw trace reader: validates one block at a time (header CRC, bounds,
 * payload CRC, sequence, every record) before returning any of its events,
 * and stops at the first damage, remembering where and why. */
#include "capture/rawtrace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/rawtrace_format.h"
#include "virtio/virtio.h"

struct rawtrace_reader {
	int fd;
	char *path;
	struct rawtrace_meta meta;
	uint64_t offset;     /* file offset of the next block header */
	uint8_t *buf;        /* payload of the current block (malloc) */
	size_t buf_cap;
	size_t pos, end;     /* unread records of the current block: buf[pos..end) */
	uint32_t left;       /* records left in the current block */
	uint64_t next_seq;   /* sequence of the next event returned */
	struct rt_context ctx;
	bool done;           /* no more blocks: status is final */
	struct rawtrace_status st;
};

/* Read up to len bytes, retrying short reads and EINTR; fewer bytes only
 * at end of file.  Returns the byte count or a negative errno. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static inline int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (p == end)
			return -1;
		uint8_t b = *p++;
		/* The tenth byte may only carry the top bit of 64. */
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Decode the record at *pp (not past end) into ev, advancing ctx and *pp.
 * Returns NULL, or a description of what is wrong with the record. */
static const char *decode_record(struct rt_context *ctx, const uint8_t **pp, const uint8_t *end,
				 struct vmt_event *ev)
{
	const uint8_t *p = *pp;
	uint64_t v;
	uint8_t mask;

	if (end - p < 3)
		return "record runs past the block";
	memset(ev, 0, sizeof(*ev));
	ev->type = *p++;
	if (ev->type == 0)
		return "record type 0";
	mask = *p++;
	if (get_varint(&p, end, &v))
		return "bad timestamp";
	ctx->ts += (v >> 1) ^ (0 - (v & 1));
	ev->ts_ns = ctx->ts;
	if (mask & RT_F_SOURCE) {
		if (p == end)
			return "record runs past the block";
		ctx->source = *p++;
	}
	ev->source = ctx->source;
	if (mask & RT_F_DIRW) {
		if (end - p < 2)
			return "record runs past the block";
		ev->dir = p[0];
		ev->width = p[1];
		p += 2;
	}
	if (mask & RT_F_VCPU) {
		if (get_varint(&p, end, &v) || v > 0xffff)
			return "bad vcpu";
		ctx->vcpu = (uint16_t)v;
	}
	ev->vcpu = ctx->vcpu;
	if (mask & RT_F_FLAGS) {
		if (get_varint(&p, end, &v) || v > 0xffff)
			return "bad flags";
		ev->flags = (uint16_t)v;
	}
	if (mask & RT_F_BASE) {
		if (get_varint(&p, end, &ctx->base))
			return "bad base";
	}
	ev->base = ctx->base;
	if ((mask & RT_F_ADDR) && get_varint(&p, end, &ev->addr))
		return "bad address";
	if ((mask & RT_F_VALUE) && get_varint(&p, end, &ev->value))
		return "bad value";
	if (mask & RT_F_DATA) {
		if (get_varint(&p, end, &v) || v == 0 || v > VMT_EVENT_DATA_MAX)
			return "bad data length";
		if ((uint64_t)(end - p) < v)
			return "data runs past the block";
		ev->len = (uint32_t)v;
		ev->data = p;
		p += v;
	}
	if (ev->type == VMT_EV_QUEUE) {
		if (ev->len != VMT_QUEUE_REPORT_BYTES)
			return "queue report payload is not 24 bytes";
		if (ev->value < 1 || ev->value > VMT_QSTEP_MAX)
			return "queue report step out of range";
	}
	*pp = p;
	return NULL;
}

/* Mark the reader finished at damage found in the block at offset. */
__attribute__((format(printf, 3, 4)))
static void damage(struct rawtrace_reader *r, uint64_t offset, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->done = true;
	r->st.damaged = true;
	r->st.stop_offset = offset;
	snprintf(r->st.reason, sizeof(r->st.reason), "block at offset %llu: %s",
		 (unsigned long long)offset, what);
}

/* Ensure the payload buffer holds len bytes (len is already capped). */
static int reserve(struct rawtrace_reader *r, size_t len)
{
	uint8_t *nb;

	if (len <= r->buf_cap)
		return 0;
	nb = realloc(r->buf, len);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	r->buf_cap = len;
	return 0;
}

/* Read the block at r->offset: its header into h, its payload into r->buf.
 * Returns 1 when both are read and their CRCs match, 0 when the file ends
 * exactly here, 2 when damage was found (recorded with damage()), or a
 * negative errno for an I/O error or no memory. */
static int read_block(struct rawtrace_reader *r, uint8_t h[RT_BLOCK_HEADER_SIZE], uint32_t *plen)
{
	uint64_t off = r->offset;
	struct stat sb;
	ssize_t n;
	uint32_t len;
	int e;

	n = read_full(r->fd, h, RT_BLOCK_HEADER_SIZE);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if (n < (ssize_t)RT_BLOCK_HEADER_SIZE) {
		damage(r, off, "truncated block header (%zd of %u bytes)", n, RT_BLOCK_HEADER_SIZE);
		return 2;
	}
	if (crc32c(0, h, 28) != le32_get(h + 28)) {
		damage(r, off, "header CRC mismatch");
		return 2;
	}
	len = le32_get(h + 4);
	if (len > RAWTRACE_BLOCK_MAX) {
		damage(r, off, "payload length %u exceeds the limit of %u", len, RAWTRACE_BLOCK_MAX);
		return 2;
	}
	/* Before allocating, check the file really holds that much (it may
	 * still be growing, so ask now rather than at open). */
	if (fstat(r->fd, &sb) != 0)
		return -errno;
	if ((uint64_t)sb.st_size < off + RT_BLOCK_HEADER_SIZE + len) {
		uint64_t have = (uint64_t)sb.st_size > off + RT_BLOCK_HEADER_SIZE ?
			(uint64_t)sb.st_size - off - RT_BLOCK_HEADER_SIZE : 0;
		damage(r, off, "truncated payload (%llu of %u bytes)", (unsigned long long)have, len);
		return 2;
	}
	e = reserve(r, len);
	if (e < 0)
		return e;
	n = read_full(r->fd, r->buf, len);
	if (n < 0)
		return (int)n;
	if ((size_t)n < len) {
		damage(r, off, "truncated payload (%zd of %u bytes)", n, len);
		return 2;
	}
	if (crc32c(0, r->buf, len) != le32_get(h + 24)) {
		damage(r, off, "payload CRC mismatch");
		return 2;
	}
	*plen = len;
	return 1;
}

static void set_open_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_open_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int rawtrace_reader_open(struct rawtrace_reader **out, const char *path, char *err, size_t errlen)
{
	struct rawtrace_reader *r;
	uint8_t fh[RT_FILE_HEADER_SIZE], bh[RT_BLOCK_HEADER_SIZE];
	char why[128];
	uint32_t len = 0;
	ssize_t n;
	int e;

	if (err && errlen)
		err[0] = '\0';
	if (!out || !path)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return -ENOMEM;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		e = -errno;
		set_open_error(err, errlen, "unable to open '%s': %s", path, strerror(-e));
		goto fail;
	}
	n = read_full(r->fd, fh, sizeof(fh));
	if (n < 0) {
		e = (int)n;
		set_open_error(err, errlen, "unable to read '%s': %s", path, strerror(-e));
		goto fail;
	}
	e = -EPROTO;
	if (n < (ssize_t)RT_FILE_MAGIC_LEN || memcmp(fh, RT_FILE_MAGIC, RT_FILE_MAGIC_LEN) != 0) {
		set_open_error(err, errlen, "'%s' is not a vmtrace raw trace", path);
		goto fail;
	}
	if (n < (ssize_t)RT_FILE_HEADER_SIZE) {
		set_open_error(err, errlen, "'%s': file header at offset 0: truncated (%zd of %u bytes)",
			       path, n, RT_FILE_HEADER_SIZE);
		goto fail;
	}
	if (crc32c(0, fh, 28) != le32_get(fh + 28)) {
		set_open_error(err, errlen, "'%s': file header at offset 0: CRC mismatch", path);
		goto fail;
	}
	if (le32_get(fh + 8) != RAWTRACE_FORMAT_VERSION || le32_get(fh + 12) != RT_FILE_HEADER_SIZE) {
		set_open_error(err, errlen, "'%s': format version %u is not supported (this vmtrace reads version %u)",
			       path, le32_get(fh + 8), RAWTRACE_FORMAT_VERSION);
		goto fail;
	}

	r->offset = RT_FILE_HEADER_SIZE;
	e = read_block(r, bh, &len);
	if (e == 1 && le32_get(bh) != RT_MAGIC_META) {
		damage(r, r->offset, "not a metadata block");
		e = 2;
	}
	if (e == 0) {
		damage(r, r->offset, "missing");
		e = 2;
	}
	if (e == 2) {
		set_open_error(err, errlen, "'%s': metadata %s", path, r->st.reason);
		e = -EPROTO;
		goto fail;
	}
	if (e < 0) {
		set_open_error(err, errlen, "unable to read '%s': %s", path, strerror(-e));
		goto fail;
	}
	e = rawtrace_meta_decode(&r->meta, r->buf, len, why, sizeof(why));
	if (e < 0) {
		if (e == -EPROTO)
			set_open_error(err, errlen, "'%s': metadata block at offset %u: %s",
				       path, RT_FILE_HEADER_SIZE, why);
		else
			set_open_error(err, errlen, "unable to read '%s': %s", path, strerror(-e));
		goto fail;
	}
	r->offset += RT_BLOCK_HEADER_SIZE + len;
	r->st.stop_offset = r->offset;
	*out = r;
	return 0;
fail:
	rawtrace_reader_close(r);
	return e;
}

const struct rawtrace_meta *rawtrace_reader_meta(const struct rawtrace_reader *r)
{
	return r ? &r->meta : NULL;
}

/* Check every record of a data block so the block is returned whole or
 * not at all; then set it up for rawtrace_reader_next. */
static void start_data_block(struct rawtrace_reader *r, const uint8_t *h, uint32_t len)
{
	uint32_t count = le32_get(h + 8);
	uint64_t first = le64_get(h + 16);
	struct rt_context ctx = { 0 };
	const uint8_t *p = r->buf, *end = r->buf + len;
	struct vmt_event ev;

	if (first != r->next_seq) {
		damage(r, r->offset, "first sequence number %llu, expected %llu",
		       (unsigned long long)first, (unsigned long long)r->next_seq);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		size_t at = (size_t)(p - r->buf);
		const char *bad = decode_record(&ctx, &p, end, &ev);
		if (bad) {
			damage(r, r->offset, "record %u at payload offset %zu: %s", i, at, bad);
			return;
		}
	}
	if (p != end) {
		damage(r, r->offset, "%zu bytes after the %u records", (size_t)(end - p), count);
		return;
	}
	r->pos = 0;
	r->end = len;
	r->left = count;
	memset(&r->ctx, 0, sizeof(r->ctx));
	r->offset += RT_BLOCK_HEADER_SIZE + len;
	r->st.stop_offset = r->offset;
	r->st.blocks++;
}

/* Take the footer; anything after it is damage too (a footer is last). */
static void take_footer(struct rawtrace_reader *r, const uint8_t *h, uint32_t len)
{
	const uint8_t *p = r->buf;
	uint64_t events, lost;
	uint32_t rlen;
	uint8_t extra;

	if (len < RT_FOOTER_FIXED) {
		damage(r, r->offset, "footer too short");
		return;
	}
	events = le64_get(p);
	lost = le64_get(p + 8);
	rlen = le32_get(p + 16);
	if (rlen > RT_FOOTER_REASON_MAX || len != RT_FOOTER_FIXED + rlen) {
		damage(r, r->offset, "bad footer length");
		return;
	}
	if (events != r->next_seq || le64_get(h + 16) != r->next_seq) {
		damage(r, r->offset, "footer counts %llu events, %llu were read",
		       (unsigned long long)events, (unsigned long long)r->next_seq);
		return;
	}
	r->offset += RT_BLOCK_HEADER_SIZE + len;
	ssize_t n = read_full(r->fd, &extra, 1);
	if (n != 0) {
		/* An I/O error here is reported as damage: the footer is read. */
		damage(r, r->offset, "data after the footer");
		return;
	}
	r->st.complete = true;
	r->st.footer_events = events;
	r->st.lost += lost;
	memcpy(r->st.end_reason, p + RT_FOOTER_FIXED, rlen);
	r->st.end_reason[rlen] = '\0';
	r->st.stop_offset = r->offset;
	r->done = true;
}

int rawtrace_reader_next(struct rawtrace_reader *r, struct vmt_event *ev)
{
	uint8_t h[RT_BLOCK_HEADER_SIZE];
	uint32_t len;
	int e;

	if (!r || !ev)
		return -EINVAL;
	while (r->left == 0) {
		if (r->done)
			return 0;
		e = read_block(r, h, &len);
		if (e < 0) {
			/* The file position is unknown after a failed read:
			 * stop here rather than resynchronize. */
			r->done = true;
			return e;
		}
		if (e == 0) {
			/* Clean end at a block boundary, but no footer: the
			 * writer was killed between blocks. */
			r->done = true;
			r->st.stop_offset = r->offset;
			return 0;
		}
		if (e == 2)
			return 0;
		switch (le32_get(h)) {
		case RT_MAGIC_DATA:
			start_data_block(r, h, len);
			break;
		case RT_MAGIC_FOOTER:
			take_footer(r, h, len);
			break;
		default:
			damage(r, r->offset, "unknown block type 0x%08x", le32_get(h));
			break;
		}
	}
	/* Validated by start_data_block: cannot fail. */
	const uint8_t *p = r->buf + r->pos;
	decode_record(&r->ctx, &p, r->buf + r->end, ev);
	r->pos = (size_t)(p - r->buf);
	r->left--;
	ev->seq = r->next_seq++;
	r->st.events++;
	if (ev->type == VMT_EV_LOST)
		r->st.lost += ev->value;
	return 1;
}

void rawtrace_reader_status(const struct rawtrace_reader *r, struct rawtrace_status *st)
{
	if (!st)
		return;
	if (!r) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = r->st;
}

void rawtrace_reader_close(struct rawtrace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	rawtrace_meta_clear(&r->meta);
	free(r->buf);
	free(r->path);
	free(r);
}
