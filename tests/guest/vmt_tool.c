/* vmt-tool: the test guest's requests that busybox cannot make
 * (tests/qemu/guest-init.sh, crypto and vsock steps).
 *
 *   vmt-tool alg [DRIVER]          (default virtio_crypto_aes_cbc)
 *   vmt-tool vsock CID PORT TEXT
 *
 * alg: one AES-CBC cipher request through a named kernel crypto driver.
 * Through AF_ALG (skcipher), bound to DRIVER by its cra_driver_name so the
 * kernel cannot pick another implementation: KEY, IV and the 64 bytes of
 * PLAIN below are encrypted, the result decrypted again; the same
 * encryption is done by the generic software implementation
 * ("cbc(aes-generic)") when the kernel has it.  One line on stdout:
 *
 *   VMTGUEST crypto driver=D len=64 encrypt=ok|FAIL decrypt=ok|FAIL
 *            soft=match|differ|none ct=<hex of the ciphertext>
 *   VMTGUEST crypto driver=D bind=FAIL errno=N     (no such driver)
 *
 * decrypt=ok: the decrypted bytes are PLAIN again.  The host recomputes ct
 * from KEY, IV and PLAIN (tests/qemu/guest_devices_checks.py).
 *
 * vsock: a stream connection to CID:PORT over AF_VSOCK, TEXT written, the
 * connection closed.  One line:
 *
 *   VMTGUEST vsock cid=C port=P local=<local port> connect=ok|FAIL
 *            sent=<bytes> [errno=N]
 *
 * Freestanding (no C library: the initramfs has none, and the arm64 guest
 * has no cross C library on the host): raw system calls for x86-64 and
 * aarch64, built by scripts/guest-kit.sh with clang --target=ARCH
 * -nostdlib -static. */
#include <stddef.h>
#include <stdint.h>

#define AF_ALG 38
#define AF_VSOCK 40
#define SOCK_STREAM 1
#define SOCK_SEQPACKET 5
#define SOL_ALG 279
#define ALG_SET_KEY 1
#define ALG_SET_IV 2
#define ALG_SET_OP 3
#define ALG_OP_DECRYPT 0
#define ALG_OP_ENCRYPT 1
#define DATA_LEN 64u
#define AES_BLOCK 16u

#if defined(__x86_64__)
enum { NR_READ = 0, NR_WRITE = 1, NR_CLOSE = 3, NR_SOCKET = 41, NR_CONNECT = 42, NR_ACCEPT = 43,
       NR_SENDMSG = 46, NR_BIND = 49, NR_GETSOCKNAME = 51, NR_SETSOCKOPT = 54, NR_EXIT_GROUP = 231 };

static long sys6(long n, long a, long b, long c, long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
#elif defined(__aarch64__)
enum { NR_READ = 63, NR_WRITE = 64, NR_CLOSE = 57, NR_SOCKET = 198, NR_CONNECT = 203, NR_ACCEPT = 202,
       NR_SENDMSG = 211, NR_BIND = 200, NR_GETSOCKNAME = 204, NR_SETSOCKOPT = 208, NR_EXIT_GROUP = 94 };

static long sys6(long n, long a, long b, long c, long d, long e)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
	return x0;
}

__asm__(".text\n.global _start\n_start:\n\tmov x29, #0\n\tmov x0, sp\n\tbl start_c\n\tb .\n");
#else
#error "vmt-alg: x86-64 or aarch64 only"
#endif

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

struct sockaddr_alg {
	uint16_t salg_family;
	uint8_t salg_type[14];
	uint32_t salg_feat;
	uint32_t salg_mask;
	uint8_t salg_name[64];
};

struct iov {
	void *base;
	size_t len;
};

struct msghdr64 {
	void *name;
	uint32_t namelen;
	struct iov *iov;
	size_t iovlen;
	void *control;
	size_t controllen;
	int flags;
};

struct cmsghdr64 {
	size_t len;
	int level;
	int type;
};

static const uint8_t KEY[16] = { 0x76, 0x6d, 0x74, 0x72, 0x61, 0x63, 0x65, 0x20,
				 0x6b, 0x65, 0x79, 0x20, 0x31, 0x32, 0x33, 0x34 }; /* "vmtrace key 1234" */
static const uint8_t IV[16] = { 0x76, 0x6d, 0x74, 0x72, 0x61, 0x63, 0x65, 0x20,
				0x69, 0x76, 0x20, 0x20, 0x35, 0x36, 0x37, 0x38 }; /* "vmtrace iv  5678" */
