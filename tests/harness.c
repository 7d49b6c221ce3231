/* Shared state and helpers of the test harness. */
#include "tests/harness.h"

#include <unistd.h>

int harness_failures;
const char *harness_case = "setup";

const char *harness_tmpfile(const char *name)
{
	static char buf[8][512];
	static unsigned next;
	const char *dir = getenv("TMPDIR");
	char *out = buf[next++ % 8];

	snprintf(out, sizeof(buf[0]), "%s/vmtrace-test-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
	return out;
}
