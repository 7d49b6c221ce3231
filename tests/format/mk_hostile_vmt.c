/* Write a raw trace whose text is hostile: a marker, a device name, the
 * recorder's command line, an end reason and a violation message holding
 * ESC sequences, U+009B (encoded), a raw 0x9b byte, DEL, invalid UTF-8 and
 * a bidi override, around a short modern blk set-up (so decode and show
 * have registers and rings to print).  Used by hostile_text.py.
 *
 *   mk_hostile_vmt OUT.vmt */
#include <stdio.h>
#include <string.h>

#include "capture/rawtrace.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"

#define BLK 0x10000000u

/* Every class the escaper must neutralise, in one string. */
static const char hostile[] =
	"H\x1b[2J\x1b]0;owned\x07 csi\xc2\x9b" "31m raw\x9b" "1m del\x7f bad\xff\xfe\xc0\xaf"
	" bidi\xe2\x80\xae" "txt.exe cr\r\b nl\n end";

static int append(struct rawtrace_writer *w, const struct vmt_event *e)
{
	uint64_t seq;

	return rawtrace_writer_append(w, e, &seq);
}

static int mmio(struct rawtrace_writer *w, uint32_t off, int dir, uint64_t v)
{
	struct vmt_event e = { .type = VMT_EV_MMIO, .source = VMT_SRC_EMU, .base = BLK, .addr = off,
			       .dir = (uint8_t)dir, .width = 4, .value = v };
	return append(w, &e);
}

int main(int argc, char **argv)
{
	struct rawtrace_meta m = { 0 };
	struct rawtrace_writer *w = NULL;
	struct vmt_device_desc d = { .base = BLK, .size = 0x200, .device_id = VIRTIO_ID_BLOCK, .version = 2,
				     .vendor_id = 0x554d4551 };
	struct vmt_event e;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mk_hostile_vmt OUT.vmt\n");
		return 2;
	}
	m.source = VMT_SRC_EMU;
	m.ram_base = 0x40000000;
	m.ram_size = 64u << 20;
	/* The device name holds 31 bytes at most: the worst of it. */
	snprintf(d.name, sizeof(d.name), "%s", "b\x1b[2J\xc2\x9b\x9b\x7f\xff\xe2\x80\xae@0x10000000");
	if (rawtrace_meta_set(&m, "command", hostile) < 0 || rawtrace_meta_set(&m, "evil\x1b[1mkey", hostile) < 0 ||
	    rawtrace_meta_add_device(&m, &d) < 0 || rawtrace_writer_open(&w, argv[1], &m, NULL) < 0) {
		fprintf(stderr, "mk_hostile_vmt: cannot write '%s'\n", argv[1]);
		rawtrace_meta_clear(&m);
		return 1;
	}
	rawtrace_meta_clear(&m);

	e = (struct vmt_event){ .type = VMT_EV_MARKER, .source = VMT_SRC_EMU, .len = sizeof(hostile) - 1,
				.data = (const uint8_t *)hostile };
	rc |= append(w, &e);
	rc |= mmio(w, MMIO_MAGIC_VALUE, VMT_DIR_READ, VIRTIO_MMIO_MAGIC);
	rc |= mmio(w, MMIO_VERSION, VMT_DIR_READ, 2);
	rc |= mmio(w, MMIO_DEVICE_ID, VMT_DIR_READ, VIRTIO_ID_BLOCK);
	rc |= mmio(w, MMIO_STATUS, VMT_DIR_WRITE, 0);
	rc |= mmio(w, MMIO_STATUS, VMT_DIR_WRITE, 1);
	rc |= mmio(w, MMIO_STATUS, VMT_DIR_WRITE, 3);
	rc |= mmio(w, MMIO_DRIVER_FEATURES_SEL, VMT_DIR_WRITE, 1);
	rc |= mmio(w, MMIO_DRIVER_FEATURES, VMT_DIR_WRITE, 1);
	rc |= mmio(w, MMIO_QUEUE_SEL, VMT_DIR_WRITE, 0);
	rc |= mmio(w, MMIO_QUEUE_NUM, VMT_DIR_WRITE, 8);
	rc |= mmio(w, MMIO_QUEUE_DESC_LOW, VMT_DIR_WRITE, 0x40000000);
	rc |= mmio(w, MMIO_QUEUE_DRIVER_LOW, VMT_DIR_WRITE, 0x40000400);
	rc |= mmio(w, MMIO_QUEUE_DEVICE_LOW, VMT_DIR_WRITE, 0x40000800);
	e = (struct vmt_event){ .type = VMT_EV_MARKER, .source = VMT_SRC_EMU, .len = sizeof(hostile) - 1,
				.data = (const uint8_t *)hostile };
	rc |= append(w, &e);
	e = (struct vmt_event){ .type = VMT_EV_VIOLATION, .source = VMT_SRC_EMU, .base = BLK,
				.value = RULE_STATUS_ORDER, .len = sizeof(hostile) - 1,
				.data = (const uint8_t *)hostile };
	rc |= append(w, &e);
	rc |= rawtrace_writer_close(w, 0, hostile);
	if (rc) {
		fprintf(stderr, "mk_hostile_vmt: a write to '%s' failed\n", argv[1]);
		return 1;
	}
	return 0;
}
