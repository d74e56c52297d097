#ifndef WSSNIFF_CPCAP_SHIM_H
#define WSSNIFF_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a capture needs besides libpcap to give up its privileges once the device is open, through system calls that
   Swift's Glibc module does not show (getresuid and getresgid need _GNU_SOURCE; capget and capset have no wrapper in
   glibc). Each returns 0 on success and -1 with errno set. */

static inline int wssniff_getresuid(uid_t *real, uid_t *effective, uid_t *saved) {
    return (int)syscall(SYS_getresuid, real, effective, saved);
}

static inline int wssniff_getresgid(gid_t *real, gid_t *effective, gid_t *saved) {
    return (int)syscall(SYS_getresgid, real, effective, saved);
}

/* Clears every capability of the calling thread: permitted, effective and inheritable. */
static inline int wssniff_clear_capabilities(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &header, data);
}

/* 1 when the calling thread still holds a permitted or effective capability, 0 when it holds none, -1 on error. */
static inline int wssniff_has_capabilities(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    return (data[0].permitted | data[0].effective | data[1].permitted | data[1].effective) != 0;
}
/* For the config reader of `capture --watch-config`: keeps exactly one capability (permitted and effective, below 32),
   clears every other. */
static inline int wssniff_keep_only_capability(int capability) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (capability < 0 || capability >= 32) return -1;
    data[0].permitted = 1u << capability;
    data[0].effective = 1u << capability;
    return (int)syscall(SYS_capset, &header, data);
}

/* 1 when the calling thread holds exactly the one capability (permitted and effective), 0 otherwise, -1 on error. */
static inline int wssniff_holds_only_capability(int capability) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    return data[0].permitted == (1u << capability) && data[0].effective == (1u << capability) && data[1].permitted == 0
        && data[1].effective == 0;
}

/* prctl(2) is variadic, which Swift cannot call: PR_SET_KEEPCAPS and PR_SET_PDEATHSIG. */
static inline int wssniff_keep_capabilities_across_setuid(int keep) {
    return (int)syscall(SYS_prctl, 8 /* PR_SET_KEEPCAPS */, (unsigned long)keep, 0UL, 0UL, 0UL);
}

static inline int wssniff_parent_death_signal(int signal) {
    return (int)syscall(SYS_prctl, 1 /* PR_SET_PDEATHSIG */, (unsigned long)signal, 0UL, 0UL, 0UL);
}
#endif
