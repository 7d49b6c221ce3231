/* The registry of device models: one line per model, found by name (the
 * names `vmtrace record --emu` takes) or by device type id (replay). */
#include "capture/emu/emu.h"

#include <string.h>

#include "capture/emu/dev_blk.h"

static const struct emu_model *const models[] = {
	&emu_model_blk,     /* the model of VIRTIO_ID_BLOCK: first of its id */
	&emu_model_blk_ro,
	&emu_model_net,
	&emu_model_console,
	&emu_model_rng,
};

#define N_MODELS (sizeof(models) / sizeof(models[0]))

const struct emu_model *emu_model_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N_MODELS; i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

const struct emu_model *emu_model_for_id(uint32_t device_id)
{
	for (size_t i = 0; i < N_MODELS; i++)
		if (models[i]->device_id == device_id)
			return models[i];
	return NULL;
}

size_t emu_model_count(void)
{
	return N_MODELS;
}

const struct emu_model *emu_model_at(size_t i)
{
	return i < N_MODELS ? models[i] : NULL;
}

void emu_model_machine_cfg(struct emu_device_cfg *cfg, struct emu_opts_buf *buf, const struct emu_model *m,
			   const struct emu_machine_params *p)
{
	memset(buf, 0, sizeof(*buf));
	cfg->opts = NULL;
	cfg->opts_size = 0;
	if (!m || !m->machine_opts || m->opts_size > sizeof(buf->bytes))
		return;
	m->machine_opts(buf->bytes, p);
	cfg->opts = buf->bytes;
	cfg->opts_size = m->opts_size;
}
