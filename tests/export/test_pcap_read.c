/* The classic pcap of vmtrace export read back by libpcap itself
 * (pcap_open_offline): its link type is USER0, its timestamps are
 * nanoseconds, it holds COUNT records and each is a vmtrace record
 * (version 1, a kind 1-7, header length 32, a length that holds it).
 *
 * Usage: test_pcap_read FILE.pcap COUNT */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "export/vt_record.h"
#include "tests/harness.h"

static const char *path;
static uint64_t want;

static void read_back(void)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, bad = 0, prev = 0;
	bool sorted = true;
	int rc;

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s: %s\n", path, err);
		return;
	}
	CHECK_EQ_U(pcap_datalink(p), VT_LINKTYPE);
	CHECK_EQ_U(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		n++;
		if (ts < prev)
			sorted = false;
		prev = ts;
		if (h->caplen < VT_RECORD_HEADER || d[0] != VT_RECORD_VERSION || d[1] < VT_MMIO || d[1] > VT_MARKER ||
		    (d[2] | d[3] << 8) != VT_RECORD_HEADER || h->caplen != h->len)
			bad++;
	}
	CHECK_EQ_U(rc, PCAP_ERROR_BREAK); /* the end, not an error */
	CHECK_EQ_U(n, want);
	CHECK_EQ_U(bad, 0);
	CHECK(sorted);
	pcap_close(p);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_pcap_read FILE.pcap COUNT\n");
		return 2;
	}
	path = argv[1];
	want = strtoull(argv[2], NULL, 0);
	RUN(read_back);
	return harness_finish("test_pcap_read");
}
