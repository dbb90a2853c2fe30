/*
 * Standard streams moved and probed the way real programs do it. Run with
 * a scratch directory preopened as "/sandbox"; prints one line per check.
 *
 *   stdio_redirect abc      yosys's ABC pass: stdout and stderr parked on
 *                           other fds, a log file moved onto 1 and 2, the
 *                           parked streams moved back (wasi-libc has no dup2)
 *   stdio_redirect rules    fd_renumber's rule for destinations, as
 *                           wasi-testsuite's renumber test checks it
 *   stdio_redirect freopen  freopen(stdin) after fclose(stdin), as PGlite does
 *   stdio_redirect seek     lseek, ftell, pread, pwrite and isatty on stdio
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

#define LOG "/sandbox/abc.log"

static const char *wname(__wasi_errno_t e) { return ename(e); }

static void slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);
  buf[n < 0 ? 0 : n] = 0;
  close(fd);
}

/*
 * The sequence yosys 0.55 (YoWASP's build) runs around ABC, as traced on
 * this host: open the log three times (fds 5, 6, 7 there), renumber(1, 6),
 * renumber(2, 7), renumber(5, 1), renumber(5, 2), close(5), run ABC,
 * renumber(6, 1), renumber(7, 2), close(6), close(7). Under move semantics
 * the second move of the log and every close after a move fail with EBADF,
 * as in wasmtime; what must work is the move onto the vacant 1 and the
 * moves back onto the vacant 1 and 2.
 */
static void abc(void) {
  printf("before ABC\n");
  fflush(stdout);
  int log = open(LOG, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  int park_out = open(LOG, O_WRONLY);
  int park_err = open(LOG, O_WRONLY);
  __wasi_errno_t out_parked = __wasi_fd_renumber(1, park_out);
  __wasi_errno_t err_parked = __wasi_fd_renumber(2, park_err);
  __wasi_errno_t log_to_out = __wasi_fd_renumber(log, 1);
  __wasi_errno_t log_to_err = __wasi_fd_renumber(log, 2);
  const char *close_log = R(close(log));
  printf("inside ABC\n");
  fflush(stdout);
  off_t pos = lseek(1, 0, SEEK_CUR);
  const char *err_write = R(write(2, "lost\n", 5));
  const char *vacant_from = wname(__wasi_fd_renumber(2, 40));
  __wasi_errno_t out_back = __wasi_fd_renumber(park_out, 1);
  __wasi_errno_t err_back = __wasi_fd_renumber(park_err, 2);
  const char *close_out = R(close(park_out));
  const char *close_err = R(close(park_err));
  printf("park: stdout=%s stderr=%s\n", wname(out_parked), wname(err_parked));
  printf("log onto: stdout=%s stderr=%s close log=%s\n", wname(log_to_out), wname(log_to_err),
         close_log);
  printf("redirected: tell stdout=%lld write stderr=%s renumber vacant 2=%s\n", (long long)pos,
         err_write, vacant_from);
  printf("restore: stdout=%s stderr=%s close parked=%s,%s\n", wname(out_back), wname(err_back),
         close_out, close_err);
  char buf[64];
  slurp(LOG, buf, sizeof buf);
  printf("log file: [%s]\n", buf);
  fprintf(stderr, "stderr restored\n");
}

static void rules(void) {
  int a = open("/sandbox/a", O_CREAT | O_RDWR, 0644);
  int b = open("/sandbox/b", O_CREAT | O_WRONLY, 0644);
  __wasi_fdstat_t before, after;
  __wasi_fd_fdstat_get(a, &before);
  printf("open: above stdio=%d\n", a > 2 && b > 2);
  printf("onto open: %s", wname(__wasi_fd_renumber(a, b)));
  __wasi_fd_fdstat_get(b, &after);
  printf(" same fdstat=%d", before.fs_filetype == after.fs_filetype &&
                                before.fs_flags == after.fs_flags &&
                                before.fs_rights_base == after.fs_rights_base &&
                                before.fs_rights_inheriting == after.fs_rights_inheriting);
  printf(" source closed=%s\n", R(close(a)));
  printf("onto closed: %s\n", wname(__wasi_fd_renumber(b, a)));
  printf("onto never opened: %s\n", wname(__wasi_fd_renumber(b, 60)));
  printf("onto itself: %s\n", wname(__wasi_fd_renumber(b, b)));
  printf("stdio onto itself: %s\n", wname(__wasi_fd_renumber(0, 0)));
  printf("from closed: %s\n", wname(__wasi_fd_renumber(a, b)));
  /* Stdin moved away leaves 0 vacant: a new open does not take it, a move does. */
  __wasi_errno_t in_away = __wasi_fd_renumber(0, b);
  int c = open("/sandbox/a", O_RDONLY);
  printf("stdin away: %s new open above stdio=%d", wname(in_away), c > 2);
  printf(" onto vacant 0=%s", wname(__wasi_fd_renumber(c, 0)));
  __wasi_fdstat_t st;
  printf(" read 0 is a file=%d\n",
         __wasi_fd_fdstat_get(0, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  close(b);
}

static void reopen(void) {
  int fd = open("/sandbox/in.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  write(fd, "line from the file\n", 19);
  close(fd);
  fclose(stdin);
  FILE *f = freopen("/sandbox/in.txt", "r", stdin);
  char line[64] = {0};
  if (f) fgets(line, sizeof line, f);
  line[strcspn(line, "\n")] = 0;
  printf("freopen stdin: %s fd=%d line=[%s]\n", f ? "ok" : ename(errno), f ? fileno(f) : -1, line);
}

/*
 * wasi-libc's lseek and pread turn ENOTCAPABLE into ESPIPE, so they hid the
 * wrong answer; programs built on other libraries (Rust's std, Go's
 * syscall package) call fd_seek and fd_tell directly and see what the host
 * says.
 */
static void seek(void) {
  for (int fd = 0; fd <= 2; fd++) {
    __wasi_filesize_t at;
    printf("fd %d: fd_seek cur=%s", fd, wname(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &at)));
    printf(" fd_seek set=%s", wname(__wasi_fd_seek(fd, 10, __WASI_WHENCE_SET, &at)));
    printf(" fd_tell=%s", wname(__wasi_fd_tell(fd, &at)));
    printf(" lseek=%s isatty=%d\n", R(lseek(fd, 0, SEEK_CUR)), isatty(fd));
  }
  char c;
  __wasi_iovec_t in = {(uint8_t *)&c, 1};
  __wasi_ciovec_t out = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  printf("fd_pread stdin: %s", wname(__wasi_fd_pread(0, &in, 1, 0, &n)));
  printf(" fd_pwrite stdout: %s\n", wname(__wasi_fd_pwrite(1, &out, 1, 0, &n)));
  errno = 0;
  long t = ftell(stdout);
  printf("ftell stdout: %ld %s\n", t, ename(errno));
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "abc")) abc();
  else if (!strcmp(what, "rules")) rules();
  else if (!strcmp(what, "freopen")) reopen();
  else if (!strcmp(what, "seek")) seek();
  else return 2;
  return 0;
}
