/* QEMU's virtio_scsi_cmd_req line (lun, tag, the CDB's opcode; no
 * element pointer): parsed (the format repeats the event name, taken once
 * or twice; bad fields refused), and turned into a VMT_QSTEP_SCSI_CMD
 * report of the element its thread popped on its line just before, on a
 * device whose DeviceID read said SCSI.  Not emitted (counted in
 * reports_no_pop): a command whose thread's previous line was not a pop,
 * one of another thread, one after a pop on a device of another type.
 *
 * Then its SCSI layer's scsi_req_parsed and scsi_req_parsed_lba lines
 * (target, lun, tag and length as %d, the LBA as PRIu64): parsed with
 * every bound at N and N+1, and turned into VMT_QSTEP_SCSI_XFER and
 * VMT_QSTEP_SCSI_LBA reports of the same element when they follow the
 * command on its thread with its tag, LUN and opcode; else counted. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "capture/qemu/qemu_line.h"
#include "capture/qemu/qemu_source.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "tests/harness.h"
#include "tests/qemu_unit/evlog.h"

#define NOW UINT64_C(777000)
#define VDEV "0x55653683e800"
#define VQ2 "0x7f3d1de93010"

static void test_parse(void)
{
	static const struct {
		const char *line;
		uint32_t lun, tag;
		uint8_t cmd;
	} good[] = {
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x28", 0, 5, 0x28 },
		{ "virtio_scsi_cmd_req lun=3 tag=0xffffffff cmd=0xff", 3, 0xffffffffu, 0xff },
		{ "4711@12.000345:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=16383 tag=0x0 cmd=0x0", 16383, 0, 0 },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=4294967295 tag=0x1 cmd=0x12\r", UINT32_MAX, 1, 0x12 },
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0x1 tag=0x5 cmd=0x28", "'lun'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=4294967296 tag=0x5 cmd=0x28", "'lun'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun= tag=0x5 cmd=0x28", "'lun'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=5 cmd=0x28", "'tag'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x100000000 cmd=0x28", "'tag'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x100", "'cmd'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=40", "'cmd'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5", "'cmd'" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x28 x", "after the last field" },
		{ "virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x2", NULL }, /* good: a short opcode */
	};
	struct qemu_access a;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ_U(qemu_line_parse(good[i].line, strlen(good[i].line), &a, &why), QEMU_LINE_VIRTIO);
		CHECK_EQ_U(a.vio.kind, QEMU_VIRTIO_SCSI_CMD);
		CHECK_EQ_U(a.vio.lun, good[i].lun);
		CHECK_EQ_U(a.vio.tag, good[i].tag);
		CHECK_EQ_U(a.vio.cmd, good[i].cmd);
	}
	CHECK_EQ_U(a.tid, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum qemu_line_kind k = qemu_line_parse(bad[i].line, strlen(bad[i].line), &a, &why);
		if (!bad[i].why) {
			CHECK_EQ_U(k, QEMU_LINE_VIRTIO);
			continue;
		}
		CHECK_EQ_U(k, QEMU_LINE_BAD);
		CHECK(why && strstr(why, bad[i].why));
	}
}

