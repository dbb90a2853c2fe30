/*
 * Tries every way out of a preopened directory, with raw WASI calls so that
 * the host, not wasi-libc, is what refuses. The test prepares the host side
 * (see tests/wasm_sandbox_test.ts): outside the preopen, secret.txt and
 * outside-dir/; inside, inside.txt, sub/, and symbolic links planted by the
 * host that lead out: up -> .., abs -> <absolute path of the parent>,
 * sub/deep -> ../../secret.txt, chain1 -> chain2 -> ../secret.txt.
 * Prints "name: errno" per attempt.
 */
#include "common.h"

#define F __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define ALL ((__wasi_rights_t)-1)

static int dir;

/* path_open itself, for paths wasi-libc's wrapper (which uses strlen) cannot pass. */
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("path_open")));

static void show(const char *name, __wasi_errno_t e) { printf("%s: %s\n", name, ename(e)); }

/* Rights to ask for: all for files; for directories, none that needs writing (EISDIR). */
#define WRITING (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE | \
                 __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)

static __wasi_errno_t open_at(int at, const char *path, int follow, __wasi_oflags_t o) {
  __wasi_fd_t fd;
  __wasi_rights_t base = o & __WASI_OFLAGS_DIRECTORY ? ALL & ~WRITING : ALL;
  __wasi_errno_t e = __wasi_path_open(at, follow ? F : 0, path, o, base, ALL, 0, &fd);
  if (e == 0) __wasi_fd_close(fd);
  return e;
}

static __wasi_errno_t open_at_rights(int at, const char *path, __wasi_rights_t rights) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(at, F, path, __WASI_OFLAGS_DIRECTORY, rights, ALL, 0, &fd);
  if (e == 0) __wasi_fd_close(fd);
  return e;
}

static __wasi_errno_t stat_at(const char *path, int follow) {
  __wasi_filestat_t st;
  return __wasi_path_filestat_get(dir, follow ? F : 0, path, &st);
}

int main(void) {
  dir = preopen_fd();
  show("open ../secret.txt", open_at(dir, "../secret.txt", 1, 0));
  show("open sub/../../secret.txt", open_at(dir, "sub/../../secret.txt", 1, 0));
  show("open absolute /etc/passwd", open_at(dir, "/etc/passwd", 1, 0));
  show("open up/secret.txt", open_at(dir, "up/secret.txt", 1, 0));
  show("open abs/secret.txt", open_at(dir, "abs/secret.txt", 1, 0));
  show("open sub/deep following", open_at(dir, "sub/deep", 1, 0));
  show("open sub/deep not following", open_at(dir, "sub/deep", 0, 0));
  show("open chain1", open_at(dir, "chain1", 1, 0));
  show("open up as directory", open_at(dir, "up", 1, __WASI_OFLAGS_DIRECTORY));
  show("open .. as directory", open_at(dir, "..", 1, __WASI_OFLAGS_DIRECTORY));
  show("create ../created.txt", open_at(dir, "../created.txt", 1, __WASI_OFLAGS_CREAT));
  show("create up/created.txt", open_at(dir, "up/created.txt", 1, __WASI_OFLAGS_CREAT));
  show("create through sub/deep", open_at(dir, "sub/deep", 1, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC));
  show("stat ../secret.txt", stat_at("../secret.txt", 1));
  show("stat up following", stat_at("up", 1));
  show("stat up/secret.txt", stat_at("up/secret.txt", 0));
  show("mkdir ../newdir", __wasi_path_create_directory(dir, "../newdir"));
  show("mkdir up/newdir", __wasi_path_create_directory(dir, "up/newdir"));
  show("rename inside.txt to ../stolen.txt", __wasi_path_rename(dir, "inside.txt", dir, "../stolen.txt"));
  show("rename up/secret.txt in", __wasi_path_rename(dir, "up/secret.txt", dir, "got.txt"));
  show("link up/secret.txt in", __wasi_path_link(dir, F, "up/secret.txt", dir, "hard.txt"));
  show("link inside.txt out", __wasi_path_link(dir, 0, "inside.txt", dir, "../linked.txt"));
  show("link through sub/deep", __wasi_path_link(dir, F, "sub/deep", dir, "hard2.txt"));
  show("unlink ../secret.txt", __wasi_path_unlink_file(dir, "../secret.txt"));
  show("unlink up/secret.txt", __wasi_path_unlink_file(dir, "up/secret.txt"));
  show("rmdir ../outside-dir", __wasi_path_remove_directory(dir, "../outside-dir"));
  show("rmdir up/outside-dir", __wasi_path_remove_directory(dir, "up/outside-dir"));
  show("symlink to ../secret.txt", __wasi_path_symlink("../secret.txt", dir, "new_link"));
  show("symlink to /etc/passwd", __wasi_path_symlink("/etc/passwd", dir, "abs_link"));
  show("symlink to sub/../../x", __wasi_path_symlink("sub/../../x", dir, "sneaky"));
  show("symlink ../x from sub", __wasi_path_symlink("../inside.txt", dir, "sub/fine"));
  show("symlink placed outside", __wasi_path_symlink("inside.txt", dir, "../placed"));
  char buf[64];
  __wasi_size_t used;
  show("readlink ../x", __wasi_path_readlink(dir, "../x", (uint8_t *)buf, sizeof buf, &used));
  show("set times up/secret.txt", __wasi_path_filestat_set_times(dir, F, "up/secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  static const char nul[] = "inside.txt\0/../../secret.txt";
  __wasi_fd_t got;
  show("nul byte in path", raw_path_open(dir, F, (int32_t)nul, sizeof nul - 1, 0, ALL, ALL, 0, (int32_t)&got));
  show("path outside memory", raw_path_open(dir, F, -16, 100, 0, ALL, ALL, 0, (int32_t)&got));
  show("empty path", open_at(dir, "", 1, 0));
  show("open . (the preopen itself)", open_at(dir, ".", 1, __WASI_OFLAGS_DIRECTORY));
  show("open sub/fine (a link that stays inside)", open_at(dir, "sub/fine", 1, 0));

  /* A directory opened below the preopen bounds its own paths. */
  __wasi_fd_t sub;
  show("open sub", __wasi_path_open(dir, F, "sub", __WASI_OFLAGS_DIRECTORY, ALL & ~WRITING, ALL, 0, &sub));
  show("open . as a directory to write", open_at_rights(dir, ".", ALL));
  show("from sub: ../inside.txt", open_at(sub, "../inside.txt", 1, 0));
  show("from sub: fine (link to ../inside.txt)", open_at(sub, "fine", 1, 0));
  show("from sub: deep", open_at(sub, "deep", 1, 0));
  return 0;
}
