/* qemu_line_parse: one line of QEMU's memory_region_ops_{read,write} trace
 * output.  Every field in both directions, the -msg timestamp=on prefix,
 * cpu -1, masking to the access width, sizes, 64-bit overflow in every
 * number, missing fields, the line cut at every byte offset, NUL and
 * escape bytes, region names with spaces and quotes, and the other text
 * QEMU writes to the same stream (RELIABILITY T01-T03). */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "capture/qemu/qemu_line.h"
#include "tests/harness.h"

#define READ_LINE "memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'"
#define WRITE_LINE "memory_region_ops_write cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e50 value 0x0 size 4 name 'virtio-mmio'"

static struct qemu_access acc;
static const char *why;

static enum qemu_line_kind parse_n(const char *line, size_t len)
{
	memset(&acc, 0xa5, sizeof(acc)); /* the parser must fill every field */
	why = "unset";
	return qemu_line_parse(line, len, &acc, &why);
}

static enum qemu_line_kind parse(const char *line)
{
	return parse_n(line, strlen(line));
}

/* A write line with the given fields; fmt_size/value as text. */
static const char *line_with(char *buf, size_t len, const char *addr, const char *value, const char *size,
			     const char *name)
{
	snprintf(buf, len, "memory_region_ops_write cpu 1 mr 0x1000 addr %s value %s size %s name '%s'", addr, value,
		 size, name);
	return buf;
}

#define EXPECT_BAD(line, needle) do { \
	CHECK_EQ_U(parse(line), QEMU_LINE_BAD); \
	CHECK(why != NULL && why[0] != '\0'); \
	if (why && (needle) && !strstr(why, (needle))) { \
		fprintf(stderr, "    why=\"%s\", expected to contain \"%s\"\n", why, (const char *)(needle)); \
		CHECK(!"reason names the problem"); \
	} \
} while (0)

static void test_read_line(void)
{
	CHECK_EQ_U(parse(READ_LINE), QEMU_LINE_ACCESS);
	CHECK(why == NULL);
	CHECK(!acc.write);
	CHECK_EQ_U(acc.cpu, 0);
	CHECK_EQ_U(acc.addr, 0xfeb02e00u);
	CHECK_EQ_U(acc.value, 0x74726976u);
	CHECK_EQ_U(acc.size, 4);
	CHECK(!acc.has_time);
	CHECK_EQ_U(acc.time_ns, 0);
	CHECK_STR(acc.name, "virtio-mmio");
}

static void test_write_line(void)
{
	CHECK_EQ_U(parse(WRITE_LINE), QEMU_LINE_ACCESS);
	CHECK(why == NULL);
	CHECK(acc.write);
	CHECK_EQ_U(acc.cpu, 0);
	CHECK_EQ_U(acc.addr, 0xfeb02e50u);
	CHECK_EQ_U(acc.value, 0);
	CHECK_EQ_U(acc.size, 4);
	CHECK(!acc.has_time);
	CHECK_STR(acc.name, "virtio-mmio");

	/* Every field different from the defaults, 64-bit values. */
	CHECK_EQ_U(parse("memory_region_ops_write cpu 3 mr 0x7f addr 0xffffffffffffffff value 0xfedcba9876543210 "
			 "size 8 name 'pci'"), QEMU_LINE_ACCESS);
	CHECK(acc.write);
	CHECK_EQ_U(acc.cpu, 3);
	CHECK_EQ_U(acc.addr, UINT64_MAX);
	CHECK_EQ_U(acc.value, UINT64_C(0xfedcba9876543210));
	CHECK_EQ_U(acc.size, 8);
	CHECK_STR(acc.name, "pci");

	/* Upper-case hex digits and prefix, decimal numbers. */
	CHECK_EQ_U(parse("memory_region_ops_read cpu 12 mr 0X55 addr 0XFEB02E04 value 0xABCDEF size 2 name 'x'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.cpu, 12);
	CHECK_EQ_U(acc.addr, 0xfeb02e04u);
	CHECK_EQ_U(acc.value, 0xcdefu);
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr 0x1 addr 4272041472 value 42 size 1 name 'x'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, 4272041472u);
	CHECK_EQ_U(acc.value, 42);
	CHECK_EQ_U(acc.size, 1);
}

static void test_optional_mr(void)
{
	/* %p of a NULL pointer is "(nil)" in glibc; the field may be absent. */
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr (nil) addr 0x10 value 0x1 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, 0x10);
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 addr 0x10 value 0x1 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.value, 1);
	EXPECT_BAD("memory_region_ops_read cpu 0 mr zz addr 0x10 value 0x1 size 4 name 'virtio-mmio'", "'mr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1g addr 0x10 value 0x1 size 4 name 'virtio-mmio'", "'mr'");
}

