/* What the file-format harnesses (schedule.c, mahimahi.c) share. */
#ifndef NPTE_FUZZ_H
#define NPTE_FUZZ_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

/* The bytes as a file the parser reads in chunks, as the live verb does. */
static inline int memfd_of(const void *buf, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || (n && write(fd, buf, n) != (ssize_t)n) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* One line of plain bytes: what a refusal may print (it reaches a terminal). */
static inline void err_ok(const char *err, size_t n)
{
	size_t len = strnlen(err, n);

	TRAP_UNLESS(len > 0 && len < n);
	for (size_t i = 0; i < len; i++)
		TRAP_UNLESS((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] <= 0x7e);
}

#endif
