/* The devices of a trace.db: one row per register window, with what the
 * device_summary view adds (requests, violations) and the status bits it
 * ever reached, read in one query.
 *
 * Errors (tdb_open.h): 0, negative errno, or positive TDB_E_DAMAGED_ROW
 * (strict reads: the first damaged row, named), TDB_E_NOT_FOUND,
 * TDB_E_TOO_MANY (more than TDB_DEVICES_MAX rows).
 *
 * Strict and lenient reads: functions taking struct tdb_notes *notes
 * refuse the first damaged row when notes is NULL (TDB_E_DAMAGED_ROW),
 * and otherwise note it in notes, mark the field in the row's `bad` bits
 * and go on (a reader that shows what it can, like info). */
#ifndef VMTRACE_TRACEDB_TDB_DEVICES_H
#define VMTRACE_TRACEDB_TDB_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/event.h"

struct tdb;

/* devices.device is 0..255: the ids of a trace's VMT_TRACE_DEVICES_MAX
 * devices (the decoder's DEC_DEVICES_MAX). */
#define TDB_DEVICES_MAX VMT_TRACE_DEVICES_MAX
#define TDB_DEVICE_ID_MAX (VMT_TRACE_DEVICES_MAX - 1)
/* Longest device name kept ("virtio-console@0x" + 16 hex digits fits). */
#define TDB_NAME_MAX 96
#define TDB_TYPE_MAX 48

/* Damaged rows noted by a lenient read: the first TDB_NOTES_KEPT are kept
 * word for word, all are counted. */
#define TDB_NOTES_KEPT 32
#define TDB_NOTE_MAX 192
struct tdb_notes {
	char note[TDB_NOTES_KEPT][TDB_NOTE_MAX];
	unsigned n;
	uint64_t count;
};
void tdb_notes_add(struct tdb_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bits of tdb_device.known (the column is not NULL) and .bad (damaged). */
enum {
	TDB_DEV_ID = 1u << 0, TDB_DEV_BASE = 1u << 1, TDB_DEV_DEVICE_ID = 1u << 2, TDB_DEV_VERSION = 1u << 3,
	TDB_DEV_VENDOR = 1u << 4, TDB_DEV_STATUS = 1u << 5, TDB_DEV_OFFERED = 1u << 6,
	TDB_DEV_ACCEPTED = 1u << 7, TDB_DEV_NEGOTIATED = 1u << 8, TDB_DEV_EVENTS = 1u << 9,
	TDB_DEV_SEQS = 1u << 10, TDB_DEV_NAME = 1u << 11, TDB_DEV_TYPE = 1u << 12,
};

struct tdb_device {
	int id;                      /* devices.device, 0..255; -1 if damaged */
	uint64_t base;
	char name[TDB_NAME_MAX];     /* the file's text (escape to print); cut to fit */
	char type[TDB_TYPE_MAX];     /* spec type name ("block"), "" if none */
	int64_t device_id;           /* DeviceID as read, -1 never read (or damaged) */
	uint32_t version, vendor_id, status;
	uint64_t features_offered, features_accepted, features_negotiated;
	uint64_t first_seq, last_seq;
	uint64_t events, requests, violations;
	uint32_t status_reached;     /* every Status bit set at some point */
	unsigned known, bad;         /* TDB_DEV_* bits */
};

enum tdb_device_order { TDB_BY_ID, TDB_BY_BASE };

/* Every devices row, in order, into a new array *out (free() it) of *n.
 * Lenient or strict (see above). */
int tdb_devices_read(struct tdb *t, enum tdb_device_order order, struct tdb_notes *notes, struct tdb_device **out,
		     size_t *n);

/* The device with id (read once, leniently, and kept by t): NULL if
 * there is none or its row is damaged.  Valid until tdb_close.  The rows
 * t keeps have no counts (status_reached, requests and violations are 0:
 * tdb_devices_read counts them). */
const struct tdb_device *tdb_device_by_id(struct tdb *t, int64_t id);

/* The devices rows t keeps (tdb_device_by_id's, in id order, damaged
 * ones too: see bad; no counts): *devs valid until tdb_close. */
int tdb_devices_kept(struct tdb *t, const struct tdb_device **devs, size_t *n);

/* The device whose window starts at base: 0 with *id, or TDB_E_NOT_FOUND. */
int tdb_device_by_base(struct tdb *t, uint64_t base, int *id);

#endif
