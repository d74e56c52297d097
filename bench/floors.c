/* floors.c: the library work every `wssniff analyze` of a file must do, timed alone (issue 7).
 *
 *   floors FILE CONNECTIONS
 *
 * Prints two lines, "sha256 SECONDS" and "verify SECONDS":
 * - the SHA-256 of FILE through libcrypto's EVP interface, read 1 MiB at a time, as wssniff computes
 *   `input.sha256` (one sequential pass: it cannot be split across cores);
 * - CONNECTIONS Ed25519 verifications with libsodium's crypto_sign_verify_detached, one per gateway
 *   connection, as wssniff verifies each connect's device signature (a v3 payload of the usual length).
 * Each is the best of 3 runs, so it is a lower bound of what wssniff spends on it.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: floors FILE CONNECTIONS\n");
        return 64;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 66;
    }
    long connections = atol(argv[2]);
    static unsigned char buffer[1 << 20];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        if (lseek(fd, 0, SEEK_SET) != 0) return 74;
        double start = now();
        EVP_MD_CTX *context = EVP_MD_CTX_new();
        EVP_DigestInit_ex(context, EVP_sha256(), NULL);
        ssize_t n;
        while ((n = read(fd, buffer, sizeof buffer)) > 0) EVP_DigestUpdate(context, buffer, (size_t)n);
        EVP_DigestFinal_ex(context, digest, &length);
        EVP_MD_CTX_free(context);
        double took = now() - start;
        if (took < best) best = took;
    }
    printf("sha256 %.4f\n", best);

    if (sodium_init() < 0) return 70;
    unsigned char public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
    unsigned char signature[crypto_sign_BYTES];
    const char *payload = "v3|7b1f0c9e4d2a8b6f5e3c1a9d7b5f3e1c9a7d5b3f1e9c7a5d3b1f9e7c5a3d1b9f|cli|cli|operator|"
                          "operator.admin,operator.read,operator.write|1795632329658|<token>|"
                          "78cb49ae-e1e8-4e0e-a7de-fa82db3437d2|linux|";
    size_t payload_length = strlen(payload);
    crypto_sign_keypair(public_key, secret_key);
    crypto_sign_detached(signature, NULL, (const unsigned char *)payload, payload_length, secret_key);
    best = 1e9;
    for (int run = 0; run < 3; run++) {
        double start = now();
        for (long i = 0; i < connections; i++) {
            if (crypto_sign_verify_detached(signature, (const unsigned char *)payload, payload_length, public_key) != 0)
                return 70;
        }
        double took = now() - start;
        if (took < best) best = took;
    }
    printf("verify %.4f\n", best);
    close(fd);
    return 0;
}
