/* guest_ram: guest-physical addresses to the RAM file, with x86's split
 * into low RAM at 0 and the rest at 4 GiB.  Bounds at N and N + 1 at the
 * end of low RAM and of high RAM, the hole between, wrap-around near
 * UINT64_MAX, zero lengths; the low/high split of QEMU's x86 machines at
 * their boundaries; a real memory file written through its descriptor and
 * read back through the mapping. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "capture/qemu/guest_ram.h"
#include "tests/harness.h"

#define GIB (UINT64_C(1) << 30)
#define HIGH GUEST_RAM_HIGH_BASE
#define LOW UINT64_C(0x3000)   /* low RAM of the wrapped buffer */
#define SIZE UINT64_C(0x5000)  /* low + 0x2000 bytes at 4 GiB */

static uint8_t buf[SIZE];
static uint8_t out[SIZE + 64];

/* Read and compare with the buffer at file offset off (or expect false). */
static void expect_read(int line, const struct guest_ram *g, uint64_t gpa, uint64_t len, bool ok, uint64_t off)
{
	memset(out, 0xee, sizeof(out));
	bool r = guest_ram_read(g, gpa, out, len);
	if (r != ok) {
		fprintf(stderr, "%s:%d: [%s] read 0x%llx+%llu returned %d\n", __FILE__, line, harness_case,
			(unsigned long long)gpa, (unsigned long long)len, r);
		harness_failures++;
		return;
	}
	if (ok && len <= sizeof(out) && memcmp(out, g->map + off, (size_t)len) != 0) {
		fprintf(stderr, "%s:%d: [%s] read 0x%llx+%llu: wrong bytes\n", __FILE__, line, harness_case,
			(unsigned long long)gpa, (unsigned long long)len);
		harness_failures++;
	}
	/* Nothing is written past len, and nothing at all on failure. */
	size_t from = ok ? (size_t)len : 0;
	for (size_t i = from; i < sizeof(out); i++)
		if (out[i] != 0xee) {
			fprintf(stderr, "%s:%d: [%s] read 0x%llx+%llu wrote byte %zu\n", __FILE__, line, harness_case,
				(unsigned long long)gpa, (unsigned long long)len, i);
			harness_failures++;
			break;
		}
}
#define READ_OK(g, gpa, len, off) expect_read(__LINE__, (g), (gpa), (len), true, (off))
#define READ_FAILS(g, gpa, len) expect_read(__LINE__, (g), (gpa), (len), false, 0)

