/* The request decoders by device type id: one line per type the decoder
 * reads requests of.  Which queues carry requests is the device-type
 * table's word (devtype_queue.data); see req.h. */
#include "decoder/req.h"

#include <stddef.h>

/* req_blk.c, req_net.c, req_console.c, req_rng.c */
extern const struct req_decoder req_decoder_blk;
extern const struct req_decoder req_decoder_net;
extern const struct req_decoder req_decoder_console;
extern const struct req_decoder req_decoder_rng;
extern const struct req_decoder req_decoder_scsi;  /* req_scsi.c */
extern const struct req_decoder req_decoder_vsock; /* req_vsock.c */
extern const struct req_decoder req_decoder_input; /* req_input.c */
extern const struct req_decoder req_decoder_balloon; /* req_balloon.c */
extern const struct req_decoder req_decoder_9p; /* req_9p.c */
extern const struct req_decoder req_decoder_crypto; /* req_crypto.c */
extern const struct req_decoder req_decoder_gpu; /* req_gpu.c */

static const struct req_decoder *const decoders[] = {
	&req_decoder_net,
	&req_decoder_blk,
	&req_decoder_console,
	&req_decoder_rng,
	&req_decoder_scsi,
	&req_decoder_vsock,
	&req_decoder_input,
	&req_decoder_balloon,
	&req_decoder_9p,
	&req_decoder_crypto,
	&req_decoder_gpu,
};

const struct req_decoder *req_decoder_find(uint32_t device_id)
{
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (decoders[i]->device_id == device_id)
			return decoders[i];
	return NULL;
}
