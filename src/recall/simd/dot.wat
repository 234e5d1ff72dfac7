;; Dot products of 8-bit code rows (WebAssembly SIMD), the kernel of src/recall/vector-index.ts.
;; Rows are i8, n × dim (dim a multiple of 16), at $rows; results are exact i32 sums to $out.
;; "dots": each row against the query at $query. "selfdots": each row against itself (its squared
;; norm). Source of src/recall/simd/dot-wasm.ts (npm run build:wasm).
(module
  (memory (export "memory") 1)
  (func $run (param $rows i32) (param $query i32) (param $self i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $q i32) (local $end i32)
    (local $acc v128) (local $r v128) (local $qv v128)
    (local.set $p (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $q (if (result i32) (local.get $self) (then (local.get $p)) (else (local.get $query))))
        (local.set $end (i32.add (local.get $p) (local.get $dim)))
        (loop $col
          (local.set $r (v128.load (local.get $p)))
          (local.set $qv (v128.load (local.get $q)))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $r)) (i16x8.extend_low_i8x16_s (local.get $qv)))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $r)) (i16x8.extend_high_i8x16_s (local.get $qv))))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
  (func (export "dots") (param $rows i32) (param $query i32) (param $n i32) (param $dim i32) (param $out i32)
    (call $run (local.get $rows) (local.get $query) (i32.const 0) (local.get $n) (local.get $dim) (local.get $out)))
  (func (export "selfdots") (param $rows i32) (param $n i32) (param $dim i32) (param $out i32)
    (call $run (local.get $rows) (i32.const 0) (i32.const 1) (local.get $n) (local.get $dim) (local.get $out))))
