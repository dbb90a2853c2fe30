/**
 * The real programs of the compatibility suite: npm packages pinned by
 * version and integrity, fetched on demand with `npm pack` (never dev
 * dependencies: `npm ci` stays light) and unpacked once into a cache folder
 * that outlives clones of the repository:
 * `$SEED_PROGRAMS_CACHE`, else `$XDG_CACHE_HOME/seed-mmap/programs`, else
 * `~/.cache/seed-mmap/programs`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** An npm package that holds a WASI program. */
export interface Pinned {
  name: string;
  version: string;
  /** The registry's `dist.integrity`; a tarball that differs is refused. */
  integrity: string;
  /** Prepares the unpacked package (`dir/package`) once, after unpacking. */
  prepare?: (dir: string) => void | Promise<void>;
}

/** The cache folder. */
export function cacheRoot(): string {
  const env = process.env;
  if (env.SEED_PROGRAMS_CACHE) return env.SEED_PROGRAMS_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "seed-mmap", "programs");
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

/**
 * The folder holding `pkg` unpacked (`<folder>/package/...`), fetching and
 * unpacking it first if the cache lacks it. A half-done unpack is never
 * seen: the folder appears by rename once complete.
 */
export async function ensure(pkg: Pinned): Promise<string> {
  const root = cacheRoot();
  const dir = join(root, `${pkg.name.replace("/", "+")}@${pkg.version}`);
  if (existsSync(join(dir, ".complete"))) return dir;
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, ".fetch-"));
  try {
    console.error(`programs: fetching ${pkg.name}@${pkg.version} into ${root}`);
    const out = run("npm", ["pack", `${pkg.name}@${pkg.version}`, "--json", "--silent"], work);
    const [info] = JSON.parse(out) as { filename: string; integrity: string }[];
    if (info.integrity !== pkg.integrity) {
      throw new Error(
        `${pkg.name}@${pkg.version}: integrity ${info.integrity}, pinned ${pkg.integrity}`,
      );
    }
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    run("tar", ["xzf", join(work, info.filename), "-C", unpacked], work);
    await pkg.prepare?.(unpacked);
    writeFileSync(join(unpacked, ".complete"), `${pkg.integrity}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
