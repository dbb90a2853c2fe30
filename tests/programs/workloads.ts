/**
 * The workloads of the compatibility suite: real WASI programs from npm,
 * written by others, each given a job whose output is checked exactly.
 *
 * - Ruby 3.4 with its standard library (`@ruby/3.4-wasm-wasi`): an
 *   interpreter doing file I/O in a preopened directory (FileUtils, Dir.glob,
 *   JSON, Digest, File#seek, append, rename, rm_rf).
 * - clang and wasm-ld (`@yowasp/clang`): a toolchain building a C and a C++
 *   program, which then run on the same host.
 * - yosys (`@yowasp/yosys`): a large C++ program synthesizing a small
 *   design, without `-q`, whose whole log is checked (ABC's part of it
 *   needs dup2-style `fd_renumber`).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pinned } from "./cache.ts";
import type { StepSpec } from "./step.ts";

/** What one step (one module run) did. */
export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the step's process. */
  ms: number;
}

/** What a workload gets to run with. */
export interface WorkloadContext {
  /** Each of the workload's packages, unpacked (`<dir>/package/...`). */
  dirs: string[];
  /** A fresh, empty directory for this run. */
  scratch: string;
  /** Runs one module under the host being tested. */
  step(spec: StepSpec): StepRun;
}

/** A real program and its job. */
export interface Workload {
  id: string;
  /** The program and where it comes from. */
  program: string;
  /** The job, in a few words. */
  job: string;
  packages: Pinned[];
  /** `null` when the output is right, else what was wrong. */
  run(ctx: WorkloadContext): string | null;
}

const here = decodeURIComponent(new URL(".", import.meta.url).pathname);

/** The first line where `got` and `want` differ, for a readable failure. */
function firstDifference(got: string, want: string): string {
  const g = got.split("\n");
  const w = want.split("\n");
  for (let i = 0; i < Math.max(g.length, w.length); i++) {
    if (g[i] !== w[i]) {
      return `line ${i + 1}: got ${JSON.stringify(g[i] ?? "<end>")}, want ${
        JSON.stringify(w[i] ?? "<end>")
      } (${g.length - 1} lines, want ${w.length - 1})`;
    }
  }
  return "same";
}

/** `null` if a step exited 0, else its exit code and the tail of its stderr. */
function failed(what: string, r: StepRun): string | null {
  if (r.code === 0) return null;
  const tail = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
  return `${what} exited ${r.code}: ${tail.slice(0, 300)}`;
}

// ---------------------------------------------------------------- Ruby

const RUBY_PKG: Pinned = {
  name: "@ruby/3.4-wasm-wasi",
  version: "2.10.1",
  integrity:
    "sha512-qrzIJ/7TGSpsZpFyLJb9OXO6TYAq18XoLd11We17Sr78hWpb5IGGFgMQ9A2Y8Ww5n0k8uKA/I8/P8MJdzlJX0Q==",
};

const RUBY_SCRIPT = `
require "json"
require "digest"
require "fileutils"
require "set"
root = "/work/data"
FileUtils.mkdir_p("#{root}/notes/deep")
words = %w[alpha beta gamma delta epsilon]
words.each_with_index { |w, i| File.write("#{root}/notes/#{w}.txt", "#{w}\\n" * (i + 1)) }
File.open("#{root}/notes/alpha.txt", "a") { |f| f.write("appended\\n") }
File.rename("#{root}/notes/epsilon.txt", "#{root}/notes/deep/epsilon.txt")
index = Dir.glob("#{root}/**/*.txt").sort.to_h { |p| [p.delete_prefix("#{root}/"), File.size(p)] }
File.write("#{root}/index.json", JSON.pretty_generate(index))
back = JSON.parse(File.read("#{root}/index.json"))
puts "files: #{back.size} bytes: #{back.values.sum}"
puts "sha256 alpha: #{Digest::SHA256.file("#{root}/notes/alpha.txt").hexdigest}"
File.open("#{root}/notes/gamma.txt") { |f| f.seek(6); puts "seek read: #{f.read(5)} pos=#{f.pos}" }
st = File.stat("#{root}/notes/beta.txt")
puts "stat: file=#{st.file?} size=#{st.size}"
puts "entries: #{Dir.children("#{root}/notes").sort.join(",")}"
FileUtils.rm_rf("#{root}/notes/deep")
puts "after rm_rf: #{Dir.exist?("#{root}/notes/deep")}"
puts "sizes: #{Set.new(words.map(&:size)).to_a.sort.join(",")}"
puts "ruby #{RUBY_VERSION}"
`;

