/* Chrome JSON trace events for Perfetto (docs/export-perfetto.md). */
#ifndef VMTRACE_EXPORT_EXPORT_PERFETTO_H
#define VMTRACE_EXPORT_EXPORT_PERFETTO_H

#include <stdio.h>

#include "export/export.h"

struct tdb;

/* Write the part of t that o selects to out as one JSON object
 * {"traceEvents": [...], ...}; fill s.  0 or an error (export.h), err
 * filled. */
int export_perfetto(struct tdb *t, const struct export_opts *o, FILE *out, struct export_summary *s, char *err,
		    size_t errlen);

#endif
