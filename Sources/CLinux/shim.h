// Linux calls Swift cannot import (variadic prctl and syscall), as small functions.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

// Keep the permitted capabilities across setuid (PR_SET_KEEPCAPS).
static inline int spanwatch_keep_capabilities(void) { return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0); }

// No privilege can be gained again, by setuid binaries or file capabilities (PR_SET_NO_NEW_PRIVS).
static inline int spanwatch_no_new_privileges(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

// Effective and permitted: CAP_NET_RAW only; nothing inheritable.
static inline int spanwatch_keep_only_net_raw(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    data[0].effective = data[0].permitted = 1u << CAP_NET_RAW;
    return (int)syscall(SYS_capset, &header, data);
}
