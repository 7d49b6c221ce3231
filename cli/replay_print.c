/* The replay report, for people and for scripts; see replay_print.h. */
#include "cli/replay_print.h"

#include <inttypes.h>
#include <string.h>

#include "cli/json.h"
#include "cli/report_json.h"
#include "cli/util.h"

const char *replay_verdict(const struct replay_result *res)
{
	return res->divergences ? "diverged" : res->not_replayed ? "incomplete" : "identical";
}

const char *replay_verdict_text(const struct replay_result *res)
{
	return res->divergences ? "DIVERGED" : res->not_replayed ? "INCOMPLETE" : "identical";
}

static void values(FILE *f, const struct replay_div *d, const char *indent)
{
	if (d->has_values) {
		fprintf(f, "%sexpected (recorded): 0x%" PRIx64 "\n", indent, d->expected);
		fprintf(f, "%sactual (emulator):   0x%" PRIx64 "\n", indent, d->actual);
	} else {
		fprintf(f, "%sexpected (recorded): %s\n", indent, d->expected_text);
		fprintf(f, "%sactual (emulator):   %s\n", indent, d->actual_text);
	}
}

static void one_line(FILE *f, const struct replay_div *d)
{
	char buf[512];

	if (d->at_setup)
		fprintf(f, "  setup        ");
	else
		fprintf(f, "  seq %-8" PRIu64 " ", d->seq);
	fprintf(f, "%s %s %s: ", term_escape((const unsigned char *)d->device_name, buf, sizeof(buf)), d->kind, d->where);
	if (d->has_values)
		fprintf(f, "recorded 0x%" PRIx64 ", emulator 0x%" PRIx64, d->expected, d->actual);
	else
		fprintf(f, "recorded %s, emulator %s", d->expected_text, d->actual_text);
	if (d->declared_by)
		fprintf(f, "  [declared: %s]", d->declared_by);
	fputc('\n', f);
	if (d->note[0])
		fprintf(f, "      %s\n", d->note);
}

static void detail(FILE *f, const struct replay_div *d)
{
	char buf[512];

	fprintf(f, "first divergence at seq %" PRIu64 ": %s%s%s %s\n", d->seq,
		term_escape((const unsigned char *)d->device_name, buf, sizeof(buf)), d->device_name[0] ? ", " : "",
		d->kind, d->where);
	values(f, d, "  ");
	if (d->section)
		fprintf(f, "  spec: %s\n", d->section);
	if (d->note[0])
		fprintf(f, "  why:  %s\n", d->note);
	if (d->n_before) {
		fprintf(f, "  events up to it:\n");
		for (unsigned i = 0; i < d->n_before; i++)
			fprintf(f, "  %s %8" PRIu64 "  %s\n", d->before[i].seq == d->seq ? ">" : " ", d->before[i].seq,
				d->before[i].text);
	}
}

