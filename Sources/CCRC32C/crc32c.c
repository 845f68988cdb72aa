#include "CCRC32C.h"

#include <string.h>

// The reflected Castagnoli polynomial 0x1EDC6F41.
#define EXACTLY_CRC32C_POLYNOMIAL 0x82F63B78u

/// Table `k` (entries 256·k ..< 256·(k+1)) advances a byte through `k` further zero bytes:
/// slicing-by-8, eight lookups per eight bytes, for CPUs without the instruction.
static uint32_t slicing_tables[8 * 256];

__attribute__((constructor)) static void build_slicing_tables(void) {
        for (uint32_t byte = 0; byte < 256; byte++) {
                uint32_t crc = byte;
                for (int bit = 0; bit < 8; bit++) {
                        crc = (crc & 1) ? (crc >> 1) ^ EXACTLY_CRC32C_POLYNOMIAL : crc >> 1;
                }
                slicing_tables[byte] = crc;
        }
        for (uint32_t byte = 0; byte < 256; byte++) {
                for (int slice = 1; slice < 8; slice++) {
                        uint32_t previous = slicing_tables[(slice - 1) * 256 + byte];
                        slicing_tables[slice * 256 + byte] = slicing_tables[previous & 0xFF] ^ (previous >> 8);
                }
        }
}

static uint32_t update_with_tables(uint32_t crc, const unsigned char *bytes, size_t count) {
        const uint32_t *t = slicing_tables;
        while (count >= 8) {
                uint32_t low, high;
                memcpy(&low, bytes, 4);  // unaligned loads; little-endian hosts only (x86-64, arm64)
                memcpy(&high, bytes + 4, 4);
                low ^= crc;
                crc = t[7 * 256 + (low & 0xFF)] ^ t[6 * 256 + ((low >> 8) & 0xFF)]
                        ^ t[5 * 256 + ((low >> 16) & 0xFF)] ^ t[4 * 256 + (low >> 24)]
                        ^ t[3 * 256 + (high & 0xFF)] ^ t[2 * 256 + ((high >> 8) & 0xFF)]
                        ^ t[1 * 256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
                bytes += 8;
                count -= 8;
        }
        while (count > 0) {
                crc = t[(crc ^ *bytes) & 0xFF] ^ (crc >> 8);
                bytes++;
                count--;
        }
        return crc;
}

#if defined(__x86_64__)
// Compiled for SSE 4.2 on its own, so that the rest of the target (and a CPU without it) never
// meets the instruction; chosen at run time below.
__attribute__((target("sse4.2"))) static uint32_t update_with_instruction(uint32_t crc, const unsigned char *bytes,
                                                                          size_t count) {
        uint64_t wide = crc;
        while (count >= 8) {
                uint64_t word;
                memcpy(&word, bytes, 8);
                wide = __builtin_ia32_crc32di(wide, word);
                bytes += 8;
                count -= 8;
        }
        crc = (uint32_t)wide;
        while (count > 0) {
                crc = __builtin_ia32_crc32qi(crc, *bytes);
                bytes++;
                count--;
        }
        return crc;
}
#endif

uint32_t exactly_crc32c_update(uint32_t state, const void *bytes, size_t count) {
#if defined(__x86_64__)
        if (__builtin_cpu_supports("sse4.2")) {
                return update_with_instruction(state, bytes, count);
        }
#endif
        return update_with_tables(state, bytes, count);
}

uint32_t exactly_crc32c_update_with_tables(uint32_t state, const void *bytes, size_t count) {
        return update_with_tables(state, bytes, count);
}
