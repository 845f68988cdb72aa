// The header's function is static inline; a C target needs one source file to build.
#include "CPrefetch.h"
