/* The rule catalogue (virtio/rules.c) is an interface: rule keys and spec
 * sections are stored in every trace.db (violations.rule, .section), in
 * raw traces (by id), and scripts select on them.  This test pins every
 * entry (id, key, section, severity, actor): changing one, or adding a rule
 * without a row here, fails.  It also checks each cited section against the
 * virtio spec's section labels (spec_sections below). */
#include <stdbool.h>
#include <string.h>

#include "virtio/rules.h"
#include "tests/harness.h"

/* The sections as rules.c cites them: a transport section without its
 * "Virtio Transport Options / " prefix, a normative block with ": driver
 * requirements" or ": device requirements" after its section. */
#define SEC_LAYOUT_DRV "Virtio Over MMIO / MMIO Device Register Layout: driver requirements"
#define SEC_LAYOUT_DEV "Virtio Over MMIO / MMIO Device Register Layout: device requirements"
#define SEC_INIT_MMIO "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Device Initialization"
#define SEC_INIT_GEN "General Initialization And Device Operation / Device Initialization"
#define SEC_STATUS "Basic Facilities of a Virtio Device / Device Status Field"
#define SEC_FEATURES "Basic Facilities of a Virtio Device / Feature Bits"
#define SEC_VQ_CONFIG "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Virtqueue Configuration"
#define SEC_VQ_RESET "Basic Facilities of a Virtio Device / Virtqueues / Virtqueue Reset"
#define SEC_SPLIT "Basic Facilities of a Virtio Device / Split Virtqueues"
#define SEC_DESC "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table"
#define SEC_INDIRECT "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors"
#define SEC_AVAIL "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Available Ring"
#define SEC_USED "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Used Ring"
#define SEC_LEGACY "Virtio Over MMIO / Legacy interface"
#define SEC_NOTIFY "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Available Buffer Notifications"
#define SEC_DEV_NOTIFY "Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Notifications From The Device"
#define SEC_CONFIG "Basic Facilities of a Virtio Device / Device Configuration Space"
#define SEC_DEVICE_TYPES "Device Types"
#define SEC_NONE ""

struct pinned {
	enum rule_id id;
	const char *key;
	const char *section;
	enum rule_severity severity;
	enum rule_actor actor;
};

/* Append a row with each new rule; never edit a row (a key or section
 * change breaks every trace.db and script that names the rule). */
