/* CRC32C: published check values, and the instruction path agreeing with
 * the table path at every length and alignment. */
#include "tests/harness.h"

#include "capture/crc32c.h"

static void test_known_values(void)
{
	uint8_t buf[32];

	/* "123456789" is the catalogue check value of CRC-32C. */
	CHECK_EQ_U(crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ_U(crc32c_sw(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ_U(crc32c(0, "", 0), 0);
	/* RFC 3720 (iSCSI) appendix B.4 vectors. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_U(crc32c(0, buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_U(crc32c(0, buf, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CHECK_EQ_U(crc32c(0, buf, 32), 0x46dd794eu);
	CHECK_EQ_U(crc32c_sw(0, buf, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	CHECK_EQ_U(crc32c(0, buf, 32), 0x113fdb5cu);
}

static void test_hw_matches_sw(void)
{
	static uint8_t buf[4096 + 16];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len < 300; len++)
			CHECK_EQ_U(crc32c(0, buf + align, len), crc32c_sw(0, buf + align, len));
	CHECK_EQ_U(crc32c(0, buf + 3, 4096), crc32c_sw(0, buf + 3, 4096));
	/* Chaining: the CRC of a+b equals continuing the CRC of a with b. */
	for (size_t cut = 0; cut <= 100; cut += 7)
		CHECK_EQ_U(crc32c(crc32c(0, buf, cut), buf + cut, 100 - cut), crc32c(0, buf, 100));
	printf("crc32c: %s path\n", crc32c_hw_available() ? "sse4.2" : "table");
}

int main(void)
{
	RUN(test_known_values);
	RUN(test_hw_matches_sw);
	return harness_finish("test_crc32c");
}
