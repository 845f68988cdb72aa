// jemalloc's options for the `exactly` executable, read once when jemalloc starts. The
// MALLOC_CONF environment variable still overrides them (jemalloc reads it after this).
//
// Why (docs/RUNTIME.md, "Allocator"): librdkafka allocates an operation per fetched
// record on its broker thread, and our poll thread frees it less than a second later, 100-300 MB
// in flight at a time. With jemalloc's defaults the freed pages were handed back to the kernel
// (dirty-page decay) and the next allocations faulted fresh zeroed pages in: one page fault per
// ~10 records, 10-16% of the process's CPU in page clearing at a 100 ms checkpoint interval.
//
// - `dirty_decay_ms:-1`: keep freed pages for reuse instead of returning them over 10 s. The
//   resident size is then bounded by the peak in use (measured lower than with the default).
// - `lg_extent_max_active_fit:30`: let a free run of pages of any size serve a smaller request.
//   With the default (a run at most 64 times the request) the runs that freed slabs merge into
//   are never reused for new slabs, and fresh pages are mapped instead.
#include "CAllocatorOptions.h"

const char *malloc_conf = "dirty_decay_ms:-1,lg_extent_max_active_fit:30";
