#ifndef WSSNIFF_FUZZ_DRIVER_H
#define WSSNIFF_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own driver (compiler-rt FuzzerDriver.cpp), linked in by `-sanitize=fuzzer`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