static void test_parse_scsi_layer(void)
{
	static const struct {
		const char *line;
		enum qemu_virtio_kind kind;
		uint32_t target, lun, tag, xfer;
		uint8_t cmd, dir;
		uint64_t lba;
	} good[] = {
		{ "scsi_req_parsed target 0 lun 0 tag -1012410480 command 18 dir 1 length 36", QEMU_VIRTIO_SCSI_PARSED,
		  0, 0, (uint32_t)-1012410480, 36, 18, 1, 0 },
		{ "scsi_req_parsed_lba target 0 lun 0 tag -1012410480 command 18 lba 0", QEMU_VIRTIO_SCSI_LBA,
		  0, 0, (uint32_t)-1012410480, 0, 18, 0, 0 },
		{ "9@1.000002:scsi_req_parsed target 2147483647 lun 16383 tag 2147483647 command 255 dir 2 length 2147483647\r",
		  QEMU_VIRTIO_SCSI_PARSED, INT32_MAX, 16383, INT32_MAX, INT32_MAX, 255, 2, 0 },
		{ "scsi_req_parsed target -2147483648 lun -1 tag -2147483648 command 0 dir 0 length -2147483648",
		  QEMU_VIRTIO_SCSI_PARSED, 0x80000000u, UINT32_MAX, 0x80000000u, 0x80000000u, 0, 0, 0 },
		{ "scsi_req_parsed_lba target 1 lun 2 tag 3 command 136 lba 18446744073709551615", QEMU_VIRTIO_SCSI_LBA,
		  1, 2, 3, 0, 136, 0, UINT64_MAX },
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "scsi_req_parsed target 2147483648 lun 0 tag 1 command 18 dir 1 length 36", "'target'" },
		{ "scsi_req_parsed target -2147483649 lun 0 tag 1 command 18 dir 1 length 36", "'target'" },
		{ "scsi_req_parsed target 0 lun 0x1 tag 1 command 18 dir 1 length 36", "'lun'" },
		{ "scsi_req_parsed target 0 lun 0 tag - command 18 dir 1 length 36", "'tag'" },
		{ "scsi_req_parsed target 0 lun 0 tag --1 command 18 dir 1 length 36", "'tag'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 256 dir 1 length 36", "'command'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command -1 dir 1 length 36", "'command'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir 3 length 36", "'dir'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir -1 length 36", "'dir'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir 1 length 2147483648", "'length'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir 1 length -2147483649", "'length'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir 1", "'length'" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 dir 1 length 36 7", "after the last field" },
		{ "scsi_req_parsed target 0 lun 0 tag 1 command 18 lba 0", "'dir'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40 lba 18446744073709551616", "'lba'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40 lba -1", "'lba'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40 lba 0x10", "'lba'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40 dir 1 length 36", "'lba'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40", "'lba'" },
		{ "scsi_req_parsed_lba target 0 lun 0 tag 1 command 40 lba 8\0", "'lba'" }, /* a NUL after it */
	};
	struct qemu_access a;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ_U(qemu_line_parse(good[i].line, strlen(good[i].line), &a, &why), QEMU_LINE_VIRTIO);
		CHECK_EQ_U(a.vio.kind, good[i].kind);
		CHECK_EQ_U(a.vio.target, good[i].target);
		CHECK_EQ_U(a.vio.lun, good[i].lun);
		CHECK_EQ_U(a.vio.tag, good[i].tag);
		CHECK_EQ_U(a.vio.cmd, good[i].cmd);
		CHECK_EQ_U(a.vio.dir, good[i].dir);
		CHECK_EQ_U(a.vio.xfer, good[i].xfer);
		CHECK_EQ_U(a.vio.lba, good[i].lba);
	}
	CHECK_EQ_U(a.tid, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A NUL inside the line: its length counts it. */
		size_t len = strlen(bad[i].line) + (strstr(bad[i].line, "lba 8") ? 1 : 0);
		enum qemu_line_kind k = qemu_line_parse(bad[i].line, len, &a, &why);
		CHECK_EQ_U(k, QEMU_LINE_BAD);
		if (!(why && strstr(why, bad[i].why)))
			fprintf(stderr, "line %zu: why '%s', want '%s'\n", i, why ? why : "(null)", bad[i].why);
		CHECK(why && strstr(why, bad[i].why));
	}
	/* Other SCSI trace events are other text. */
	const char *other = "scsi_req_parse_bad target 0 lun 0 tag 1 command 255";
	CHECK_EQ_U(qemu_line_parse(other, strlen(other), &a, &why), QEMU_LINE_OTHER);
}

struct fixture {
	struct qemu_source *src;
	struct evlog log;
};

static int feed(struct fixture *f, const char *text)
{
	return qemu_source_feed(f->src, text, strlen(text), NOW);
}

