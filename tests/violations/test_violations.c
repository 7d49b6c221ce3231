/* Each driver mistake the decoder knows, injected into a synthetic event
 * stream (no emulator involved: the decoder is source-blind), must produce
 * exactly the expected violation rows at the expected sequence numbers,
 * and a correct driver none.
 *
 * A scenario is a script of register accesses on one device at 0x10000000:
 *   R<off>=<value>[/<width>][!rule]   a read that returned value
 *   W<off>=<value>[/<width>][!rule]   a write
 * offsets and values in hex; '!rule' marks the rule expected at that access
 * (several may follow one access: '!a!b'). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decoder/db.h"
#include "decoder/decoder.h"
#include "tests/harness.h"

#define BASE 0x10000000u
#define MAX_EXPECT 16

/* The probe every modern script starts with: MagicValue, Version 2,
 * DeviceID 2 (block), VendorID. */
#define PROBE2 "R000=74726976 R004=2 R008=2 R00c=554d4551 "
#define PROBE1 "R000=74726976 R004=1 R008=2 R00c=554d4551 "
/* Reset, ACKNOWLEDGE, DRIVER, features offered (VERSION_1 | FLUSH |
 * RING_RESET), accepted (VERSION_1 | FLUSH), FEATURES_OK, re-read. */
#define NEGOTIATE "W070=0 W070=1 W070=3 W014=0 R010=200 W014=1 R010=101 " \
	"W024=0 W020=200 W024=1 W020=1 W070=b R070=b "
/* Queue 0 of size 8 at well-aligned addresses, ready. */
#define QUEUE0 "W030=0 R044=0 R034=100 W038=8 W080=40000000 W084=0 W090=40001000 W094=0 " \
	"W0a0=40002000 W0a4=0 W044=1 "
#define DRIVER_OK "W070=f "

struct scenario {
	const char *name;
	const char *script;
};

static const struct scenario scenarios[] = {
	{ "correct modern init", PROBE2 NEGOTIATE QUEUE0 DRIVER_OK "W050=0 R060=1 W064=1" },
	{ "correct legacy init", PROBE1 "W070=0 W070=1 W070=3 W014=0 R010=200 W024=0 W020=200 "
	  "W028=1000 W030=0 R040=0 R034=100 W038=8 W03c=1000 W040=40000 W070=7 W050=0 R060=1 W064=1" },
	{ "register width", PROBE2 "R070=0/2!register-width" },
	{ "register alignment", PROBE2 "R072=0!register-alignment" },
	{ "read of write-only", PROBE2 "R030=0!read-write-only" },
	{ "write to read-only", PROBE2 "W000=1!write-read-only" },
	{ "undefined offset", PROBE2 "R018=0!undefined-offset" },
	{ "legacy register on modern device", PROBE2 "W028=1000!undefined-offset" },
	{ "config width", PROBE2 NEGOTIATE "R100=0/1!config-access-width R100=800 R104=0" },
	{ "config write before FEATURES_OK", PROBE2 "W070=0 W070=1 W070=3 W120=1/1!config-write-before-features-ok" },
	{ "init order", "R070=0!init-order R000=74726976 R004=2 R008=2" },
	{ "device id zero", "R000=74726976 R004=2 R008=0 R070=0!device-id-zero R00c=0" },
	{ "features sel before DeviceFeatures", PROBE2 "W070=0 W070=1 W070=3 R010=200!device-features-sel" },
	{ "features sel before DriverFeatures", PROBE2 "W070=0 W070=1 W070=3 W020=200!driver-features-sel" },
	{ "FEATURES_OK before DRIVER", PROBE2 "W070=0 W070=1 W070=9!status-order" },
	{ "DRIVER before ACKNOWLEDGE", PROBE2 "W070=0 W070=2!status-order" },
	{ "DRIVER_OK before FEATURES_OK", PROBE2 "W070=0 W070=1 W070=3 W070=7!status-order" },
	{ "status cleared without reset", PROBE2 "W070=0 W070=1 W070=3 W070=1!status-cleared" },
	{ "FEATURES_OK not re-read", PROBE2 "W070=0 W070=1 W070=3 W014=0 R010=200 W014=1 R010=1 "
	  "W024=0 W020=200 W024=1 W020=1 W070=b W030=0!features-ok-not-reread" },
	{ "feature not offered", PROBE2 "W070=0 W070=1 W070=3 W014=0 R010=200 W014=1 R010=1 "
	  "W024=0 W020=201 W024=1 W020=1 W070=b!features-not-offered R070=b" },
	{ "VERSION_1 not accepted", PROBE2 "W070=0 W070=1 W070=3 W014=0 R010=200 W014=1 R010=1 "
	  "W024=0 W020=200 W024=1 W020=0 W070=b!version-1-not-accepted R070=3" },
	{ "QueueNum above QueueNumMax", PROBE2 NEGOTIATE "W030=0 R034=10 W038=20!queue-num-above-max" },
	{ "QueueNum not a power of 2", PROBE2 NEGOTIATE "W030=0 R034=100 W038=3!queue-num-not-power-of-2" },
	{ "queue register written while ready", PROBE2 NEGOTIATE QUEUE0 "W038=10!queue-write-while-ready" },
	{ "ring misaligned", PROBE2 NEGOTIATE "W030=0 R034=100 W038=8 W080=40000008 W084=0 W090=40001000 W094=0 "
	  "W0a0=40002002 W0a4=0 W044=1!ring-misaligned" },
	{ "notify before DRIVER_OK", PROBE2 NEGOTIATE QUEUE0 "W050=0!notify-before-driver-ok" },
	{ "notify unknown queue", PROBE2 NEGOTIATE QUEUE0 DRIVER_OK "W050=5!notify-unknown-queue" },
	{ "InterruptACK undefined bits", PROBE2 NEGOTIATE QUEUE0 DRIVER_OK "R060=1 W064=5!interrupt-ack-undefined-bits" },
	{ "QueueReset without RING_RESET", PROBE2 NEGOTIATE QUEUE0 DRIVER_OK "W0c0=1!queue-reset-not-negotiated" },
	{ "QueueReady 0 not read back", PROBE2 NEGOTIATE QUEUE0 "W044=0 W030=1!queue-ready-not-read-back" },
	{ "legacy QueuePFN before GuestPageSize", PROBE1 "W070=0 W070=1 W070=3 W030=0 R040=0 R034=100 W038=8 "
	  "W03c=1000 W040=40000!legacy-pfn-before-page-size" },
	{ "legacy page size not a power of 2", PROBE1 "W070=0 W070=1 W070=3 W028=3000!legacy-page-size-not-power-of-2" },
	{ "legacy align not a power of 2", PROBE1 "W070=0 W070=1 W070=3 W028=1000 W030=0 W03c=3!legacy-align-not-power-of-2" },
	{ "legacy config read bytewise is fine", PROBE1 "W070=0 W070=1 W070=3 R100=0/1 R101=8/1 R102=0/1" },
};

