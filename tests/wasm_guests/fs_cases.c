/*
 * File-system cases ported from the preview1 cases of WebAssembly's
 * wasi-testsuite (file_seek_tell, file_pread_pwrite, pwrite-with-append,
 * file_truncation, file_allocate, path_open_missing,
 * path_open_create_existing, path_open_dirfd_not_dir, remove_nonempty_directory,
 * unlink_file_trailing_slashes, remove_directory_trailing_slashes, path_rename,
 * readlink, symlink_loop, dangling_symlink, nofollow_errors, path_link,
 * fd_readdir, stat-dev-ino, renumber, close_preopen, truncation_rights,
 * sock_shutdown-not_sock, sock_shutdown-invalid_fd, fd_filestat_set,
 * interesting_paths), rewritten in C for this project. Run with the
 * scratch directory preopened as "/sandbox"; prints one line per check.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void put(const char *path, const char *text) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  write(fd, text, strlen(text));
  close(fd);
}

static void seek_tell(void) {
  put("/sandbox/seek.txt", "0123456789");
  int fd = open("/sandbox/seek.txt", O_RDWR);
  printf("seek: set=%lld", (long long)lseek(fd, 3, SEEK_SET));
  printf(" cur=%lld", (long long)lseek(fd, 2, SEEK_CUR));
  printf(" end=%lld", (long long)lseek(fd, -1, SEEK_END));
  char c;
  read(fd, &c, 1);
  printf(" read=%c tell=%lld", c, (long long)lseek(fd, 0, SEEK_CUR));
  printf(" negative=%s", R(lseek(fd, -100, SEEK_CUR)));
  printf(" past_end=%lld\n", (long long)lseek(fd, 100, SEEK_SET));
  write(fd, "!", 1);
  struct stat st;
  fstat(fd, &st);
  printf("seek: write past end size=%lld\n", (long long)st.st_size);
  close(fd);
}

static void pread_pwrite(void) {
  int fd = open("/sandbox/pp.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  pwrite(fd, "abcdef", 6, 0);
  pwrite(fd, "XY", 2, 2);
  char buf[8] = {0};
  ssize_t n = pread(fd, buf, 8, 1);
  printf("pread: n=%zd buf=%s pos=%lld\n", n, buf, (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  fd = open("/sandbox/pp.txt", O_WRONLY | O_APPEND);
  write(fd, "++", 2);
  lseek(fd, 0, SEEK_SET);
  write(fd, "--", 2);
  printf("append: pos=%lld", (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  fd = open("/sandbox/pp.txt", O_RDONLY);
  memset(buf, 0, sizeof buf);
  n = read(fd, buf, 8);
  printf(" content=%.*s\n", (int)n, buf);
  printf("pwrite on read-only fd: %s\n", R(pwrite(fd, "z", 1, 0)));
  printf("write on read-only fd: %s\n", R(write(fd, "z", 1)));
  close(fd);
}

static void truncation(void) {
  int fd = open("/sandbox/t.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "123456789", 9);
  struct stat st;
  ftruncate(fd, 4);
  fstat(fd, &st);
  printf("truncate: shrink=%lld", (long long)st.st_size);
  ftruncate(fd, 20);
  fstat(fd, &st);
  printf(" grow=%lld", (long long)st.st_size);
  printf(" fallocate=%d", posix_fallocate(fd, 0, 50));
  fstat(fd, &st);
  printf(" size=%lld", (long long)st.st_size);
  close(fd);
  fd = open("/sandbox/t.txt", O_RDWR | O_TRUNC);
  fstat(fd, &st);
  printf(" o_trunc=%lld\n", (long long)st.st_size);
  close(fd);
  fd = open("/sandbox/t.txt", O_RDONLY);
  printf("truncate read-only fd: %s\n", R(ftruncate(fd, 0)));
  close(fd);
}

static void opening(void) {
  printf("open missing: %s\n", R(open("/sandbox/nope", O_RDONLY)));
  printf("open missing dir component: %s\n", R(open("/sandbox/nope/x", O_RDONLY)));
  put("/sandbox/exists", "x");
  printf("create exclusive existing: %s\n", R(open("/sandbox/exists", O_CREAT | O_EXCL | O_RDONLY, 0644)));
  printf("open file as directory: %s\n", R(open("/sandbox/exists", O_RDONLY | O_DIRECTORY)));
  printf("file as path component: %s\n", R(open("/sandbox/exists/x", O_RDONLY)));
  mkdir("/sandbox/d", 0755);
  printf("open directory for writing: %s\n", R(open("/sandbox/d", O_WRONLY)));
  int fd = open("/sandbox/exists", O_RDONLY);
  __wasi_fd_t out;
  printf("path_open on a file fd: %s\n", ename(__wasi_path_open(fd, 0, "x", 0, 0, 0, 0, &out)));
  close(fd);
}

static void directories(void) {
  mkdir("/sandbox/full", 0755);
  put("/sandbox/full/f", "1");
  printf("mkdir existing: %s\n", R(mkdir("/sandbox/full", 0755)));
  printf("rmdir non-empty: %s\n", R(rmdir("/sandbox/full")));
  printf("rmdir a file: %s\n", R(rmdir("/sandbox/full/f")));
  printf("unlink a directory: %s\n", R(unlink("/sandbox/full")));
  printf("unlink file with slash: %s\n", R(unlink("/sandbox/full/f/")));
  printf("rmdir file with slash: %s\n", R(rmdir("/sandbox/full/f/")));
  printf("unlink: %s\n", R(unlink("/sandbox/full/f")));
  printf("rmdir with slash: %s\n", R(rmdir("/sandbox/full/")));
  printf("rmdir missing: %s\n", R(rmdir("/sandbox/full")));
}

static void renaming(void) {
  put("/sandbox/r1", "one");
  put("/sandbox/r2", "two");
  printf("rename over file: %s", R(rename("/sandbox/r1", "/sandbox/r2")));
  char buf[8] = {0};
  int fd = open("/sandbox/r2", O_RDONLY);
  read(fd, buf, 7);
  close(fd);
  printf(" content=%s old=%s\n", buf, R(access("/sandbox/r1", F_OK)));
  mkdir("/sandbox/rd", 0755);
  mkdir("/sandbox/rd2", 0755);
  put("/sandbox/rd2/x", "x");
  printf("rename dir over non-empty dir: %s\n", R(rename("/sandbox/rd", "/sandbox/rd2")));
  printf("rename file over dir: %s\n", R(rename("/sandbox/r2", "/sandbox/rd")));
  printf("rename dir over file: %s\n", R(rename("/sandbox/rd", "/sandbox/r2")));
  printf("rename dir with slashes: %s\n", R(rename("/sandbox/rd/", "/sandbox/rd3/")));
  printf("rename file with slash: %s\n", R(rename("/sandbox/r2/", "/sandbox/r3")));
  printf("rename missing: %s\n", R(rename("/sandbox/nope", "/sandbox/r3")));
}

static void links(void) {
  put("/sandbox/target", "target!");
  printf("symlink: %s\n", R(symlink("target", "/sandbox/ln")));
  char buf[32] = {0};
  printf("readlink: n=%zd %s\n", readlink("/sandbox/ln", buf, sizeof buf), buf);
  memset(buf, 0, sizeof buf);
  printf("readlink short buffer: n=%zd %s\n", readlink("/sandbox/ln", buf, 3), buf);
  printf("readlink a file: %s\n", R(readlink("/sandbox/target", buf, sizeof buf)));
  int fd = open("/sandbox/ln", O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("open through link: %s\n", buf);
  printf("open link nofollow: %s\n", R(open("/sandbox/ln", O_RDONLY | O_NOFOLLOW)));
  struct stat st;
  lstat("/sandbox/ln", &st);
  printf("lstat link: is_link=%d size=%lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
  stat("/sandbox/ln", &st);
  printf("stat link: is_reg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
  symlink("loop2", "/sandbox/loop1");
  symlink("loop1", "/sandbox/loop2");
  printf("open loop: %s\n", R(open("/sandbox/loop1", O_RDONLY)));
  symlink("missing", "/sandbox/dangling");
  printf("open dangling: %s\n", R(open("/sandbox/dangling", O_RDONLY)));
  printf("symlink over existing: %s\n", R(symlink("x", "/sandbox/target")));
  printf("link: %s", R(link("/sandbox/target", "/sandbox/hard")));
  struct stat a, b;
  stat("/sandbox/target", &a);
  stat("/sandbox/hard", &b);
  printf(" nlink=%llu same_ino=%d same_dev=%d\n", (unsigned long long)a.st_nlink,
         a.st_ino == b.st_ino, a.st_dev == b.st_dev);
  stat("/sandbox/seek.txt", &b);
  printf("different files differ: %d\n", a.st_ino != b.st_ino);
  printf("unlink link: %s target_left=%s\n", R(unlink("/sandbox/ln")),
         R(access("/sandbox/target", F_OK)));
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void listing(void) {
  mkdir("/sandbox/list", 0755);
  put("/sandbox/list/b", "");
  put("/sandbox/list/a", "");
  mkdir("/sandbox/list/c", 0755);
  DIR *d = opendir("/sandbox/list");
  char *names[8];
  int n = 0, dots = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 8) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
      dots++;
      continue;
    }
    struct stat st;
    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW);
    char *s = malloc(64);
    snprintf(s, 64, "%s:%s:%d", e->d_name, e->d_type == DT_DIR ? "dir" : "file", st.st_ino == e->d_ino);
    names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("readdir:");
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

static void descriptors(void) {
  int pre = preopen_fd();
  int fd = open("/sandbox/exists", O_RDONLY);
  int other = open("/sandbox/target", O_RDONLY);
  printf("renumber: %s", ename(__wasi_fd_renumber(fd, other)));
  char c = 0;
  read(other, &c, 1);
  printf(" now=%c old=%s", c, R(read(fd, &c, 1)));
  printf(" to closed=%s\n", ename(__wasi_fd_renumber(other, 60)));
  close(other);
  __wasi_fdstat_t st;
  __wasi_fd_fdstat_get(pre, &st);
  printf("preopen: dir=%d\n", st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  printf("sock_shutdown on file: %s\n", ename(__wasi_sock_shutdown(pre, __WASI_SDFLAGS_RD)));
  printf("sock_shutdown on bad fd: %s\n", ename(__wasi_sock_shutdown(77, __WASI_SDFLAGS_RD)));
  printf("close bad fd: %s\n", R(close(77)));
}

static void times(void) {
  int fd = open("/sandbox/times", O_CREAT | O_RDWR, 0644);
  struct timespec ts[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
  printf("futimens: %s", R(futimens(fd, ts)));
  struct stat st;
  fstat(fd, &st);
  printf(" atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec,
         st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
  utimensat(AT_FDCWD, "/sandbox/times", omit, 0);
  stat("/sandbox/times", &st);
  printf("utimensat omit: atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec,
         (long long)st.st_mtim.tv_sec);
  close(fd);
  printf("bad fst flags: %s\n", ename(__wasi_fd_filestat_set_times(3, 0, 0, 0xff)));
}

int main(void) {
  seek_tell();
  pread_pwrite();
  truncation();
  opening();
  directories();
  renaming();
  links();
  listing();
  descriptors();
  times();
  return 0;
}
