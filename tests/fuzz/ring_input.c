/* The input format of the ring targets; see ring_input.h. */
#include "tests/fuzz/ring_input.h"

#include <string.h>

#include "capture/emu/emu.h"
#include "virtio/virtio.h"

const struct emu_model *const ri_models[4] = {
	&emu_model_blk, &emu_model_net, &emu_model_console, &emu_model_rng,
};

static uint64_t place(uint64_t ram, unsigned how, uint16_t off)
{
	switch (how & 3) {
	case 1: return ram - 0x10000u + off;                     /* below RAM */
	case 2: return ram + RI_RAM_SIZE - 0x100u + (off & 0xffu); /* across the end */
	case 3: return (uint64_t)off << 40 | off;                 /* far away */
	}
	return ram + off;
}

void ri_legacy_layout(uint64_t desc, uint32_t num, uint32_t align, uint64_t *avail, uint64_t *used)
{
	uint64_t a = align ? align : RI_PAGE;

	*avail = desc + virtq_desc_bytes(num);
	*used = (*avail + virtq_avail_bytes(num) + a - 1) & ~(a - 1);
}

bool ri_parse(struct ring_input *ri, const uint8_t *data, size_t size)
{
	static const uint32_t odd[] = { 0, 3, 0x10000, 0xffffffffu };
	struct fuzz_in in = { data, data + size };
	uint8_t b;

	memset(ri, 0, sizeof(*ri));
	if (size < RI_HEADER)
		return false;
	b = (uint8_t)fuzz_take(&in, 1);
	ri->num = b < 16 ? 1u << b : b < 20 ? odd[b - 16] : b;
	b = (uint8_t)fuzz_take(&in, 1);
	ri->indirect = b & 0x01;
	ri->event_idx = b & 0x02;
	ri->legacy = b & 0x04;
	ri->device_mode = b & 0x08;
	ri->model = (b >> 4) & 3;
	ri->packed = (b & 0x40) && !ri->legacy;
	uint16_t off[3];
	for (int i = 0; i < 3; i++)
		off[i] = (uint16_t)fuzz_take(&in, 2);
	b = (uint8_t)fuzz_take(&in, 1);
	ri->ram_base = b & 0x40 ? RI_RAM_HIGH : RI_RAM_BASE;
	ri->desc = place(ri->ram_base, b, off[0]);
	ri->avail = place(ri->ram_base, b >> 2, off[1]);
	ri->used = place(ri->ram_base, b >> 4, off[2]);
	b = (uint8_t)fuzz_take(&in, 1);
	ri->align = b < 16 ? 1u << b : b;
	if (ri->legacy) {
		/* Legacy rings start at a page: QueuePFN names it. */
		ri->desc &= ~(uint64_t)(RI_PAGE - 1);
		ri->pfn = (uint32_t)(ri->desc / RI_PAGE);
		ri->desc = (uint64_t)ri->pfn * RI_PAGE;
		ri_legacy_layout(ri->desc, ri->num, ri->align, &ri->avail, &ri->used);
	}
	ri->image_len = (size_t)fuzz_take(&in, 2);
	if (ri->image_len > fuzz_left(&in))
		ri->image_len = fuzz_left(&in);
	ri->image = in.p;
	in.p += ri->image_len;
	ri->ops = in;
	return true;
}

void ri_fill_ram(const struct ring_input *ri, uint8_t *ram)
{
	memset(ram, 0, RI_RAM_SIZE);
	memcpy(ram, ri->image, ri->image_len < RI_RAM_SIZE ? ri->image_len : RI_RAM_SIZE);
}
