/* Human names for virtio numbers: device types, status bits, features. */
#ifndef VMTRACE_VIRTIO_NAMES_H
#define VMTRACE_VIRTIO_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Device type name from the spec's Device Types list ("block", "network",
 * ...), or NULL if the id is not assigned. */
const char *virtio_device_type_name(uint32_t device_id);

/* Short name used in device labels: "blk", "net", "console", "rng", ...
 * from the device-type table, or "dev<id>" written into buf for others
 * (DEVTYPE_SHORT_NAME_SIZE bytes hold every spelling).  Returns buf or a
 * constant. */
const char *virtio_device_short_name(uint32_t device_id, char *buf, size_t len);

/* Status flags joined by '|' ("ACKNOWLEDGE|DRIVER"), "0" for reset, with
 * unknown bits as hex.  Returns buf. */
const char *virtio_status_str(uint32_t status, char *buf, size_t len);

/* Name of feature bit for the given device type: transport bits
 * ("VERSION_1", "EVENT_IDX") first, then device bits ("BLK_F_FLUSH").
 * NULL if unnamed. */
const char *virtio_feature_name(uint32_t device_id, unsigned bit);

/* Feature set as names joined by ' ', unnamed bits as "bit41".  Returns buf. */
const char *virtio_features_str(uint32_t device_id, uint64_t features, char *buf, size_t len);

#endif
