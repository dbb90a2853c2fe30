// What Node.js loads for "@seed/mmap" (package.json "exports", condition
// "node"): the package is TypeScript source for Deno's and Bun's FFI, and
// Node.js has neither, so importing it fails here with a message that says
// so, instead of Node's ERR_UNKNOWN_FILE_EXTENSION for a .ts file.
throw new Error(
  "@seed/mmap runs on Deno and Bun, not Node.js: it calls libc through their FFI " +
    "(Deno.dlopen, bun:ffi), which Node.js does not have. Run your program with " +
    "`deno run --allow-ffi` or `bun`.",
);