static const char PLAIN[DATA_LEN + 1] = "vmtrace crypto line 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void out(const char *s)
{
	sys6(NR_WRITE, 1, (long)s, (long)slen(s), 0, 0);
}

/* Append s to buf (of cap bytes, kept NUL-terminated). */
static void cat(char *buf, size_t cap, const char *s)
{
	size_t n = slen(buf);

	while (*s && n + 1 < cap)
		buf[n++] = *s++;
	buf[n] = 0;
}

static void cat_num(char *buf, size_t cap, long v)
{
	char t[24];
	int i = 23;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	t[i] = 0;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u && i > 1);
	if (v < 0)
		t[--i] = '-';
	cat(buf, cap, t + i);
}

/* One cipher operation on DATA_LEN bytes through driver `name`: 0 and
 * dst filled, or a negative errno.  Fresh sockets each time. */
static long cipher(const char *name, uint32_t op, const uint8_t *src, uint8_t *dst)
{
	struct sockaddr_alg sa;
	union {
		uint8_t b[64];
		uint64_t align;
	} ctl;
	struct msghdr64 msg;
	struct cmsghdr64 *c;
	struct iov io;
	long tfm, fd, r;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	memcpy(sa.salg_type, "skcipher", 9);
	for (i = 0; name[i] && i < sizeof(sa.salg_name) - 1; i++)
		sa.salg_name[i] = (uint8_t)name[i];
	tfm = sys6(NR_SOCKET, AF_ALG, SOCK_SEQPACKET, 0, 0, 0);
	if (tfm < 0)
		return tfm;
	r = sys6(NR_BIND, tfm, (long)&sa, sizeof(sa), 0, 0);
	if (r == 0)
		r = sys6(NR_SETSOCKOPT, tfm, SOL_ALG, ALG_SET_KEY, (long)KEY, sizeof(KEY));
	if (r < 0)
		goto done_tfm;
	fd = sys6(NR_ACCEPT, tfm, 0, 0, 0, 0);
	if (fd < 0) {
		r = fd;
		goto done_tfm;
	}
	/* Two control messages: the op (u32), then the IV (struct af_alg_iv:
	 * u32 ivlen, the bytes), each padded to 8 bytes. */
	memset(&ctl, 0, sizeof(ctl));
	c = (struct cmsghdr64 *)ctl.b;
	c->len = sizeof(*c) + 4;
	c->level = SOL_ALG;
	c->type = ALG_SET_OP;
	memcpy(ctl.b + sizeof(*c), &op, 4);
	c = (struct cmsghdr64 *)(ctl.b + 24);
	c->len = sizeof(*c) + 4 + sizeof(IV);
	c->level = SOL_ALG;
	c->type = ALG_SET_IV;
	{
		uint32_t ivlen = sizeof(IV);

		memcpy(ctl.b + 24 + sizeof(*c), &ivlen, 4);
		memcpy(ctl.b + 24 + sizeof(*c) + 4, IV, sizeof(IV));
	}
	io.base = (void *)src;
	io.len = DATA_LEN;
	memset(&msg, 0, sizeof(msg));
	msg.iov = &io;
	msg.iovlen = 1;
	msg.control = ctl.b;
	msg.controllen = sizeof(ctl.b); /* both messages: 24 + 40 bytes */
	r = sys6(NR_SENDMSG, fd, (long)&msg, 0, 0, 0);
	if (r == (long)DATA_LEN) {
		r = sys6(NR_READ, fd, (long)dst, DATA_LEN, 0, 0);
		r = r == (long)DATA_LEN ? 0 : (r < 0 ? r : -5);
	} else if (r >= 0) {
		r = -5;
	}
	sys6(NR_CLOSE, fd, 0, 0, 0, 0);
done_tfm:
	sys6(NR_CLOSE, tfm, 0, 0, 0, 0);
	return r;
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static int run_alg(const char *drv)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t ct[DATA_LEN], back[DATA_LEN], soft[DATA_LEN];
	char line[512], h[2 * DATA_LEN + 1];
	long r, d, s;
	size_t i;

	line[0] = 0;
	cat(line, sizeof(line), "VMTGUEST crypto driver=");
	cat(line, sizeof(line), drv);
	r = cipher(drv, ALG_OP_ENCRYPT, (const uint8_t *)PLAIN, ct);
	if (r == -2 || r == -19 || r == -97) { /* ENOENT, ENODEV: no such driver; EAFNOSUPPORT: no AF_ALG */
		cat(line, sizeof(line), " bind=FAIL errno=");
		cat_num(line, sizeof(line), -r);
		cat(line, sizeof(line), "\n");
		out(line);
		return 1;
	}
	d = r == 0 ? cipher(drv, ALG_OP_DECRYPT, ct, back) : -1;
	s = cipher("cbc(aes-generic)", ALG_OP_ENCRYPT, (const uint8_t *)PLAIN, soft);
	cat(line, sizeof(line), " len=64 encrypt=");
	cat(line, sizeof(line), r == 0 ? "ok" : "FAIL");
	if (r != 0) {
		cat(line, sizeof(line), " errno=");
		cat_num(line, sizeof(line), -r);
	}
	cat(line, sizeof(line), " decrypt=");
	cat(line, sizeof(line), d == 0 && same(back, (const uint8_t *)PLAIN, DATA_LEN) ? "ok" : "FAIL");
	cat(line, sizeof(line), " soft=");
	cat(line, sizeof(line), s != 0 ? "none" : r == 0 && same(soft, ct, DATA_LEN) ? "match" : "differ");
	for (i = 0; i < DATA_LEN; i++) {
		h[2 * i] = hex[ct[i] >> 4];
		h[2 * i + 1] = hex[ct[i] & 15];
	}
	h[2 * DATA_LEN] = 0;
	cat(line, sizeof(line), " ct=");
	cat(line, sizeof(line), r == 0 ? h : "none");
	cat(line, sizeof(line), "\n");
	out(line);
	return r == 0 && d == 0 ? 0 : 1;
}