static const struct pinned pinned[] = {
	{ RULE_NONE, "none", SEC_NONE, RULE_INFO, RULE_BY_DRIVER },
	{ RULE_REG_WIDTH, "register-width", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_REG_ALIGN, "register-alignment", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_CONFIG_WIDTH, "config-access-width", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_WRITE_READ_ONLY, "write-read-only", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_READ_WRITE_ONLY, "read-write-only", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_UNDEFINED_OFFSET, "undefined-offset", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_INIT_ORDER, "init-order", SEC_INIT_MMIO, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_DEVICE_ID_ZERO, "device-id-zero", SEC_INIT_MMIO, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_DEVICE_FEATURES_SEL, "device-features-sel", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_DRIVER_FEATURES_SEL, "driver-features-sel", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_STATUS_ORDER, "status-order", SEC_INIT_GEN, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_STATUS_CLEARED, "status-cleared", SEC_STATUS, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_FEATURES_OK_NOT_REREAD, "features-ok-not-reread", SEC_INIT_GEN, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_FEATURES_NOT_OFFERED, "features-not-offered", SEC_FEATURES, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_VERSION_1_NOT_ACCEPTED, "version-1-not-accepted", SEC_FEATURES, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_FEATURES_AFTER_FEATURES_OK, "features-after-features-ok", SEC_INIT_GEN, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_NUM_ABOVE_MAX, "queue-num-above-max", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_NUM_NOT_POW2, "queue-num-not-power-of-2", SEC_SPLIT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_WRITE_WHILE_READY, "queue-write-while-ready", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_SEL_RANGE, "queue-sel-unavailable", SEC_VQ_CONFIG, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_RESET_NOT_NEGOTIATED, "queue-reset-not-negotiated", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_MISALIGNED, "ring-misaligned", SEC_SPLIT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_OUTSIDE_MEMORY, "ring-outside-memory", SEC_SPLIT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_QUEUE_NUM_ZERO, "queue-num-zero", SEC_VQ_CONFIG, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_LEGACY_PFN_BEFORE_PAGE_SIZE, "legacy-pfn-before-page-size", SEC_LEGACY, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_LEGACY_PAGE_SIZE_NOT_POW2, "legacy-page-size-not-power-of-2", SEC_LEGACY, RULE_WARNING, RULE_BY_DRIVER },
	{ RULE_LEGACY_ALIGN_NOT_POW2, "legacy-align-not-power-of-2", SEC_LEGACY, RULE_WARNING, RULE_BY_DRIVER },
	{ RULE_NOTIFY_BEFORE_DRIVER_OK, "notify-before-driver-ok", SEC_INIT_GEN, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_NOTIFY_UNKNOWN_QUEUE, "notify-unknown-queue", SEC_NOTIFY, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_INTERRUPT_ACK_UNDEFINED, "interrupt-ack-undefined-bits", SEC_LAYOUT_DRV, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_CONFIG_WRITE_BEFORE_FEATURES_OK, "config-write-before-features-ok", SEC_INIT_GEN, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_HEAD_RANGE, "ring-head-out-of-range", SEC_AVAIL, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_NEXT_RANGE, "ring-next-out-of-range", SEC_DESC, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_CHAIN_LOOP, "ring-chain-too-long", SEC_DESC, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_AVAIL_JUMP, "ring-avail-idx-jump", SEC_AVAIL, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_BUFFER_OUTSIDE_MEMORY, "ring-buffer-outside-memory", SEC_DESC, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_INDIRECT_NOT_NEGOTIATED, "ring-indirect-not-negotiated", SEC_INDIRECT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_INDIRECT_LEN, "ring-indirect-length", SEC_INDIRECT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_INDIRECT_NESTED, "ring-indirect-nested", SEC_INDIRECT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_INDIRECT_WITH_NEXT, "ring-indirect-with-next", SEC_INDIRECT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_WRITE_BEFORE_READ, "ring-readable-after-writable", SEC_DESC, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_REQUEST_MALFORMED, "request-malformed", SEC_DEVICE_TYPES, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_DEV_INTERRUPT_SPURIOUS, "device-interrupt-spurious", SEC_LAYOUT_DEV, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_DEV_USED_IDX_BACKWARDS, "device-used-idx-backwards", SEC_USED, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_DEV_USED_ID_NOT_IN_FLIGHT, "device-used-id-not-in-flight", SEC_USED, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_DEV_USED_LEN_TOO_LONG, "device-used-len-too-long", SEC_USED, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_DEV_BAD_MAGIC, "device-bad-magic", SEC_LAYOUT_DEV, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_DEV_BAD_VERSION, "device-bad-version", SEC_LAYOUT_DEV, RULE_ERROR, RULE_BY_DEVICE },
	{ RULE_QUEUE_READY_NOT_READ_BACK, "queue-ready-not-read-back", SEC_LAYOUT_DRV, RULE_WARNING, RULE_BY_DRIVER },
	{ RULE_SHM_UNEXPECTED, "shm-unexpected", SEC_INIT_MMIO, RULE_INFO, RULE_BY_DRIVER },
	{ RULE_RING_OVERLAP, "ring-areas-overlap", SEC_SPLIT, RULE_ERROR, RULE_BY_DRIVER },
	{ RULE_RING_COPY_TORN, "ring-copy-torn", SEC_SPLIT, RULE_WARNING, RULE_BY_DEVICE },
	{ RULE_RING_PACKED_NOT_AVAIL, "ring-packed-desc-not-avail", "Basic Facilities of a Virtio Device / Packed Virtqueues", RULE_WARNING, RULE_BY_DRIVER },
};

/* The virtio spec's section labels (\label{sec:...} in the spec's LaTeX
 * sources, virtio 1.2/1.3) that rules may cite.  The transport ones appear in
 * ../shared/reference/virtio-mmio-transport.tex; the others are in
 * content.tex and split-ring.tex of the spec.  drv / dev: the
 * spec has a driver / device normative block for the section. */