static void test_timestamp_prefix(void)
{
	CHECK_EQ_U(parse("12345@1700000000.123456:" WRITE_LINE), QEMU_LINE_ACCESS);
	CHECK(acc.has_time);
	CHECK_EQ_U(acc.time_ns, UINT64_C(1700000000123456000));
	CHECK(acc.write);
	CHECK_EQ_U(acc.addr, 0xfeb02e50u);
	CHECK_STR(acc.name, "virtio-mmio");

	CHECK_EQ_U(parse("1@0.000000:" READ_LINE), QEMU_LINE_ACCESS);
	CHECK(acc.has_time);
	CHECK_EQ_U(acc.time_ns, 0);
	CHECK_EQ_U(acc.value, 0x74726976u);

	CHECK_EQ_U(parse("1@0.999999:" READ_LINE), QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.time_ns, 999999000u);

	/* The largest second count whose nanoseconds fit in 64 bits. */
	CHECK_EQ_U(parse("1@18446744072.999999:" READ_LINE), QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.time_ns, UINT64_C(18446744072999999000));

	/* Text that is not a prefix is not one of our lines. */
	CHECK_EQ_U(parse("1@0.000000: " READ_LINE), QEMU_LINE_OTHER);
	CHECK_EQ_U(parse("@0.000000:" READ_LINE), QEMU_LINE_OTHER);
	CHECK_EQ_U(parse("12 " READ_LINE), QEMU_LINE_OTHER);
	CHECK_EQ_U(parse("1@0.000000:virtio_mmio_read offset 0x0"), QEMU_LINE_OTHER);
	CHECK_EQ_U(parse("1@0.000000:"), QEMU_LINE_OTHER);
}

/* A prefix that does not parse, in front of one of our events, is an event
 * we lost (T03: counted parse errors), not text to skip. */
static void test_bad_prefix(void)
{
	static const char *const prefixes[] = {
		"18446744073709551616@1.000000:",        /* pid overflows */
		"1@18446744073709551616.000000:",        /* seconds overflow */
		"1@1.18446744073709551616:",             /* microseconds overflow */
		"1@18446744073.000000:",                 /* seconds * 1e9 overflows */
		"1@1.1000000:",                          /* microseconds >= 1e6 */
		"1@1:",                                  /* no microseconds */
		"1@.5:",                                 /* no seconds */
		"1@1.x:",                                /* not a number */
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", prefixes[i], WRITE_LINE);
		enum qemu_line_kind k = parse(buf);
		if (k != QEMU_LINE_BAD)
			fprintf(stderr, "    prefix \"%s\": kind %d\n", prefixes[i], (int)k);
		CHECK_EQ_U(k, QEMU_LINE_BAD);
		CHECK(why != NULL);
	}
	/* The same prefixes in front of other text stay OTHER. */
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(buf, sizeof(buf), "%svirtio_mmio_write offset 0x50 value 0x0", prefixes[i]);
		CHECK_EQ_U(parse(buf), QEMU_LINE_OTHER);
	}
}

