#!/usr/bin/env node
// `npm install` drops a package's optional platform binaries from
// package-lock.json when the registry it reached does not serve them (the
// npm mirror of this project's machines has only Linux x64 builds of Deno).
// `npm ci` then refuses the lock file as out of sync. This puts the missing
// entries back, marked optional for their OS and CPU, so `npm ci` skips them
// on other machines and installs them where they match.
//
// Run after every `npm install`: node scripts/fix-lock.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const pkgs = lock.packages;
// Platform suffixes as @deno and @oven name their packages.
const PLATFORM = /(darwin|linux|win32|freebsd)-(arm64|x64|aarch64)(?:-(glibc|musl|android))?/;
let added = 0;
for (const [key, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    if (pkgs[at]) continue;
    const m = PLATFORM.exec(dep);
    if (!m) throw new Error(`${key}: cannot tell the platform of optional dependency ${dep}`);
    const cpu = m[2] === "aarch64" ? "arm64" : m[2];
    pkgs[at] = {
      version,
      cpu: [cpu],
      dev: meta.dev ?? false,
      ...(m[3] === "glibc" || m[3] === "musl" ? { libc: [m[3]] } : {}),
      optional: true,
      os: [m[1] === "linux" && m[3] === "android" ? "android" : m[1]],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort((
    [a],
    [b],
  ) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: ${added} optional platform entries added`);
