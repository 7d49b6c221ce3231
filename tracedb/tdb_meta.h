/* The meta table: what the file says about itself (docs/schema.md).
 *
 * Errors (tdb_open.h): 0, negative errno (SQLite failed), or positive:
 * TDB_E_NOT_FOUND (no such key), TDB_E_DAMAGED_ROW (the value is not what
 * the key holds: a count that is not a number; message names the row). */
#ifndef VMTRACE_TRACEDB_TDB_META_H
#define VMTRACE_TRACEDB_TDB_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdb;

/* Longest meta value tdb_meta_text returns whole. */
#define TDB_META_VALUE_MAX 4096

/* The facts every reader wants.  Text is as the file has it: escape it
 * before it reaches a terminal. */
struct tdb_meta {
	char source[64];          /* emu, qemu, kvm-bpf; "" if none or too long */
	char stop_reason[256];    /* "" if none or too long */
	bool complete;            /* meta 'complete' is "1" */
	uint64_t events;          /* meta 'events' (the decoder's count) */
	uint64_t lost;            /* meta 'lost', 0 if none */
	bool ram_known;           /* both ram_base and ram_size are there */
	uint64_t ram_base, ram_size;
	bool seed_known;
	uint64_t seed;            /* raw.seed */
};

/* Read the facts above.  A 'lost', 'events', 'ram_base', 'ram_size' or
 * 'raw.seed' value that is not an unsigned number (decimal or 0x hex) is
 * TDB_E_DAMAGED_ROW ("meta row 'lost': 'x' is not an unsigned number");
 * *m then holds what was read before it. */
int tdb_meta_read(struct tdb *t, struct tdb_meta *m);

/* meta value of key into buf (NUL-terminated).  TDB_E_NOT_FOUND if there
 * is none or it does not fit in len (a value cut short would lie). */
int tdb_meta_text(struct tdb *t, const char *key, char *buf, size_t len);

/* meta value of key as an unsigned number (decimal or 0x hex). */
int tdb_meta_u64(struct tdb *t, const char *key, uint64_t *out);

/* Call fn for each meta row whose key starts with prefix ("raw."), in key
 * order; fn returns nonzero to stop.  Keys and values are the file's
 * (escape before printing). */
int tdb_meta_each(struct tdb *t, const char *prefix, int (*fn)(void *arg, const char *key, const char *value),
		  void *arg);

#endif