void replay_print_text(FILE *f, const struct replay_result *res, bool keep_going)
{
	fprintf(f, "replaying %s: %" PRIu64 " events recorded by %s (%s)\n", res->path, res->events_total,
		res->source[0] ? res->source : "?",
		res->registers_only ? "registers only: register reads compared; rings, memory, interrupts and "
				      "violations not"
		: res->exact ? "exact: every device action compared" : "device side compared through reads and ring snapshots");
	unsigned n_empty = 0;
	uint64_t empty_lo = UINT64_MAX, empty_hi = 0;
	for (unsigned i = 0; i < res->n_devices; i++) {
		const struct replay_device_info *di = &res->devices[i];
		if (di->empty) {
			/* An arm virt machine has 32 slots, most of them empty:
			 * one line for all of them. */
			n_empty++;
			empty_lo = di->base < empty_lo ? di->base : empty_lo;
			empty_hi = di->base > empty_hi ? di->base : empty_hi;
		} else if (di->model[0])
			fprintf(f, "  %-26s emulated by the %s model (%s layout)\n", di->name, di->model,
				di->version == 1 ? "legacy" : "modern");
		else
			fprintf(f, "  %-26s not replayed: %s\n", di->name, di->why_not);
	}
	if (n_empty == 1)
		fprintf(f, "  1 empty virtio-mmio transport (DeviceID 0) at 0x%" PRIx64 ": nothing to replay\n", empty_lo);
	else if (n_empty)
		fprintf(f, "  %u empty virtio-mmio transports (DeviceID 0) between 0x%" PRIx64 " and 0x%" PRIx64 ": nothing to replay\n",
			n_empty, empty_lo, empty_hi);
	fputc('\n', f);
	if (res->n_divs) {
		detail(f, &res->divs[0]);
		if (res->n_divs > 1) {
			fprintf(f, "\nall divergences:\n");
			for (unsigned i = 0; i < res->n_divs; i++)
				one_line(f, &res->divs[i]);
			if (res->divergences > res->n_divs)
				fprintf(f, "  ... and %" PRIu64 " more\n", res->divergences - res->n_divs);
		}
		fputc('\n', f);
	}
	if (res->n_decl) {
		fprintf(f, "expected differences (declared), %" PRIu64 " in all, first of each:\n", res->declared);
		for (unsigned i = 0; i < res->n_decl; i++)
			one_line(f, &res->decl[i]);
		fputc('\n', f);
	}
	if (res->devices_unverified) {
		fprintf(f, "ring contents unverified (torn copies: the recorder copied the rings while the guest ran, "
			"and the decoder found a copy that cannot be what the device used; from there the device "
			"replayed registers only):\n");
		for (unsigned i = 0; i < res->n_devices; i++) {
			const struct replay_device_info *di = &res->devices[i];
			char name[512];
			if (!di->unverified)
				continue;
			fprintf(f, "  %s: ring contents unverified from seq %" PRIu64 " (torn copy: anomaly %s at seq %" PRIu64
				"); registers compared %s\n", term_escape((const unsigned char *)di->name, name, sizeof(name)),
				di->unverified_from, di->torn_rule, di->torn_seq,
				res->stopped ? "until the replay stopped" : "to the end");
			fprintf(f, "      queue %u: %s\n", di->torn_queue, di->torn_message);
			if (di->failure_masked)
				fprintf(f, "      the emulated device had already failed on ring contents: DEVICE_NEEDS_RESET and "
					"the configuration-change interrupt are not compared until the driver resets it\n");
		}
		fputc('\n', f);
	}
	if (res->unverified) {
		const struct replay_div *u = &res->first_unverified;
		fprintf(f, "%" PRIu64 " best-effort snapshot(s) of device-written buffers differ (not counted: the guest "
			"may have changed them before the copy); the first, at seq %" PRIu64 ", %s%s%s: recorded %s, emulator %s\n\n",
			res->unverified, u->seq, u->device_name, u->device_name[0] ? " " : "", u->where, u->expected_text,
			u->actual_text);
	}
	if (res->failures_taken_over)
		fprintf(f, "%u device failure%s caused by ring contents taken over (registers only: a read showed that "
			"the recorded device had failed, DEVICE_NEEDS_RESET; the emulated one was failed the same way)\n\n",
			res->failures_taken_over, res->failures_taken_over == 1 ? "" : "s");
	if (res->not_compared)
		fprintf(f, "%" PRIu64 " ring snapshot(s) of queues the emulated devices do not have were not compared\n\n",
			res->not_compared);
	/* Ring-level differences in a trace of a running guest: the copies
	 * may be at fault, and the register level can still be checked. */
	bool ring_level = false;
	for (unsigned i = 0; i < res->n_divs && !ring_level; i++)
		ring_level = strcmp(res->divs[i].kind, "read") != 0;
	if (ring_level && !res->exact && !res->registers_only)
		fprintf(f, "ring copies of a running guest can be torn; --registers-only compares the register "
			"accesses alone\n\n");
	fprintf(f, "[ vmtrace replay: %s%s; %" PRIu64 " of %" PRIu64 " events replayed, %" PRIu64 " divergence%s",
		replay_verdict_text(res), res->registers_only ? " (registers only)" : "", res->events_replayed, res->events_total, res->divergences,
		res->divergences == 1 ? "" : "s");
	if (res->not_replayed)
		fprintf(f, ", %u device%s not replayed", res->not_replayed, res->not_replayed == 1 ? "" : "s");
	if (res->declared)
		fprintf(f, ", %" PRIu64 " declared", res->declared);
	if (res->devices_unverified)
		fprintf(f, ", %u device%s unverified from a torn copy (registers compared)", res->devices_unverified,
			res->devices_unverified == 1 ? "" : "s");
	if (res->registers_only)
		fprintf(f, ", %" PRIu64 " memory/interrupt/violation event%s not compared", res->events_skipped,
			res->events_skipped == 1 ? "" : "s");
	fprintf(f, ", %.2f s", res->seconds);
	if (res->stopped)
		fprintf(f, "; stopped at the first (--keep-going for all)");
	else if (keep_going && res->divergences)
		fprintf(f, "; kept going to the end");
	fprintf(f, " ]\n");
}

