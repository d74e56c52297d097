#ifndef WSSNIFF_BUILD_INFO_H
#define WSSNIFF_BUILD_INFO_H

/* The git commit this binary was built from, as Package.swift saw it when the build started: the WSSNIFF_GIT_COMMIT
   environment variable (scripts/package.sh sets it), else the checkout's HEAD, with "-dirty" when the work tree had
   uncommitted changes; "unknown" outside a git checkout. */
const char *wssniff_git_commit(void);

/* The path of the object file (the executable or a shared library) that holds `address`, or NULL when dladdr cannot
   tell. Swift's Glibc module does not show dladdr (it needs _GNU_SOURCE). */
const char *wssniff_object_holding(const void *address);

#endif
