// The Worker of _escape_child.ts: takes a buffer that was moved to it,
// says so, and on "read" (sent after the sender closed its map) reads and
// writes it.
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};
let buffer: ArrayBuffer | null = null;
scope.onmessage = (e) => {
  if (e.data instanceof ArrayBuffer) {
    buffer = e.data;
    scope.postMessage("got");
    return;
  }
  const u = new Uint8Array(buffer!);
  const before = u[0];
  u[0] = 99;
  scope.postMessage({ length: u.length, before, after: u[0] });
};
