;; Dot products of 8-bit code rows (WebAssembly SIMD), the kernel of src/recall/vector-index.ts.
;; Rows are i8, n × dim (dim a multiple of 16), at $rows; results are exact i32 sums to $out.
;; "dots": each row against the query at $query, given widened to i16 (dim × 2 bytes), two rows
;; per pass so each query vector is loaded once for both. "selfdots": each row against itself
;; (its squared norm). Source of src/recall/simd/dot-wasm.ts (npm run build:wasm).
(module
  (memory (export "memory") 1)
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  ;; 16 codes of a row (i8) against 16 widened query codes at $q (i16), as 4 partial i32 sums.
  (func $dot16 (param $r v128) (param $q0 v128) (param $q1 v128) (result v128)
    (i32x4.add
      (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $r)) (local.get $q0))
      (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $r)) (local.get $q1))))
  (func (export "dots") (param $rows i32) (param $query i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $q i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $q0 v128) (local $q1 v128)
    (local.set $p (local.get $rows))
    (block $pairs
      (loop $pair
        (br_if $pairs (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $query))
        (local.set $end (i32.add (local.get $p) (local.get $dim)))
        (loop $col
          (local.set $q0 (v128.load (local.get $q)))
          (local.set $q1 (v128.load offset=16 (local.get $q)))
          (local.set $a0 (i32x4.add (local.get $a0) (call $dot16 (v128.load (local.get $p)) (local.get $q0) (local.get $q1))))
          (local.set $a1 (i32x4.add (local.get $a1) (call $dot16 (v128.load (i32.add (local.get $p) (local.get $dim))) (local.get $q0) (local.get $q1))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $col (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $hsum (local.get $a0)))
        (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $hsum (local.get $a1)))
        ;; $p has passed row i; row i + 1 was read alongside: skip it.
        (local.set $p (i32.add (local.get $p) (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pair)))
    ;; An odd last row on its own.
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $query))
        (local.set $end (i32.add (local.get $p) (local.get $dim)))
        (loop $col
          (local.set $a0 (i32x4.add (local.get $a0) (call $dot16 (v128.load (local.get $p)) (v128.load (local.get $q)) (v128.load offset=16 (local.get $q)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $col (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $hsum (local.get $a0))))))
  (func (export "selfdots") (param $rows i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $end i32) (local $acc v128) (local $r v128)
    (local.set $p (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $end (i32.add (local.get $p) (local.get $dim)))
        (loop $col
          (local.set $r (v128.load (local.get $p)))
          (local.set $acc (i32x4.add (local.get $acc)
            (call $dot16 (local.get $r) (i16x8.extend_low_i8x16_s (local.get $r)) (i16x8.extend_high_i8x16_s (local.get $r)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (call $hsum (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))))
