/* being written: ring and request decoding (see rings.h). Until then the
 * decoder records no chains, used entries or requests. */
#include "decoder/rings.h"

int rings_init(struct decoder *dec) { (void)dec; return 0; }
void rings_free(struct decoder *dec) { (void)dec; }
void rings_on_mem(struct decoder *dec, const struct vmt_event *ev) { (void)dec; (void)ev; }
struct dec_ring *rings_queue_live(struct decoder *dec, struct dec_device *d, unsigned q) { (void)dec; (void)d; (void)q; return NULL; }
void rings_queue_end(struct decoder *dec, struct dec_device *d, unsigned q) { (void)dec; (void)d; (void)q; }
void rings_on_notify(struct decoder *dec, struct dec_device *d, unsigned q) { (void)dec; (void)d; (void)q; }
void rings_on_interrupt(struct decoder *dec, struct dec_device *d, uint32_t status, bool status_read) { (void)dec; (void)d; (void)status; (void)status_read; }
void rings_finish(struct decoder *dec) { (void)dec; }
