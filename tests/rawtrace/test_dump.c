/* `vmtrace dump` on traces written with the library: register names for
 * both layouts, decoding, escaping of hostile text, options, exit codes,
 * and a reader that closes the pipe early.  argv[1] is the vmtrace binary.
 * With VMTRACE_KEEP set the sample trace is left for a look by hand. */
#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/rawtrace.h"
#include "capture/rawtrace_format.h"
#include "virtio/mmio_regs.h"
#include "virtio/rules.h"
#include "virtio/virtio.h"

static const char *vmtrace;

struct run {
	int status; /* exit status, or 128 + signal */
	char *out;  /* malloc'ed, NUL-terminated */
	size_t out_len;
	char *err;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);

	while (f) {
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap + 1);
	}
	if (f)
		fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Run vmtrace with args (NULL-terminated), capturing stdout and stderr. */
static struct run run_vmtrace(const char *const *args)
{
	const char *outp = harness_tmpfile("out.txt"), *errp = harness_tmpfile("err.txt");
	char *argv[16];
	struct run r = { 0 };
	int n = 0, ws;
	pid_t pid;

	argv[n++] = (char *)vmtrace;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(o, 1);
		dup2(e, 2);
		execv(vmtrace, argv);
		_exit(127);
	}
	waitpid(pid, &ws, 0);
	r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r.out = slurp(outp, &r.out_len);
	r.err = slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* True if s holds nothing a terminal would interpret. */
static bool terminal_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c >= 0x7f)
			return false;
	}
	return true;
}

#define BLK 0x10000000u
#define NET 0x10001000u
#define RNG 0x10002000u
static const char hostile[] = "phase\x1b]0;owned\x07 \x1b[31mred\x9b" "2J\r\nend\\";

static void append(struct rawtrace_writer *w, struct vmt_event *e)
{
	static uint64_t ts;
	e->ts_ns = ts += 100;
	e->source = VMT_SRC_EMU;
	CHECK_EQ_U(rawtrace_writer_append(w, e, NULL), 0);
}

static void mmio(struct rawtrace_writer *w, uint64_t base, uint32_t off, int dir, uint64_t value)
{
	struct vmt_event e = { .type = VMT_EV_MMIO, .base = base, .addr = off, .dir = (uint8_t)dir,
			       .width = 4, .value = value };
	append(w, &e);
}

/* The sample: a modern blk and a legacy net in the metadata, an rng that
 * appears through a DEVICE event, and one event of every type. */
