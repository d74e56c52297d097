#ifndef WSSNIFF_BUILD_INFO_H
#define WSSNIFF_BUILD_INFO_H

/* The git commit this binary was built from, with "-dirty" when the work tree had uncommitted changes: the
   WSSNIFF_GIT_COMMIT environment variable of the build (scripts/package.sh sets it), or "unknown". */
const char *wssniff_git_commit(void);

/* The path of the object file (the executable or a shared library) that holds `address`, or NULL when dladdr cannot
   tell. Swift's Glibc module does not show dladdr (it needs _GNU_SOURCE). */
const char *wssniff_object_holding(const void *address);

#endif
