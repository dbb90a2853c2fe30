// Worker for sync_hardening_test.ts: opens the shared region named in the
// first message, locks the Mutex at offset 0 and says "locked", then holds
// it until it is terminated. Never imported.
import { MMap, Mutex } from "../mod.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(v: unknown): void;
};
scope.onmessage = (e: MessageEvent) => {
  const m = MMap.shared(e.data as string, 4096);
  new Mutex(m, 0).lock();
  scope.postMessage("locked");
};