static void write_sample(const char *path, bool close_it)
{
	struct rawtrace_meta m = { 0 };
	struct rawtrace_writer *w = NULL;
	struct vmt_device_desc d = { .base = BLK, .size = 0x200, .device_id = 2, .version = 2,
				     .vendor_id = 0x554d4551 };
	uint8_t desc[VMT_DEVICE_DESC_BYTES], mem[40];
	struct vmt_event e;

	m.source = VMT_SRC_EMU;
	m.ram_base = 0x40000000;
	m.ram_size = 64u << 20;
	rawtrace_meta_set(&m, "command", "vmtrace record --emu blk,net");
	rawtrace_meta_set(&m, "evil", hostile);
	snprintf(d.name, sizeof(d.name), "virtio-blk@0x%x", BLK);
	rawtrace_meta_add_device(&m, &d);
	d.base = NET;
	d.device_id = 1;
	d.version = 1;
	snprintf(d.name, sizeof(d.name), "net\x1b[2J@0x%x", NET);
	rawtrace_meta_add_device(&m, &d);
	CHECK_EQ_U(rawtrace_writer_open(&w, path, &m, NULL), 0);
	rawtrace_meta_clear(&m);

	mmio(w, BLK, MMIO_MAGIC_VALUE, VMT_DIR_READ, VIRTIO_MMIO_MAGIC);        /* 0 */
	mmio(w, BLK, MMIO_STATUS, VMT_DIR_WRITE, 0xb);                          /* 1 */
	mmio(w, BLK, MMIO_QUEUE_NOTIFY, VMT_DIR_WRITE, 0);                      /* 2 */
	mmio(w, NET, MMIO_QUEUE_PFN, VMT_DIR_WRITE, 0x40010);                   /* 3: legacy name */
	mmio(w, BLK, MMIO_QUEUE_PFN, VMT_DIR_WRITE, 0);                         /* 4: not in modern */
	mmio(w, BLK, MMIO_CONFIG + 8, VMT_DIR_READ, 0x800);                     /* 5 */
	e = (struct vmt_event){ .type = VMT_EV_MEM, .addr = 0x40001000, .flags = VMT_MEM_DRIVER_WRITE,
				.len = sizeof(mem), .data = mem };
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(0xa0 + i);
	append(w, &e);                                                           /* 6 */
	e = (struct vmt_event){ .type = VMT_EV_IRQ, .base = BLK, .width = 1, .value = 1 };
	append(w, &e);                                                           /* 7 */
	e = (struct vmt_event){ .type = VMT_EV_MARKER, .len = sizeof(hostile), .data = (const uint8_t *)hostile };
	append(w, &e);                                                           /* 8 */
	e = (struct vmt_event){ .type = VMT_EV_VIOLATION, .base = BLK, .value = RULE_STATUS_ORDER,
				.len = 12, .data = (const uint8_t *)"bad\x1b[1morder" };
	append(w, &e);                                                           /* 9 */
	e = (struct vmt_event){ .type = VMT_EV_LOST, .value = 12 };
	append(w, &e);                                                           /* 10 */
	d = (struct vmt_device_desc){ .base = RNG, .size = 0x200, .device_id = 4, .version = 2 };
	snprintf(d.name, sizeof(d.name), "virtio-rng@0x%x", RNG);
	vmt_device_desc_encode(&d, desc);
	e = (struct vmt_event){ .type = VMT_EV_DEVICE, .base = RNG, .len = sizeof(desc), .data = desc };
	append(w, &e);                                                           /* 11 */
	mmio(w, RNG, MMIO_QUEUE_READY, VMT_DIR_WRITE, 1);                       /* 12 */
	mmio(w, 0x20000000, MMIO_VERSION, VMT_DIR_READ, 1);                     /* 13: learns legacy */
	mmio(w, 0x20000000, MMIO_QUEUE_PFN, VMT_DIR_WRITE, 5);                  /* 14 */
	if (close_it)
		CHECK_EQ_U(rawtrace_writer_close(w, 0, "normal"), 0);
	else {
		/* Leave it as a killed recorder would (blocks, no footer):
		 * close, then cut the footer off. */
		CHECK_EQ_U(rawtrace_writer_flush(w), 0);
		uint64_t size = rawtrace_writer_bytes(w);
		CHECK_EQ_U(rawtrace_writer_close(w, 0, "normal"), 0);
		CHECK(truncate(path, (off_t)size) == 0);
	}
}

static const char *line_of(const char *out, uint64_t seq, char *buf, size_t len)
{
	char key[32];
	const char *p = out;

	snprintf(key, sizeof(key), "%8llu ", (unsigned long long)seq);
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, strlen(key)) == 0) {
			size_t n = strcspn(p, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return buf;
		}
	}
	buf[0] = '\0';
	return buf;
}

#define CHECK_HAS(hay, needle) do { \
	if (!strstr((hay), (needle))) { \
		fprintf(stderr, "%s:%d: [%s] '%s' not found in:\n%s\n", __FILE__, __LINE__, \
			harness_case, (needle), (hay)); \
		harness_failures++; \
	} \
} while (0)

