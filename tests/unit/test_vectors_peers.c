/*
 * test_vectors_peers.c: the tricky inputs of reference/peers.md part (b).
 */
#include "vectors.h"

int
main(void)
{
	const struct CMUnitTest tests[] = {
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