static void test_cpu(void)
{
	/* QEMU prints cpu_index with %d: -1 for accesses outside a vCPU. */
	CHECK_EQ_U(parse("memory_region_ops_read cpu -1 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.cpu, UINT32_MAX);
	CHECK_EQ_U(parse("memory_region_ops_read cpu 4294967295 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.cpu, UINT32_MAX);
	/* Larger than 32 bits: clamped, still "no vCPU". */
	CHECK_EQ_U(parse("memory_region_ops_read cpu 4294967296 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.cpu, UINT32_MAX);
	CHECK_EQ_U(parse("memory_region_ops_read cpu 255 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.cpu, 255);
	EXPECT_BAD("memory_region_ops_read cpu - mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'", "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu x mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'", "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu 1x mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'", "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu -x mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'", "'cpu'");
}

static void test_masking(void)
{
	static const struct {
		const char *value, *size;
		uint64_t want;
	} cases[] = {
		{ "0x1ff", "1", 0xff },
		{ "0xffffffffffffffff", "1", 0xff },
		{ "0x12345", "2", 0x2345 },
		{ "0xffffffffffffffff", "2", 0xffff },
		{ "0x10130006e54", "4", 0x30006e54 }, /* seen from QEMU 7.2 */
		{ "0xffffffffffffffff", "4", 0xffffffff },
		{ "0x74726976", "4", 0x74726976 },
		{ "0xffffffffffffffff", "8", UINT64_MAX },
		{ "0x8000000000000001", "8", UINT64_C(0x8000000000000001) },
		{ "0x80", "1", 0x80 },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0xfeb02e00", cases[i].value, cases[i].size, "virtio-mmio")),
			   QEMU_LINE_ACCESS);
		CHECK_EQ_U(acc.value, cases[i].want);
		CHECK_EQ_U(acc.size, (uint32_t)atoi(cases[i].size));
	}
	/* The address is never masked: it is the full guest-physical address. */
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x1feb02e00", "0x0", "1", "virtio-mmio")), QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, UINT64_C(0x1feb02e00));
}

static void test_sizes(void)
{
	static const char *const bad[] = { "0", "3", "5", "6", "7", "9", "16", "32", "0x10", "4294967300" };
	static const char *const good[] = { "1", "2", "4", "8", "0x4", "0x8" };
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "0x0", bad[i], "virtio-mmio"), "size");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0", "0x0", good[i], "virtio-mmio")), QEMU_LINE_ACCESS);
		CHECK_EQ_U(acc.size, strtoul(good[i], NULL, 0));
	}
}

static void test_overflow(void)
{
	char buf[512];

	/* At the limit: accepted; one more: rejected, for every number. */
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0xffffffffffffffff", "0xffffffffffffffff", "8", "a")),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "18446744073709551615", "18446744073709551615", "8", "a")),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, UINT64_MAX);
	CHECK_EQ_U(acc.value, UINT64_MAX);
	/* Leading zeros do not overflow. */
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0000000000000000000000001", "0x00000000000000000002", "4", "a")),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, 1);
	CHECK_EQ_U(acc.value, 2);

	EXPECT_BAD(line_with(buf, sizeof(buf), "0x10000000000000000", "0x0", "4", "a"), "'addr'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "18446744073709551616", "0x0", "4", "a"), "'addr'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "99999999999999999999999", "0x0", "4", "a"), "'addr'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "0x10000000000000000", "4", "a"), "'value'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "18446744073709551616", "8", "a"), "'value'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "0x0", "18446744073709551620", "a"), "'size'");
	EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "0x0", "0x10000000000000004", "a"), "'size'");
	EXPECT_BAD("memory_region_ops_read cpu 18446744073709551616 mr 0x1 addr 0x0 value 0x0 size 4 name 'a'",
		   "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu -18446744073709551616 mr 0x1 addr 0x0 value 0x0 size 4 name 'a'",
		   "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x10000000000000000 addr 0x0 value 0x0 size 4 name 'a'", "'mr'");
}

static void test_missing_fields(void)
{
	EXPECT_BAD("memory_region_ops_read", "'cpu'");
	EXPECT_BAD("memory_region_ops_read ", "'cpu'");
	EXPECT_BAD("memory_region_ops_read mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'", "'cpu'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 value 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 size 4 name 'virtio-mmio'", "'value'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 name 'virtio-mmio'", "'size'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4", "'name'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name", "'name'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name virtio-mmio", "'name'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr value 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x value 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value size 4 name 'virtio-mmio'", "'value'");
	/* Fields out of order. */
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 value 0x0 addr 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 size 4 value 0x0 name 'virtio-mmio'", "'value'");
	/* A key glued to its number, or a word that only starts like the key. */
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr0x0 value 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 address 0x0 value 0x0 size 4 name 'virtio-mmio'", "'addr'");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 names 'virtio-mmio'", "'name'");
	/* Tabs are not QEMU's separator. */
	CHECK(parse("memory_region_ops_read cpu\t0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'") !=
	      QEMU_LINE_ACCESS);
	/* Extra spaces between fields are harmless. */
	CHECK_EQ_U(parse("memory_region_ops_read   cpu  0  mr  0x1  addr  0x8  value  0x9  size  4  name 'virtio-mmio'"),
		   QEMU_LINE_ACCESS);
	CHECK_EQ_U(acc.addr, 8);
	CHECK_EQ_U(acc.value, 9);
}