static void test_dump_sample(void)
{
	char path[512], l[512];
	struct run r;

	/* harness_tmpfile reuses its buffers: keep a copy. */
	snprintf(path, sizeof(path), "%s", harness_tmpfile("dump.vmt"));
	write_sample(path, true);
	r = run_vmtrace((const char *[]){ "dump", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_STR(r.err, "");
	CHECK_EQ_U(count_lines(r.out), 15);
	CHECK(terminal_safe(r.out, r.out_len));
	CHECK_HAS(line_of(r.out, 0, l, sizeof(l)), "virtio-blk@0x10000000");
	CHECK_HAS(line_of(r.out, 0, l, sizeof(l)), "R MagicValue");
	CHECK_HAS(line_of(r.out, 0, l, sizeof(l)), "0x74726976");
	CHECK_HAS(line_of(r.out, 0, l, sizeof(l)), " \"virt\"");
	CHECK_HAS(line_of(r.out, 1, l, sizeof(l)), "W Status");
	CHECK_HAS(line_of(r.out, 1, l, sizeof(l)), "0x0000000b");
	CHECK_HAS(line_of(r.out, 1, l, sizeof(l)), "ACKNOWLEDGE|DRIVER|FEATURES_OK");
	/* Times count from the first event (at 100 ns): this one is 100 ns on. */
	CHECK_HAS(line_of(r.out, 0, l, sizeof(l)), " 0.000us emu");
	CHECK_HAS(line_of(r.out, 1, l, sizeof(l)), " 0.100us emu");
	CHECK_HAS(line_of(r.out, 2, l, sizeof(l)), "QueueNotify");
	CHECK_HAS(line_of(r.out, 2, l, sizeof(l)), "queue 0");
	CHECK_HAS(line_of(r.out, 3, l, sizeof(l)), "net\\x1b[2J@0x10001000");
	CHECK_HAS(line_of(r.out, 3, l, sizeof(l)), "QueuePFN");
	CHECK_HAS(line_of(r.out, 4, l, sizeof(l)), "undefined+0x040");
	CHECK_HAS(line_of(r.out, 5, l, sizeof(l)), "Config+0x8");
	CHECK_HAS(line_of(r.out, 6, l, sizeof(l)), "mem 0x40001000 len 40 driver: a0 a1 a2");
	CHECK_HAS(line_of(r.out, 6, l, sizeof(l)), "af ...");
	CHECK_HAS(line_of(r.out, 7, l, sizeof(l)), "irq raised status 0x1 used-buffer");
	CHECK_HAS(line_of(r.out, 8, l, sizeof(l)), "marker \"phase\\x1b]0;owned\\x07 \\x1b[31mred\\x9b2J\\r\\nend\\\\\"");
	CHECK_HAS(line_of(r.out, 9, l, sizeof(l)), "violation status-order");
	CHECK_HAS(line_of(r.out, 9, l, sizeof(l)), "\"bad\\x1b[1morder\"");
	CHECK_HAS(line_of(r.out, 9, l, sizeof(l)), rule_lookup(RULE_STATUS_ORDER)->section);
	CHECK_HAS(line_of(r.out, 10, l, sizeof(l)), "lost 12 events");
	CHECK_HAS(line_of(r.out, 11, l, sizeof(l)), "device virtio-rng@0x10002000");
	CHECK_HAS(line_of(r.out, 12, l, sizeof(l)), "virtio-rng@0x10002000");
	CHECK_HAS(line_of(r.out, 12, l, sizeof(l)), "QueueReady");
	CHECK_HAS(line_of(r.out, 13, l, sizeof(l)), "dev@0x20000000");
	CHECK_HAS(line_of(r.out, 13, l, sizeof(l)), "legacy");
	CHECK_HAS(line_of(r.out, 14, l, sizeof(l)), "QueuePFN");
	run_free(&r);

	/* --header: metadata first, escaped; footer last. */
	r = run_vmtrace((const char *[]){ "dump", "--header", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK(terminal_safe(r.out, r.out_len));
	CHECK_HAS(r.out, "# command: vmtrace record --emu blk,net\n");
	CHECK_HAS(r.out, "# evil: phase\\x1b]0;owned");
	CHECK_HAS(r.out, "# device virtio-blk@0x10000000 base 0x10000000 size 0x200 id 2 (block) version 2");
	CHECK_HAS(r.out, "# end: 15 events, 12 lost, \"normal\"");
	run_free(&r);

	/* --hex: every byte of the memory event. */
	r = run_vmtrace((const char *[]){ "dump", "--hex", "-n", "7", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_HAS(r.out, "0020: c0 c1 c2 c3 c4 c5 c6 c7\n");
	CHECK(!strstr(r.out, "..."));
	run_free(&r);

	/* --device, -n, --from. */
	r = run_vmtrace((const char *[]){ "dump", "--device", "0x10000000", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_EQ_U(count_lines(r.out), 7); /* 0 1 2 4 5 7 9 */
	CHECK(!strstr(r.out, "net") && !strstr(r.out, "marker"));
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "-n", "2", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_EQ_U(count_lines(r.out), 2);
	CHECK_STR(r.err, "");
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "--from", "12", "--count", "2", path, NULL });
	CHECK_EQ_U(count_lines(r.out), 2);
	CHECK(strncmp(r.out, "      12 ", 9) == 0);
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "-n", "0", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_STR(r.out, "");
	CHECK_STR(r.err, "");
	run_free(&r);

	if (!getenv("VMTRACE_KEEP"))
		unlink(path);
	else
		printf("sample trace kept: %s\n", path);
}

static void test_dump_exit_codes(void)
{
	char path[512], want[1024];
	struct run r;

	snprintf(path, sizeof(path), "%s", harness_tmpfile("codes.vmt"));
	/* No footer: warning, exit 0, all events. */
	write_sample(path, false);
	r = run_vmtrace((const char *[]){ "dump", path, NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_EQ_U(count_lines(r.out), 15);
	CHECK_HAS(r.err, "warning");
	CHECK_HAS(r.err, "no footer");
	CHECK_EQ_U(count_lines(r.err), 1);
	run_free(&r);

	/* A flipped byte in the only data block: nothing printed, exit 1. */
	write_sample(path, true);
	struct stat sb;
	stat(path, &sb);
	int fd = open(path, O_RDWR);
	uint8_t hdr[RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE], b;
	CHECK(pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr));
	uint64_t data_at = RT_FILE_HEADER_SIZE + RT_BLOCK_HEADER_SIZE + le32_get(hdr + RT_FILE_HEADER_SIZE + 4);
	CHECK(pread(fd, &b, 1, (off_t)data_at + 40) == 1);
	b ^= 0x10;
	CHECK(pwrite(fd, &b, 1, (off_t)data_at + 40) == 1);
	close(fd);
	r = run_vmtrace((const char *[]){ "dump", path, NULL });
	CHECK_EQ_U(r.status, 1);
	CHECK_STR(r.out, "");
	snprintf(want, sizeof(want), "vmtrace dump: '%s': stopped at offset %llu: block at offset %llu: payload CRC mismatch (0 events read)\n",
		 path, (unsigned long long)data_at, (unsigned long long)data_at);
	CHECK_STR(r.err, want);
	run_free(&r);

	/* Not a trace, missing, no file, bad option: exit 2. */
	FILE *f = fopen(path, "w");
	fputs("just text\n", f);
	fclose(f);
	r = run_vmtrace((const char *[]){ "dump", path, NULL });
	CHECK_EQ_U(r.status, 2);
	snprintf(want, sizeof(want), "'%s' is not a vmtrace raw trace", path);
	CHECK_HAS(r.err, want);
	run_free(&r);
	unlink(path);
	r = run_vmtrace((const char *[]){ "dump", path, NULL });
	CHECK_EQ_U(r.status, 2);
	CHECK_HAS(r.err, "unable to open");
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", NULL });
	CHECK_EQ_U(r.status, 2);
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "--bogus", path, NULL });
	CHECK_EQ_U(r.status, 2);
	CHECK_HAS(r.err, "unknown option '--bogus'");
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "-n", "x", path, NULL });
	CHECK_EQ_U(r.status, 2);
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "--device", NULL });
	CHECK_EQ_U(r.status, 2);
	run_free(&r);
	r = run_vmtrace((const char *[]){ "dump", "--help", NULL });
	CHECK_EQ_U(r.status, 0);
	CHECK_HAS(r.out, "usage: vmtrace dump");
	run_free(&r);
}

/* The reader of the output goes away after a few bytes (like head):
 * no complaint, exit 0. */
static void test_dump_closed_pipe(void)
{
	char path[512], errp[512];
	struct rawtrace_writer *w = NULL;
	int p[2], ws;
	char buf[256];

	snprintf(path, sizeof(path), "%s", harness_tmpfile("pipe.vmt"));
	snprintf(errp, sizeof(errp), "%s", harness_tmpfile("pipe-err.txt"));
	CHECK_EQ_U(rawtrace_writer_open(&w, path, NULL, NULL), 0);
	for (int i = 0; i < 50000; i++)
		mmio(w, BLK, MMIO_STATUS, VMT_DIR_WRITE, (uint64_t)i & 0xff);
	CHECK_EQ_U(rawtrace_writer_close(w, 0, NULL), 0);

	CHECK(pipe(p) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		close(p[0]);
		dup2(p[1], 1);
		dup2(e, 2);
		execl(vmtrace, vmtrace, "dump", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	CHECK(read(p[0], buf, sizeof(buf)) > 0);
	close(p[0]);
	waitpid(pid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	char *err = slurp(errp, NULL);
	CHECK_STR(err, "");
	free(err);
	unlink(errp);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		SKIP("usage: test_dump PATH-TO-VMTRACE");
	vmtrace = argv[1];
	if (access(vmtrace, X_OK) != 0)
		SKIP("vmtrace binary not found");
	RUN(test_dump_sample);
	RUN(test_dump_exit_codes);
	RUN(test_dump_closed_pipe);
	return harness_finish("test_dump");
}
