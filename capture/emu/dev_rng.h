/* virtio-rng (entropy device) model extras: the generator, for tests that
 * predict the device's bytes.
 *
 * Errors: dev_rng_supply returns 0 or -1 (refused: not an rng device, too
 * many answers waiting, too long, or out of memory); not a negative errno. */
#ifndef VMTRACE_EMU_DEV_RNG_H
#define VMTRACE_EMU_DEV_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Options of emu_model_rng (emu_device_cfg.opts). */
struct dev_rng_opts {
	uint64_t seed;      /* the byte stream's seed; 0 = DEV_RNG_SEED_DEFAULT */
};

/* Seed used when opts->seed is 0: "vmtrace" in ASCII. */
#define DEV_RNG_SEED_DEFAULT UINT64_C(0x766d7472616365)
/* Answers dev_rng_supply keeps waiting at most. */
#define DEV_RNG_SUPPLY_MAX 64u
/* At most this many bytes go into one chain (the spec lets the device
 * use less than the whole buffer); bounds the work per request. */
#define DEV_RNG_CHAIN_MAX 65536u

/* The device's byte stream: splitmix64 outputs, little-endian, in order,
 * with no bytes skipped between chains.  Reset restarts it from the seed. */
struct dev_rng_gen {
	uint64_t state;
	uint8_t spare[8]; /* bytes of the last output not yet handed out */
	unsigned n_spare;
};

struct emu_device;
/* Answer the next request with exactly these bytes (at most the chain's
 * writable length) instead of the generator's: replay feeds what the
 * recorded device returned. Up to DEV_RNG_SUPPLY_MAX answers wait.
 * Returns 0 or -1. */
int dev_rng_supply(struct emu_device *d, const uint8_t *data, uint32_t len);

void dev_rng_gen_seed(struct dev_rng_gen *g, uint64_t seed); /* 0 = default */
void dev_rng_gen_fill(struct dev_rng_gen *g, uint8_t *out, size_t len);

#endif
