/* Recording a divergence of the replay engine (engine.c, snapshot.c): the
 * device named, the events before it as context, then kept as declared
 * (a declaration matches) or as a divergence.  Never calls back into the
 * engine's loop. */
#ifndef VMTRACE_REPLAY_DIVERGE_H
#define VMTRACE_REPLAY_DIVERGE_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct replay_div;
struct expect_subject;

/* Record d (filled by the caller: kind, where, values, note) at seq for
 * trace device dev (-1: none); fills its device, context and declaration.
 * An undeclared divergence stops the replay unless keep_going. */
void diverge_report(struct engine *e, uint64_t seq, int dev, struct replay_div *d,
		    const struct expect_subject *subj);
/* Up to n bytes as "de ad be ef" into buf (len bytes, NUL-terminated). */
void diverge_hexbytes(char *buf, size_t len, const uint8_t *p, uint32_t n);

#endif
