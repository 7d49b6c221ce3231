/* Raw trace writer: encodes events into a hand-managed block buffer and
 * writes each finished block with one write(2). */
#include "capture/rawtrace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/rawtrace_format.h"
#include "virtio/virtio.h"

#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE CLOCK_MONOTONIC
#endif

struct rawtrace_writer {
	int fd;
	int err;               /* first error; sticks */
	struct rawtrace_write_opts opts;
	uint8_t *buf;          /* RT_BLOCK_HEADER_SIZE reserved, then records */
	size_t cap;            /* record bytes the buffer holds (>= block_size) */
	size_t used;           /* record bytes buffered */
	uint32_t count;        /* records buffered */
	uint64_t next_seq;
	uint64_t written;      /* file bytes written */
	uint64_t last_write_ms; /* CLOCK_MONOTONIC_COARSE of the last block write */
	struct rt_context ctx; /* delta context of the block being built */
};

/* Write all of len bytes, retrying short writes and EINTR.  Returns 0 or
 * a negative errno. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Write one block (header + payload) and fsync if asked.  Records the
 * error in w->err. */
static int write_block(struct rawtrace_writer *w, uint8_t *block, uint32_t magic,
		       size_t payload_len, uint32_t count, uint64_t first_seq)
{
	int r;

	rt_block_header_put(block, magic, (uint32_t)payload_len, count, first_seq,
			    crc32c(0, block + RT_BLOCK_HEADER_SIZE, payload_len));
	r = write_all(w->fd, block, RT_BLOCK_HEADER_SIZE + payload_len);
	if (r == 0 && w->opts.fsync && fsync(w->fd) != 0)
		r = -errno;
	if (r < 0) {
		if (!w->err)
			w->err = r;
		return r;
	}
	w->written += RT_BLOCK_HEADER_SIZE + payload_len;
	return 0;
}

/* Write the buffered records as one data block and start a new one. */
static int flush_block(struct rawtrace_writer *w)
{
	int r;

	if (w->err)
		return w->err;
	if (w->count == 0)
		return 0;
	r = write_block(w, w->buf, RT_MAGIC_DATA, w->used, w->count, w->next_seq - w->count);
	/* Even on error the buffer is dropped: the writer is dead anyway. */
	w->used = 0;
	w->count = 0;
	memset(&w->ctx, 0, sizeof(w->ctx));
	if (w->opts.flush == RAWTRACE_FLUSH_INTERVAL)
		w->last_write_ms = now_ms();
	return r;
}

int rawtrace_writer_open(struct rawtrace_writer **out, const char *path,
			 const struct rawtrace_meta *meta, const struct rawtrace_write_opts *opts)
{
	struct rawtrace_writer *w;
	struct rawtrace_meta empty;
	uint8_t *mp = NULL, *first = NULL;
	size_t mlen = 0;
	int r;

	if (!out || !path)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	if (opts)
		w->opts = *opts;
	if (w->opts.block_size == 0)
		w->opts.block_size = RAWTRACE_BLOCK_DEFAULT;
	if (w->opts.block_size < RAWTRACE_BLOCK_MIN)
		w->opts.block_size = RAWTRACE_BLOCK_MIN;
	if (w->opts.block_size > RAWTRACE_BLOCK_MAX)
		w->opts.block_size = RAWTRACE_BLOCK_MAX;
	if (w->opts.interval_ms == 0)
		w->opts.interval_ms = 1000;
	if ((unsigned)w->opts.flush > RAWTRACE_FLUSH_EVENT) {
		r = -EINVAL;
		goto fail;
	}
	/* A single record may be larger than a small block: then it travels
	 * alone, so the buffer must hold the largest record too. */
	w->cap = w->opts.block_size;
	if (w->cap < RT_RECORD_FIXED_MAX + VMT_EVENT_DATA_MAX)
		w->cap = RT_RECORD_FIXED_MAX + VMT_EVENT_DATA_MAX;
	w->buf = malloc(RT_BLOCK_HEADER_SIZE + w->cap);
	if (!w->buf) {
		r = -ENOMEM;
		goto fail;
	}
	if (!meta) {
		memset(&empty, 0, sizeof(empty));
		meta = &empty;
	}
	r = rawtrace_meta_encode(meta, &mp, &mlen);
	if (r < 0)
		goto fail;
	/* File header and metadata block go out in one write, so a file has
	 * either both or an unusable prefix. */
	first = malloc(RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + mlen);
	if (!first) {
		r = -ENOMEM;
		goto fail;
	}
	rt_file_header_put(first, RAWTRACE_FORMAT_VERSION);
	memcpy(first + RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE, mp, mlen);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		r = -errno;
		goto fail;
	}
	rt_block_header_put(first + RT_FILE_HEADER_SIZE, RT_MAGIC_META, (uint32_t)mlen, 0, 0,
			    crc32c(0, mp, mlen));
	r = write_all(w->fd, first, RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + mlen);
	if (r == 0 && w->opts.fsync && fsync(w->fd) != 0)
		r = -errno;
	if (r < 0)
		goto fail;
	w->written = RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + mlen;
	w->last_write_ms = now_ms();
	free(mp);
	free(first);
	*out = w;
	return 0;
