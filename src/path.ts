/**
 * File paths as the API takes them: a string or a `file:` URL.
 *
 * @module
 */
import { typeName } from "./args.ts";

/** The path string of a `string | URL` argument. */
export function toPath(path: unknown): string {
  if (typeof path === "string") {
    if (path === "") throw new TypeError("path must not be empty");
    return path;
  }
  if (path instanceof URL) {
    if (path.protocol !== "file:") {
      throw new TypeError(`path URL must use the file: scheme, not ${path.protocol}`);
    }
    if (path.hostname !== "" && path.hostname !== "localhost") {
      throw new TypeError(`file URL must be local, not on host ${path.hostname}`);
    }
    return decodeURIComponent(path.pathname);
  }
  throw new TypeError(`path must be a string or a file: URL, not ${typeName(path)}`);
}