const ruby: Workload = {
  id: "ruby",
  program: "Ruby 3.4 + stdlib (@ruby/3.4-wasm-wasi 2.10.1)",
  job: "FileUtils, Dir.glob, JSON, Digest, seek, append, rename, rm_rf in a preopened dir",
  packages: [RUBY_PKG],
  run({ dirs, scratch, step }) {
    const r = step({
      wasm: join(dirs[0], "package/dist/ruby+stdlib.wasm"),
      args: ["ruby"],
      preopens: { "/work": scratch },
      ruby: RUBY_SCRIPT,
    });
    const bad = failed("ruby", r);
    if (bad) return bad;
    const words = ["alpha", "beta", "gamma", "delta", "epsilon"];
    const sizes = words.map((w, i) => (w.length + 1) * (i + 1));
    sizes[0] += "appended\n".length;
    const alpha = createHash("sha256").update("alpha\nappended\n").digest("hex");
    const want = [
      `files: 5 bytes: ${sizes.reduce((a, b) => a + b)}`,
      `sha256 alpha: ${alpha}`,
      "seek read: gamma pos=11",
      `stat: file=true size=${sizes[1]}`,
      "entries: alpha.txt,beta.txt,deep,delta.txt,gamma.txt",
      "after rm_rf: false",
      "sizes: 4,5,7",
      "ruby 3.4.1",
      "",
    ].join("\n");
    if (r.stdout !== want) return `stdout ${firstDifference(r.stdout, want)}`;
    // The host sees what the guest wrote.
    const index = JSON.parse(readFileSync(join(scratch, "data/index.json"), "utf8"));
    if (index["notes/deep/epsilon.txt"] !== sizes[4] || Object.keys(index).length !== 5) {
      return `index.json on the host: ${JSON.stringify(index)}`;
    }
    return null;
  },
};

// ---------------------------------------------------------------- clang

