/* Declared expected differences: what a user knows differs between the
 * recorded device and the emulator (another vendor's VendorID, a feature
 * set, config values, a queue the emulator lacks).  A divergence a
 * declaration covers is listed as expected and does not fail the replay.
 *
 * A declaration is [DEVICE:]WHAT.  DEVICE is a device's name
 * (virtio-net@0xfeb02a00), its base (0xfeb02a00) or its type (net,
 * network); without it, every device.  WHAT is one of
 *   a register name    its reads (VendorID, DeviceFeatures, QueueNumMax,
 *                      InterruptStatus, ...); for VendorID, DeviceFeatures
 *                      and QueueNumMax the emulator takes the recorded value,
 *                      so the rest of the replay follows the recorded path
 *   config[+OFF]       config space (one field at OFF); the emulator takes
 *                      the recorded bytes
 *   queueN             everything about queue N (registers, used ring,
 *                      buffers)
 *   used, buffers, interrupts, violations
 *                      that kind of observable on every queue
 *   all                everything on the device
 *
 * Errors: 0, or -1 with the reason in err (a declaration that does not
 * parse, naming file:line when read from a file, or a file that cannot be
 * read). */
#ifndef VMTRACE_REPLAY_EXPECT_H
#define VMTRACE_REPLAY_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum expect_what {
	EXPECT_REGISTER,
	EXPECT_CONFIG,
	EXPECT_QUEUE,
	EXPECT_USED,
	EXPECT_BUFFERS,
	EXPECT_INTERRUPTS,
	EXPECT_VIOLATIONS,
	EXPECT_ALL,
};

struct expect_item {
	char text[80];      /* as declared, for the report */
	char dev[48];       /* device selector, "" for every device */
	enum expect_what what;
	uint32_t reg;       /* EXPECT_REGISTER: register offset */
	int64_t config_off; /* EXPECT_CONFIG: offset into config space, -1 all */
	int queue;          /* EXPECT_QUEUE */
	const char *origin; /* "--expect" or the file:line it came from */
	char origin_buf[80];
};

#define EXPECT_MAX 64

struct replay_expect {
	struct expect_item items[EXPECT_MAX];
	unsigned n;
};

/* What a divergence is about, to match against the declarations. */
struct expect_subject {
	const char *dev_name;  /* "virtio-net@0xfeb02a00" */
	uint64_t base;
	uint32_t device_id;
	enum expect_what what; /* EXPECT_REGISTER, _CONFIG, _USED, _BUFFERS, _INTERRUPTS, _VIOLATIONS */
	uint32_t reg;          /* register offset (EXPECT_REGISTER) */
	int64_t config_off;    /* EXPECT_CONFIG: offset into config space */
	unsigned config_len;
	int queue;             /* queue involved, -1 none */
};

/* Add one declaration. Returns 0, or -1 with the reason in err. */
int expect_add(struct replay_expect *e, const char *spec, const char *origin, char *err, size_t errlen);
/* Add the declarations in a file: one per line; blank lines and text after
 * '#' are ignored. Returns 0, or -1 with file:line and the reason in err. */
int expect_load_file(struct replay_expect *e, const char *path, char *err, size_t errlen);
/* True if the item's device selector names this device (or every one). */
bool expect_selects(const struct expect_item *it, const char *dev_name, uint64_t base, uint32_t device_id);
/* The first declaration covering s, or NULL. */
const struct expect_item *expect_match(const struct replay_expect *e, const struct expect_subject *s);
/* True if a declaration names register reg (or config, reg = MMIO_CONFIG)
 * of the device, i.e. the emulator should take the recorded value. */
bool expect_adopts(const struct replay_expect *e, const char *dev_name, uint64_t base,
		   uint32_t device_id, enum expect_what what, uint32_t reg);

#endif
