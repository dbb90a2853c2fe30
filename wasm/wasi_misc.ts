/**
 * The WASI preview1 calls that are not about files: arguments, environment,
 * clocks, randomness, `poll_oneoff` (clock subscriptions; files are always
 * ready), `proc_exit`, `sched_yield`, and the socket calls (no sockets here).
 *
 * @module
 */
import process from "node:process";
import { fstatFull } from "../ffi/host_files.ts";
import {
  appendOwn,
  atomics,
  BigIntCtor as BigInt,
  getRandomValues,
  Int32ArrayCtor,
  mathMin,
  mathTrunc,
  monotonicNow,
  NumberCtor as Number,
  ownList,
  typedArrayByteLength as lengthOf,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import type { HostContext, Syscall } from "./host_context.ts";
import { CLOCK, ERRNO, EVENTTYPE, SIZE, SUBSCRIPTION_CLOCK_ABSTIME } from "./wasi_defs.ts";

const RESOLUTION_NS = 1000n;

// Clocks, the sleep and the random source captured at load: a program that
// replaced `process.hrtime.bigint` or `Atomics.wait` later would decide how
// long a guest's poll_oneoff sleeps (a clock that stands still: forever),
// and a replaced `crypto.getRandomValues` what random_get hands the guest.
const hrtime: () => bigint = process.hrtime.bigint;
const cpuUsage: () => { user: number; system: number } = process.cpuUsage;
const timeOrigin = performance.timeOrigin;
const MAX_SUBSCRIPTIONS = 4096;

/** Nanoseconds on clock `id`, or `undefined` for an unknown clock. */
function now(id: number): bigint | undefined {
  switch (id) {
    case CLOCK.REALTIME:
      return BigInt(mathTrunc((timeOrigin + monotonicNow()) * 1000)) * 1000n;
    case CLOCK.MONOTONIC:
      return hrtime();
    case CLOCK.PROCESS_CPUTIME:
    case CLOCK.THREAD_CPUTIME: {
      const u = cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    }
  }
}

const sleeper = new Int32ArrayCtor(new SharedArrayBuffer(4));

/** Blocks this thread for `ns` nanoseconds. */
function sleep(ns: bigint): void {
  if (ns > 0n) atomics.wait(sleeper, 0, 0, Number(ns) / 1e6);
}

/** Writes NUL-terminated strings and their pointers (`args_get`, `environ_get`). */
function writeStrings(ctx: HostContext, list: readonly Uint8Array[], ptrs: number, buf: number) {
  const v = ctx.view();
  let at = buf >>> 0;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!, n = lengthOf(s);
    v.setU32((ptrs >>> 0) + 4 * i, at);
    const to = v.slice(at, n + 1);
    typedArraySet(to, s);
    to[n] = 0;
    at += n + 1;
  }
}

function writeSizes(ctx: HostContext, list: readonly Uint8Array[], count: number, size: number) {
  const v = ctx.view();
  let total = 0;
  for (let i = 0; i < list.length; i++) total += lengthOf(list[i]!) + 1;
  v.setU32(count >>> 0, list.length);
  v.setU32(size >>> 0, total);
}

// Made with no prototype: a `deadline` or `error` on Object.prototype is no subscription's.
interface Subscription {
  userdata: bigint;
  type: number;
  /** Clock subscriptions: the deadline on the monotonic clock. */
  deadline?: bigint;
  /** Immediate outcome of an fd subscription, or an error. */
  error?: number;
  nbytes?: bigint;
}

function readSubscription(ctx: HostContext, ptr: number): Subscription {
  const v = ctx.view();
  const userdata = v.u64(ptr);
  const type = v.dv.getUint8(ptr + 8);
  if (type === EVENTTYPE.CLOCK) {
    const id = v.u32(ptr + 16);
    const timeout = v.u64(ptr + 24);
    const flags = v.dv.getUint16(ptr + 40, true);
    const t = now(id);
    if (t === undefined) {
      return { __proto__: null, userdata, type, error: ERRNO.INVAL } as Subscription;
    }
    const left = flags & SUBSCRIPTION_CLOCK_ABSTIME ? timeout - t : timeout;
    return {
      __proto__: null,
      userdata,
      type,
      deadline: hrtime() + left,
    } as Subscription;
  }
  if (type === EVENTTYPE.FD_READ || type === EVENTTYPE.FD_WRITE) {
    try {
      const e = ctx.fds.get(v.u32(ptr + 16));
      let nbytes = 0n;
      if (type === EVENTTYPE.FD_READ && e.kind === "file") {
        const left = fstatFull(e.hostFd).size - BigInt(e.pos);
        nbytes = left > 0n ? left : 0n;
      }
      return { __proto__: null, userdata, type, nbytes } as Subscription;
    } catch {
      return { __proto__: null, userdata, type, error: ERRNO.BADF } as Subscription;
    }
  }
  return { __proto__: null, userdata, type, error: ERRNO.INVAL } as Subscription;
}

