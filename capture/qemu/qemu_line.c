/* Parser for QEMU's memory_region_ops_* and virtio trace lines (see
 * qemu_line.h). */
#include "capture/qemu/qemu_line.h"

#include <string.h>

#define EV_READ "memory_region_ops_read"
#define EV_WRITE "memory_region_ops_write"

struct cursor {
	const char *p;
	const char *end;
};

static bool at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

static void skip_spaces(struct cursor *c)
{
	while (!at_end(c) && *c->p == ' ')
		c->p++;
}

/* Consume word if it comes next, followed by a space or the end. */
static bool take_word(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	if (c->p + n < c->end && c->p[n] != ' ')
		return false;
	c->p += n;
	skip_spaces(c);
	return true;
}

/* A decimal or 0x-prefixed hexadecimal number that fits in 64 bits. */
static bool take_number(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned digits = 0;
	bool hex = false;

	if (c->end - c->p > 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X')) {
		hex = true;
		c->p += 2;
	}
	for (; !at_end(c); c->p++, digits++) {
		unsigned d;
		char ch = *c->p;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (hex && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (hex && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			break;
		if (hex ? v >> 60 : v > (UINT64_MAX - d) / 10)
			return false; /* overflow */
		v = hex ? v << 4 | d : v * 10 + d;
	}
	if (digits == 0 ||
	    (!at_end(c) && *c->p != ' ' && *c->p != '.' && *c->p != ':' && *c->p != '@' && *c->p != '\r'))
		return false;
	*out = v;
	return true;
}

/* "PID@SEC.USEC:" as printed with -msg timestamp=on.  Returns 1 if taken,
 * 0 if the line does not start with a digit, -1 if it does but no valid
 * prefix follows. */
static int take_prefix(struct cursor *c, struct qemu_access *a)
{
	struct cursor t = *c;
	uint64_t pid, sec, usec;

	if (at_end(c) || *c->p < '0' || *c->p > '9')
		return 0;
	if (!take_number(&t, &pid) || at_end(&t) || *t.p++ != '@')
		return -1;
	if (!take_number(&t, &sec) || at_end(&t) || *t.p++ != '.')
		return -1;
	if (!take_number(&t, &usec) || at_end(&t) || *t.p++ != ':')
		return -1;
	if (sec > UINT64_MAX / 1000000000u - 1 || usec >= 1000000u)
		return -1;
	if (pid > INT32_MAX) /* a thread id is a pid_t */
		return -1;
	a->tid = (uint32_t)pid;
	a->has_time = true;
	a->time_ns = sec * 1000000000u + usec * 1000u;
	*c = t;
	return 1;
}

/* "key NUMBER" */
static bool field(struct cursor *c, const char *key, uint64_t *out)
{
	if (!take_word(c, key) || !take_number(c, out))
		return false;
	skip_spaces(c);
	return true;
}

/* The virtio event names, each followed by a space or the end. */
static enum qemu_virtio_kind virtio_event_word(struct cursor *c)
{
	static const struct {
		const char *word;
		enum qemu_virtio_kind kind;
	} names[] = {
		{ "virtio_queue_notify", QEMU_VIRTIO_NOTIFY },
		{ "virtqueue_pop", QEMU_VIRTIO_POP },
		{ "virtqueue_fill", QEMU_VIRTIO_FILL },
		{ "virtqueue_flush", QEMU_VIRTIO_FLUSH },
		{ "virtio_blk_handle_read", QEMU_VIRTIO_BLK_READ },
		{ "virtio_blk_handle_write", QEMU_VIRTIO_BLK_WRITE },
		{ "virtio_scsi_cmd_req", QEMU_VIRTIO_SCSI_CMD },
		{ "scsi_req_parsed", QEMU_VIRTIO_SCSI_PARSED },
		{ "scsi_req_parsed_lba", QEMU_VIRTIO_SCSI_LBA },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (take_word(c, names[i].word))
			return names[i].kind;
	return 0;
}

/* "key 0xHEX" (QEMU's %p; "(nil)" for a null pointer, taken as 0). */
static bool ptr_field(struct cursor *c, const char *key, uint64_t *out)
{
	if (!take_word(c, key))
		return false;
	if (take_word(c, "(nil)")) {
		*out = 0;
		return true;
	}
	if (c->end - c->p < 3 || c->p[0] != '0' || c->p[1] != 'x' || !take_number(c, out))
		return false;
	skip_spaces(c);
	return true;
}

/* A decimal number (no 0x) that fits in 64 bits. */
static bool dec_field_value(struct cursor *c, uint64_t *out)
{
	if (c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X'))
		return false;
	return take_number(c, out);
}

/* "key DECIMAL" no larger than max. */
static bool dec_field(struct cursor *c, const char *key, uint64_t max, uint64_t *out)
{
	if (!take_word(c, key))
		return false;
	if (c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X'))
		return false;
	if (!take_number(c, out) || *out > max)
		return false;
	skip_spaces(c);
	return true;
}

/* "key DECIMAL" as QEMU's %d prints an int: an optional '-', at most
 * 2^31 either way; *out is its 32 bits (what the int held). */
static bool int_field(struct cursor *c, const char *key, uint32_t *out)
{
	bool neg = false;
	uint64_t v;

	if (!take_word(c, key))
		return false;
	if (!at_end(c) && *c->p == '-') {
		neg = true;
		c->p++;
	}
	if (at_end(c) || *c->p < '0' || *c->p > '9' || !dec_field_value(c, &v))
		return false;
	if (v > (neg ? UINT64_C(0x80000000) : UINT64_C(0x7fffffff)))
		return false;
	*out = neg ? (uint32_t)(UINT64_C(0x100000000) - v) : (uint32_t)v;
	skip_spaces(c);
	return true;
}

/* "key=NUMBER" (key includes the '='), hexadecimal with its 0x when hex,
 * else decimal; no larger than max. */
static bool eq_field(struct cursor *c, const char *key, bool hex, uint64_t max, uint64_t *out)
{
	size_t n = strlen(key);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, key, n) != 0)
		return false;
	c->p += n;
	bool has_0x = c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X');
	if (has_0x != hex || !take_number(c, out) || *out > max)
		return false;
	skip_spaces(c);
	return true;
}

/* The fields of virtio event v->kind, in QEMU's order; NULL when they all
 * parse, else what is wrong. */
static const char *parse_virtio(struct cursor *c, struct qemu_virtio *v)
{
	uint64_t a = 0, b = 0;

	switch (v->kind) {
	case QEMU_VIRTIO_NOTIFY:
		if (!ptr_field(c, "vdev", &v->vdev))
			return "bad 'vdev' field";
		if (!dec_field(c, "n", QEMU_VIRTIO_QUEUE_INDEX_MAX, &a))
			return "bad 'n' field (a queue index 0..65535)";
		if (!ptr_field(c, "vq", &v->vq))
			return "bad 'vq' field";
		v->n = (uint32_t)a;
		break;
	case QEMU_VIRTIO_POP:
		if (!ptr_field(c, "vq", &v->vq))
			return "bad 'vq' field";
		if (!ptr_field(c, "elem", &v->elem))
			return "bad 'elem' field";
		if (!dec_field(c, "in_num", QEMU_VIRTIO_RING_MAX, &a))
			return "bad 'in_num' field";
		if (!dec_field(c, "out_num", QEMU_VIRTIO_RING_MAX, &b))
			return "bad 'out_num' field";
		if (a + b > QEMU_VIRTIO_RING_MAX)
			return "in_num + out_num larger than a ring";
		v->in_num = (uint32_t)a;
		v->out_num = (uint32_t)b;
		break;
	case QEMU_VIRTIO_FILL:
		if (!ptr_field(c, "vq", &v->vq))
			return "bad 'vq' field";
		if (!ptr_field(c, "elem", &v->elem))
			return "bad 'elem' field";
		if (!dec_field(c, "len", UINT32_MAX, &a))
			return "bad 'len' field";
		if (!dec_field(c, "idx", QEMU_VIRTIO_RING_MAX - 1, &b))
			return "bad 'idx' field";
		v->len = (uint32_t)a;
		v->idx = (uint32_t)b;
		break;
	case QEMU_VIRTIO_FLUSH:
		if (!ptr_field(c, "vq", &v->vq))
			return "bad 'vq' field";
		if (!dec_field(c, "count", QEMU_VIRTIO_RING_MAX, &a))
			return "bad 'count' field";
		v->count = (uint32_t)a;
		break;
	case QEMU_VIRTIO_BLK_READ:
	case QEMU_VIRTIO_BLK_WRITE:
		if (!ptr_field(c, "vdev", &v->vdev))
			return "bad 'vdev' field";
		if (!ptr_field(c, "req", &v->elem))
			return "bad 'req' field";
		if (!dec_field(c, "sector", UINT64_MAX, &v->sector))
			return "bad 'sector' field";
		if (!dec_field(c, "nsectors", UINT32_MAX, &v->nsectors))
			return "bad 'nsectors' field";
		if (v->sector + v->nsectors < v->sector)
			return "sector + nsectors past 2^64";
		break;
	case QEMU_VIRTIO_SCSI_CMD:
		take_word(c, "virtio_scsi_cmd_req"); /* the format's own copy of the name */
		if (!eq_field(c, "lun=", false, UINT32_MAX, &a))
			return "bad 'lun' field";
		v->lun = (uint32_t)a;
		if (!eq_field(c, "tag=", true, UINT32_MAX, &a))
			return "bad 'tag' field";
		v->tag = (uint32_t)a;
		if (!eq_field(c, "cmd=", true, 0xff, &a))
			return "bad 'cmd' field";
		v->cmd = (uint8_t)a;
		break;
	case QEMU_VIRTIO_SCSI_PARSED:
	case QEMU_VIRTIO_SCSI_LBA: {
		uint32_t cmd;
		if (!int_field(c, "target", &v->target))
			return "bad 'target' field";
		if (!int_field(c, "lun", &v->lun))
			return "bad 'lun' field";
		if (!int_field(c, "tag", &v->tag))
			return "bad 'tag' field";
		/* The operation code, a uint8_t widened to int. */
		if (!int_field(c, "command", &cmd) || cmd > 0xff)
			return "bad 'command' field (an operation code 0..255)";
		v->cmd = (uint8_t)cmd;
		if (v->kind == QEMU_VIRTIO_SCSI_LBA) {
			if (!dec_field(c, "lba", UINT64_MAX, &v->lba))
				return "bad 'lba' field";
			break;
		}
		if (!dec_field(c, "dir", QEMU_SCSI_DIR_MAX, &a))
			return "bad 'dir' field (0, 1 or 2)";
		v->dir = (uint8_t)a;
		if (!int_field(c, "length", &v->xfer))
			return "bad 'length' field";
		break;
	}
	}
	for (; !at_end(c); c->p++)
		if (*c->p != ' ' && *c->p != '\r')
			return "text after the last field";
	return NULL;
}

enum qemu_line_kind qemu_line_parse(const char *line, size_t len, struct qemu_access *out, const char **why)
{
	struct cursor c = { line, line + len };
	uint64_t cpu, mr, addr, value, size;
	const char *name, *close;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (take_prefix(&c, out) < 0) {
		/* One of our events behind a garbled timestamp is an event lost
		 * (counted), not other text (skipped). */
		const char *colon = memchr(c.p, ':', (size_t)(c.end - c.p));
		struct cursor t = { colon ? colon + 1 : c.end, c.end };
		if (take_word(&t, EV_READ) || take_word(&t, EV_WRITE) || virtio_event_word(&t) != 0)
			return *why = "bad timestamp prefix", QEMU_LINE_BAD;
		return QEMU_LINE_OTHER;
	}
	if (take_word(&c, EV_READ)) {
		out->write = false;
	} else if (take_word(&c, EV_WRITE)) {
		out->write = true;
	} else {
		enum qemu_virtio_kind k = virtio_event_word(&c);
		if (k == 0)
			return QEMU_LINE_OTHER;
		out->vio.kind = k;
		if ((*why = parse_virtio(&c, &out->vio)) != NULL)
			return QEMU_LINE_BAD;
		return QEMU_LINE_VIRTIO;
	}

	/* QEMU prints cpu -1 for accesses made outside a vCPU thread. */
	if (!take_word(&c, "cpu"))
		return *why = "no 'cpu' field", QEMU_LINE_BAD;
	if (!at_end(&c) && *c.p == '-') {
		c.p++;
		if (!take_number(&c, &cpu))
			return *why = "bad 'cpu' field", QEMU_LINE_BAD;
		cpu = UINT32_MAX;
	} else if (!take_number(&c, &cpu)) {
		return *why = "bad 'cpu' field", QEMU_LINE_BAD;
	}
	skip_spaces(&c);
	/* QEMU prints the region pointer with %p: "0x..." or "(nil)". */
	if (take_word(&c, "mr")) {
		if (take_word(&c, "(nil)"))
			mr = 0;
		else if (!take_number(&c, &mr))
			return *why = "bad 'mr' field", QEMU_LINE_BAD;
		skip_spaces(&c);
	}
	if (!field(&c, "addr", &addr))
		return *why = "no 'addr' field", QEMU_LINE_BAD;
	if (!field(&c, "value", &value))
		return *why = "no 'value' field", QEMU_LINE_BAD;
	if (!field(&c, "size", &size))
		return *why = "no 'size' field", QEMU_LINE_BAD;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return *why = "size is not 1, 2, 4 or 8", QEMU_LINE_BAD;
	if (!take_word(&c, "name") || at_end(&c) || *c.p != '\'')
		return *why = "no 'name' field", QEMU_LINE_BAD;
	name = c.p + 1;
	/* The name runs to the last quote: names may hold spaces. */
	for (close = c.end - 1; close > name && *close != '\''; close--)
		;
	if (close < name || *close != '\'')
		return *why = "unterminated region name (line cut short?)", QEMU_LINE_BAD;
	if ((size_t)(close - name) >= sizeof(out->name))
		return *why = "region name too long", QEMU_LINE_BAD;
	for (const char *p = close + 1; p < c.end; p++)
		if (*p != ' ' && *p != '\r')
			return *why = "text after the region name", QEMU_LINE_BAD;
	memcpy(out->name, name, (size_t)(close - name));
	out->name[close - name] = '\0';
	if (memchr(out->name, '\0', (size_t)(close - name)))
		return *why = "NUL byte in the region name", QEMU_LINE_BAD;

	out->cpu = cpu > UINT32_MAX ? UINT32_MAX : (uint32_t)cpu;
	out->addr = addr;
	out->size = (uint32_t)size;
	/* QEMU can print more bits than the access has (seen: a 4-byte read
	 * printed as 0x10130006e54): keep only the access width. */
	out->value = size == 8 ? value : value & ((UINT64_C(1) << (8 * size)) - 1);
	(void)mr;
	return QEMU_LINE_ACCESS;
}
