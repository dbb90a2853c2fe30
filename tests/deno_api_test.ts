// ffi/deno_api.ts declares the part of Deno's API the Deno backend uses, so
// that the package type-checks without Deno's global types (tsc for Bun
// users). This file is where `deno check` holds that declaration to Deno's own.
import { it } from "node:test";
import assert from "node:assert/strict";
import { type DenoApi, denoApi } from "../ffi/deno_api.ts";
import { runtime } from "./_helpers.ts";

// Compile-time only: these fail `deno check` if Deno's declarations stop
// satisfying ours. A constructor's parameter is checked strictly, and Deno's
// pointers carry a brand no local type can name, so the view's constructor is
// checked with Deno's pointer type.
type View = DenoApi["UnsafePointerView"];
export const denoSatisfiesTheDeclaration = {
  rest: (deno: typeof Deno): Omit<DenoApi, "UnsafePointerView"> => deno,
  construct: (deno: typeof Deno, p: Deno.PointerObject): InstanceType<View> =>
    new deno.UnsafePointerView(p),
  getArrayBuffer: (deno: typeof Deno, p: Deno.PointerObject): ArrayBuffer =>
    deno.UnsafePointerView.getArrayBuffer(p, 8),
};

it("denoApi() is the Deno global in Deno", { skip: runtime !== "deno" }, () => {
  assert.equal(denoApi(), (globalThis as { Deno?: unknown }).Deno);
});
