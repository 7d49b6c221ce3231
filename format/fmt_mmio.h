/* Register accesses as text: the register's name in the device's layout
 * and what the value means (status bits, the feature names of the
 * selected word, config field names of the device type, queue and
 * interrupt bits).  The device state given is the state *before* the
 * access (fmt_event formats, then tracks). */
#ifndef VMTRACE_FORMAT_FMT_MMIO_H
#define VMTRACE_FORMAT_FMT_MMIO_H

struct fmt_out;
struct fmt_device;
struct vmt_event;

/* Column widths of an access: "W DriverFeatures    4 0x00000001 word 1: VERSION_1" */
#define FMT_REG_COL 17   /* register name */
#define FMT_VALUE_COL 10 /* "0x" and 8 digits */

/* Append "R|W NAME WIDTH VALUE [MEANING]" for an MMIO event of d (NULL:
 * a device nothing is known about, named in the modern layout).  Values
 * are shown with 2 * width hex digits; no trailing blank. */
void fmt_mmio(struct fmt_out *o, const struct fmt_device *d, const struct vmt_event *ev);

/* Append only the meaning of the value ("" when there is nothing to say). */
void fmt_mmio_meaning(struct fmt_out *o, const struct fmt_device *d, const struct vmt_event *ev);

/* Append the name of the config field(s) an access of width bytes at off
 * (from the start of config space) touches: "blk_size", "capacity+4",
 * "geometry.cylinders..geometry.sectors"; nothing if the device type's
 * layout is unknown or no field is there. */
void fmt_config_field(struct fmt_out *o, unsigned device_id, unsigned off, unsigned width);

/* Append the names of the features in 32-bit word `word` (bit = word * 32
 * + i): "word 1: VERSION_1 bit40", "word 0: none". */
void fmt_features_word(struct fmt_out *o, unsigned device_id, unsigned word, unsigned bits);

#endif