/** The calls that are not about files. */
export function miscCalls(ctx: HostContext): Record<string, Syscall> {
  return {
    args_get: (argv: number, buf: number) => writeStrings(ctx, ctx.args, argv, buf),
    args_sizes_get: (count: number, size: number) => writeSizes(ctx, ctx.args, count, size),
    environ_get: (envp: number, buf: number) => writeStrings(ctx, ctx.env, envp, buf),
    environ_sizes_get: (count: number, size: number) => writeSizes(ctx, ctx.env, count, size),

    clock_res_get(id: number, ptr: number) {
      if (now(id) === undefined) return ERRNO.INVAL;
      ctx.view().setU64(ptr >>> 0, RESOLUTION_NS);
    },

    clock_time_get(id: number, _precision: bigint, ptr: number) {
      const t = now(id);
      if (t === undefined) return ERRNO.INVAL;
      ctx.view().setU64(ptr >>> 0, t);
    },

    random_get(ptr: number, len: number) {
      const out = ctx.view().slice(ptr >>> 0, len >>> 0);
      // getRandomValues takes at most 64 KiB, and no views of shared memory.
      const chunk = new Uint8ArrayCtor(65536);
      const size = len >>> 0;
      for (let at = 0; at < size; at += 65536) {
        const part = typedArraySubarray(chunk, 0, mathMin(65536, size - at));
        getRandomValues(part);
        typedArraySet(out, part, at);
      }
    },

    poll_oneoff(inPtr: number, outPtr: number, count: number, nevents: number) {
      const n = count >>> 0;
      // Like the iovec limit: no host array of millions for one call.
      if (n === 0 || n > MAX_SUBSCRIPTIONS) return ERRNO.INVAL;
      // Room for an event per subscription, as the call's contract has it,
      // checked before it sleeps: a bad pointer answers at once.
      const out = ctx.view();
      out.fits(outPtr >>> 0, n * SIZE.event);
      out.fits(nevents >>> 0, 4);
      // Lists with no prototype, walked by index: no patched Array method
      // decides which events the guest is told of.
      const subs = ownList<Subscription>();
      for (let i = 0; i < n; i++) {
        appendOwn(subs, readSubscription(ctx, (inPtr >>> 0) + i * SIZE.subscription));
      }
      const pick = (take: (s: Subscription) => boolean) => {
        const out = ownList<Subscription>();
        for (let i = 0; i < subs.length; i++) if (take(subs[i]!)) appendOwn(out, subs[i]!);
        return out;
      };
      let ready = pick((s) => s.deadline === undefined);
      if (!ready.length) {
        let first = subs[0]!.deadline!;
        for (let i = 1; i < subs.length; i++) {
          if (subs[i]!.deadline! < first) first = subs[i]!.deadline!;
        }
        sleep(first - hrtime());
        const t = hrtime();
        ready = pick((s) => s.deadline! <= t || s.deadline === first);
      }
      const v = ctx.view();
      for (let i = 0; i < ready.length; i++) {
        const s = ready[i]!;
        const at = (outPtr >>> 0) + i * SIZE.event;
        v.slice(at, SIZE.event).fill(0);
        v.setU64(at, s.userdata);
        v.setU16(at + 8, s.error ?? ERRNO.SUCCESS);
        v.setU8(at + 10, s.type);
        v.setU64(at + 16, s.nbytes ?? 0n);
      }
      v.setU32(nevents >>> 0, ready.length);
    },

    proc_exit(code: number): never {
      ctx.exit(code >>> 0);
    },
    proc_raise: () => ERRNO.NOSYS,
    sched_yield: () => ERRNO.SUCCESS,

    sock_accept: (fd: number) => (ctx.fds.get(fd >>> 0), ERRNO.NOTSOCK),
    sock_recv: (fd: number) => (ctx.fds.get(fd >>> 0), ERRNO.NOTSOCK),
    sock_send: (fd: number) => (ctx.fds.get(fd >>> 0), ERRNO.NOTSOCK),
    sock_shutdown: (fd: number) => (ctx.fds.get(fd >>> 0), ERRNO.NOTSOCK),
  };
}