/* A line cut short anywhere is never an access, except where the cut
 * leaves the whole line (trailing blanks are not data). */
static void check_cuts(const char *full, size_t complete_len)
{
	size_t n = strlen(full);
	struct qemu_access whole;
	const char *w;

	CHECK_EQ_U(qemu_line_parse(full, n, &whole, &w), QEMU_LINE_ACCESS);
	for (size_t k = 0; k < n; k++) {
		enum qemu_line_kind kind = parse_n(full, k);
		if (k >= complete_len) {
			CHECK_EQ_U(kind, QEMU_LINE_ACCESS);
			CHECK(memcmp(&acc, &whole, offsetof(struct qemu_access, name)) == 0);
			CHECK_STR(acc.name, whole.name);
			continue;
		}
		if (kind == QEMU_LINE_ACCESS)
			fprintf(stderr, "    cut at %zu of \"%s\" parsed as an access\n", k, full);
		CHECK(kind == QEMU_LINE_OTHER || kind == QEMU_LINE_BAD);
		if (kind == QEMU_LINE_BAD)
			CHECK(why != NULL && why[0]);
	}
}

static void test_cut_every_offset(void)
{
	check_cuts(READ_LINE, strlen(READ_LINE));
	check_cuts(WRITE_LINE, strlen(WRITE_LINE));
	check_cuts("4711@1700000000.000042:" WRITE_LINE, strlen("4711@1700000000.000042:" WRITE_LINE));
	check_cuts(WRITE_LINE "  \r", strlen(WRITE_LINE));
	check_cuts("memory_region_ops_write cpu -1 mr (nil) addr 0x0 value 0x1 size 8 name 'region with spaces'",
		   strlen("memory_region_ops_write cpu -1 mr (nil) addr 0x0 value 0x1 size 8 name 'region with spaces'"));

	/* Cut just after our event name (at a word boundary): it claims to be
	 * ours, so it is BAD, not skipped. */
	CHECK_EQ_U(parse_n(WRITE_LINE, strlen("memory_region_ops_write")), QEMU_LINE_BAD);
	CHECK_EQ_U(parse_n(READ_LINE, strlen("memory_region_ops_read ")), QEMU_LINE_BAD);
	/* Cut inside the name: no closing quote. */
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mm", "unterminated");
	EXPECT_BAD("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name '", "unterminated");
}

static void test_nul_bytes(void)
{
	char line[sizeof(WRITE_LINE)];
	size_t n = strlen(WRITE_LINE);

	/* A NUL in place of any one byte: never an access. */
	for (size_t i = 0; i < n; i++) {
		memcpy(line, WRITE_LINE, sizeof(line));
		line[i] = '\0';
		enum qemu_line_kind kind = parse_n(line, n);
		if (kind == QEMU_LINE_ACCESS)
			fprintf(stderr, "    NUL at %zu parsed as an access\n", i);
		CHECK(kind != QEMU_LINE_ACCESS);
	}
	static const char nul_name[] = "memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio\0mmio'";
	CHECK_EQ_U(parse_n(nul_name, sizeof(nul_name) - 1), QEMU_LINE_BAD);
	CHECK(why && strstr(why, "NUL"));
	/* A NUL right after the line is not read (len is the limit). */
	static const char trailing[] = WRITE_LINE "\0garbage";
	CHECK_EQ_U(parse_n(trailing, strlen(WRITE_LINE)), QEMU_LINE_ACCESS);
	CHECK_EQ_U(parse_n(trailing, sizeof(trailing) - 1), QEMU_LINE_BAD);
}

