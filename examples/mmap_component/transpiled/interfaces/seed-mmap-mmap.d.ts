// deno-lint-ignore-file
// deno-fmt-ignore-file
/** @module Interface seed:mmap/mmap@0.1.0 **/
export function map(fd: number, offset: bigint, length: number, prot: Prot, flags: MapFlags): number;
export function unmap(address: number, length: number): void;
export type Prot = number;
export type MapFlags = number;
export type Errno = number;
