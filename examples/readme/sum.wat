;; The guest of README.md's mapIntoMemory block: sum(ptr, len) adds up len bytes
;; of its memory from ptr. The README ships these bytes as base64;
;; tests/readme_guests_test.ts checks they are what this assembles to.
(module (import "env" "memory" (memory 1))
  (func (export "sum") (param $p i32) (param $n i32) (result i64) (local $s i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s)))
