/* Findings of virtqueue walkers (vring.h). */
#include "virtio/vring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vring_fault_set(struct vring_fault *f, enum rule_id rule, const struct vring_place *at, const char *fmt, ...)
{
	va_list ap;

	f->rule = rule;
	if (at)
		f->at = *at;
	else
		memset(&f->at, 0, sizeof(f->at));
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return VRING_BROKEN;
}
