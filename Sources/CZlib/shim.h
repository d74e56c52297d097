#ifndef WSSNIFF_CZLIB_SHIM_H
#define WSSNIFF_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro (it passes the library version and the stream size); Swift cannot call it.
static inline int wssniff_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

/// `deflateInit2` is a macro too; tests use it to build compressed payloads.
static inline int wssniff_deflateInit2(z_streamp stream, int level, int method, int windowBits, int memLevel,
                                       int strategy) {
    return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}
#endif
