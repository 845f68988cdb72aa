#ifndef EXACTLY_ALLOCATOR_OPTIONS_H
#define EXACTLY_ALLOCATOR_OPTIONS_H

/// The options jemalloc reads at start-up in the `exactly` executable (see allocator_options.c).
extern const char *malloc_conf;

#endif
