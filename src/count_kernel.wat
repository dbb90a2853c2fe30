;; The byte-counting kernel of src/count_kernel.ts (WebAssembly SIMD).
;; Build: wat2wasm src/count_kernel.wat --output=- | base64 -w0, and paste it into
;; COUNT_KERNEL_WASM in src/count_kernel.ts (wabt; nothing is built at run time).
;; count(p, n, byte) returns how many of the n bytes at p equal byte. 16-byte
;; compares are summed into 8-bit lanes for up to 63 rounds of 64 bytes (252
;; per lane, no overflow), then widened into 32-bit lanes.
(module
  (memory (export "memory") 4 65536)
  ;; count(p, n, byte): how many bytes equal `byte` in [p, p+n)
  (func (export "count") (param $p i32) (param $n i32) (param $b i32) (result i32)
    (local $end i32) (local $k i32) (local $needle v128) (local $acc v128)
    (local $tot v128) (local $c i32)
    (local.set $needle (i8x16.splat (local.get $b)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $outer
        ;; at least 64 bytes left?
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 64)))
        ;; inner: up to 63 rounds of 64 bytes
        (local.set $k (i32.shr_u (i32.sub (local.get $end) (local.get $p)) (i32.const 6)))
        (if (i32.gt_u (local.get $k) (i32.const 63)) (then (local.set $k (i32.const 63))))
        (local.set $acc (v128.const i64x2 0 0))
        (loop $inner
          (local.set $acc (i8x16.sub (local.get $acc) (i8x16.eq (v128.load offset=0 (local.get $p)) (local.get $needle))))
          (local.set $acc (i8x16.sub (local.get $acc) (i8x16.eq (v128.load offset=16 (local.get $p)) (local.get $needle))))
          (local.set $acc (i8x16.sub (local.get $acc) (i8x16.eq (v128.load offset=32 (local.get $p)) (local.get $needle))))
          (local.set $acc (i8x16.sub (local.get $acc) (i8x16.eq (v128.load offset=48 (local.get $p)) (local.get $needle))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $inner (local.get $k)))
        (local.set $tot (i32x4.add (local.get $tot)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $acc)))))
        (br $outer)))
    (local.set $c (i32.add (i32.add (i32x4.extract_lane 0 (local.get $tot)) (i32x4.extract_lane 1 (local.get $tot)))
                           (i32.add (i32x4.extract_lane 2 (local.get $tot)) (i32x4.extract_lane 3 (local.get $tot)))))
    (block $t (loop $tail
      (br_if $t (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $c (i32.add (local.get $c) (i32.eq (i32.load8_u (local.get $p)) (local.get $b))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $tail)))
    (local.get $c))
)
