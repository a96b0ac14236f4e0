// libzstd (Debian: libzstd-dev). The store layer compresses checkpoint objects with it.
#include <zstd.h>
