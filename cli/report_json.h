/* JSON shapes the comparing commands share (replay, diff), so a script
 * reads their events the same way. */
#ifndef VMTRACE_CLI_REPORT_JSON_H
#define VMTRACE_CLI_REPORT_JSON_H

#include <stdbool.h>
#include <stdint.h>

struct json;

/* One event shown as context: {"seq": N, "text": "...", "at": bool}
 * (at: the divergent event itself). */
void report_json_event(struct json *j, uint64_t seq, const char *text, bool at);

#endif
