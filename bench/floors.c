/* floors.c: the library work every `wssniff analyze` of a file must do, timed alone (issue 7).
 *
 *   floors FILE CONNECTIONS
 *
 * Prints three lines, "sha256 SECONDS", "verify SECONDS" and "together SECONDS":
 * - the SHA-256 of FILE through libcrypto's EVP interface, read 1 MiB at a time, as wssniff computes
 *   `input.sha256` (one sequential pass: it cannot be split across cores);
 * - CONNECTIONS Ed25519 verifications with libsodium's crypto_sign_verify_detached, one per gateway
 *   connection, as wssniff verifies each connect's device signature (a v3 payload of the usual length).
 * - both at once on two threads, as wssniff runs them (the hash on one core, the verifications on the other):
 *   on two independent cores this takes max(sha256, verify); on two hardware threads of one core, more.
 * Each is the best of 3 runs, so it is a lower bound of what wssniff spends on it.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
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

static int file;
static long connections;
static unsigned char public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
static unsigned char signature[crypto_sign_BYTES];
static const char *payload = "v3|7b1f0c9e4d2a8b6f5e3c1a9d7b5f3e1c9a7d5b3f1e9c7a5d3b1f9e7c5a3d1b9f|cli|cli|operator|"
                             "operator.admin,operator.read,operator.write|1795632329658|<token>|"
                             "78cb49ae-e1e8-4e0e-a7de-fa82db3437d2|linux|";

/* The file's SHA-256 as wssniff computes it; NULL on success. */
static void *hash_file(void *unused) {
    (void)unused;
    static unsigned char buffer[1 << 20];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (lseek(file, 0, SEEK_SET) != 0) return (void *)1;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    EVP_DigestInit_ex(context, EVP_sha256(), NULL);
    ssize_t n;
    while ((n = read(file, buffer, sizeof buffer)) > 0) EVP_DigestUpdate(context, buffer, (size_t)n);
    EVP_DigestFinal_ex(context, digest, &length);
    EVP_MD_CTX_free(context);
    return n < 0 ? (void *)1 : NULL;
}

/* One verification per connection. */
static void *verify_all(void *unused) {
    (void)unused;
    size_t payload_length = strlen(payload);
    for (long i = 0; i < connections; i++) {
        if (crypto_sign_verify_detached(signature, (const unsigned char *)payload, payload_length, public_key) != 0)
            return (void *)1;
    }
    return NULL;
}

/* Best of 3 wall times of `work`, or of both at once on two threads when `work` is NULL. */
static double best_of_three(void *(*work)(void *)) {
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        double start = now();
        if (work) {
            if (work(NULL) != NULL) exit(74);
        } else {
            pthread_t hasher;
            pthread_create(&hasher, NULL, hash_file, NULL);
            void *verified = verify_all(NULL), *hashed = NULL;
            pthread_join(hasher, &hashed);
            if (verified != NULL || hashed != NULL) exit(74);
        }
        double took = now() - start;
        if (took < best) best = took;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: floors FILE CONNECTIONS\n");
        return 64;
    }
    file = open(argv[1], O_RDONLY);
    if (file < 0) {
        perror(argv[1]);
        return 66;
    }
    connections = atol(argv[2]);
    if (sodium_init() < 0) return 70;
    crypto_sign_keypair(public_key, secret_key);
    crypto_sign_detached(signature, NULL, (const unsigned char *)payload, strlen(payload), secret_key);
    printf("sha256 %.4f\n", best_of_three(hash_file));
    printf("verify %.4f\n", best_of_three(verify_all));
    printf("together %.4f\n", best_of_three(NULL));
    close(file);
    return 0;
}
