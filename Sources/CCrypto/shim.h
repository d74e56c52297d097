#ifndef WSSNIFF_CCRYPTO_SHIM_H
#define WSSNIFF_CCRYPTO_SHIM_H
// OpenSSL's libcrypto, for one thing only: the SHA-256 of whole capture files, where its SHA-NI and AVX2 code runs
// several times faster than libsodium's portable C (a 1 GB capture is hashed while it is analyzed, on the other core).
#include <openssl/evp.h>
#include <openssl/crypto.h>  /* OpenSSL_version, for wssniff --version */
#endif
