;; The core module of a component in the `summer` world of wasm/mmap.wit:
;; it imports seed:mmap/mmap, maps the file the host calls `fd`, sums its
;; bytes, and unmaps it. Lowered by the canonical ABI, `map` and `unmap` take
;; a last parameter: where to write their result<_, errno> (tag byte at +0,
;; payload at +4).
(module
  (import "seed:mmap/mmap@0.1.0" "map" (func $map (param i32 i64 i32 i32 i32 i32)))
  (import "seed:mmap/mmap@0.1.0" "unmap" (func $unmap (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "sum-file") (param $fd i32) (param $len i32) (result i64)
    (local $p i32) (local $end i32) (local $s i64)
    ;; map(fd, offset 0, len, READ, PRIVATE) -> result at 16
    (call $map (local.get $fd) (i64.const 0) (local.get $len) (i32.const 1) (i32.const 2)
      (i32.const 16))
    ;; An error: return -errno.
    (if (i32.load8_u (i32.const 16))
      (then (return (i64.sub (i64.const 0) (i64.load16_u (i32.const 20))))))
    (local.set $p (i32.load (i32.const 20)))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (call $unmap (i32.load (i32.const 20)) (local.get $len) (i32.const 16))
    (local.get $s)))
