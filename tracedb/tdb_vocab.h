/* The words trace.db's text columns hold, as one table per column: the
 * decoder writes them from here and every reader parses them back through
 * here, so writer and readers cannot disagree.  No SQLite here: the
 * decoder links this part alone (tracedb/meson.build, vmt_tdb_vocab).
 *
 * Errors: tdb_vocab_parse returns -1 for a word the column never holds
 * (the caller reports the row as damaged); nothing else can fail. */
#ifndef VMTRACE_TRACEDB_TDB_VOCAB_H
#define VMTRACE_TRACEDB_TDB_VOCAB_H

#include <stddef.h>

/* meta 'schema_version' this vmtrace writes and reads (docs/schema.md). */
#define TDB_SCHEMA_VERSION 1

/* One column's words: names[i] is the text of value i (NULL: no word). */
struct tdb_vocab {
	const char *column;        /* "events.type", for messages */
	const char *const *names;
	int n;
};

/* events.type: the values are enum vmt_event_type (capture/event.h). */
extern const struct tdb_vocab tdb_vocab_event_type;
/* events.dir: enum vmt_dir (capture/event.h): "R", "W". */
extern const struct tdb_vocab tdb_vocab_dir;

enum tdb_mem_kind { TDB_MEM_DRIVER_WRITE, TDB_MEM_DEVICE_WRITE, TDB_MEM_SNAPSHOT };
extern const struct tdb_vocab tdb_vocab_mem_kind;          /* memory.kind */

enum tdb_status_kind {
	TDB_STATUS_SET, TDB_STATUS_RESET, TDB_STATUS_NEEDS_RESET, TDB_STATUS_FAILED, TDB_STATUS_REFUSED,
	TDB_STATUS_DEVICE,
};
extern const struct tdb_vocab tdb_vocab_status_kind;       /* status_changes.kind */

enum tdb_feature_kind { TDB_FEAT_OFFERED, TDB_FEAT_ACCEPTED, TDB_FEAT_NEGOTIATED };
extern const struct tdb_vocab tdb_vocab_feature_kind;      /* features.kind */

enum tdb_request_kind {
	TDB_REQ_BLK, TDB_REQ_NET_TX, TDB_REQ_NET_RX, TDB_REQ_CONSOLE_TX, TDB_REQ_CONSOLE_RX, TDB_REQ_RNG,
	TDB_REQ_SCSI, TDB_REQ_VSOCK_TX, TDB_REQ_VSOCK_RX,
	TDB_REQ_INPUT_EVENT, TDB_REQ_INPUT_STATUS, TDB_REQ_BALLOON_INFLATE, TDB_REQ_BALLOON_DEFLATE, TDB_REQ_BALLOON_STATS,
	TDB_REQ_9P, TDB_REQ_GPU_CTRL, TDB_REQ_GPU_CURSOR,
	TDB_REQ_CRYPTO_CTRL, TDB_REQ_CRYPTO_DATA,
};
extern const struct tdb_vocab tdb_vocab_request_kind;      /* requests.kind */

enum tdb_irq_kind { TDB_IRQ_RAISED, TDB_IRQ_STATUS_READ, TDB_IRQ_ACK, TDB_IRQ_CONFIG_CHANGE };
extern const struct tdb_vocab tdb_vocab_irq_kind;          /* interrupts.kind */

/* Same values as enum rule_severity (virtio/rules.h). */
enum tdb_severity { TDB_SEV_INFO, TDB_SEV_WARNING, TDB_SEV_ERROR };
extern const struct tdb_vocab tdb_vocab_severity;          /* violations.severity */

enum tdb_actor { TDB_ACTOR_DRIVER, TDB_ACTOR_DEVICE };
extern const struct tdb_vocab tdb_vocab_actor;             /* violations.actor */

/* torn: the copy disagreed with what the device reported taking (device_steps). */
enum tdb_chain_memory { TDB_CHAIN_EXACT, TDB_CHAIN_BEST_EFFORT, TDB_CHAIN_PARTIAL, TDB_CHAIN_MISSING, TDB_CHAIN_TORN };
extern const struct tdb_vocab tdb_vocab_chain_memory;      /* chains.memory */

/* device_steps.step: the values are enum vmt_queue_step (capture/event.h). */
extern const struct tdb_vocab tdb_vocab_queue_step;
/* device_steps.verdict: the ring copy against the device's report. */
enum tdb_step_verdict { TDB_VERDICT_AGREES, TDB_VERDICT_TORN, TDB_VERDICT_NO_COPY };
extern const struct tdb_vocab tdb_vocab_step_verdict;

/* The word for value, or "?" if the column has none (never NULL). */
const char *tdb_vocab_name(const struct tdb_vocab *v, int value);

/* The value of the n bytes at s (not NUL-terminated; s may be NULL), or -1
 * if the column never holds them. */
int tdb_vocab_parse(const struct tdb_vocab *v, const char *s, size_t n);

/* "mmio, mem, irq, marker, lost, device or violation" into buf (for
 * messages about a damaged row). Returns buf. */
const char *tdb_vocab_list(const struct tdb_vocab *v, char *buf, size_t len);

#endif
