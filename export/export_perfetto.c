/* Chrome JSON for Perfetto: written by the Perfetto helper (see export_perfetto.h). */
#include "export/export_perfetto.h"

#include <errno.h>
#include <stdio.h>

int export_perfetto(struct tdb *t, const struct export_opts *o, FILE *out, struct export_summary *s, char *err,
		    size_t errlen)
{
	(void)t, (void)o, (void)out, (void)s;
	snprintf(err, errlen, "perfetto export: not written yet");
	return -ENOSYS;
}