static struct qemu_source_stats stats(const struct fixture *f)
{
	struct qemu_source_stats st;

	qemu_source_get_stats(f->src, &st);
	return st;
}

/* Device at 0xfeb02600 says it is device_id; thread 7's notify of queue 2
 * maps QEMU's pointers. */
static bool fx_open(struct fixture *f, unsigned device_id)
{
	struct qemu_source_cfg cfg = { .emit = evlog_emit, .ctx = &f->log };
	char line[512];

	memset(f, 0, sizeof(*f));
	if (qemu_source_new(&f->src, &cfg) != 0) {
		CHECK(!"qemu_source_new failed");
		return false;
	}
	snprintf(line, sizeof(line),
		 "7@10.000001:memory_region_ops_read cpu 0 mr 0x1 addr 0xfeb02608 value 0x%x size 4 name 'virtio-mmio'\n"
		 "7@10.000002:memory_region_ops_write cpu 0 mr 0x1 addr 0xfeb02650 value 0x2 size 4 name 'virtio-mmio'\n"
		 "7@10.000003:virtio_queue_notify vdev " VDEV " n 2 vq " VQ2 "\n",
		 device_id);
	CHECK_EQ_U(feed(f, line), 0);
	CHECK_EQ_U(stats(f).queues_mapped, 1);
	evlog_clear(&f->log);
	return true;
}

static void fx_close(struct fixture *f)
{
	qemu_source_free(f->src);
	evlog_release(&f->log);
}

static void check_scsi(const struct vmt_event *e, uint64_t token, uint64_t op, uint64_t lun)
{
	struct vmt_queue_report q = { 0 };

	CHECK_EQ_U(e->type, VMT_EV_QUEUE);
	CHECK_EQ_U(e->base, UINT64_C(0xfeb02600));
	CHECK_EQ_U(e->addr, 2);
	CHECK_EQ_U(e->value, VMT_QSTEP_SCSI_CMD);
	CHECK_EQ_U(vmt_queue_report_decode(&q, e->data, e->len), 0);
	CHECK_EQ_U(q.token, token);
	CHECK_EQ_U(q.arg0, op);
	CHECK_EQ_U(q.arg1, lun);
}