static void test_names(void)
{
	char buf[512], name[128];

	/* Names hold spaces and quotes: the name runs to the last quote. */
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'my region 1'"),
		   QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "my region 1");
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'it's'"),
		   QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "it's");
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name ''"), QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "");
	CHECK_EQ_U(parse("memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name ' virtio-mmio '"),
		   QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, " virtio-mmio ");
	/* Trailing blanks and a CR (a log written on another system). */
	CHECK_EQ_U(parse(WRITE_LINE "   "), QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "virtio-mmio");
	CHECK_EQ_U(parse(WRITE_LINE "\r"), QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "virtio-mmio");
	EXPECT_BAD(WRITE_LINE " x", "after the region name");
	EXPECT_BAD(WRITE_LINE "\x1b", "after the region name");

	/* Length limit: QEMU_REGION_NAME_MAX - 1 bytes kept, one more refused. */
	memset(name, 'n', sizeof(name));
	name[QEMU_REGION_NAME_MAX - 1] = '\0';
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0", "0x0", "4", name)), QEMU_LINE_ACCESS);
	CHECK_EQ_U(strlen(acc.name), QEMU_REGION_NAME_MAX - 1);
	name[QEMU_REGION_NAME_MAX - 1] = 'n';
	name[QEMU_REGION_NAME_MAX] = '\0';
	EXPECT_BAD(line_with(buf, sizeof(buf), "0x0", "0x0", "4", name), "too long");

	/* Escape bytes are kept as they are (no terminal ever sees them from
	 * here: only the name "virtio-mmio" is used, and never printed). */
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0", "0x0", "4", "\x1b[2J\x1b]0;evil\x07")), QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "\x1b[2J\x1b]0;evil\x07");
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0", "0x0", "4", "virtio-mmio\x1b")), QEMU_LINE_ACCESS);
	CHECK(strcmp(acc.name, "virtio-mmio") != 0);
	/* Bytes that are not UTF-8. */
	CHECK_EQ_U(parse(line_with(buf, sizeof(buf), "0x0", "0x0", "4", "\xff\xfe\xc0")), QEMU_LINE_ACCESS);
	CHECK_STR(acc.name, "\xff\xfe\xc0");
}

static void test_other_lines(void)
{
	static const char *const other[] = {
		"",
		" ",
		"memory_region_ops_read_foo cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'",
		"memory_region_ops_writex cpu 0",
		"memory_region_ops_rea",
		"MEMORY_REGION_OPS_READ cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'",
		" memory_region_ops_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'",
		"x memory_region_ops_write cpu 0 mr 0x1 addr 0x0 value 0x0 size 4 name 'virtio-mmio'",
		"memory_region_ram_device_read cpu 0 mr 0x1 addr 0x0 value 0x0 size 4",
		"memory_region_subpage_read cpu 0 mr 0x1 offset 0x0 value 0x0 size 4",
		"virtio_mmio_read offset 0x70",
		"virtio_mmio_write_offset offset 0x50 value 0x0",
		"virtio_queue_notifyx vdev 0x55d0 n 0 vq 0x7f",
		"virtqueue_alloc_element elem 0x7f3cc00e9800 size 240 in_num 2 out_num 1",
		"4842@1796466798.492143:virtio_blk_rw_complete vdev 0x55653683e800 req 0x7f3cc00e9800 ret 0",
		"virtqueue_pop_x vq 0x1 elem 0x2 in_num 1 out_num 1",
		"virtio_notify vdev 0x55d0 vq 0x7f",
		"kvm_run_exit cpu_index 0, reason 6",
		"4711@1700000000.000001:virtio_mmio_queue_write value 0x1 max 0x100",
		/* -d output */
		"Servicing hardware INT=0x08",
		"IN: ",
		"0xfffffff0:  ljmp   $0xf000,$0xe05b",
		"Trying to execute code outside RAM or ROM at 0x000a0000",
		"EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663",
		"----------------",
		"qemu-system-x86_64: warning: host doesn't support requested feature",
		"\x1b[2J\x1b[H",
		"\xff\xfe not utf-8",
	};

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		enum qemu_line_kind kind = parse(other[i]);
		if (kind != QEMU_LINE_OTHER)
			fprintf(stderr, "    \"%s\": kind %d\n", other[i], (int)kind);
		CHECK_EQ_U(kind, QEMU_LINE_OTHER);
	}
	/* Whatever the text, the parser reads only len bytes. */
	CHECK_EQ_U(parse_n("memory_region_ops_read", 0), QEMU_LINE_OTHER);
}