struct expect {
	unsigned access; /* index of the access in the script */
	char rule[64];
};

/* Turn the script into events; fill the expected violations. */
static int run_script(sqlite3 *db, const char *script, struct expect *exp, unsigned *n_exp)
{
	struct decoder *dec;
	char err[256];
	char *copy = strdup(script), *save = NULL;
	unsigned seq = 0;

	*n_exp = 0;
	if (decoder_new(&dec, db, NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "decoder_new: %s\n", err);
		free(copy);
		return -1;
	}
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct vmt_event ev = { .type = VMT_EV_MMIO, .source = VMT_SRC_QEMU, .base = BASE, .width = 4 };
		char *p = tok + 1, *end;
		ev.dir = tok[0] == 'W' ? VMT_DIR_WRITE : VMT_DIR_READ;
		ev.addr = strtoull(p, &end, 16);
		if (*end != '=') {
			fprintf(stderr, "bad token '%s'\n", tok);
			decoder_free(dec);
			free(copy);
			return -1;
		}
		ev.value = strtoull(end + 1, &end, 16);
		if (*end == '/')
			ev.width = (uint8_t)strtoul(end + 1, &end, 10);
		while (*end == '!' && *n_exp < MAX_EXPECT) {
			char *rule = end + 1;
			end = strchr(rule, '!');
			size_t len = end ? (size_t)(end - rule) : strlen(rule);
			exp[*n_exp].access = seq;
			snprintf(exp[*n_exp].rule, sizeof(exp[0].rule), "%.*s", (int)len, rule);
			(*n_exp)++;
			if (!end)
				end = rule + len;
		}
		ev.seq = seq;
		ev.ts_ns = seq * 1000u;
		seq++;
		if (decoder_feed(dec, &ev) < 0) {
			fprintf(stderr, "decoder_feed: %s\n", decoder_error(dec));
			decoder_free(dec);
			free(copy);
			return -1;
		}
	}
	free(copy);
	int r = decoder_finish(dec, true, "normal");
	decoder_free(dec);
	return r;
}

static void check_scenario(const struct scenario *sc)
{
	const char *path = harness_tmpfile("violations.db");
	struct expect exp[MAX_EXPECT];
	unsigned n_exp;
	sqlite3 *db;
	char err[256];

	harness_case = sc->name;
	unlink(path);
	if (trace_db_create(&db, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		harness_failures++;
		return;
	}
	CHECK(run_script(db, sc->script, exp, &n_exp) == 0);

	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT seq, rule, message FROM violations ORDER BY seq, rowid", -1, &st, NULL) == SQLITE_OK);
	unsigned n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		unsigned seq = (unsigned)sqlite3_column_int64(st, 0);
		const char *rule = (const char *)sqlite3_column_text(st, 1);
		if (n < n_exp) {
			CHECK_STR(rule, exp[n].rule);
			CHECK_EQ_U(seq, exp[n].access);
		} else {
			fprintf(stderr, "[%s] unexpected violation at seq %u: %s: %s\n", sc->name, seq, rule,
				(const char *)sqlite3_column_text(st, 2));
			harness_failures++;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (n < n_exp) {
		fprintf(stderr, "[%s] expected %u violation(s), got %u (first missing: %s)\n", sc->name, n_exp, n, exp[n].rule);
		harness_failures++;
	}
	sqlite3_close(db);
	unlink(path);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		check_scenario(&scenarios[i]);
	return harness_finish("test_violations");
}
