// A hint to the CPU to start loading a cache line that will be read soon, for Swift, which has no
// prefetch of its own. Static inline, so that Swift code calling it compiles to one instruction
// (`prefetcht0` on x86-64, `prfm` on ARM), not a call.
#ifndef EXACTLY_C_PREFETCH_H
#define EXACTLY_C_PREFETCH_H

/// Starts loading the cache line holding `address` into every cache level, for reading. Never
/// faults, whatever the address.
static inline void exactly_prefetch_for_reading(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
