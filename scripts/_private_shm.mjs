// Runs a command with a private /dev/shm: a tiny tmpfs mounted in its own
// mount namespace (`unshare -m`, which needs root), so that what it leaves
// there can be listed afterwards without the machine's other users' regions.
// Where unshare is refused, the command runs as is and `shmChecked` is false.
import { spawnSync } from "node:child_process";

const MARK = "--- /dev/shm after the command:";
const canUnshare = spawnSync("unshare", ["-m", "true"]).status === 0;

/**
 * Runs `cmd` with `args` in `cwd` (NO_COLOR set); returns its status,
 * output, and the names left in its /dev/shm.
 */
// deno-lint-ignore explicit-module-boundary-types
export function runWithPrivateShm(cmd, args, { cwd, timeout = 600_000, size = "16m" }) {
  const env = { ...process.env, NO_COLOR: "1" };
  if (!canUnshare) {
    const res = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, env });
    return { ...res, stdout: res.stdout ?? "", shmLeft: [], shmChecked: false };
  }
  const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `mount -t tmpfs -o size=${size} seed-private-shm /dev/shm && ${quoted}; ` +
    `s=$?; echo '${MARK}'; ls -A /dev/shm; exit $s`;
  const res = spawnSync("unshare", ["-m", "sh", "-c", script], {
    cwd,
    encoding: "utf8",
    timeout,
    env,
  });
  let stdout = res.stdout ?? "";
  let shmLeft = [];
  const at = stdout.lastIndexOf(MARK);
  if (at >= 0) {
    shmLeft = stdout.slice(at + MARK.length).split("\n").filter(Boolean);
    stdout = stdout.slice(0, at);
  }
  return { ...res, stdout, shmLeft, shmChecked: true };
}
