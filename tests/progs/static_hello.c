/* Linked statically: the dynamic loader never runs, so no preload either. */
#include <stdio.h>

int main(void)
{
	puts("static hello");
	return 0;
}
