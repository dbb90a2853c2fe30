;; The search kernel of src/search_kernel.ts (WebAssembly SIMD): count a byte, find a needle
;; (first or last).
;; Build: wat2wasm src/search_kernel.wat --output=- | base64 -w0, and paste it into
;; SEARCH_KERNEL_WASM in src/search_kernel.ts (wabt; nothing is built at run time).
;; count(p, n, byte) returns how many of the n bytes at p equal byte. 16-byte
;; compares are summed into 8-bit lanes for up to 63 rounds of 64 bytes (252
;; per lane, no overflow), then widened into 32-bit lanes.
;; The memory is shared (imported), so that a helper Worker's instance
;; (src/search_helper.ts) searches the same pages.
(module
  (import "env" "memory" (memory 4 65536 shared))
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

  ;; find(p, n, q, k, o1, o2, pre): offset of the first k-byte needle at q in
  ;; [p, p+n), or -1. Candidates are the positions where the needle's bytes at
  ;; o1 and o2 (two different positions below k, chosen rare by the caller)
  ;; both match, 128 at a step (no branch but one per step when neither
  ;; does), then 16, then one; each is checked in full by $equal. With pre
  ;; set (the byte at o1 is rare), a step first looks for that byte alone,
  ;; which costs half as much. k >= 2.
  (func (export "find") (param $p i32) (param $n i32) (param $q i32) (param $k i32)
    (param $o1 i32) (param $o2 i32) (param $pre i32) (result i32)
    (local $b1 v128) (local $b2 v128) (local $i i32) (local $r i32) (local $last i32)
    (local $x i32) (local $y i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (if (i32.lt_u (local.get $n) (local.get $k)) (then (return (i32.const -1))))
    (local.set $b1 (i8x16.splat (i32.load8_u (i32.add (local.get $q) (local.get $o1)))))
    (local.set $b2 (i8x16.splat (i32.load8_u (i32.add (local.get $q) (local.get $o2)))))
    ;; the last candidate: bytes up to last + k - 1 = n - 1 are read
    (local.set $last (i32.sub (local.get $n) (local.get $k)))
    (if (i32.ge_u (local.get $last) (i32.const 127))
      (then
        (loop $step
          ;; the 128 candidates from i: x and y point at their bytes at o1 and o2
          (local.set $x (i32.add (i32.add (local.get $p) (local.get $i)) (local.get $o1)))
          (local.set $y (i32.add (i32.add (local.get $p) (local.get $i)) (local.get $o2)))
          (block $next
            ;; a rare byte at o1: skip the block unless it occurs there at all
            (if (local.get $pre) (then
              (br_if $next (i32.eqz (v128.any_true
                (v128.or
                  (v128.or (v128.or (i8x16.eq (v128.load offset=0 (local.get $x)) (local.get $b1))
                                    (i8x16.eq (v128.load offset=16 (local.get $x)) (local.get $b1)))
                           (v128.or (i8x16.eq (v128.load offset=32 (local.get $x)) (local.get $b1))
                                    (i8x16.eq (v128.load offset=48 (local.get $x)) (local.get $b1))))
                  (v128.or (v128.or (i8x16.eq (v128.load offset=64 (local.get $x)) (local.get $b1))
                                    (i8x16.eq (v128.load offset=80 (local.get $x)) (local.get $b1)))
                           (v128.or (i8x16.eq (v128.load offset=96 (local.get $x)) (local.get $b1))
                                    (i8x16.eq (v128.load offset=112 (local.get $x)) (local.get $b1))))))))))
            (local.set $c0 (v128.and (i8x16.eq (v128.load offset=0 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=0 (local.get $y)) (local.get $b2))))
            (local.set $c1 (v128.and (i8x16.eq (v128.load offset=16 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=16 (local.get $y)) (local.get $b2))))
            (local.set $c2 (v128.and (i8x16.eq (v128.load offset=32 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=32 (local.get $y)) (local.get $b2))))
            (local.set $c3 (v128.and (i8x16.eq (v128.load offset=48 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=48 (local.get $y)) (local.get $b2))))
            (local.set $c4 (v128.and (i8x16.eq (v128.load offset=64 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=64 (local.get $y)) (local.get $b2))))
            (local.set $c5 (v128.and (i8x16.eq (v128.load offset=80 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=80 (local.get $y)) (local.get $b2))))
            (local.set $c6 (v128.and (i8x16.eq (v128.load offset=96 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=96 (local.get $y)) (local.get $b2))))
            (local.set $c7 (v128.and (i8x16.eq (v128.load offset=112 (local.get $x)) (local.get $b1))
                                     (i8x16.eq (v128.load offset=112 (local.get $y)) (local.get $b2))))
            (br_if $next (i32.eqz (v128.any_true (v128.or
                (v128.or (v128.or (local.get $c0) (local.get $c1)) (v128.or (local.get $c2) (local.get $c3)))
                (v128.or (v128.or (local.get $c4) (local.get $c5)) (v128.or (local.get $c6) (local.get $c7)))))))
            (local.set $r (call $first64 (local.get $p) (local.get $i) (local.get $q) (local.get $k)
              (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)))
            (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
            (local.set $r (call $first64 (local.get $p) (i32.add (local.get $i) (i32.const 64))
              (local.get $q) (local.get $k)
              (local.get $c4) (local.get $c5) (local.get $c6) (local.get $c7)))
            (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r)))))
          (local.set $i (i32.add (local.get $i) (i32.const 128)))
          (br_if $step (i32.le_u (local.get $i) (i32.sub (local.get $last) (i32.const 127)))))))
    ;; 16 at a step while 16 candidates fit
    (block $done16
      (br_if $done16 (i32.lt_u (local.get $last) (i32.const 15)))
      (loop $step16
        (br_if $done16 (i32.gt_u (local.get $i) (i32.sub (local.get $last) (i32.const 15))))
        (local.set $x (i32.add (local.get $p) (local.get $i)))
        (local.set $r (call $first (local.get $p) (local.get $i)
          (i8x16.bitmask (v128.and
            (i8x16.eq (v128.load (i32.add (local.get $x) (local.get $o1))) (local.get $b1))
            (i8x16.eq (v128.load (i32.add (local.get $x) (local.get $o2))) (local.get $b2))))
          (local.get $q) (local.get $k)))
        (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $step16)))
    ;; the last positions, one at a time
    (block $tdone
      (loop $t
        (br_if $tdone (i32.gt_u (local.get $i) (local.get $last)))
        (if (call $equal (i32.add (local.get $p) (local.get $i)) (local.get $q) (local.get $k))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $t)))
    (i32.const -1))

  ;; rfind(p, n, q, k, o1, o2, pre): offset of the last k-byte needle at q in
  ;; [p, p+n), or -1; as find, 128 candidates at a step from the end, then
  ;; the first ones (fewer than 128) one at a time from the last of them.
  (func (export "rfind") (param $p i32) (param $n i32) (param $q i32) (param $k i32)
    (param $o1 i32) (param $o2 i32) (param $pre i32) (result i32)
    (local $j i32)
    (local $b1 v128) (local $b2 v128) (local $i i32) (local $r i32) (local $last i32)
    (local $x i32) (local $y i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (if (i32.lt_u (local.get $n) (local.get $k)) (then (return (i32.const -1))))
    (local.set $b1 (i8x16.splat (i32.load8_u (i32.add (local.get $q) (local.get $o1)))))
    (local.set $b2 (i8x16.splat (i32.load8_u (i32.add (local.get $q) (local.get $o2)))))
    ;; the last candidate: bytes up to last + k - 1 = n - 1 are read
    (local.set $last (i32.sub (local.get $n) (local.get $k)))
    ;; candidates below j are not checked yet
    (local.set $j (i32.add (local.get $last) (i32.const 1)))
    (block $done
      (loop $step
        (br_if $done (i32.lt_u (local.get $j) (i32.const 128)))
        (local.set $i (i32.sub (local.get $j) (i32.const 128)))
        ;; the 128 candidates from i: x and y point at their bytes at o1 and o2
        (local.set $x (i32.add (i32.add (local.get $p) (local.get $i)) (local.get $o1)))
        (local.set $y (i32.add (i32.add (local.get $p) (local.get $i)) (local.get $o2)))
        (block $next
          ;; a rare byte at o1: skip the block unless it occurs there at all
          (if (local.get $pre) (then
            (br_if $next (i32.eqz (v128.any_true
              (v128.or
                (v128.or (v128.or (i8x16.eq (v128.load offset=0 (local.get $x)) (local.get $b1))
                                  (i8x16.eq (v128.load offset=16 (local.get $x)) (local.get $b1)))
                         (v128.or (i8x16.eq (v128.load offset=32 (local.get $x)) (local.get $b1))
                                  (i8x16.eq (v128.load offset=48 (local.get $x)) (local.get $b1))))
                (v128.or (v128.or (i8x16.eq (v128.load offset=64 (local.get $x)) (local.get $b1))
                                  (i8x16.eq (v128.load offset=80 (local.get $x)) (local.get $b1)))
                         (v128.or (i8x16.eq (v128.load offset=96 (local.get $x)) (local.get $b1))
                                  (i8x16.eq (v128.load offset=112 (local.get $x)) (local.get $b1))))))))))
          (local.set $c0 (v128.and (i8x16.eq (v128.load offset=0 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=0 (local.get $y)) (local.get $b2))))
          (local.set $c1 (v128.and (i8x16.eq (v128.load offset=16 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=16 (local.get $y)) (local.get $b2))))
          (local.set $c2 (v128.and (i8x16.eq (v128.load offset=32 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=32 (local.get $y)) (local.get $b2))))
          (local.set $c3 (v128.and (i8x16.eq (v128.load offset=48 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=48 (local.get $y)) (local.get $b2))))
          (local.set $c4 (v128.and (i8x16.eq (v128.load offset=64 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=64 (local.get $y)) (local.get $b2))))
          (local.set $c5 (v128.and (i8x16.eq (v128.load offset=80 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=80 (local.get $y)) (local.get $b2))))
          (local.set $c6 (v128.and (i8x16.eq (v128.load offset=96 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=96 (local.get $y)) (local.get $b2))))
          (local.set $c7 (v128.and (i8x16.eq (v128.load offset=112 (local.get $x)) (local.get $b1))
                                   (i8x16.eq (v128.load offset=112 (local.get $y)) (local.get $b2))))
          (br_if $next (i32.eqz (v128.any_true (v128.or
              (v128.or (v128.or (local.get $c0) (local.get $c1)) (v128.or (local.get $c2) (local.get $c3)))
              (v128.or (v128.or (local.get $c4) (local.get $c5)) (v128.or (local.get $c6) (local.get $c7)))))))
          (local.set $r (call $last64 (local.get $p) (i32.add (local.get $i) (i32.const 64))
            (local.get $q) (local.get $k)
            (local.get $c4) (local.get $c5) (local.get $c6) (local.get $c7)))
          (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
          (local.set $r (call $last64 (local.get $p) (local.get $i) (local.get $q) (local.get $k)
            (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)))
          (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r)))))
        (local.set $j (local.get $i))
        (br $step)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eqz (local.get $j)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (if (call $equal (i32.add (local.get $p) (local.get $j)) (local.get $q) (local.get $k))
          (then (return (local.get $j))))
        (br $t)))
    (i32.const -1))

  ;; first64(p, i, q, k, c0..c3): the first candidate of the 64 from i whose
  ;; lane is set in c0..c3 (16 each) where the needle is, or -1
  (func $first64 (param $p i32) (param $i i32) (param $q i32) (param $k i32)
    (param $c0 v128) (param $c1 v128) (param $c2 v128) (param $c3 v128) (result i32)
    (local $r i32)
    (local.set $r (call $first (local.get $p) (local.get $i)
      (i8x16.bitmask (local.get $c0)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (local.set $r (call $first (local.get $p) (i32.add (local.get $i) (i32.const 16))
      (i8x16.bitmask (local.get $c1)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (local.set $r (call $first (local.get $p) (i32.add (local.get $i) (i32.const 32))
      (i8x16.bitmask (local.get $c2)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (call $first (local.get $p) (i32.add (local.get $i) (i32.const 48))
      (i8x16.bitmask (local.get $c3)) (local.get $q) (local.get $k)))

  ;; last64(p, i, q, k, c0..c3): as first64, the last such candidate
  (func $last64 (param $p i32) (param $i i32) (param $q i32) (param $k i32)
    (param $c0 v128) (param $c1 v128) (param $c2 v128) (param $c3 v128) (result i32)
    (local $r i32)
    (local.set $r (call $last (local.get $p) (i32.add (local.get $i) (i32.const 48))
      (i8x16.bitmask (local.get $c3)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (local.set $r (call $last (local.get $p) (i32.add (local.get $i) (i32.const 32))
      (i8x16.bitmask (local.get $c2)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (local.set $r (call $last (local.get $p) (i32.add (local.get $i) (i32.const 16))
      (i8x16.bitmask (local.get $c1)) (local.get $q) (local.get $k)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then (return (local.get $r))))
    (call $last (local.get $p) (local.get $i)
      (i8x16.bitmask (local.get $c0)) (local.get $q) (local.get $k)))

  ;; first(p, i, m, q, k): the first candidate i + (set bit of m) where the
  ;; needle is, or -1
  (func $first (param $p i32) (param $i i32) (param $m i32) (param $q i32) (param $k i32)
    (result i32)
    (local $at i32)
    (block $none
      (loop $each
        (br_if $none (i32.eqz (local.get $m)))
        (local.set $at (i32.add (local.get $i) (i32.ctz (local.get $m))))
        (if (call $equal (i32.add (local.get $p) (local.get $at)) (local.get $q) (local.get $k))
          (then (return (local.get $at))))
        (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
        (br $each)))
    (i32.const -1))

  ;; last(p, i, m, q, k): as first, the last such candidate
  (func $last (param $p i32) (param $i i32) (param $m i32) (param $q i32) (param $k i32)
    (result i32)
    (local $bit i32) (local $at i32)
    (block $none
      (loop $each
        (br_if $none (i32.eqz (local.get $m)))
        (local.set $bit (i32.sub (i32.const 31) (i32.clz (local.get $m))))
        (local.set $at (i32.add (local.get $i) (local.get $bit)))
        (if (call $equal (i32.add (local.get $p) (local.get $at)) (local.get $q) (local.get $k))
          (then (return (local.get $at))))
        (local.set $m (i32.xor (local.get $m) (i32.shl (i32.const 1) (local.get $bit))))
        (br $each)))
    (i32.const -1))

  ;; equal(a, b, k): 1 when the k bytes at a and at b are the same
  (func $equal (param $a i32) (param $b i32) (param $k i32) (result i32)
    (local $j i32)
    (block $words
      (loop $w
        (br_if $words (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $k)))
        (if (i64.ne (i64.load (i32.add (local.get $a) (local.get $j)))
                    (i64.load (i32.add (local.get $b) (local.get $j))))
          (then (return (i32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $w)))
    (block $bytes
      (loop $b1
        (br_if $bytes (i32.ge_u (local.get $j) (local.get $k)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $j)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $j))))
          (then (return (i32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $b1)))
    (i32.const 1))
)
