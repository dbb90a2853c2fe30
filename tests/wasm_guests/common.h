/* Shared by the test guests: errno names, so that outputs compare as text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static const char *ename(int e) {
  switch (e) {
    case 0: return "ok";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENODEV: return "ENODEV";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTSUP: return "ENOTSUP";
    case EPERM: return "EPERM";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    default: return "other";
  }
}

/* The result of a libc call that returns -1 and sets errno. */
#define R(call) ((call) < 0 ? ename(errno) : "ok")

/* The first preopened directory's descriptor. */
static __attribute__((unused)) int preopen_fd(void) {
  for (int fd = 3; fd < 64; fd++) {
    __wasi_prestat_t p;
    if (__wasi_fd_prestat_get(fd, &p) == 0 && p.tag == __WASI_PREOPENTYPE_DIR) return fd;
  }
  return -1;
}
