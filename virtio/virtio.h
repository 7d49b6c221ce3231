/* Constants of the virtio specification that vmtrace needs: device status
 * bits, feature bits, device type ids, ring layout and the request formats
 * of the device types the emulator models.  Numbers come from the virtio
 * 1.2 specification; names follow it. */
#ifndef VMTRACE_VIRTIO_VIRTIO_H
#define VMTRACE_VIRTIO_VIRTIO_H

#include <stdint.h>

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" little-endian */
#define VIRTIO_MMIO_VERSION_LEGACY 1u
#define VIRTIO_MMIO_VERSION_MODERN 2u
#define VIRTIO_MMIO_REGION_SIZE 0x200u /* usual register window size */

/* Device status field (Basic Facilities / Device Status Field). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* InterruptStatus bits. */
#define VIRTIO_MMIO_INT_VRING 1u
#define VIRTIO_MMIO_INT_CONFIG 2u
#define VIRTIO_MMIO_INT_MASK 3u

/* Reserved (transport) feature bits. */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET 40

#define VIRTIO_BIT(b) (UINT64_C(1) << (b))

/* Device types (Device Types). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_ENTROPY 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_SCSI 8
#define VIRTIO_ID_9P 9
#define VIRTIO_ID_GPU 16
#define VIRTIO_ID_INPUT 18
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_CRYPTO 20
#define VIRTIO_ID_IOMMU 23
#define VIRTIO_ID_MEM 24
#define VIRTIO_ID_SOUND 25
#define VIRTIO_ID_FS 26
#define VIRTIO_ID_PMEM 27
#define VIRTIO_ID_I2C 34
#define VIRTIO_ID_GPIO 41
/* Everything else about a type (names, features, config layout, queue
 * roles) is in the device-type table, virtio/device_types.h. */

/* Split virtqueue layout (Basic Facilities / Split Virtqueues). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u
#define VIRTQ_DESC_SIZE 16u
#define VIRTQ_USED_ELEM_SIZE 8u
#define VIRTQ_SIZE_MAX 32768u /* Queue Size is at most 2^15 */
/* Alignment of the three areas of a split ring (Basic Facilities / Split Virtqueues). */
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

/* Bytes taken by each area of a split ring of size num; event_idx adds the
 * trailing used_event / avail_event word.  Results fit in 64 bits for any
 * 16-bit num. */
static inline uint64_t virtq_desc_bytes(uint32_t num) { return 16ull * num; }
static inline uint64_t virtq_avail_bytes(uint32_t num) { return 6ull + 2ull * num; }
static inline uint64_t virtq_used_bytes(uint32_t num) { return 6ull + 8ull * num; }

/* The event-index test both sides use (Virtqueues / Used Buffer
 * Notification Suppression): true if new_idx passed event since old_idx. */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* virtio-blk (Device Types / Block Device). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_F_LIFETIME 15
#define VIRTIO_BLK_F_SECURE_ERASE 16
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_GET_LIFETIME 10u
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u
#define VIRTIO_BLK_T_SECURE_ERASE 14u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES 20u
#define VIRTIO_BLK_REQ_HDR_SIZE 16u /* le32 type, le32 reserved, le64 sector */
/* Config layout offsets. */
#define VIRTIO_BLK_CFG_CAPACITY 0x00 /* le64 */
#define VIRTIO_BLK_CFG_SIZE_MAX 0x08 /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 0x0c  /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY 0x10 /* le16 cylinders, u8 heads, u8 sectors */
#define VIRTIO_BLK_CFG_BLK_SIZE 0x14 /* le32 */
#define VIRTIO_BLK_CFG_TOPOLOGY 0x18 /* u8 u8 le16 le32 */
#define VIRTIO_BLK_CFG_WRITEBACK 0x20 /* u8 */

/* virtio-net (Device Types / Network Device). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_F_SPEED_DUPLEX 63
#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_HDR_SIZE 12u        /* with num_buffers: VERSION_1 or MRG_RXBUF */
#define VIRTIO_NET_HDR_SIZE_LEGACY 10u /* legacy without MRG_RXBUF */
#define VIRTIO_NET_CFG_MAC 0x00     /* u8[6] */
#define VIRTIO_NET_CFG_STATUS 0x06  /* le16 */
#define VIRTIO_NET_CFG_MAX_VQ_PAIRS 0x08 /* le16 */
#define VIRTIO_NET_CFG_MTU 0x0a     /* le16 */
#define VIRTIO_NET_Q_RX 0
#define VIRTIO_NET_Q_TX 1
#define VIRTIO_NET_FRAME_MAX 65550u /* largest frame the loopback carries */

/* virtio-console (Device Types / Console Device). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define VIRTIO_CONSOLE_CFG_COLS 0x00   /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS 0x02   /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_PORTS 0x04 /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR 0x08 /* le32 */
#define VIRTIO_CONSOLE_Q_RX 0
#define VIRTIO_CONSOLE_Q_TX 1

/* Little-endian accessors for byte buffers (guest memory, trace files). */
static inline uint16_t le16_get(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t le32_get(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t le64_get(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)le32_get(b) | (uint64_t)le32_get(b + 4) << 32;
}
static inline void le16_put(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void le32_put(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void le64_put(void *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif
