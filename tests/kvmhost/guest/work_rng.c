/* virtio-rng work: ask for KH_RNG_BYTES random bytes into a zeroed
 * buffer; the device must fill some, and not with zeros only. */
#include "virtio/virtio.h"
#include "tests/kvmhost/guest/glib.h"
#include "tests/kvmhost/guest/vio.h"
#include "tests/kvmhost/guest/work.h"
#include "tests/kvmhost/kh_abi.h"

static uint32_t rng_setup(struct vio_dev *d __attribute__((unused)))
{
	return 0;
}

static uint32_t rng_io(struct vio_dev *d)
{
	uint32_t buf = galloc(KH_RNG_BYTES, 64);
	uint32_t len, r;
	uint8_t any = 0;

	if (!buf)
		return vio_fail(d, STEP_NO_MEMORY, "rng buffer", 0, 0);
	vio_submit(d, 0, &(struct vio_buf){ buf, KH_RNG_BYTES, true }, 1);
	vio_notify(d, 0);
	if ((r = vio_wait(d, 0, &len)) != 0)
		return r;
	if (len == 0 || len > KH_RNG_BYTES)
		return vio_fail(d, STEP_RNG_LEN, "rng length", len, KH_RNG_BYTES);
	for (uint32_t i = 0; i < len; i++)
		any |= ((volatile uint8_t *)buf)[i];
	if (!any)
		return vio_fail(d, STEP_RNG_DATA, "rng bytes all zero", len, 0);
	return 0;
}

const struct work_ops work_rng = {
	.name = "rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.want_lo = 0,
	.n_queues = 1,
	.setup = rng_setup,
	.io = rng_io,
};
