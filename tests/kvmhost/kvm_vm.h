/* The KVM plumbing of the test host: /dev/kvm, one VM with one memory
 * slot, one vCPU started in 32-bit protected mode (flat segments, no
 * paging, interrupts off), ioeventfds, KVM_RUN.  No interrupt controller
 * is created: the guest polls, and HLT comes back to user space as
 * KVM_EXIT_HLT. */
#ifndef VMTRACE_KVMHOST_KVM_VM_H
#define VMTRACE_KVMHOST_KVM_VM_H

#include <stddef.h>
#include <stdint.h>

struct kvm_run;

/* Positive result: /dev/kvm is absent or cannot run this VM (the test
 * skips); the reason is in the caller's err buffer. */
#define KVM_VM_UNUSABLE 1

struct kvm_vm {
	int kvm_fd;           /* /dev/kvm, -1 when closed */
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;  /* the vCPU's shared page (mmap of vcpu_fd) */
	size_t run_size;
	uint8_t *ram;         /* guest RAM at gpa ram_base; borrowed (the caller owns the mapping) */
	uint64_t ram_base;
	uint64_t ram_size;
};

/* Open /dev/kvm, check the API version and the capabilities the host
 * needs, create the VM and its vCPU.  Returns 0, KVM_VM_UNUSABLE with a
 * one-line reason in err, or a negative errno (with err filled too). */
int kvm_vm_open(struct kvm_vm *vm, char *err, size_t errlen);

/* Map size bytes at host address ram (page-aligned, e.g. from mmap) as
 * guest RAM at gpa base, slot 0.  Returns 0 or a negative errno. */
int kvm_vm_set_ram(struct kvm_vm *vm, uint64_t base, void *ram, uint64_t size);

/* Write a flat GDT (null, code KH_SEL_CODE, data KH_SEL_DATA) at gdt_gpa
 * in guest RAM and start the vCPU in 32-bit protected mode at entry with
 * the given stack; ebx carries a value to the guest.  Returns 0 or a
 * negative errno. */
int kvm_vm_setup_flat32(struct kvm_vm *vm, uint32_t gdt_gpa, uint32_t entry, uint32_t stack, uint32_t ebx);

/* Register an ioeventfd for len-byte writes to gpa with any value (no
 * datamatch).  *fd gets a non-blocking eventfd the caller owns.  Returns 0,
 * KVM_VM_UNUSABLE (no KVM_CAP_IOEVENTFD, reason in err) or a negative errno. */
int kvm_vm_add_ioeventfd(struct kvm_vm *vm, uint64_t gpa, uint32_t len, int *fd, char *err, size_t errlen);

/* One KVM_RUN. Returns 0 (look at vm->run->exit_reason) or a negative
 * errno (-EINTR when a signal arrived). */
int kvm_vm_run(struct kvm_vm *vm);

/* The vCPU's instruction pointer, for reports (0 if unavailable). */
uint64_t kvm_vm_rip(struct kvm_vm *vm);

/* Close everything kvm_vm_open opened (also after it failed). */
void kvm_vm_close(struct kvm_vm *vm);

#endif
