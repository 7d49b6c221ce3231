#include "tests/harness.h"
int main(void)
{
	return harness_finish("test_console");
}
