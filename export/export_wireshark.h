/* A trace.db as packets for Wireshark (docs/export.md): pcapng with one
 * interface per device for vmtrace's records (link type USER0) and one
 * per network device for its frames as Ethernet, or classic pcap
 * (through libpcap) with the records only. */
#ifndef VMTRACE_EXPORT_EXPORT_WIRESHARK_H
#define VMTRACE_EXPORT_EXPORT_WIRESHARK_H

#include <stdio.h>

#include "export/export.h"

struct tdb;

enum export_packets { EXPORT_PCAPNG, EXPORT_PCAP };

/* Write the part of t that o selects to out; fill s.  0 or an error
 * (export.h), err filled. */
int export_wireshark(struct tdb *t, const struct export_opts *o, enum export_packets format, FILE *out,
		     struct export_summary *s, char *err, size_t errlen);

#endif
