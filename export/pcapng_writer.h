/* A pcapng writer (the blocks vmtrace writes: section header, interface
 * description, enhanced packet), on a FILE.  libpcap writes classic pcap
 * only, so pcapng is written here.
 *
 * Errors: every call returns 0 or a negative errno (a write error); the
 * first error sticks (later calls return it and write nothing). */
#ifndef VMTRACE_EXPORT_PCAPNG_WRITER_H
#define VMTRACE_EXPORT_PCAPNG_WRITER_H

#include <stdint.h>
#include <stdio.h>

struct pcapng_writer {
	FILE *f;
	int err;           /* the first error, 0 none */
	uint32_t n_ifaces; /* interfaces described so far (their ids 0..n-1) */
	uint64_t bytes;    /* written */
};

/* Start a section on f: the section header with comments (each a NUL-
 * terminated string, n of them; NULL entries skipped) and the writing
 * application (shb_userappl). */
int pcapng_begin(struct pcapng_writer *w, FILE *f, const char *const *comments, int n, const char *app);

/* Describe an interface: its id is the number described before it.
 * Timestamps in nanoseconds (if_tsresol 9). */
int pcapng_interface(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen, const char *name,
		     const char *description, uint32_t *id);

/* epb_flags direction (bits 0-1). */
enum pcapng_dir { PCAPNG_DIR_UNKNOWN = 0, PCAPNG_DIR_INBOUND = 1, PCAPNG_DIR_OUTBOUND = 2 };

/* One packet on interface iface at ts_ns: caplen bytes of data, orig_len
 * the length before any cut; dir and comment (NULL: none) as options. */
int pcapng_packet(struct pcapng_writer *w, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		  uint32_t orig_len, enum pcapng_dir dir, const char *comment);

#endif