const CLANG_PKG: Pinned = {
  name: "@yowasp/clang",
  version: "22.0.0-git20542-10",
  integrity:
    "sha512-V31/z9GrJECKeACTDUyvg2llbEUiFi3bxtL5HSg7H/6sydSxdI/AoVAD9F5ozrfLjotWl0B9rghR87m+DUM/zg==",
  // Headers, libraries and the sysroot come as a tar mounted at /usr.
  prepare(dir) {
    mkdirSync(join(dir, "usr"));
    const tar = join(dir, "package/gen/llvm-resources.tar");
    const r = spawnSync("tar", ["xf", tar, "-C", join(dir, "usr")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unpacking ${tar}: ${r.error ?? r.stderr}`);
  },
};

const C_SOURCE = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
int main(int argc, char **argv) {
  FILE *in = fopen(argv[1], "r");
  if (!in) { perror(argv[1]); return 1; }
  char *words[64];
  char buf[64];
  int n = 0, lines = 0;
  long bytes = 0;
  int c;
  while ((c = fgetc(in)) != EOF) { bytes++; if (c == '\\n') lines++; }
  rewind(in);
  while (n < 64 && fscanf(in, "%63s", buf) == 1) words[n++] = strdup(buf);
  fclose(in);
  qsort(words, n, sizeof *words, cmp);
  FILE *out = fopen(argv[2], "w");
  for (int i = 0; i < n; i++) fprintf(out, "%s\\n", words[i]);
  fclose(out);
  printf("lines=%d words=%d bytes=%ld first=%s last=%s\\n", lines, n, bytes, words[0], words[n - 1]);
  return 0;
}
`;

const CXX_SOURCE = `#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>
int main(int argc, char **argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::map<std::string, int> count;
  for (const auto &w : words) count[w]++;
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto &[w, n] : count) ranked.emplace_back(-n, w);
  std::sort(ranked.begin(), ranked.end());
  for (const auto &[n, w] : ranked) std::printf("%s %d\\n", w.c_str(), -n);
  return 0;
}
`;

/** The commands clang's driver would run (`-###`), as argument lists. */
function driverCommands(output: string): string[][] {
  return output.split("\n").filter((l) => l.startsWith(' "')).map((l) =>
    [...l.matchAll(/ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1"))
      .filter((a, i) => i > 0 || a !== "")
  );
}

const clang: Workload = {
  id: "clang",
  program: "clang 22 + wasm-ld (@yowasp/clang 22.0.0-git20542-10)",
  job: "compile and link a C and a C++ program, then run both on the same host",
  packages: [CLANG_PKG],
  run({ dirs, scratch, step }) {
    const llvm = join(dirs[0], "package/gen/llvm.core.wasm");
    const preopens = { "/": scratch, "/usr": join(dirs[0], "usr") };
    mkdirSync(join(scratch, "tmp"));
    writeFileSync(join(scratch, "wc.c"), C_SOURCE);
    writeFileSync(join(scratch, "rank.cpp"), CXX_SOURCE);
    writeFileSync(join(scratch, "words.txt"), "pear fig\napple kiwi fig\nbanana\n");
    // No processes in WASI: ask the driver for its commands, run each.
    const build = (driver: string, args: string[]): string | null => {
      const plan = step({ wasm: llvm, args: ["yowasp-llvm", driver, "-###", ...args], preopens });
      const bad = failed(`${driver} -###`, plan);
      if (bad) return bad;
      const commands = driverCommands(plan.stderr + plan.stdout);
      if (commands.length !== 2) return `${driver} -### planned ${commands.length} commands`;
      for (const command of commands) {
        const bad = failed(
          command[0],
          step({ wasm: llvm, args: ["yowasp-llvm", ...command], preopens }),
        );
        if (bad) return bad;
      }
      return null;
    };
    const target = ["--target=wasm32-wasip1", "-O2"];
    const problem = build("clang", [...target, "wc.c", "-o", "wc.wasm"]) ??
      build("clang++", [...target, "-fno-exceptions", "rank.cpp", "-o", "rank.wasm"]);
    if (problem) return problem;
    const wc = step({
      wasm: join(scratch, "wc.wasm"),
      args: ["wc", "/work/words.txt", "/work/sorted.txt"],
      preopens: { "/work": scratch },
    });
    const wcBad = failed("wc.wasm", wc);
    if (wcBad) return wcBad;
    const wcWant = "lines=3 words=6 bytes=31 first=apple last=pear\n";
    if (wc.stdout !== wcWant) return `wc.wasm stdout ${firstDifference(wc.stdout, wcWant)}`;
    const sorted = readFileSync(join(scratch, "sorted.txt"), "utf8");
    if (sorted !== "apple\nbanana\nfig\nfig\nkiwi\npear\n") return `sorted.txt: ${sorted}`;
    const rank = step({
      wasm: join(scratch, "rank.wasm"),
      args: ["rank", "b", "a", "c", "a", "b", "a"],
      preopens: {},
    });
    const rankBad = failed("rank.wasm", rank);
    if (rankBad) return rankBad;
    if (rank.stdout !== "a 3\nb 2\nc 1\n") return `rank.wasm stdout ${JSON.stringify(rank.stdout)}`;
    return null;
  },
};

// ---------------------------------------------------------------- yosys

const YOSYS_PKG: Pinned = {
  name: "@yowasp/yosys",
  version: "0.55.944",
  integrity:
    "sha512-O9yjd529cPb8R+FO7gpQRw658yGjApBN9JiqMg21+5tONXrGhF9EygKF/vDXrHvoYerYU7QqxIK05tQDhPYgPQ==",
  // yosys reads its techmap libraries from /share: the package holds them
  // as a JavaScript module of strings (and URLs of the largest files).
  async prepare(dir) {
    const gen = join(dir, "package/gen");
    const { filesystem } = await import(join(gen, "resources-yosys.js"));
    const put = (at: string, tree: Record<string, unknown>) => {
      mkdirSync(at, { recursive: true });
      for (const [name, value] of Object.entries(tree)) {
        if (typeof value === "string") writeFileSync(join(at, name), value);
        else if (value instanceof URL) {
          copyFileSync(decodeURIComponent(value.pathname), join(at, name));
        } else put(join(at, name), value as Record<string, unknown>);
      }
    };
    put(join(dir, "share"), filesystem.share);
  },
};

const DESIGN = `module top(input clk, input rst, input [1:0] op, input [3:0] a, input [3:0] b,
           output reg [3:0] acc, output zero);
  always @(posedge clk)
    if (rst) acc <= 0;
    else case (op)
      2'd0: acc <= acc + a;
      2'd1: acc <= acc - b;
      2'd2: acc <= a & b;
      default: acc <= acc ^ a;
    endcase
  assign zero = acc == 0;
endmodule
`;

/** Lines that hold timings, which differ from run to run. */
export function normalizeYosysLog(log: string): string {
  return log.replace(/CPU: user [0-9.]+s system [0-9.]+s/g, "CPU: user <t>s system <t>s")
    .replace(/^Time spent: .*$/m, "Time spent: <profile>");
}

const yosys: Workload = {
  id: "yosys",
  program: "yosys 0.55 (@yowasp/yosys 0.55.944)",
  job: "read_verilog; synth (with ABC); stat, no -q: the whole log, line for line",
  packages: [YOSYS_PKG],
  run({ dirs, scratch, step }) {
    mkdirSync(join(scratch, "tmp"));
    writeFileSync(join(scratch, "top.v"), DESIGN);
    const r = step({
      wasm: join(dirs[0], "package/gen/yosys.core.wasm"),
      args: ["yowasp-yosys", "-p", "read_verilog top.v; synth -top top; stat"],
      preopens: { "/": scratch, "/share": join(dirs[0], "share") },
    });
    const bad = failed("yosys", r);
    if (bad) return bad;
    const want = readFileSync(join(here, "expected/yosys-log.txt"), "utf8");
    const got = normalizeYosysLog(r.stdout);
    if (got !== want) return `log ${firstDifference(got, want)}`;
    return null;
  },
};

/** Every workload, in the order the suite runs them. */
export const WORKLOADS: readonly Workload[] = [ruby, clang, yosys];
