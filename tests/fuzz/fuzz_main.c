/* The driver of a fuzz target when libFuzzer is not linked in (gcc, the
 * normal build): every file named on the command line, and every file of
 * every directory named (sorted, dot files and README skipped), goes once
 * through LLVMFuzzerTestOneInput.  A directory that does not exist is
 * skipped (a target may have no regressions yet).  Exit status: 0, or 1 if
 * no input was run at all or a file could not be read; a broken promise
 * aborts inside the target. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/* Larger than any target's FUZZER_MAXLEN: such a file still runs (and
 * the target ignores it), as under libFuzzer. */
#define FUZZ_FILE_MAX (64u << 20)

static unsigned n_run;

/* Read path whole and run it. Returns 0 or -1. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "fuzz: unable to open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(FUZZ_FILE_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, FUZZ_FILE_MAX, f);
	fclose(f);
	/* An exact-size copy, so a read past the input is caught by ASan. */
	uint8_t *in = malloc(n ? n : 1);
	if (!in) {
		free(buf);
		return -1;
	}
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	n_run++;
	return 0;
}

static int skip_name(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), r = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz: unable to list '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;

		if (!skip_name(names[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(path) < 0)
				r = -1;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) != 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "fuzz: '%s': %s\n", argv[i], strerror(errno));
			status = 1;
		} else if (S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i]) < 0)
				status = 1;
		} else if (run_file(argv[i]) < 0) {
			status = 1;
		}
	}
	printf("%s: %u input%s run\n", argv[0], n_run, n_run == 1 ? "" : "s");
	if (n_run == 0) {
		fprintf(stderr, "fuzz: no inputs\n");
		status = 1;
	}
	return status;
}
