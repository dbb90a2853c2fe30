/**
 * File paths as the API takes them: a string or a `file:` URL.
 *
 * @module
 */
import { typeName } from "./args.ts";
import { accessorOf } from "../ffi/primordials.ts";

// The engine's own URL getters: they read the URL's internal state, so a
// Proxy or an object that only inherits from URL.prototype is refused, and
// a subclass's getters (which may answer differently each time) are not run.
const urlProtocol = accessorOf(URL.prototype, "protocol")!;
const urlHostname = accessorOf(URL.prototype, "hostname")!;
const urlPathname = accessorOf(URL.prototype, "pathname")!;
const decodeComponent = decodeURIComponent;

/** The path string of a `string | URL` argument. */
export function toPath(path: unknown): string {
  if (typeof path === "string") {
    if (path === "") throw new TypeError("path must not be empty");
    return path;
  }
  let protocol: string;
  try {
    protocol = urlProtocol(path);
  } catch {
    const what = typeName(path);
    throw new TypeError(
      `path must be a string or a file: URL, not ${
        what === "URL" ? "an object posing as a URL (a Proxy, or no URL inside)" : what
      }`,
    );
  }
  if (protocol !== "file:") {
    throw new TypeError(`path URL must use the file: scheme, not ${protocol}`);
  }
  const hostname: string = urlHostname(path);
  if (hostname !== "" && hostname !== "localhost") {
    throw new TypeError(`file URL must be local, not on host ${hostname}`);
  }
  return decodeComponent(urlPathname(path));
}