static void fill(void)
{
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void test_low_only(void)
{
	struct guest_ram g;

	fill();
	guest_ram_wrap(&g, buf, LOW, LOW);
	CHECK(g.map == buf);
	CHECK_EQ_U(g.size, LOW);
	CHECK_EQ_U(g.low, LOW);
	CHECK_EQ_U(g.fd, -1);
	CHECK(!g.owned_map);
	READ_OK(&g, 0, 16, 0);
	READ_OK(&g, 0, LOW, 0);
	READ_FAILS(&g, 0, LOW + 1);
	READ_OK(&g, LOW - 16, 16, LOW - 16);   /* N at the end */
	READ_FAILS(&g, LOW - 16, 17);          /* N + 1 */
	READ_OK(&g, LOW - 1, 1, LOW - 1);
	READ_FAILS(&g, LOW, 1);
	READ_FAILS(&g, HIGH, 1);               /* nothing at 4 GiB */
	READ_FAILS(&g, HIGH - 1, 1);
	READ_OK(&g, 5, 0, 5);                  /* len 0 inside RAM */
	READ_FAILS(&g, UINT64_MAX, 1);
	READ_FAILS(&g, UINT64_MAX - 7, 16);    /* would wrap */
	READ_FAILS(&g, 16, UINT64_MAX);
	READ_FAILS(&g, UINT64_MAX, UINT64_MAX);
	/* Low beyond size is clamped. */
	guest_ram_wrap(&g, buf, LOW, LOW + 100);
	CHECK_EQ_U(g.low, LOW);
	READ_FAILS(&g, LOW, 1);
}

static void test_low_and_high(void)
{
	struct guest_ram g;
	uint64_t high = SIZE - LOW;

	fill();
	guest_ram_wrap(&g, buf, SIZE, LOW);
	/* Low RAM. */
	READ_OK(&g, LOW - 8, 8, LOW - 8);
	READ_FAILS(&g, LOW - 8, 9);
	/* The hole between low RAM and 4 GiB. */
	READ_FAILS(&g, LOW, 1);
	READ_FAILS(&g, LOW, 8);
	READ_FAILS(&g, 0x80000000u, 4);
	READ_FAILS(&g, HIGH - 1, 1);
	READ_FAILS(&g, HIGH - 4, 8);           /* straddles the start of high RAM */
	READ_FAILS(&g, LOW - 4, HIGH);         /* spans the whole hole */
	/* High RAM comes right after low RAM in the file. */
	READ_OK(&g, HIGH, 1, LOW);
	READ_OK(&g, HIGH, high, LOW);
	READ_FAILS(&g, HIGH, high + 1);
	READ_OK(&g, HIGH + high - 32, 32, LOW + high - 32);   /* N at the end */
	READ_FAILS(&g, HIGH + high - 32, 33);                 /* N + 1 */
	READ_FAILS(&g, HIGH + high, 1);
	READ_FAILS(&g, HIGH + high, 0);                        /* at the end, empty */
	READ_OK(&g, HIGH + 3, 0, LOW + 3);
	/* Wrap-around near the top of the address space. */
	READ_FAILS(&g, UINT64_MAX, 1);
	READ_FAILS(&g, UINT64_MAX - high + 1, high);
	READ_FAILS(&g, UINT64_MAX - 3, 8);
	READ_FAILS(&g, HIGH + 16, UINT64_MAX - 8);
	READ_FAILS(&g, HIGH + 16, UINT64_MAX);

	/* All RAM above 4 GiB (low 0). */
	guest_ram_wrap(&g, buf, SIZE, 0);
	READ_FAILS(&g, 0, 1);
	READ_OK(&g, HIGH, SIZE, 0);
	READ_FAILS(&g, HIGH, SIZE + 1);
}

static void test_empty(void)
{
	struct guest_ram g;

	memset(&g, 0, sizeof(g));
	READ_FAILS(&g, 0, 1);
	READ_FAILS(&g, 0, 0);
	guest_ram_wrap(&g, NULL, 0, 0);
	READ_FAILS(&g, 0, 1);
	READ_FAILS(&g, HIGH, 1);
	guest_ram_release(&g);
	CHECK(g.map == NULL);
	CHECK_EQ_U(g.fd, -1);
	/* Releasing a wrapped view leaves the buffer alone. */
	fill();
	guest_ram_wrap(&g, buf, SIZE, LOW);
	guest_ram_release(&g);
	CHECK(g.map == NULL);
	CHECK_EQ_U(buf[100], (uint8_t)(100 * 7));
}

static void test_x86_low(void)
{
	static const struct {
		const char *machine;
		uint64_t ram, low;
	} cases[] = {
		/* microvm: up to 3 GiB below 4 GiB (hw/i386/microvm.c) */
		{ "microvm", 128u << 20, 128u << 20 },
		{ "microvm", 3 * GIB, 3 * GIB },
		{ "microvm", 3 * GIB + 1, 3 * GIB },
		{ "microvm", 8 * GIB, 3 * GIB },
		/* pc: RAM at or above 3.5 GiB splits at 3 GiB (pc_piix.c) */
		{ "pc", 2 * GIB, 2 * GIB },
		{ "pc", 0xe0000000u - 1, 0xe0000000u - 1 },
		{ "pc", 0xe0000000u, 3 * GIB },
		{ "pc", 16 * GIB, 3 * GIB },
		{ "pc-i440fx-7.2", 0xe0000000u, 3 * GIB },
		{ "pc-i440fx-7.2", 3 * GIB, 3 * GIB },
		{ NULL, 0xe0000000u, 3 * GIB }, /* NULL: QEMU's x86 default, pc */
		/* q35: RAM at or above 2.75 GiB splits at 2 GiB (pc_q35.c) */
		{ "q35", 2 * GIB, 2 * GIB },
		{ "q35", 0xb0000000u - 1, 0xb0000000u - 1 },
		{ "q35", 0xb0000000u, 2 * GIB },
		{ "q35", 4 * GIB, 2 * GIB },
		{ "pc-q35-7.2", 0xb0000000u, 2 * GIB },
		{ "pc-q35-7.2", 0xb0000000u - 4096, 0xb0000000u - 4096 },
		/* unknown machines: only RAM that fits in 2 GiB has a known place */
		{ "isapc", 2 * GIB, 2 * GIB },
		{ "isapc", 2 * GIB + 1, 0 },
		{ "xenfv", 16 * GIB, 0 },
		{ "", 1 * GIB, 1 * GIB },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t low = guest_ram_x86_low(cases[i].machine, cases[i].ram);
		if (low != cases[i].low)
			fprintf(stderr, "    %s with 0x%llx bytes\n", cases[i].machine ? cases[i].machine : "(null)",
				(unsigned long long)cases[i].ram);
		CHECK_EQ_U(low, cases[i].low);
	}
}

static void test_memfd(void)
{
	struct guest_ram g;
	char err[256];
	const uint64_t size = 3u << 20, low = 1u << 20;
	uint8_t data[4096], back[4096];

	if (guest_ram_create(&g, size, low, err, sizeof(err)) != 0) {
		CHECK(!"guest_ram_create failed");
		fprintf(stderr, "    %s\n", err);
		return;
	}
	CHECK(g.map != NULL);
	CHECK(g.fd >= 0);
	CHECK(g.owned_map);
	CHECK_EQ_U(g.size, size);
	CHECK_EQ_U(g.low, low);
	/* Close-on-exec: the caller clears it in the VMM's process only. */
	int fl = fcntl(g.fd, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC));
	/* A fresh file reads as zeros. */
	memset(back, 0xff, sizeof(back));
	CHECK(guest_ram_read(&g, low - sizeof(back), back, sizeof(back)));
	CHECK(back[0] == 0 && back[sizeof(back) - 1] == 0);

	/* Written through the descriptor (as the VMM does), read through the
	 * read-only map, in low RAM, at its end, and at 4 GiB. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	CHECK_EQ_U(pwrite(g.fd, data, sizeof(data), 0x2000), sizeof(data));
	CHECK(guest_ram_read(&g, 0x2000, back, sizeof(back)));
	CHECK(memcmp(data, back, sizeof(data)) == 0);

	CHECK_EQ_U(pwrite(g.fd, data, 16, (off_t)(low - 16)), 16);
	memset(back, 0, sizeof(back));
	CHECK(guest_ram_read(&g, low - 16, back, 16));
	CHECK(memcmp(data, back, 16) == 0);
	CHECK(!guest_ram_read(&g, low - 16, back, 17));

	CHECK_EQ_U(pwrite(g.fd, data + 100, 64, (off_t)low), 64);
	memset(back, 0, sizeof(back));
	CHECK(guest_ram_read(&g, HIGH, back, 64));
	CHECK(memcmp(data + 100, back, 64) == 0);
	CHECK(!guest_ram_read(&g, low, back, 1)); /* the hole, not the file */

	CHECK_EQ_U(pwrite(g.fd, data, 8, (off_t)(size - 8)), 8);
	CHECK(guest_ram_read(&g, HIGH + (size - low) - 8, back, 8));
	CHECK(memcmp(data, back, 8) == 0);
	CHECK(!guest_ram_read(&g, HIGH + (size - low) - 8, back, 9));

	/* A later write shows through the shared map. */
	data[0] = 0x11;
	CHECK_EQ_U(pwrite(g.fd, data, 1, 0x2000), 1);
	CHECK(guest_ram_read(&g, 0x2000, back, 1));
	CHECK_EQ_U(back[0], 0x11);

	int fd = g.fd;
	guest_ram_release(&g);
	CHECK(g.map == NULL);
	CHECK_EQ_U(g.fd, -1);
	CHECK(!g.owned_map);
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	guest_ram_release(&g); /* twice is harmless */
}

