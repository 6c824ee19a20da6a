#ifndef SEMBLANCE_CLZ4_SHIM_H
#define SEMBLANCE_CLZ4_SHIM_H
// The distribution's liblz4 (Debian: liblz4-dev), found through pkg-config.
#include <lz4.h>
#endif
