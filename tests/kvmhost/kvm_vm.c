/* KVM plumbing of the test host (kvm_vm.h). */
#include "tests/kvmhost/kvm_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/kvmhost/kh_abi.h"

#define KVM_API_VERSION_EXPECTED 12 /* the only stable KVM API version */

static int unusable(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return KVM_VM_UNUSABLE;
}

int kvm_vm_open(struct kvm_vm *vm, char *err, size_t errlen)
{
	int r, mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return unusable(err, errlen, "cannot open /dev/kvm", errno);
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION_EXPECTED) {
		snprintf(err, errlen, "/dev/kvm speaks API version %d, not %d", r, KVM_API_VERSION_EXPECTED);
		return KVM_VM_UNUSABLE;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0) {
		snprintf(err, errlen, "/dev/kvm lacks KVM_CAP_USER_MEMORY");
		return KVM_VM_UNUSABLE;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return unusable(err, errlen, "KVM_CREATE_VM failed", errno);
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run))
		return unusable(err, errlen, "KVM_GET_VCPU_MMAP_SIZE failed", mmap_size < 0 ? errno : EINVAL);
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return unusable(err, errlen, "KVM_CREATE_VCPU failed", errno);
	vm->run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		r = -errno;
		vm->run = NULL;
		snprintf(err, errlen, "cannot map the vCPU's kvm_run page: %s", strerror(-r));
		return r;
	}
	vm->run_size = (size_t)mmap_size;
	return 0;
}

int kvm_vm_set_ram(struct kvm_vm *vm, uint64_t base, void *ram, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.flags = 0,
		.guest_phys_addr = base,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)ram,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	vm->ram = ram;
	vm->ram_base = base;
	vm->ram_size = size;
	return 0;
}

/* A GDT entry: base 0, limit 4 GiB (granularity 4 KiB), 32-bit, present,
 * ring 0, with the given type (0xa code execute/read, 0x2 data read/write). */
static uint64_t gdt_flat(uint8_t type)
{
	uint64_t e = 0;

	e |= 0xffffu;                     /* limit 15:0 */
	e |= (uint64_t)(0x90u | type) << 40; /* present, DPL 0, code/data, type */
	e |= (uint64_t)0xcfu << 48;       /* G, D/B, limit 19:16 = 0xf */
	return e;
}

static void seg_flat(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffffu;
	s->selector = selector;
	s->type = type | 1; /* accessed, as the CPU would have marked it */
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->l = 0;
	s->g = 1;
}

int kvm_vm_setup_flat32(struct kvm_vm *vm, uint32_t gdt_gpa, uint32_t entry, uint32_t stack, uint32_t ebx)
{
	uint64_t gdt[3] = { 0, gdt_flat(0xa), gdt_flat(0x2) };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (gdt_gpa < vm->ram_base || gdt_gpa - vm->ram_base > vm->ram_size - sizeof(gdt))
		return -EINVAL;
	/* The hidden segment state below is what the vCPU uses; the GDT in
	 * memory backs it for anything that reloads a selector. */
	memcpy(vm->ram + (gdt_gpa - vm->ram_base), gdt, sizeof(gdt));

	/* Start from the reset state (valid TR and LDTR), change what
	 * protected mode needs. */
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	seg_flat(&sregs.cs, KH_SEL_CODE, 0xa);
	seg_flat(&sregs.ds, KH_SEL_DATA, 0x2);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = gdt_gpa;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0; /* no interrupts; an exception shuts the VM down */
	sregs.cr0 = 0x11;    /* PE | ET: protected mode, no paging */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2; /* the always-one bit; IF clear */
	regs.rip = entry;
	regs.rsp = stack;
	regs.rbx = ebx;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int kvm_vm_add_ioeventfd(struct kvm_vm *vm, uint64_t gpa, uint32_t len, int *fd, char *err, size_t errlen)
{
	struct kvm_ioeventfd io;
	int efd, r;

	*fd = -1;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0) {
		snprintf(err, errlen, "/dev/kvm lacks KVM_CAP_IOEVENTFD");
		return KVM_VM_UNUSABLE;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-r));
		return r;
	}
	memset(&io, 0, sizeof(io));
	io.addr = gpa;
	io.len = len;
	io.fd = efd;
	io.flags = 0; /* MMIO, no datamatch: every len-byte write signals */
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_IOEVENTFD at 0x%llx: %s", (unsigned long long)gpa, strerror(-r));
		close(efd);
		return r;
	}
	*fd = efd;
	return 0;
}

int kvm_vm_run(struct kvm_vm *vm)
{
	return ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

uint64_t kvm_vm_rip(struct kvm_vm *vm)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return regs.rip;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	vm->run = NULL;
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}
