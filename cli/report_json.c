/* Shared JSON shapes of replay and diff; see report_json.h. */
#include "cli/report_json.h"

#include "cli/json.h"

void report_json_event(struct json *j, uint64_t seq, const char *text, bool at)
{
	json_begin_object(j, NULL);
	json_u64(j, "seq", seq);
	json_string(j, "text", text);
	json_bool(j, "at", at);
	json_end_object(j);
}