/* A decimal number below 2^32, or -1. */
static long num(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0xffffffffL / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > 0xffffffffL ? -1 : v;
}

struct sockaddr_vm {
	uint16_t family;
	uint16_t reserved1;
	uint32_t port;
	uint32_t cid;
	uint8_t flags;
	uint8_t zero[3];
};

static int run_vsock(long cid, long port, const char *text)
{
	struct sockaddr_vm sa, me;
	uint32_t len = sizeof(me);
	char line[256];
	long fd, r, sent = 0;

	memset(&sa, 0, sizeof(sa));
	memset(&me, 0, sizeof(me));
	sa.family = AF_VSOCK;
	sa.port = (uint32_t)port;
	sa.cid = (uint32_t)cid;
	fd = sys6(NR_SOCKET, AF_VSOCK, SOCK_STREAM, 0, 0, 0);
	r = fd < 0 ? fd : sys6(NR_CONNECT, fd, (long)&sa, sizeof(sa), 0, 0);
	if (r == 0) {
		sys6(NR_GETSOCKNAME, fd, (long)&me, (long)&len, 0, 0);
		sent = sys6(NR_WRITE, fd, (long)text, (long)slen(text), 0, 0);
		if (sent < 0)
			r = sent, sent = 0;
	}
	if (fd >= 0)
		sys6(NR_CLOSE, fd, 0, 0, 0, 0);
	line[0] = 0;
	cat(line, sizeof(line), "VMTGUEST vsock cid=");
	cat_num(line, sizeof(line), cid);
	cat(line, sizeof(line), " port=");
	cat_num(line, sizeof(line), port);
	cat(line, sizeof(line), " local=");
	cat_num(line, sizeof(line), me.port);
	cat(line, sizeof(line), r == 0 ? " connect=ok sent=" : " connect=FAIL sent=");
	cat_num(line, sizeof(line), sent);
	if (r != 0) {
		cat(line, sizeof(line), " errno=");
		cat_num(line, sizeof(line), -r);
	}
	cat(line, sizeof(line), "\n");
	out(line);
	return r == 0 ? 0 : 1;
}

static int same_str(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Called from _start with the initial stack pointer (argc, argv...). */
__attribute__((used)) void start_c(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	int rc = 2;

	if (argc >= 2 && same_str(argv[1], "alg") && argc <= 3)
		rc = run_alg(argc > 2 ? argv[2] : "virtio_crypto_aes_cbc");
	else if (argc == 5 && same_str(argv[1], "vsock") && num(argv[2]) >= 0 && num(argv[3]) >= 0)
		rc = run_vsock(num(argv[2]), num(argv[3]), argv[4]);
	else
		out("usage: vmt-tool alg [DRIVER] | vmt-tool vsock CID PORT TEXT\n");
	sys6(NR_EXIT_GROUP, rc, 0, 0, 0, 0);
	for (;;)
		;
}
