/* What the notw command reads of an ELF file: whether this machine's
 * loader could load it, whether it asks for an interpreter (a dynamically
 * linked program), and whether it is a position-independent executable. */
#ifndef NOTW_CLI_ELF_FILE_H
#define NOTW_CLI_ELF_FILE_H

#include <elf.h>
#include <stdbool.h>

/* The ELF types of this machine's word size. */
#if __SIZEOF_POINTER__ == 8
typedef Elf64_Ehdr native_ehdr;
typedef Elf64_Phdr native_phdr;
typedef Elf64_Dyn native_dyn;
#define NATIVE_CLASS ELFCLASS64
#elif __SIZEOF_POINTER__ == 4
typedef Elf32_Ehdr native_ehdr;
typedef Elf32_Phdr native_phdr;
typedef Elf32_Dyn native_dyn;
#define NATIVE_CLASS ELFCLASS32
#else
#error "elf_file.h: neither a 32-bit nor a 64-bit machine"
#endif

/* What the kernel does with a file, read from its ELF header whatever
 * its class (32/64-bit) or byte order. */
enum notw_elf_linking {
	NOTW_ELF_NONE,    /* not an ELF file */
	NOTW_ELF_STATIC,  /* ELF without an interpreter: no dynamic loader runs,
	                   * so nothing is ever preloaded */
	NOTW_ELF_DYNAMIC, /* ELF with an interpreter (PT_INTERP) */
};
enum notw_elf_linking notw_elf_linking(int fd);

/* Reads the header of the file open on fd. NULL when it is an ELF file
 * this machine can run, else what is wrong with it ("not an ELF file",
 * "an ELF file for another machine", ...). */
const char *notw_elf_read_native(int fd, native_ehdr *eh);

/* The file has a program header of this type (PT_INTERP, PT_DYNAMIC...). */
bool notw_elf_has_segment(int fd, const native_ehdr *eh, unsigned type, native_phdr *found);

/* A position-independent executable: ET_DYN like a library, but flagged
 * DF_1_PIE, which the loader refuses to preload. */
bool notw_elf_is_pie(int fd, const native_ehdr *eh);

#endif
