// The C boundary of Exactly: librdkafka's public headers, plus static-inline shims for what
// Swift cannot call directly (variadic functions, macros).
#ifndef EXACTLY_CRDKAFKA_SHIM_H
#define EXACTLY_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#endif