static void test_mapping(void)
{
	struct fixture f;

	if (!fx_open(&f, VIRTIO_ID_SCSI))
		return;
	/* QEMU's I/O thread pops two commands, each followed by its line;
	 * another thread's lines in between do not matter. */
	CHECK_EQ_U(feed(&f, "21@10.000004:virtqueue_pop vq " VQ2 " elem 0x1000 in_num 1 out_num 1\n"
			    "22@10.000004:memory_region_ops_read cpu 0 mr 0x1 addr 0xfeb02660 value 0x1 size 4 name 'virtio-mmio'\n"
			    "21@10.000005:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x28\n"
			    "21@10.000006:virtqueue_pop vq " VQ2 " elem 0x2000 in_num 2 out_num 1\n"
			    "21@10.000007:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=2 tag=0x6 cmd=0x2a\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 4);
	if (f.log.n == 5) {
		check_scsi(&f.log.ev[2], 0x1000, 0x28, 0);
		check_scsi(&f.log.ev[4], 0x2000, 0x2a, 2);
		CHECK_EQ_U(f.log.ev[4].ts_ns, UINT64_C(10000007000));
	} else {
		evlog_dump(&f.log, "mapping");
	}
	CHECK_EQ_U(stats(&f).reports_no_pop, 0);
	/* Not right after its thread's pop: a second command line, another
	 * thread's, one after a line of the thread in between. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "21@10.000008:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x7 cmd=0x28\n"
			    "21@10.000009:virtqueue_pop vq " VQ2 " elem 0x3000 in_num 1 out_num 1\n"
			    "22@10.000010:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x8 cmd=0x28\n"
			    "21@10.000011:virtqueue_fill vq " VQ2 " elem 0x1000 len 108 idx 0\n"
			    "21@10.000012:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x9 cmd=0x28\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 2); /* the pop and the fill */
	CHECK_EQ_U(stats(&f).reports_no_pop, 3);
	/* A pop on an unmapped vq is no pop to pair with. */
	CHECK_EQ_U(feed(&f, "21@10.000013:virtqueue_pop vq 0x99 elem 0x4000 in_num 1 out_num 1\n"
			    "21@10.000014:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0xa cmd=0x28\n"), 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 4);
	/* A bad command line is a marker, no report. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "21@10.000015:virtqueue_pop vq " VQ2 " elem 0x5000 in_num 1 out_num 1\n"
			    "21@10.000016:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0xa\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 1);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MARKER), 1);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_LOST), 0);
	fx_close(&f);

	/* A device that said it is a block device: never a scsi report. */
	if (!fx_open(&f, VIRTIO_ID_BLOCK))
		return;
	CHECK_EQ_U(feed(&f, "21@10.000004:virtqueue_pop vq " VQ2 " elem 0x1000 in_num 1 out_num 1\n"
			    "21@10.000005:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x5 cmd=0x28\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 1);
	CHECK_EQ_U(stats(&f).reports_no_pop, 1);
	fx_close(&f);
}

static void check_report(const struct vmt_event *e, enum vmt_queue_step step, uint64_t token, uint64_t a0,
			 uint64_t a1)
{
	struct vmt_queue_report q = { 0 };

	CHECK_EQ_U(e->type, VMT_EV_QUEUE);
	CHECK_EQ_U(e->base, UINT64_C(0xfeb02600));
	CHECK_EQ_U(e->addr, 2);
	CHECK_EQ_U(e->value, step);
	CHECK_EQ_U(vmt_queue_report_decode(&q, e->data, e->len), 0);
	CHECK_EQ_U(q.token, token);
	CHECK_EQ_U(q.arg0, a0);
	CHECK_EQ_U(q.arg1, a1);
}

static void test_scsi_layer(void)
{
	struct fixture f;

	if (!fx_open(&f, VIRTIO_ID_SCSI))
		return;
	/* INQUIRY (no LBA line: group 0 has one, QEMU prints it; here the
	 * line is simply absent), then READ(10) with its LBA.  The tag is
	 * the command's 0xc3a70f90 printed as an int. */
	CHECK_EQ_U(feed(&f, "21@10.000004:virtqueue_pop vq " VQ2 " elem 0x1000 in_num 2 out_num 1\n"
			    "21@10.000005:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0xc3a70f90 cmd=0x12\n"
			    "22@10.000005:memory_region_ops_read cpu 0 mr 0x1 addr 0xfeb02660 value 0x1 size 4 name 'virtio-mmio'\n"
			    "21@10.000006:scsi_req_parsed target 0 lun 0 tag -1012461680 command 18 dir 1 length 36\n"
			    "21@10.000007:virtqueue_pop vq " VQ2 " elem 0x2000 in_num 2 out_num 1\n"
			    "21@10.000008:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=1 tag=0x6 cmd=0x28\n"
			    "21@10.000009:scsi_req_parsed target 0 lun 1 tag 6 command 40 dir 1 length 4096\n"
			    "21@10.000010:scsi_req_parsed_lba target 0 lun 1 tag 6 command 40 lba 2048\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 7);
	if (f.log.n == 8) {
		check_report(&f.log.ev[1], VMT_QSTEP_SCSI_CMD, 0x1000, 0x12, 0);
		check_report(&f.log.ev[3], VMT_QSTEP_SCSI_XFER, 0x1000, 36, 1);
		check_report(&f.log.ev[5], VMT_QSTEP_SCSI_CMD, 0x2000, 0x28, 1);
		check_report(&f.log.ev[6], VMT_QSTEP_SCSI_XFER, 0x2000, 4096, 1);
		check_report(&f.log.ev[7], VMT_QSTEP_SCSI_LBA, 0x2000, 2048, 0);
		CHECK_EQ_U(f.log.ev[7].ts_ns, UINT64_C(10000010000));
	} else {
		evlog_dump(&f.log, "scsi layer");
	}
	CHECK_EQ_U(stats(&f).reports_no_pop, 0);

	/* Not the command just printed on the thread: another tag, LUN or
	 * opcode (another HBA's command), another thread, a parse line
	 * without its command, an LBA line without its parse line or of
	 * another target, a second LBA line, a parse line after a pop. */
	evlog_clear(&f.log);
	static const char *const unpaired[] = {
		"scsi_req_parsed target 0 lun 0 tag 8 command 40 dir 1 length 512",
		"scsi_req_parsed target 0 lun 1 tag 7 command 40 dir 1 length 512",
		"scsi_req_parsed target 0 lun 0 tag 7 command 42 dir 2 length 512",
	};
	for (size_t i = 0; i < sizeof(unpaired) / sizeof(unpaired[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "21@11.000001:virtqueue_pop vq " VQ2 " elem 0x3000 in_num 2 out_num 1\n"
			 "21@11.000002:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x7 cmd=0x28\n"
			 "21@11.000003:%s\n", unpaired[i]);
		CHECK_EQ_U(feed(&f, text), 0);
	}
	CHECK_EQ_U(stats(&f).reports_no_pop, 3);
	CHECK_EQ_U(feed(&f, "21@11.000004:virtqueue_pop vq " VQ2 " elem 0x3000 in_num 2 out_num 1\n"
			    "21@11.000005:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x7 cmd=0x28\n"
			    "23@11.000006:scsi_req_parsed target 0 lun 0 tag 7 command 40 dir 1 length 512\n"
			    "21@11.000007:scsi_req_parsed_lba target 0 lun 0 tag 7 command 40 lba 1\n"
			    "21@11.000008:virtqueue_pop vq " VQ2 " elem 0x4000 in_num 2 out_num 1\n"
			    "21@11.000009:scsi_req_parsed target 0 lun 0 tag 7 command 40 dir 1 length 512\n"), 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 6);
	CHECK_EQ_U(feed(&f, "21@11.000010:virtqueue_pop vq " VQ2 " elem 0x5000 in_num 2 out_num 1\n"
			    "21@11.000011:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0x9 cmd=0x28\n"
			    "21@11.000012:scsi_req_parsed target 0 lun 0 tag 9 command 40 dir 1 length 512\n"
			    "21@11.000013:scsi_req_parsed_lba target 1 lun 0 tag 9 command 40 lba 1\n"
			    "21@11.000014:virtqueue_pop vq " VQ2 " elem 0x6000 in_num 2 out_num 1\n"
			    "21@11.000015:virtio_scsi_cmd_req virtio_scsi_cmd_req lun=0 tag=0xa cmd=0x28\n"
			    "21@11.000016:scsi_req_parsed target 0 lun 0 tag 10 command 40 dir 1 length 512\n"
			    "21@11.000017:scsi_req_parsed_lba target 0 lun 0 tag 10 command 40 lba 5\n"
			    "21@11.000018:scsi_req_parsed_lba target 0 lun 0 tag 10 command 40 lba 5\n"), 0);
	CHECK_EQ_U(stats(&f).reports_no_pop, 8);
	/* Paired ones only: 7 pops, 6 commands, 2 parse lines, one LBA. */
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_QUEUE), 7 + 6 + 2 + 1);
	/* A bad parse line leaves a marker, no lost event. */
	evlog_clear(&f.log);
	CHECK_EQ_U(feed(&f, "21@11.000019:scsi_req_parsed target 0 lun 0 tag 10 command 40 dir 9 length 512\n"), 0);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_MARKER), 1);
	CHECK_EQ_U(evlog_count(&f.log, VMT_EV_LOST), 0);
	fx_close(&f);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_scsi_layer);
	RUN(test_mapping);
	RUN(test_scsi_layer);
	return harness_finish("test_scsi_cmd");
}
