/* See pcapng_writer.h.  Block layouts: the pcapng draft (IETF opsawg),
 * little-endian as this host writes them (the byte-order magic says so). */
#include "export/pcapng_writer.h"

#include <errno.h>
#include <string.h>

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2
/* An option's value is at most this long (a comment is cut there). */
#define OPT_VALUE_MAX 0xfff0u

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static void put(struct pcapng_writer *w, const void *p, size_t n)
{
	if (w->err || n == 0)
		return;
	if (fwrite(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
	else
		w->bytes += n;
}

static void put32(struct pcapng_writer *w, uint32_t v)
{
	put(w, &v, 4);
}

static void put16(struct pcapng_writer *w, uint16_t v)
{
	put(w, &v, 2);
}

static const uint8_t zeros[8];

/* Size of an option holding len bytes, with its header and padding. */
static uint32_t opt_size(size_t len)
{
	return 4 + pad4((uint32_t)(len > OPT_VALUE_MAX ? OPT_VALUE_MAX : len));
}

static void put_opt(struct pcapng_writer *w, uint16_t code, const void *v, size_t len)
{
	if (len > OPT_VALUE_MAX)
		len = OPT_VALUE_MAX;
	put16(w, code);
	put16(w, (uint16_t)len);
	put(w, v, len);
	put(w, zeros, pad4((uint32_t)len) - len);
}

static uint32_t str_opt_size(const char *s)
{
	return s && *s ? opt_size(strlen(s)) : 0;
}

static void put_str_opt(struct pcapng_writer *w, uint16_t code, const char *s)
{
	if (s && *s)
		put_opt(w, code, s, strlen(s));
}

int pcapng_begin(struct pcapng_writer *w, FILE *f, const char *const *comments, int n, const char *app)
{
	uint32_t opts = 0, len;

	memset(w, 0, sizeof(*w));
	w->f = f;
	for (int i = 0; i < n; i++)
		opts += str_opt_size(comments[i]);
	opts += str_opt_size(app);
	if (opts)
		opts += 4; /* opt_endofopt */
	len = 28 + opts;
	put32(w, BT_SHB);
	put32(w, len);
	put32(w, BYTE_ORDER_MAGIC);
	put16(w, 1); /* version 1.0 */
	put16(w, 0);
	put32(w, 0xffffffffu); /* section length not given */
	put32(w, 0xffffffffu);
	for (int i = 0; i < n; i++)
		put_str_opt(w, OPT_COMMENT, comments[i]);
	put_str_opt(w, SHB_USERAPPL, app);
	if (opts)
		put32(w, OPT_END);
	put32(w, len);
	return w->err;
}

int pcapng_interface(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen, const char *name,
		     const char *description, uint32_t *id)
{
	uint8_t tsresol = 9;
	uint32_t opts = str_opt_size(name) + str_opt_size(description) + opt_size(1) + 4;
	uint32_t len = 20 + opts;

	put32(w, BT_IDB);
	put32(w, len);
	put16(w, linktype);
	put16(w, 0);
	put32(w, snaplen);
	put_str_opt(w, IF_NAME, name);
	put_str_opt(w, IF_DESCRIPTION, description);
	put_opt(w, IF_TSRESOL, &tsresol, 1);
	put32(w, OPT_END);
	put32(w, len);
	if (w->err == 0 && id)
		*id = w->n_ifaces;
	if (w->err == 0)
		w->n_ifaces++;
	return w->err;
}

int pcapng_packet(struct pcapng_writer *w, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		  uint32_t orig_len, enum pcapng_dir dir, const char *comment)
{
	uint32_t flags = (uint32_t)dir & 3u;
	uint32_t opts = (flags ? opt_size(4) : 0) + str_opt_size(comment);
	uint32_t len;

	if (iface >= w->n_ifaces)
		return w->err ? w->err : -EINVAL;
	if (opts)
		opts += 4;
	len = 32 + pad4(caplen) + opts;
	put32(w, BT_EPB);
	put32(w, len);
	put32(w, iface);
	put32(w, (uint32_t)(ts_ns >> 32));
	put32(w, (uint32_t)ts_ns);
	put32(w, caplen);
	put32(w, orig_len < caplen ? caplen : orig_len);
	put(w, data, caplen);
	put(w, zeros, pad4(caplen) - caplen);
	if (flags)
		put_opt(w, EPB_FLAGS, &flags, 4);
	put_str_opt(w, OPT_COMMENT, comment);
	if (opts)
		put32(w, OPT_END);
	put32(w, len);
	return w->err;
}
