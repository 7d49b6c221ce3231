/* Fuzz target: the QEMU capture path, trace text through the trace-line
 * parser and qemu_source, or register-access scripts through ring_snap,
 * over guest RAM the input fills.
 *
 * The entry and its checks live in tests/qemu_unit/fuzz_qemu.c, whose own
 * main() is the seeded smoke run of the unit tests (qemu-fuzz-smoke); it
 * is included here, built as a libFuzzer target (or under fuzz_main.c),
 * so the two cannot drift apart.  Input: [mode][ram_len lo][ram_len hi]
 * [ram bytes...][rest], see there.  In text mode (mode bit 0) each line of
 * the text is also parsed on its own with qemu_line_parse, which must
 * classify it, fill an access within its limits, name what is wrong with
 * a bad line, and parse an access printed back the way QEMU prints it to
 * the same access. */
#define VMTRACE_LIBFUZZER 1
#define LLVMFuzzerTestOneInput fuzz_qemu_entry
#include "tests/qemu_unit/fuzz_qemu.c"
#undef LLVMFuzzerTestOneInput

#include "tests/fuzz/fuzz.h"

/* The cap of fuzz_qemu_one (FUZZ_MAXLEN, 64 KiB). */
#define FUZZER_MAXLEN FUZZ_MAXLEN

static void check_access(const struct qemu_access *a)
{
	if (a->size != 1 && a->size != 2 && a->size != 4 && a->size != 8)
		fuzz_fail("access of size %u", a->size);
	if (a->size < 8 && a->value >> (8 * a->size))
		fuzz_fail("value 0x%llx wider than %u bytes", (unsigned long long)a->value, a->size);
	if (!memchr(a->name, '\0', sizeof(a->name)))
		fuzz_fail("region name not terminated");
	if (a->has_time && a->time_ns % 1000u)
		fuzz_fail("time %llu ns is not whole microseconds", (unsigned long long)a->time_ns);
}

/* Print a as QEMU does and parse it again. */
static void check_round_trip(const struct qemu_access *a)
{
	static char line[QEMU_LINE_MAX + 256];
	struct qemu_access b;
	const char *why;
	int n = 0;

	if (a->has_time)
		n = snprintf(line, sizeof(line), "4242@%llu.%06llu:", (unsigned long long)(a->time_ns / 1000000000u),
			     (unsigned long long)(a->time_ns % 1000000000u / 1000u));
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s cpu %u mr 0x55d0c1e0 addr 0x%llx value 0x%llx size %u name '%s'",
		      a->write ? "memory_region_ops_write" : "memory_region_ops_read", a->cpu,
		      (unsigned long long)a->addr, (unsigned long long)a->value, a->size, a->name);
	if (qemu_line_parse(line, (size_t)n, &b, &why) != QEMU_LINE_ACCESS)
		fuzz_fail("an access printed back does not parse (%s): %s", why ? why : "other", line);
	if (b.write != a->write || b.cpu != a->cpu || b.addr != a->addr || b.value != a->value || b.size != a->size ||
	    b.has_time != a->has_time || b.time_ns != a->time_ns || strcmp(b.name, a->name) != 0)
		fuzz_fail("an access printed back parses differently: %s", line);
}

static void parse_lines(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct qemu_access a, again;
		const char *why = "unset", *why2;

		if (len <= QEMU_LINE_MAX) {
			enum qemu_line_kind k = qemu_line_parse(p, len, &a, &why);
			if (k == QEMU_LINE_ACCESS) {
				check_access(&a);
				check_round_trip(&a);
			} else if (k == QEMU_LINE_BAD) {
				if (!why || !*why)
					fuzz_fail("bad line without a reason");
			} else if (k == QEMU_LINE_VIRTIO) {
				if (a.vio.kind < QEMU_VIRTIO_NOTIFY || a.vio.kind > QEMU_VIRTIO_BLK_WRITE ||
				    a.vio.n > QEMU_VIRTIO_QUEUE_INDEX_MAX ||
				    (uint64_t)a.vio.in_num + a.vio.out_num > QEMU_VIRTIO_RING_MAX ||
				    a.vio.idx >= QEMU_VIRTIO_RING_MAX || a.vio.count > QEMU_VIRTIO_RING_MAX ||
				    a.vio.nsectors > UINT32_MAX || a.vio.sector + a.vio.nsectors < a.vio.sector)
					fuzz_fail("a virtio line outside its limits");
			} else if (k != QEMU_LINE_OTHER) {
				fuzz_fail("line kind %d", (int)k);
			}
			/* Same text, same answer. */
			if (qemu_line_parse(p, len, &again, &why2) != k ||
			    ((k == QEMU_LINE_ACCESS || k == QEMU_LINE_VIRTIO) && memcmp(&a, &again, sizeof(a)) != 0))
				fuzz_fail("parsing a line twice gives two answers");
		}
		p += len + (nl != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZER_MAXLEN)
		return 0;
	fuzz_qemu_entry(data, size);
	if (size >= 3 && (data[0] & 1)) {
		size_t ram_len = (size_t)(data[1] | data[2] << 8);
		if (ram_len > size - 3)
			ram_len = size - 3;
		parse_lines((const char *)data + 3 + ram_len, (const char *)data + size);
	}
	return 0;
}
