/* Prints a line. Built twice (tests/progs/meson.build): linked statically,
 * so that the dynamic loader never runs and no preload either (notw run
 * refuses it), and as a position-independent executable (notw enable
 * refuses it as a library). */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
