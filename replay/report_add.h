/* Adding divergences to a replay_result (bounded lists, counters). */
#ifndef VMTRACE_REPLAY_REPORT_ADD_H
#define VMTRACE_REPLAY_REPORT_ADD_H

#include "replay/replay.h"

/* Keep d (copied) as an undeclared divergence; counts it either way. */
void replay_add_div(struct replay_result *res, const struct replay_div *d);
/* Keep d as a declared difference: the first of each (device, where-kind,
 * declaration); counts it either way. */
void replay_add_declared(struct replay_result *res, const struct replay_div *d);

#endif
