/* Output paths and the final decode step of `vmtrace record` (record_out.h). */
#include "cli/record_out.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/util.h"
#include "config.h"
#if HAVE_SQLITE
#include "decoder/decode_file.h"
#endif

bool record_is_raw_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcmp(path + n - 4, ".vmt") == 0;
}

int record_out_prepare(struct record_out *ro, const char *output, const char *raw, bool force, bool quiet)
{
	memset(ro, 0, sizeof(*ro));
	ro->output = output;
	ro->db_path = record_is_raw_name(output) ? NULL : output;
	ro->raw_path = ro->db_path ? raw : output;
	if (!ro->raw_path) {
		if (snprintf(ro->tmp, sizeof(ro->tmp), "%s.recording.vmt", ro->db_path) >= (int)sizeof(ro->tmp))
			return error("output name '%s' is too long", ro->db_path);
		ro->raw_path = ro->tmp;
		ro->raw_is_temporary = true;
	}
	if (rotate_old_output(output, force, quiet) != 0 ||
	    (ro->db_path && raw && rotate_old_output(raw, force, quiet) != 0))
		return -1;
	if (ro->db_path && force)
		remove_db_files(ro->db_path);
	return 0;
}

#if HAVE_SQLITE
static void decode_progress(void *ctx, uint64_t events, uint64_t bytes)
{
	(void)ctx;
	fprintf(stderr, "\rvmtrace record: decoding: %llu events, %.1f MB read", (unsigned long long)events,
		bytes / 1e6);
}
#endif

int record_out_decode(const struct record_out *ro, bool progress)
{
	if (!ro->db_path)
		return 0;
#if HAVE_SQLITE
	struct decoder_opts dopts = { .store_memory = true };
	struct decode_result res;
	char err[512];
	int r = decode_file(ro->raw_path, ro->db_path, &dopts, progress ? decode_progress : NULL, NULL, &res, err,
			    sizeof(err));

	if (progress)
		fputs("\r\033[K", stderr);
	if (r < 0) {
		error("%s", err);
		return error("the raw trace is kept in '%s': 'vmtrace decode %s -o FILE' decodes it", ro->raw_path,
			     ro->raw_path);
	}
	if (ro->raw_is_temporary)
		unlink(ro->raw_path);
	return 0;
#else
	(void)progress;
	return error("this vmtrace has no decoder (built without SQLite): the raw trace is in '%s'", ro->raw_path);
#endif
}

void record_join_args(char *buf, size_t len, const char *first, int argc, char *const *argv)
{
	size_t used = (size_t)snprintf(buf, len, "%s", first);

	for (int i = 0; i < argc && used < len; i++) {
		const char *a = argv[i];
		bool quote = !*a || strpbrk(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") != NULL;
		int n;

		if (!quote) {
			n = snprintf(buf + used, len - used, " %s", a);
		} else {
			n = snprintf(buf + used, len - used, " '");
			for (; n >= 0 && *a && used + (size_t)n < len; a++) {
				int k = *a == '\'' ? snprintf(buf + used + n, len - used - n, "'\\''")
						   : snprintf(buf + used + n, len - used - n, "%c", *a);
				n += k;
			}
			if (n >= 0 && used + (size_t)n < len)
				n += snprintf(buf + used + n, len - used - n, "'");
		}
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}
