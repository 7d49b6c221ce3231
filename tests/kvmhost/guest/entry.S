/* Entry of the freestanding guest: the host starts the vCPU here in 32-bit
 * protected mode with flat segments, no paging and interrupts off
 * (kvmhost.c).  Set the stack, run the driver, report its result on
 * KH_PORT_RESULT and halt; a halted vCPU is KVM_EXIT_HLT for the host. */
#include "tests/kvmhost/kh_abi.h"

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	movl	$KH_STACK_TOP, %esp
	xorl	%ebp, %ebp
	cld
	call	guest_main
	movw	$KH_PORT_RESULT, %dx
	outl	%eax, %dx
1:	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
