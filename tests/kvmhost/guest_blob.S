/* The guest image (guest/guest.bin, built by meson) inside kvmhost, so the
 * host needs no file at run time.  KH_GUEST_BIN is its path. */
	.section .rodata
	.balign 16
	.globl kh_guest_image
	.globl kh_guest_image_end
kh_guest_image:
	.incbin KH_GUEST_BIN
kh_guest_image_end:

	.section .note.GNU-stack, "", @progbits
