// Worker for _fault_child.ts's "worker" case: maps a file, cuts it, loads a
// lost page, and posts what it saw. Never imported by the suite.
import { truncateSync, writeFileSync } from "node:fs";
import { MMap, MMapOSError, PAGESIZE } from "../mod.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<string>) => void) | null;
  postMessage(data: unknown): void;
};
scope.onmessage = (e) => {
  const path = e.data;
  writeFileSync(path, new Uint8Array(3 * PAGESIZE).fill(7));
  const m = MMap.open(path);
  const bytes = m.bytes;
  truncateSync(path, PAGESIZE);
  const lost = bytes[2 * PAGESIZE];
  let error = "none";
  try {
    m.read(1);
  } catch (err) {
    error = err instanceof MMapOSError ? err.code : String(err);
  }
  scope.postMessage({ lost, faulted: m.faulted, error, status: MMap.faultGuard });
  m.close();
};