static void test_create_refused(void)
{
	struct guest_ram g;
	char err[256];

	strcpy(err, "");
	CHECK_EQ_U(guest_ram_create(&g, 0, 0, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(err[0] != '\0');
	CHECK(g.map == NULL);
	CHECK_EQ_U(g.fd, -1);
	guest_ram_release(&g);
	strcpy(err, "");
	CHECK_EQ_U(guest_ram_create(&g, GUEST_RAM_SIZE_MAX + 1, 0, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(strstr(err, "out of range") != NULL);
	CHECK_EQ_U(guest_ram_create(&g, 4096, 4097, err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK_EQ_U(g.fd, -1);
	guest_ram_release(&g);
	/* N: exactly the size, low == size (no high RAM). */
	if (guest_ram_create(&g, 4096, 4096, err, sizeof(err)) == 0) {
		uint8_t b[8];
		CHECK(guest_ram_read(&g, 4088, b, 8));
		CHECK(!guest_ram_read(&g, HIGH, b, 1));
		guest_ram_release(&g);
	} else {
		CHECK(!"4 KiB of guest RAM refused");
	}
}

int main(void)
{
	RUN(test_low_only);
	RUN(test_low_and_high);
	RUN(test_empty);
	RUN(test_x86_low);
	RUN(test_memfd);
	RUN(test_create_refused);
	return harness_finish("test_guest_ram");
}