fail:
	free(mp);
	free(first);
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
	return r;
}

/* Unsigned LEB128. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

int rawtrace_writer_append(struct rawtrace_writer *w, const struct vmt_event *ev, uint64_t *seq)
{
	uint8_t *p, *maskp, mask = 0;
	uint64_t d;
	int r;

	if (!w || !ev)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* Bad arguments are refused without killing the writer: the event
	 * is not written and the recording can go on. */
	if (ev->type == 0 || ev->type > VMT_EV_TYPE_MAX || ev->len > VMT_EVENT_DATA_MAX ||
	    (ev->len && !ev->data))
		return -EINVAL;
	/* A queue report the reader would refuse is not written either. */
	if (ev->type == VMT_EV_QUEUE &&
	    (ev->len != VMT_QUEUE_REPORT_BYTES || ev->value < 1 || ev->value > VMT_QSTEP_MAX))
		return -EINVAL;
	if (w->used + RT_RECORD_FIXED_MAX + ev->len > w->opts.block_size && w->count) {
		r = flush_block(w);
		if (r < 0)
			return r;
	}

	p = w->buf + RT_BLOCK_HEADER_SIZE + w->used;
	*p++ = ev->type;
	maskp = p++; /* filled last: a local the compiler keeps in a register */
	/* Zigzag of the wrapping difference: small for time going either way. */
	d = ev->ts_ns - w->ctx.ts;
	p = put_varint(p, (d << 1) ^ (0 - (d >> 63)));
	w->ctx.ts = ev->ts_ns;
	if (ev->source != w->ctx.source) {
		mask |= RT_F_SOURCE;
		*p++ = ev->source;
		w->ctx.source = ev->source;
	}
	if (ev->dir | ev->width) {
		mask |= RT_F_DIRW;
		*p++ = ev->dir;
		*p++ = ev->width;
	}
	if (ev->vcpu != w->ctx.vcpu) {
		mask |= RT_F_VCPU;
		p = put_varint(p, ev->vcpu);
		w->ctx.vcpu = ev->vcpu;
	}
	if (ev->flags) {
		mask |= RT_F_FLAGS;
		p = put_varint(p, ev->flags);
	}
	if (ev->base != w->ctx.base) {
		mask |= RT_F_BASE;
		p = put_varint(p, ev->base);
		w->ctx.base = ev->base;
	}
	if (ev->addr) {
		mask |= RT_F_ADDR;
		p = put_varint(p, ev->addr);
	}
	if (ev->value) {
		mask |= RT_F_VALUE;
		p = put_varint(p, ev->value);
	}
	if (ev->len) {
		mask |= RT_F_DATA;
		p = put_varint(p, ev->len);
		memcpy(p, ev->data, ev->len);
		p += ev->len;
	}
	*maskp = mask;
	w->used = (size_t)(p - (w->buf + RT_BLOCK_HEADER_SIZE));
	w->count++;
	if (seq)
		*seq = w->next_seq;
	w->next_seq++;

	switch (w->opts.flush) {
	case RAWTRACE_FLUSH_BLOCK:
		break;
	case RAWTRACE_FLUSH_EVENT:
		return flush_block(w);
	case RAWTRACE_FLUSH_INTERVAL:
		if (now_ms() - w->last_write_ms >= w->opts.interval_ms)
			return flush_block(w);
		break;
	}
	return 0;
}

int rawtrace_writer_flush(struct rawtrace_writer *w)
{
	if (!w)
		return -EINVAL;
	return flush_block(w);
}

uint64_t rawtrace_writer_events(const struct rawtrace_writer *w)
{
	return w ? w->next_seq : 0;
}

uint64_t rawtrace_writer_bytes(const struct rawtrace_writer *w)
{
	if (!w)
		return 0;
	return w->written + (w->count ? RT_BLOCK_HEADER_SIZE + w->used : 0);
}

int rawtrace_writer_close(struct rawtrace_writer *w, uint64_t lost, const char *end_reason)
{
	uint8_t footer[RT_BLOCK_HEADER_SIZE + RT_FOOTER_FIXED + RT_FOOTER_REASON_MAX];
	size_t rlen;
	int r;

	if (!w)
		return 0;
	flush_block(w);
	if (!w->err) {
		if (!end_reason)
			end_reason = "normal";
		rlen = strnlen(end_reason, RT_FOOTER_REASON_MAX);
		le64_put(footer + RT_BLOCK_HEADER_SIZE, w->next_seq);
		le64_put(footer + RT_BLOCK_HEADER_SIZE + 8, lost);
		le32_put(footer + RT_BLOCK_HEADER_SIZE + 16, (uint32_t)rlen);
		memcpy(footer + RT_BLOCK_HEADER_SIZE + RT_FOOTER_FIXED, end_reason, rlen);
		write_block(w, footer, RT_MAGIC_FOOTER, RT_FOOTER_FIXED + rlen, 0, w->next_seq);
	}
	/* close(2) can report a delayed write error (NFS, quota): keep it. */
	if (close(w->fd) != 0 && !w->err && errno != EINTR)
		w->err = -errno;
	r = w->err;
	free(w->buf);
	free(w);
	return r;
}
