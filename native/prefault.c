/*
 * strata prefault: populate the binary's writable segment in one madvise instead of one page fault per
 * page. NativeAOT's start-up decompresses its type data into .hydrated (~1 MB of .bss-like memory), and
 * on virtual machines a page fault costs several microseconds: MADV_POPULATE_WRITE (Linux 5.14) maps
 * the same pages in a single call (about a third of the start-up's faults). Older kernels refuse the
 * advice with EINVAL; nothing else changes.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int populate_writable(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	long page = sysconf(_SC_PAGESIZE);
	/* The loader has already made the RELRO part read-only, and populating for write fails on it. */
	uintptr_t relro_end = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_RELRO)
			relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(page - 1);
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
		if (start < relro_end)
			start = relro_end;
		if (start < end)
			madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
	/* The first entry is the executable itself; the shared libraries are not ours to touch. */
	return 1;
}

void strata_prefault(void)
{
	dl_iterate_phdr(populate_writable, NULL);
}

__attribute__((constructor(101))) static void strata_prefault_at_start(void)
{
	/* The namespace stage forks the container's init: populated here, the pages would be shared
	 * copy-on-write and every first write in the init would fault again, to copy. nsexec.c populates
	 * them in the init, after the fork. */
	const char *initpipe = getenv("_STRATA_INITPIPE");
	if (initpipe == NULL || *initpipe == '\0')
		strata_prefault();
}
