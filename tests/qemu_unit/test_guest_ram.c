/* guest_ram: guest-physical addresses to the RAM file, with x86's split
 * into low RAM at 0 and the rest at 4 GiB.  Bounds at N and N + 1 at the
 * end of low RAM and of high RAM, the hole between, wrap-around near
 * UINT64_MAX, zero lengths; the low/high split of QEMU's x86 machines at
 * their boundaries; RAM in one range at a base (arm and riscv virt) with
 * its ends, what lies below and base + size at 2^64; the machine table
 * (binary and machine type to base and split, sizes at each machine's
 * limit, no layout for unknown ones); a real memory file written through
 * its descriptor and read back through the mapping, at 0 and at 1 GiB. */
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

#define LAYOUT(b, l) ((struct guest_ram_layout){ .base = (b), .low = (l) })

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
		/* unknown machines: no guess, however small RAM is */
		{ "isapc", 128u << 20, 0 },
		{ "isapc", 2 * GIB + 1, 0 },
		{ "xenfv", 16 * GIB, 0 },
		{ "virt", 128u << 20, 0 },
		/* "": QEMU's default, pc */
		{ "", 1 * GIB, 1 * GIB },
		{ "", 0xe0000000u, 3 * GIB },
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

	if (guest_ram_create(&g, size, &(struct guest_ram_layout){ .low = low }, err, sizeof(err)) != 0) {
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
	CHECK_EQ_U(guest_ram_create(&g, 0, &LAYOUT(0, 0), err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(err[0] != '\0');
	CHECK(g.map == NULL);
	CHECK_EQ_U(g.fd, -1);
	guest_ram_release(&g);
	strcpy(err, "");
	CHECK_EQ_U(guest_ram_create(&g, GUEST_RAM_SIZE_MAX + 1, &LAYOUT(0, 0), err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK(strstr(err, "out of range") != NULL);
	CHECK_EQ_U(guest_ram_create(&g, 4096, &LAYOUT(0, 4097), err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK_EQ_U(g.fd, -1);
	guest_ram_release(&g);
	/* A split layout away from 0, and a range at base that wraps. */
	CHECK_EQ_U(guest_ram_create(&g, 8192, &LAYOUT(GIB, 4096), err, sizeof(err)), (uint64_t)-EINVAL);
	CHECK_EQ_U(guest_ram_create(&g, 8192, &LAYOUT(UINT64_MAX - 4096, 8192), err, sizeof(err)),
		   (uint64_t)-EINVAL);
	CHECK_EQ_U(g.fd, -1);
	CHECK(g.map == NULL);
	guest_ram_release(&g);
	/* At 1 GiB (arm virt), as QEMU writes it and vmtrace reads it. */
	if (guest_ram_create(&g, 8192, &LAYOUT(GIB, 8192), err, sizeof(err)) == 0) {
		uint8_t b[8] = { 0 };
		const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		CHECK_EQ_U(g.base, GIB);
		CHECK_EQ_U(pwrite(g.fd, w, 8, 8184), 8);
		CHECK(guest_ram_read(&g, GIB + 8184, b, 8));
		CHECK(memcmp(b, w, 8) == 0);
		CHECK(!guest_ram_read(&g, GIB + 8184, b, 9));
		CHECK(!guest_ram_read(&g, 8184, b, 8)); /* file offset is not the address */
		guest_ram_release(&g);
	} else {
		CHECK(!"8 KiB of guest RAM at 1 GiB refused");
	}
	/* N: exactly the size, low == size (no high RAM). */
	if (guest_ram_create(&g, 4096, &LAYOUT(0, 4096), err, sizeof(err)) == 0) {
		uint8_t b[8];
		CHECK(guest_ram_read(&g, 4088, b, 8));
		CHECK(!guest_ram_read(&g, HIGH, b, 1));
		guest_ram_release(&g);
	} else {
		CHECK(!"4 KiB of guest RAM refused");
	}
}

/* One range at base (arm and riscv virt): N and N + 1 at both ends,
 * below base, the x86 high window that is not there, wrap-around. */
static void test_at_base(void)
{
	struct guest_ram g;
	const uint64_t base = GIB;

	fill();
	guest_ram_wrap_at(&g, buf, base, SIZE);
	CHECK_EQ_U(g.base, base);
	CHECK_EQ_U(g.low, SIZE);
	READ_OK(&g, base, 16, 0);
	READ_OK(&g, base, SIZE, 0);
	READ_FAILS(&g, base, SIZE + 1);
	READ_OK(&g, base + SIZE - 16, 16, SIZE - 16); /* N at the end */
	READ_FAILS(&g, base + SIZE - 16, 17);         /* N + 1 */
	READ_FAILS(&g, base + SIZE, 1);
	READ_FAILS(&g, base - 1, 1);                  /* just below RAM */
	READ_FAILS(&g, base - 1, 2);
	READ_FAILS(&g, 0, 16);                        /* where x86 RAM would be */
	READ_FAILS(&g, 16, 16);
	READ_FAILS(&g, HIGH, 1);                      /* no high window */
	READ_FAILS(&g, HIGH + 16, 16);
	READ_FAILS(&g, UINT64_MAX, 1);
	READ_FAILS(&g, UINT64_MAX - 8, 16);

	/* riscv virt's 2 GiB; RAM ending just below 4 GiB and crossing it:
	 * one range, nothing split at 4 GiB. */
	guest_ram_wrap_at(&g, buf, HIGH - 0x1000, SIZE);
	READ_OK(&g, HIGH - 0x1000, SIZE, 0);
	READ_OK(&g, HIGH, 16, 0x1000);
	READ_FAILS(&g, HIGH - 0x1001, 1);

	/* base + size past 2^64: an empty view, nothing reads. */
	guest_ram_wrap_at(&g, buf, UINT64_MAX - 0x100, SIZE);
	CHECK(g.map == NULL);
	CHECK_EQ_U(g.size, 0);
	READ_FAILS(&g, UINT64_MAX - 0x100, 1);
	READ_FAILS(&g, 0, 1);
	/* Up to the last byte is allowed. */
	guest_ram_wrap_at(&g, buf, UINT64_MAX - SIZE, SIZE);
	CHECK(g.map == buf);
	READ_OK(&g, UINT64_MAX - 16, 16, SIZE - 16);
	READ_FAILS(&g, UINT64_MAX - 16, 17);
}

/* The machine table: each binary and machine type, sizes at the limits,
 * unknown machines and binaries get no layout. */
static void test_layout(void)
{
	static const struct {
		const char *qemu, *machine;
		uint64_t ram;
		int r;
		uint64_t base, low;
	} cases[] = {
		/* x86: RAM at 0, split at the hole as guest_ram_x86_low says */
		{ "qemu-system-x86_64", "microvm", 512u << 20, 0, 0, 512u << 20 },
		{ "/usr/bin/qemu-system-x86_64", "microvm", 8 * GIB, 0, 0, 3 * GIB },
		{ "qemu-system-x86_64", "pc", 2 * GIB, 0, 0, 2 * GIB },
		{ "qemu-system-x86_64", "", 0xe0000000u, 0, 0, 3 * GIB },
		{ "qemu-system-x86_64", NULL, 128u << 20, 0, 0, 128u << 20 },
		{ "qemu-system-i386", "q35", 4 * GIB, 0, 0, 2 * GIB },
		{ "qemu-system-x86_64", "pc-q35-8.2", GIB, 0, 0, GIB },
		{ "qemu-system-x86_64", "isapc", 128u << 20, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-x86_64", "virt", 128u << 20, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-x86_64", "pc", GUEST_RAM_SIZE_MAX, 0, 0, 3 * GIB },
		{ "qemu-system-x86_64", "pc", GUEST_RAM_SIZE_MAX + 1, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-x86_64", "pc", 0, GUEST_RAM_E_SIZE, 0, 0 },
		/* arm/aarch64 virt: RAM at 1 GiB, at most 255 GiB */
		{ "qemu-system-aarch64", "virt", 128u << 20, 0, GIB, 128u << 20 },
		{ "/opt/q/bin/qemu-system-aarch64", "virt", 8 * GIB, 0, GIB, 8 * GIB },
		{ "qemu-system-arm", "virt", GIB, 0, GIB, GIB },
		{ "qemu-system-aarch64", "virt-9.2", GIB, 0, GIB, GIB },
		{ "qemu-system-aarch64", "virt", 255 * GIB, 0, GIB, 255 * GIB },
		{ "qemu-system-aarch64", "virt", 255 * GIB + 1, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-aarch64", "virt", UINT64_MAX, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-aarch64", "virt", 0, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-aarch64", "", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },  /* arm has no default */
		{ "qemu-system-aarch64", NULL, GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64", "sbsa-ref", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64", "virtx", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64", "virt-", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64", "microvm", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64", "pc", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		/* riscv64 virt: RAM at 2 GiB */
		{ "qemu-system-riscv64", "virt", 128u << 20, 0, 0x80000000u, 128u << 20 },
		{ "qemu-system-riscv64", "virt", 16 * GIB, 0, 0x80000000u, 16 * GIB },
		{ "qemu-system-riscv64", "virt", GUEST_RAM_SIZE_MAX, 0, 0x80000000u, GUEST_RAM_SIZE_MAX },
		{ "qemu-system-riscv64", "virt", GUEST_RAM_SIZE_MAX + 1, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-riscv64", "virt", UINT64_MAX - 0x7fffffffu, GUEST_RAM_E_SIZE, 0, 0 },
		{ "qemu-system-riscv64", "virt-9.2", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-riscv64", "", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },  /* spike */
		{ "qemu-system-riscv64", "spike", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		/* binaries vmtrace knows no layouts of */
		{ "qemu-system-riscv32", "virt", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-ppc64", "pseries", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-x86_64-extra", "pc", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "qemu-system-aarch64/", "virt", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ "", "virt", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
		{ NULL, "virt", GIB, GUEST_RAM_E_UNKNOWN, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest_ram_layout l;
		int r = guest_ram_layout(cases[i].qemu, cases[i].machine, cases[i].ram, &l);
		bool ok = r == cases[i].r && (r != 0 || (l.base == cases[i].base && l.low == cases[i].low));
		if (!ok)
			fprintf(stderr, "    %s -M %s with 0x%llx bytes: r=%d base=0x%llx low=0x%llx\n",
				cases[i].qemu ? cases[i].qemu : "(null)", cases[i].machine ? cases[i].machine : "(null)",
				(unsigned long long)cases[i].ram, r, (unsigned long long)l.base,
				(unsigned long long)l.low);
		CHECK(ok);
		if (r == 0) {
			CHECK(l.source != NULL && l.machine != NULL);
			/* base + RAM never wraps */
			CHECK(l.base <= UINT64_MAX - cases[i].ram);
		} else {
			CHECK_EQ_U(l.base, 0);
			CHECK_EQ_U(l.low, 0);
		}
	}
}

int main(void)
{
	RUN(test_low_only);
	RUN(test_low_and_high);
	RUN(test_empty);
	RUN(test_x86_low);
	RUN(test_at_base);
	RUN(test_layout);
	RUN(test_memfd);
	RUN(test_create_refused);
	return harness_finish("test_guest_ram");
}
