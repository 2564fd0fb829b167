/* Linked against early_lib, whose constructor does the work. */
#include <stdio.h>

int early_lib_present(void);

int main(void)
{
	printf("main: early_lib %s\n", early_lib_present() ? "loaded" : "missing");
	return 0;
}
