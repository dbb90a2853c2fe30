;; The newline kernel of src/lines_kernel.ts (WebAssembly SIMD): where the "\n"s are.
;; Build: wat2wasm src/lines_kernel.wat --output=- | base64 -w0, and paste it into
;; LINES_KERNEL_WASM in src/lines_kernel.ts (wabt; nothing is built at run time).
;; newlines(p, n, out, max) writes the offsets (from p) of the "\n" bytes in
;; [p, p+n), in order, as i32s at out, and returns how many: at most max, so a
;; return of max means the scan stopped early and goes on after the last one.
;; 64 bytes a step: four 16-byte compares, their bitmasks joined into one i64,
;; then one store per set bit (lowest first).
(module
  (memory (export "memory") 2 2)
  (func (export "newlines") (param $p i32) (param $n i32) (param $out i32) (param $max i32) (result i32)
    (local $i i32) (local $m i64) (local $c i32) (local $nl v128) (local $x i32)
    (local.set $nl (i8x16.splat (i32.const 10)))
    (block $done (loop $step
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 64)) (local.get $n)))
      (local.set $x (i32.add (local.get $p) (local.get $i)))
      (local.set $m (i64.or
        (i64.or (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=0 (local.get $x)) (local.get $nl))))
                (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=16 (local.get $x)) (local.get $nl)))) (i64.const 16)))
        (i64.or (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=32 (local.get $x)) (local.get $nl)))) (i64.const 32))
                (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=48 (local.get $x)) (local.get $nl)))) (i64.const 48)))))
      (block $bits (loop $bit
        (br_if $bits (i64.eqz (local.get $m)))
        (if (i32.eq (local.get $c) (local.get $max)) (then (return (local.get $c))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
          (i32.add (local.get $i) (i32.wrap_i64 (i64.ctz (local.get $m)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (local.set $m (i64.and (local.get $m) (i64.sub (local.get $m) (i64.const 1))))
        (br $bit)))
      (local.set $i (i32.add (local.get $i) (i32.const 64)))
      (br $step)))
    (block $t (loop $tail
      (br_if $t (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eq (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 10)) (then
        (if (i32.eq (local.get $c) (local.get $max)) (then (return (local.get $c))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (local.get $i))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail)))
    (local.get $c)))
