/* virtio-net loopback model extras: limits and counters for tests and
 * workload checks.
 *
 * Errors: dev_net_receive returns 0 or -1 (refused: not a net device, a
 * frame too long, or the device failed); not a negative errno. */
#ifndef VMTRACE_EMU_DEV_NET_H
#define VMTRACE_EMU_DEV_NET_H

#include <stdbool.h>
#include <stdint.h>

struct emu_device;

/* Options of emu_model_net (emu_device_cfg.opts). */
struct dev_net_opts {
	uint8_t mac[6];     /* all zero = DEV_NET_MAC_DEFAULT */
	uint16_t mtu;       /* 0 = DEV_NET_MTU_DEFAULT */
	bool no_loopback;   /* transmitted frames are not looped back */
};

/* Frames transmitted while no receive buffer is posted wait here; beyond
 * this many the oldest is dropped (and counted). */
#define DEV_NET_BACKLOG_MAX 64u
#define DEV_NET_FRAME_MIN 14u /* an Ethernet header */
#define DEV_NET_MTU_DEFAULT 1500u
/* The first net device's MAC; the built-in machine counts up the last
 * byte for later ones. */
#define DEV_NET_MAC_DEFAULT { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }

struct dev_net_stats {
	uint64_t tx_frames;   /* well-formed frames taken from the transmit queue */
	uint64_t rx_frames;   /* frames delivered into receive buffers */
	uint64_t dropped;     /* backlog overflow, or a receive buffer too small */
	uint64_t malformed;   /* RULE_REQUEST_MALFORMED reports */
	uint32_t backlog;     /* frames waiting for a receive buffer now */
};

/* A frame from the outside (replay feeds the recorded guest's received
 * frames): delivered into the next receive buffer, or queued behind the
 * backlog until one is posted. Returns 0, or -1 if d is not a net device,
 * the frame is too long or the device failed. */
int dev_net_receive(struct emu_device *d, const uint8_t *frame, uint32_t len);

/* Counters of a net device (NULL if d is not an initialised net device). */
const struct dev_net_stats *dev_net_stats(const struct emu_device *d);

#endif
