/* The table of device models, looked up by name. */
#include "capture/emu/emu.h"

#include <string.h>

#include "capture/emu/dev_blk.h"

static const struct emu_model *const models[] = {
	&emu_model_blk,
	&emu_model_blk_ro,
	&emu_model_net,
	&emu_model_console,
	&emu_model_rng,
};

const struct emu_model *emu_model_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}
