#ifndef WSSNIFF_CSODIUM_SHIM_H
#define WSSNIFF_CSODIUM_SHIM_H
#include <sodium.h>
#endif