static const struct {
	const char *label;
	bool drv, dev;
} spec_sections[] = {
	{ "Virtio Transport Options / Virtio Over MMIO / MMIO Device Register Layout", true, true },
	{ "Virtio Transport Options / Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Device Initialization", true, false },
	{ "Virtio Transport Options / Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Virtqueue Configuration", false, false },
	{ "Virtio Transport Options / Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Available Buffer Notifications", false, false },
	{ "Virtio Transport Options / Virtio Over MMIO / MMIO-specific Initialization And Device Operation / Notifications From The Device", true, false },
	{ "Virtio Transport Options / Virtio Over MMIO / Legacy interface", false, false },
	{ "General Initialization And Device Operation / Device Initialization", true, false },
	{ "Basic Facilities of a Virtio Device / Device Status Field", true, true },
	{ "Basic Facilities of a Virtio Device / Feature Bits", true, true },
	{ "Basic Facilities of a Virtio Device / Device Configuration Space", true, true },
	{ "Basic Facilities of a Virtio Device / Virtqueues / Virtqueue Reset", false, false },
	{ "Basic Facilities of a Virtio Device / Split Virtqueues", false, false },
	{ "Basic Facilities of a Virtio Device / Packed Virtqueues", false, false },
	{ "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table", true, true },
	{ "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Descriptor Table / Indirect Descriptors", true, true },
	{ "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Available Ring", true, false },
	{ "Basic Facilities of a Virtio Device / Virtqueues / The Virtqueue Used Ring", true, true },
	{ "Device Types", false, false },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_pinned(void)
{
	CHECK_EQ_U(RULE_COUNT, N(pinned));
	for (size_t i = 0; i < N(pinned); i++) {
		const struct pinned *p = &pinned[i];
		const struct rule_info *r = rule_lookup(p->id);
		CHECK_EQ_U(p->id, i);
		CHECK_EQ_U(r->id, p->id);
		CHECK_STR(r->key, p->key);
		CHECK_STR(r->section, p->section);
		CHECK_EQ_U(r->severity, p->severity);
		CHECK_EQ_U(r->actor, p->actor);
		CHECK(r->summary && r->summary[0]);
	}
}

/* Keys are unique, kebab-case, and never the placeholder of an unknown id. */
static void test_keys(void)
{
	for (uint32_t i = 0; i < RULE_COUNT; i++) {
		const char *k = rule_lookup(i)->key;
		CHECK(k[0] >= 'a' && k[0] <= 'z');
		for (const char *c = k; *c; c++)
			CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || (*c == '-' && c[1] && c[1] != '-'));
		CHECK(strcmp(k, "unknown-rule") != 0);
		for (uint32_t j = 0; j < i; j++)
			CHECK(strcmp(k, rule_lookup(j)->key) != 0);
	}
	/* Ids come from untrusted raw traces. */
	CHECK_STR(rule_lookup(RULE_COUNT)->key, "unknown-rule");
	CHECK_STR(rule_lookup(UINT32_MAX)->key, "unknown-rule");
	CHECK_STR(rule_severity_name(RULE_INFO), "info");
	CHECK_STR(rule_severity_name(RULE_WARNING), "warning");
	CHECK_STR(rule_severity_name(RULE_ERROR), "error");
}

/* Does cited name a spec section (or one of its normative blocks)? */
static bool section_known(const char *cited)
{
	static const char transport[] = "Virtio Transport Options / ";
	static const char drv[] = ": driver requirements", dev[] = ": device requirements";
	char label[256];
	size_t n = strlen(cited);
	int norm = 0;

	if (n > sizeof(drv) - 1 && strcmp(cited + n - (sizeof(drv) - 1), drv) == 0) {
		n -= sizeof(drv) - 1;
		norm = 1;
	} else if (n > sizeof(dev) - 1 && strcmp(cited + n - (sizeof(dev) - 1), dev) == 0) {
		n -= sizeof(dev) - 1;
		norm = 2;
	}
	bool mmio = strncmp(cited, "Virtio Over MMIO", 16) == 0;
	if (snprintf(label, sizeof(label), "%s%.*s", mmio ? transport : "", (int)n, cited) >= (int)sizeof(label))
		return false;
	for (size_t i = 0; i < N(spec_sections); i++) {
		if (strcmp(label, spec_sections[i].label) != 0)
			continue;
		return norm == 0 || (norm == 1 && spec_sections[i].drv) || (norm == 2 && spec_sections[i].dev);
	}
	return false;
}

static void test_sections(void)
{
	for (uint32_t i = 1; i < RULE_COUNT; i++) {
		const char *s = rule_lookup(i)->section;
		if (!section_known(s)) {
			fprintf(stderr, "rule %s cites '%s', not a section of the virtio spec\n", rule_lookup(i)->key, s);
			harness_failures++;
		}
	}
}

int main(void)
{
	RUN(test_pinned);
	RUN(test_keys);
	RUN(test_sections);
	return harness_finish("test_rules");
}
