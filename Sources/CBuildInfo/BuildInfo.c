#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "BuildInfo.h"

/* Package.swift defines WSSNIFF_GIT_COMMIT for this file only, so a new commit recompiles nothing else. */
#ifndef WSSNIFF_GIT_COMMIT
#define WSSNIFF_GIT_COMMIT "unknown"
#endif

const char *wssniff_git_commit(void) {
    return WSSNIFF_GIT_COMMIT;
}

const char *wssniff_object_holding(const void *address) {
    Dl_info info;
    if (dladdr(address, &info) == 0) return NULL;
    return info.dli_fname;
}
