/* Event model helpers: names and the device descriptor encoding. */
#include "capture/event.h"

#include <string.h>

#include "virtio/device_types.h"
#include "virtio/virtio.h"

void vmt_device_desc_encode(const struct vmt_device_desc *d, uint8_t out[VMT_DEVICE_DESC_BYTES])
{
	memset(out, 0, VMT_DEVICE_DESC_BYTES);
	le64_put(out, d->base);
	le32_put(out + 8, d->size);
	le32_put(out + 12, d->device_id);
	le32_put(out + 16, d->version);
	le32_put(out + 20, d->vendor_id);
	memcpy(out + 24, d->name, strnlen(d->name, VMT_DEVICE_DESC_NAME_BYTES));
}

int vmt_device_desc_decode(struct vmt_device_desc *d, const uint8_t *in, size_t len)
{
	if (len < VMT_DEVICE_DESC_BYTES)
		return -1;
	memset(d, 0, sizeof(*d));
	d->base = le64_get(in);
	d->size = le32_get(in + 8);
	d->device_id = le32_get(in + 12);
	d->version = le32_get(in + 16);
	d->vendor_id = le32_get(in + 20);
	memcpy(d->name, in + 24, VMT_DEVICE_DESC_NAME_BYTES);
	d->name[VMT_DEVICE_DESC_NAME_BYTES] = '\0';
	/* A standard label longer than the field was cut: the type and the
	 * base say what it was ("virtio-console@0x" and 16 hex digits). */
	if (!memchr(in + 24, '\0', VMT_DEVICE_DESC_NAME_BYTES) && !strncmp(d->name, "virtio-", 7))
		devtype_label(d->name, sizeof(d->name), d->device_id, d->device_id != 0, d->base);
	return 0;
}

const char *vmt_source_name(uint32_t source)
{
	switch (source) {
	case VMT_SRC_EMU: return "emu";
	case VMT_SRC_QEMU: return "qemu";
	case VMT_SRC_KVM_BPF: return "kvm-bpf";
	}
	return "unknown";
}

const char *vmt_event_type_name(uint32_t type)
{
	switch (type) {
	case VMT_EV_MMIO: return "mmio";
	case VMT_EV_MEM: return "mem";
	case VMT_EV_IRQ: return "irq";
	case VMT_EV_MARKER: return "marker";
	case VMT_EV_LOST: return "lost";
	case VMT_EV_DEVICE: return "device";
	case VMT_EV_VIOLATION: return "violation";
	case VMT_EV_QUEUE: return "queue";
	}
	return "unknown";
}

void vmt_queue_report_encode(const struct vmt_queue_report *q, uint8_t out[VMT_QUEUE_REPORT_BYTES])
{
	le64_put(out, q->token);
	le64_put(out + 8, q->arg0);
	le64_put(out + 16, q->arg1);
}

int vmt_queue_report_decode(struct vmt_queue_report *q, const uint8_t *in, size_t len)
{
	if (len != VMT_QUEUE_REPORT_BYTES)
		return -1;
	q->token = le64_get(in);
	q->arg0 = le64_get(in + 8);
	q->arg1 = le64_get(in + 16);
	return 0;
}

const char *vmt_queue_step_name(uint32_t step)
{
	switch (step) {
	case VMT_QSTEP_POP: return "pop";
	case VMT_QSTEP_FILL: return "fill";
	case VMT_QSTEP_FLUSH: return "flush";
	case VMT_QSTEP_BLK_READ: return "blk-read";
	case VMT_QSTEP_BLK_WRITE: return "blk-write";
	case VMT_QSTEP_SCSI_CMD: return "scsi-cmd";
	case VMT_QSTEP_SCSI_XFER: return "scsi-xfer";
	case VMT_QSTEP_SCSI_LBA: return "scsi-lba";
	}
	return "unknown";
}
