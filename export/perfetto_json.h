/* One JSON trace event built in memory before it is written (the Perfetto
 * exporter, docs/export-perfetto.md): a growable buffer with the few value
 * kinds Chrome JSON needs, and a string escaper for text from a hostile
 * file.  No JSON escaper exists in a library (cli/json.c is the cli's own
 * and writes straight to a FILE; format/escape.h escapes for terminals,
 * whose \xHH is not JSON), so this one lives here; it takes its UTF-8
 * decoding from format/escape.h.
 *
 * Strings come out as valid JSON of valid UTF-8 whatever the input: '"'
 * and '\' escaped, C0 controls and DEL as \u00XX (\n \t \r \b \f by their
 * short forms), the code points format/escape.h hides (C1 controls, the
 * invisible direction controls, U+2028/9) as \uXXXX, and each byte that
 * starts no valid UTF-8 sequence (or an encoded surrogate's) as U+FFFD.
 *
 * Errors: the builder never fails visibly; a failed allocation sets oom
 * and stops it growing (the caller checks pj.oom before writing). */
#ifndef VMTRACE_EXPORT_PERFETTO_JSON_H
#define VMTRACE_EXPORT_PERFETTO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Objects nest this deep at most (event, args). */
#define PJ_DEPTH_MAX 4

struct pj {
	char *b;
	size_t len, cap;
	bool oom;
	unsigned depth;
	bool first[PJ_DEPTH_MAX];  /* no member written yet at that level */
};

void pj_init(struct pj *j);
void pj_free(struct pj *j);
/* Empty the buffer (keeps its memory). */
void pj_reset(struct pj *j);

/* Raw text, as is (the caller's own syntax). */
void pj_raw(struct pj *j, const char *s, size_t n);
void pj_puts(struct pj *j, const char *s);
void pj_printf(struct pj *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* n bytes at s as a quoted JSON string (s may be NULL when n is 0). */
void pj_strn(struct pj *j, const void *s, size_t n);
/* The same, cut after at most max input bytes on a character boundary,
 * with "..." appended when cut. */
void pj_strn_cut(struct pj *j, const void *s, size_t n, size_t max);

/* '{' and '}', with the members between separated by commas. */
void pj_begin(struct pj *j);
void pj_end(struct pj *j);
/* "key": (key is the caller's, plain ASCII) after a comma if needed. */
void pj_key(struct pj *j, const char *key);

/* key: value members. */
void pj_kv_str(struct pj *j, const char *key, const char *s);            /* NULL: null */
void pj_kv_strn(struct pj *j, const char *key, const void *s, size_t n);
void pj_kv_u64(struct pj *j, const char *key, uint64_t v);
void pj_kv_i64(struct pj *j, const char *key, int64_t v);
void pj_kv_hex(struct pj *j, const char *key, uint64_t v);               /* "0x1f" */
void pj_kv_bool(struct pj *j, const char *key, bool v);
/* A time in ns as microseconds with ns precision: 1234567 -> 1234.567. */
void pj_kv_us(struct pj *j, const char *key, uint64_t ns);

#endif
