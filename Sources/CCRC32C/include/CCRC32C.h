// CRC-32C (Castagnoli), shared by the checkpoint files (Checkpointing) and Kafka record batches
// (DevBroker). In C because Swift cannot reach the CPU's CRC32 instruction.
#ifndef EXACTLY_CCRC32C_H
#define EXACTLY_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Adds `count` bytes at `bytes` to a running CRC-32C. `state` starts at 0xFFFFFFFF; the checksum
/// is the final state inverted (`~state`).
///
/// Uses the SSE 4.2 `crc32` instruction where the CPU has it (about 8 bytes per cycle per
/// stream), a table otherwise.
uint32_t exactly_crc32c_update(uint32_t state, const void *bytes, size_t count);

/// The same with the tables only, whatever the CPU has: for tests, which compare the two.
uint32_t exactly_crc32c_update_with_tables(uint32_t state, const void *bytes, size_t count);

#endif
