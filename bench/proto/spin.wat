;; Bench-only probe: atomic loads/stores and a spin loop on a shared memory
;; whose pages are a shared map's (bench/proto/pingpong.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "ld") (param $a i32) (result i32)
    (i32.atomic.load (local.get $a)))
  (func (export "st") (param $a i32) (param $v i32)
    (i32.atomic.store (local.get $a) (local.get $v)))
  (func (export "xchg") (param $a i32) (param $v i32) (result i32)
    (i32.atomic.rmw.xchg (local.get $a) (local.get $v)))
  ;; Loads [a] up to n times; returns the first value that is not `seen` (or `seen`).
  (func (export "spin") (param $a i32) (param $seen i32) (param $n i32) (result i32)
    (local $v i32)
    (loop $l
      (local.set $v (i32.atomic.load (local.get $a)))
      (if (i32.ne (local.get $v) (local.get $seen)) (then (return (local.get $v))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $seen))
  ;; Spins until [a] == want, up to n looks; returns 1 if it came.
  (func (export "spineq") (param $a i32) (param $want i32) (param $n i32) (result i32)
    (loop $l
      (if (i32.eq (i32.atomic.load (local.get $a)) (local.get $want)) (then (return (i32.const 1))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (i32.const 0))
)
