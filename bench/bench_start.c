/* The subject of the start-up measurement in scripts/bench: a program that
 * only returns from main, so that what callgrind and strace count beyond
 * the same program with an empty library preloaded is what loading and
 * starting libnotw costs every program on the machine. */
int main(void)
{
	return 0;
}
