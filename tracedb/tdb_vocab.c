/* trace.db's words, one table per text column (tdb_vocab.h). */
#include "tracedb/tdb_vocab.h"

#include <stdio.h>
#include <string.h>

#include "capture/event.h"

#define VOCAB(var, col, ...)                                                                       \
	static const char *const var##_names[] = { __VA_ARGS__ };                                 \
	const struct tdb_vocab var = { col, var##_names, (int)(sizeof(var##_names) / sizeof(var##_names[0])) }

/* Index 0 is no event type (VMT_EV_MMIO is 1). */
VOCAB(tdb_vocab_event_type, "events.type", NULL, "mmio", "mem", "irq", "marker", "lost", "device", "violation", "queue");
VOCAB(tdb_vocab_dir, "events.dir", "R", "W");
VOCAB(tdb_vocab_mem_kind, "memory.kind", "driver-write", "device-write", "snapshot");
VOCAB(tdb_vocab_status_kind, "status_changes.kind", "set", "reset", "needs-reset", "failed", "refused", "device");
VOCAB(tdb_vocab_feature_kind, "features.kind", "offered", "accepted", "negotiated");
VOCAB(tdb_vocab_request_kind, "requests.kind", "blk", "net-tx", "net-rx", "console-tx", "console-rx", "rng",
      "scsi", "vsock-tx", "vsock-rx",
      "input-event", "input-status", "balloon-inflate", "balloon-deflate", "balloon-stats",
      "9p", "gpu-ctrl", "gpu-cursor",
      "crypto-ctrl", "crypto-data");
VOCAB(tdb_vocab_irq_kind, "interrupts.kind", "raised", "status-read", "ack", "config-change");
VOCAB(tdb_vocab_severity, "violations.severity", "info", "warning", "error");
VOCAB(tdb_vocab_actor, "violations.actor", "driver", "device");
VOCAB(tdb_vocab_chain_memory, "chains.memory", "exact", "best-effort", "partial", "missing", "torn");
/* Index 0 is no step (VMT_QSTEP_POP is 1). */
VOCAB(tdb_vocab_queue_step, "device_steps.step", NULL, "pop", "fill", "flush", "blk-read", "blk-write",
      "scsi-cmd", "scsi-xfer", "scsi-lba");
VOCAB(tdb_vocab_step_verdict, "device_steps.verdict", "agrees", "torn", "no-copy");

/* The enums above and capture/event.h must agree with the tables. */
_Static_assert(VMT_EV_MMIO == 1 && VMT_EV_QUEUE == 8 && VMT_EV_TYPE_MAX == 8, "events.type table");
_Static_assert(VMT_QSTEP_POP == 1 && VMT_QSTEP_BLK_WRITE == 5 && VMT_QSTEP_SCSI_CMD == 6 && VMT_QSTEP_SCSI_XFER == 7 &&
		       VMT_QSTEP_SCSI_LBA == 8 && VMT_QSTEP_MAX == 8,
	       "device_steps.step table");
_Static_assert(VMT_DIR_READ == 0 && VMT_DIR_WRITE == 1, "events.dir table");

const char *tdb_vocab_name(const struct tdb_vocab *v, int value)
{
	if (value < 0 || value >= v->n || !v->names[value])
		return "?";
	return v->names[value];
}

int tdb_vocab_parse(const struct tdb_vocab *v, const char *s, size_t n)
{
	if (!s)
		return -1;
	for (int i = 0; i < v->n; i++)
		if (v->names[i] && strlen(v->names[i]) == n && !memcmp(v->names[i], s, n))
			return i;
	return -1;
}

const char *tdb_vocab_list(const struct tdb_vocab *v, char *buf, size_t len)
{
	size_t o = 0;
	int shown = 0, total = 0;

	for (int i = 0; i < v->n; i++)
		total += v->names[i] != NULL;
	if (len)
		buf[0] = '\0';
	for (int i = 0; i < v->n && len; i++) {
		if (!v->names[i])
			continue;
		shown++;
		int k = snprintf(buf + o, len - o, "%s%s", shown == 1 ? "" : shown == total ? " or " : ", ", v->names[i]);
		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
	return buf;
}
