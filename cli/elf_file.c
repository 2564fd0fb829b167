/* What the command reads of an ELF file (elf_file.h). */
#include "elf_file.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__i386__)
#define NATIVE_MACHINE EM_386
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__arm__)
#define NATIVE_MACHINE EM_ARM
#elif defined(__riscv)
#define NATIVE_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define NATIVE_MACHINE EM_PPC64
#elif defined(__powerpc__)
#define NATIVE_MACHINE EM_PPC
#elif defined(__s390x__)
#define NATIVE_MACHINE EM_S390
#elif defined(__loongarch__)
#define NATIVE_MACHINE EM_LOONGARCH
#else
#error "elf_file.c: add this machine's EM_* value"
#endif

_Static_assert(sizeof(native_ehdr) == (NATIVE_CLASS == ELFCLASS64 ? 64 : 52),
	       "the ELF header type does not match the machine's class");
_Static_assert(sizeof(void *) == (NATIVE_CLASS == ELFCLASS64 ? 8 : 4),
	       "the ELF class does not match the pointer size");

/* Bounds on what a damaged or hostile file can make us read. */
#define MAX_PROGRAM_HEADERS 256
#define MAX_DYNAMIC_ENTRIES 4096

const char *notw_elf_read_native(int fd, native_ehdr *eh)
{
	if (pread(fd, eh, sizeof *eh, 0) != (ssize_t)sizeof *eh)
		return "not an ELF file (too short or unreadable)";
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return "not an ELF file";
	if (eh->e_ident[EI_CLASS] != NATIVE_CLASS)
		return "an ELF file of the other word size (32/64-bit)";
	if (eh->e_ident[EI_DATA] != NATIVE_DATA)
		return "an ELF file of the other byte order";
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return "an ELF file of an unknown version";
	if (eh->e_machine != NATIVE_MACHINE)
		return "an ELF file for another machine";
	return NULL;
}

bool notw_elf_has_segment(int fd, const native_ehdr *eh, unsigned type, native_phdr *found)
{
	if (eh->e_phentsize < sizeof(native_phdr))
		return false;
	for (unsigned i = 0; i < eh->e_phnum && i < MAX_PROGRAM_HEADERS; i++) {
		native_phdr ph;
		off_t at = (off_t)eh->e_phoff + (off_t)i * eh->e_phentsize;
		if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
			return false;
		if (ph.p_type == type) {
			if (found != NULL)
				*found = ph;
			return true;
		}
	}
	return false;
}

bool notw_elf_is_pie(int fd, const native_ehdr *eh)
{
	native_phdr dynamic;
	if (eh->e_type != ET_DYN || !notw_elf_has_segment(fd, eh, PT_DYNAMIC, &dynamic))
		return false;
	size_t n = dynamic.p_filesz / sizeof(native_dyn);
	for (size_t i = 0; i < n && i < MAX_DYNAMIC_ENTRIES; i++) {
		native_dyn d;
		off_t at = (off_t)dynamic.p_offset + (off_t)(i * sizeof d);
		if (pread(fd, &d, sizeof d, at) != (ssize_t)sizeof d || d.d_tag == DT_NULL)
			return false;
		if (d.d_tag == DT_FLAGS_1)
			return (d.d_un.d_val & DF_1_PIE) != 0;
	}
	return false;
}

/* An unsigned field of n bytes (2, 4 or 8) in the file's byte order. */
static uint64_t field(const unsigned char *p, size_t n, bool big_endian)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[big_endian ? i : n - 1 - i];
	return v;
}

enum notw_elf_linking notw_elf_linking(int fd)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	ssize_t got = pread(fd, h, sizeof h, 0);
	if (got < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return NOTW_ELF_NONE;
	bool wide = h[EI_CLASS] == ELFCLASS64, big = h[EI_DATA] == ELFDATA2MSB;
	if ((!wide && h[EI_CLASS] != ELFCLASS32) || (!big && h[EI_DATA] != ELFDATA2LSB) ||
	    (wide && got < (ssize_t)sizeof(Elf64_Ehdr)))
		return NOTW_ELF_NONE;
	/* e_phoff, e_phentsize, e_phnum: at their offsets in each class. */
	uint64_t phoff = wide ? field(h + 32, 8, big) : field(h + 28, 4, big);
	uint64_t phentsize = field(h + (wide ? 54 : 42), 2, big);
	uint64_t phnum = field(h + (wide ? 56 : 44), 2, big);
	for (uint64_t i = 0; i < phnum && i < MAX_PROGRAM_HEADERS; i++) {
		unsigned char type[4];
		if (pread(fd, type, sizeof type, (off_t)(phoff + i * phentsize)) != (ssize_t)sizeof type)
			break;
		if (field(type, sizeof type, big) == PT_INTERP)
			return NOTW_ELF_DYNAMIC;
	}
	return NOTW_ELF_STATIC;
}