#define NOTIFY_LINE "virtio_queue_notify vdev 0x55653683e800 n 0 vq 0x7f3d1de93010"
#define POP_LINE "virtqueue_pop vq 0x7f3d1de93010 elem 0x7f3cc00e9800 in_num 2 out_num 1"
#define FILL_LINE "virtqueue_fill vq 0x7f3d1de93010 elem 0x7f3cc00e9800 len 4097 idx 0"
#define FLUSH_LINE "virtqueue_flush vq 0x7f3d1de93010 count 1"
#define BLKR_LINE "virtio_blk_handle_read vdev 0x55653683e800 req 0x7f3cc00e9800 sector 0 nsectors 8"
#define BLKW_LINE "virtio_blk_handle_write vdev 0x55653683e800 req 0x7f3cc00e9800 sector 2048 nsectors 1"

/* The six virtio events as QEMU 7.2 prints them, with and without the
 * thread-id prefix. */
static void test_virtio_lines(void)
{
	CHECK_EQ_U(parse("4844@1796466798.491909:" NOTIFY_LINE), QEMU_LINE_VIRTIO);
	CHECK(why == NULL);
	CHECK(acc.has_time);
	CHECK_EQ_U(acc.tid, 4844);
	CHECK_EQ_U(acc.time_ns, UINT64_C(1796466798491909000));
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_NOTIFY);
	CHECK_EQ_U(acc.vio.vdev, UINT64_C(0x55653683e800));
	CHECK_EQ_U(acc.vio.n, 0);
	CHECK_EQ_U(acc.vio.vq, UINT64_C(0x7f3d1de93010));
	CHECK_EQ_U(acc.vio.elem, 0);

	CHECK_EQ_U(parse(POP_LINE), QEMU_LINE_VIRTIO);
	CHECK(!acc.has_time);
	CHECK_EQ_U(acc.tid, 0);
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_POP);
	CHECK_EQ_U(acc.vio.vq, UINT64_C(0x7f3d1de93010));
	CHECK_EQ_U(acc.vio.elem, UINT64_C(0x7f3cc00e9800));
	CHECK_EQ_U(acc.vio.in_num, 2);
	CHECK_EQ_U(acc.vio.out_num, 1);
	CHECK_EQ_U(acc.vio.vdev, 0);

	CHECK_EQ_U(parse("4842@1796466798.492153:" FILL_LINE), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.tid, 4842);
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_FILL);
	CHECK_EQ_U(acc.vio.elem, UINT64_C(0x7f3cc00e9800));
	CHECK_EQ_U(acc.vio.len, 4097);
	CHECK_EQ_U(acc.vio.idx, 0);

	CHECK_EQ_U(parse(FLUSH_LINE), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_FLUSH);
	CHECK_EQ_U(acc.vio.count, 1);
	CHECK_EQ_U(acc.vio.elem, 0);

	CHECK_EQ_U(parse(BLKR_LINE), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_BLK_READ);
	CHECK_EQ_U(acc.vio.vdev, UINT64_C(0x55653683e800));
	CHECK_EQ_U(acc.vio.elem, UINT64_C(0x7f3cc00e9800));
	CHECK_EQ_U(acc.vio.sector, 0);
	CHECK_EQ_U(acc.vio.nsectors, 8);

	CHECK_EQ_U(parse(BLKW_LINE "\r"), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.kind, QEMU_VIRTIO_BLK_WRITE);
	CHECK_EQ_U(acc.vio.sector, 2048);
	CHECK_EQ_U(acc.vio.nsectors, 1);

	/* Limits, at N and N+1. */
	CHECK_EQ_U(parse("virtio_queue_notify vdev 0x1 n 65535 vq 0x2"), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.n, 65535);
	EXPECT_BAD("virtio_queue_notify vdev 0x1 n 65536 vq 0x2", "'n'");
	CHECK_EQ_U(parse("virtqueue_pop vq 0x1 elem 0x2 in_num 32768 out_num 0"), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(parse("virtqueue_pop vq 0x1 elem 0x2 in_num 16384 out_num 16384"), QEMU_LINE_VIRTIO);
	EXPECT_BAD("virtqueue_pop vq 0x1 elem 0x2 in_num 16384 out_num 16385", "larger than a ring");
	EXPECT_BAD("virtqueue_pop vq 0x1 elem 0x2 in_num 32769 out_num 0", "'in_num'");
	CHECK_EQ_U(parse("virtqueue_fill vq 0x1 elem 0x2 len 4294967295 idx 32767"), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.len, UINT32_MAX);
	CHECK_EQ_U(acc.vio.idx, 32767);
	EXPECT_BAD("virtqueue_fill vq 0x1 elem 0x2 len 4294967296 idx 0", "'len'");
	EXPECT_BAD("virtqueue_fill vq 0x1 elem 0x2 len 1 idx 32768", "'idx'");
	CHECK_EQ_U(parse("virtqueue_flush vq 0x1 count 32768"), QEMU_LINE_VIRTIO);
	EXPECT_BAD("virtqueue_flush vq 0x1 count 32769", "'count'");
	CHECK_EQ_U(parse("virtio_blk_handle_read vdev 0x1 req 0x2 sector 18446744069414584320 nsectors 4294967295"),
		   QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.nsectors, UINT32_MAX);
	EXPECT_BAD("virtio_blk_handle_read vdev 0x1 req 0x2 sector 18446744069414584321 nsectors 4294967295",
		   "past 2^64");
	EXPECT_BAD("virtio_blk_handle_read vdev 0x1 req 0x2 sector 0 nsectors 4294967296", "'nsectors'");
	EXPECT_BAD("virtio_blk_handle_write vdev 0x1 req 0x2 sector 18446744073709551616 nsectors 1", "'sector'");

	/* %p of NULL. */
	CHECK_EQ_U(parse("virtqueue_flush vq (nil) count 0"), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.vio.vq, 0);
}

