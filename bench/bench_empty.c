/* The limit of the start-up measurement: a shared library with nothing in
 * it, preloaded instead of libnotw (what the dynamic loader pays for any
 * preloaded library). */
int bench_empty_library;