static void json_div(struct json *j, const char *key, const struct replay_div *d)
{
	json_begin_object(j, key);
	if (d->at_setup)
		json_null(j, "seq");
	else
		json_u64(j, "seq", d->seq);
	if (d->device >= 0)
		json_i64(j, "device", d->device);
	else
		json_null(j, "device");
	json_string(j, "device_name", d->device_name[0] ? d->device_name : NULL);
	json_string(j, "kind", d->kind);
	json_string(j, "where", d->where);
	if (d->has_values) {
		json_u64(j, "expected", d->expected);
		json_u64(j, "actual", d->actual);
	} else {
		json_string(j, "expected", d->expected_text);
		json_string(j, "actual", d->actual_text);
	}
	json_string(j, "section", d->section);
	json_string(j, "note", d->note[0] ? d->note : NULL);
	json_string(j, "declared_by", d->declared_by);
	json_begin_array(j, "events");
	for (unsigned i = 0; i < d->n_before; i++)
		report_json_event(j, d->before[i].seq, d->before[i].text, d->before[i].seq == d->seq);
	json_end_array(j);
	json_end_object(j);
}

void replay_print_json(FILE *f, const struct replay_result *res)
{
	struct json j;

	json_init(&j, f);
	json_begin_object(&j, NULL);
	json_string(&j, "trace", res->path);
	json_string(&j, "source", res->source);
	json_bool(&j, "exact", res->exact);
	json_string(&j, "mode", res->registers_only ? "registers only" : "full");
	json_string(&j, "result", replay_verdict(res));
	json_u64(&j, "events_total", res->events_total);
	json_u64(&j, "events_replayed", res->events_replayed);
	json_u64(&j, "events_skipped", res->events_skipped);
	json_u64(&j, "failures_taken_over", res->failures_taken_over);
	json_u64(&j, "last_seq", res->last_seq);
	json_u64(&j, "divergences", res->divergences);
	json_u64(&j, "declared", res->declared);
	json_u64(&j, "unverified", res->unverified);
	json_u64(&j, "not_compared", res->not_compared);
	json_u64(&j, "not_replayed", res->not_replayed);
	json_u64(&j, "devices_unverified", res->devices_unverified);
	json_bool(&j, "stopped_at_first", res->stopped);
	json_u64(&j, "milliseconds", (uint64_t)(res->seconds * 1000.0 + 0.5));
	json_begin_array(&j, "devices");
	for (unsigned i = 0; i < res->n_devices; i++) {
		const struct replay_device_info *di = &res->devices[i];
		json_begin_object(&j, NULL);
		json_i64(&j, "device", di->device);
		json_string(&j, "name", di->name);
		json_string(&j, "model", di->model[0] ? di->model : NULL);
		json_string(&j, "not_replayed", di->model[0] ? NULL : di->why_not);
		if (di->unverified) {
			json_u64(&j, "unverified_from", di->unverified_from);
			json_begin_object(&j, "torn_copy");
			json_u64(&j, "seq", di->torn_seq);
			json_u64(&j, "queue", di->torn_queue);
			json_string(&j, "rule", di->torn_rule);
			json_string(&j, "message", di->torn_message);
			json_bool(&j, "failure_masked", di->failure_masked);
			json_end_object(&j);
		} else {
			json_null(&j, "unverified_from");
			json_null(&j, "torn_copy");
		}
		json_end_object(&j);
	}
	json_end_array(&j);
	if (res->n_divs)
		json_div(&j, "first_divergence", &res->divs[0]);
	else
		json_null(&j, "first_divergence");
	json_begin_array(&j, "all_divergences");
	for (unsigned i = 0; i < res->n_divs; i++)
		json_div(&j, NULL, &res->divs[i]);
	json_end_array(&j);
	json_begin_array(&j, "declared_differences");
	for (unsigned i = 0; i < res->n_decl; i++)
		json_div(&j, NULL, &res->decl[i]);
	json_end_array(&j);
	if (res->unverified)
		json_div(&j, "first_unverified", &res->first_unverified);
	else
		json_null(&j, "first_unverified");
	json_end_object(&j); /* ends the line: the writer closes a top-level value with '\n' */
}