/* Every field of every virtio event, malformed one at a time: a bad line
 * naming the field, never an access or other text. */
static void test_virtio_malformed(void)
{
	static const struct {
		const char *line;
		const char *needle;
	} bad[] = {
		{ "virtio_queue_notify", "'vdev'" },
		{ "virtio_queue_notify vdev", "'vdev'" },
		{ "virtio_queue_notify vdev 55653683e800 n 0 vq 0x7f", "'vdev'" },    /* no 0x */
		{ "virtio_queue_notify vdev 0x n 0 vq 0x7f", "'vdev'" },
		{ "virtio_queue_notify vdev 0xzz n 0 vq 0x7f", "'vdev'" },
		{ "virtio_queue_notify vdev 0x10000000000000000 n 0 vq 0x7f", "'vdev'" }, /* 65 bits */
		{ "virtio_queue_notify vdev 0x1 n -1 vq 0x7f", "'n'" },
		{ "virtio_queue_notify vdev 0x1 n 0x1 vq 0x7f", "'n'" },
		{ "virtio_queue_notify vdev 0x1 n x vq 0x7f", "'n'" },
		{ "virtio_queue_notify vdev 0x1 vq 0x7f", "'n'" },
		{ "virtio_queue_notify vdev 0x1 n 0", "'vq'" },
		{ "virtio_queue_notify vdev 0x1 n 0 vq 12", "'vq'" },
		{ "virtio_queue_notify vdev 0x1 n 0 vq 0x7f extra", "after the last field" },
		{ "virtqueue_pop vq 0x1 elem 0x2 in_num 2", "'out_num'" },
		{ "virtqueue_pop vq 0x1 elem 0x2 out_num 1 in_num 2", "'in_num'" },
		{ "virtqueue_pop vq 0x1 elem 2 in_num 2 out_num 1", "'elem'" },
		{ "virtqueue_pop vq 0x1 elem 0x2 in_num 2.5 out_num 1", "'out_num'" },
		{ "virtqueue_pop vq 0x1 elem 0x2 in_num 2 out_num 18446744073709551616", "'out_num'" },
		{ "virtqueue_pop elem 0x2 in_num 2 out_num 1", "'vq'" },
		{ "virtqueue_fill vq 0x1 elem 0x2 len 4097", "'idx'" },
		{ "virtqueue_fill vq 0x1 elem 0x2 len -1 idx 0", "'len'" },
		{ "virtqueue_fill vq 0x1 elem (nul) len 1 idx 0", "'elem'" },
		{ "virtqueue_flush vq 0x1", "'count'" },
		{ "virtqueue_flush vq 0x1 count", "'count'" },
		{ "virtqueue_flush vq 0x1 count 1 idx 2", "after the last field" },
		{ "virtio_blk_handle_read vdev 0x1 req 0x2 sector 0", "'nsectors'" },
		{ "virtio_blk_handle_read vdev 0x1 sector 0 nsectors 8", "'req'" },
		{ "virtio_blk_handle_write vdev 0x1 req 0x2 sector 0x10 nsectors 8", "'sector'" },
		{ "virtio_blk_handle_write vdev 0x1 req 0x2 sector 1 nsectors 8\x01", "'nsectors'" },
		{ "1@1.x:virtqueue_flush vq 0x1 count 1", "timestamp" },
		{ "4294967296@1.000000:virtqueue_flush vq 0x1 count 1", "timestamp" }, /* tid past pid_t */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum qemu_line_kind k = parse(bad[i].line);
		if (k != QEMU_LINE_BAD || !why || !strstr(why, bad[i].needle))
			fprintf(stderr, "    \"%s\": kind %d why \"%s\"\n", bad[i].line, (int)k, why ? why : "(null)");
		CHECK_EQ_U(k, QEMU_LINE_BAD);
		CHECK(why != NULL && strstr(why, bad[i].needle) != NULL);
	}
	/* The largest thread id a pid_t holds. */
	CHECK_EQ_U(parse("2147483647@1.000000:" FLUSH_LINE), QEMU_LINE_VIRTIO);
	CHECK_EQ_U(acc.tid, INT32_MAX);
	CHECK_EQ_U(parse("2147483648@1.000000:" FLUSH_LINE), QEMU_LINE_BAD);
}

