/**
 * The worker of grep.ts: maps the log itself (a map is cheap, and every
 * worker shares the same page-cache pages) and counts the matching lines in
 * the part it is sent.
 */
import { MMap } from "../mod.ts";
import { countLines } from "./_count_lines.ts";

let map: MMap | undefined;
const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (e: MessageEvent) => {
  const { path, needle, start, end } = e.data as {
    path: string;
    needle: Uint8Array;
    start: number;
    end: number;
  };
  map ??= MMap.open(path);
  scope.postMessage(start < 0 ? 0 : countLines(map, needle, start, end));
};