/* Each virtio line cut at every offset: a bad line or (cut inside the
 * last number) a shorter value, never a crash or other text. */
static void test_virtio_cuts(void)
{
	static const char *const full[] = { NOTIFY_LINE, POP_LINE, FILL_LINE, FLUSH_LINE, BLKR_LINE, BLKW_LINE };

	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		size_t n = strlen(full[i]);
		size_t name = strcspn(full[i], " ");
		for (size_t cut = 0; cut < n; cut++) {
			enum qemu_line_kind k = parse_n(full[i], cut);
			if (cut < name)
				CHECK_EQ_U(k, QEMU_LINE_OTHER);
			else if (k != QEMU_LINE_BAD)
				CHECK(k == QEMU_LINE_VIRTIO && isxdigit((unsigned char)full[i][cut - 1]));
		}
	}
}

int main(void)
{
	RUN(test_read_line);
	RUN(test_write_line);
	RUN(test_optional_mr);
	RUN(test_timestamp_prefix);
	RUN(test_bad_prefix);
	RUN(test_cpu);
	RUN(test_masking);
	RUN(test_sizes);
	RUN(test_overflow);
	RUN(test_missing_fields);
	RUN(test_cut_every_offset);
	RUN(test_nul_bytes);
	RUN(test_names);
	RUN(test_other_lines);
	RUN(test_virtio_lines);
	RUN(test_virtio_malformed);
	RUN(test_virtio_cuts);
	return harness_finish("test_qemu_line");
}
