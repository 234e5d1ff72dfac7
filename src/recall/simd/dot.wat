;; Dot products of one query against many rows, 4 lanes at a time (WebAssembly SIMD).
;; Layout (all f32, little-endian): rows at $rows (n × dim), query at $query (dim), scores to $out (n).
;; dim must be a multiple of 16. Source of src/recall/simd/dot-wasm.ts (npm run build:wasm).
;; "restore" turns 8-bit code rows (i8, n × dim, at $codes) into unit f32 rows (at $out): each
;; code times 1 / sqrt(sum of squared codes), computed in f64 and rounded to f32, exactly as
;; restoreRow in vector-codes.ts does (any dim).
(module
  (memory (export "memory") 1)
  (func (export "dots") (param $rows i32) (param $query i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $r i32) (local $q i32) (local $stride i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $r (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $c (v128.const f32x4 0 0 0 0))
        (local.set $d (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (local.set $q (local.get $query))
        (block $rowdone
          (loop $col
            (br_if $rowdone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $a (f32x4.add (local.get $a) (f32x4.mul
              (v128.load (i32.add (local.get $r) (local.get $j)))
              (v128.load (i32.add (local.get $q) (local.get $j))))))
            (local.set $b (f32x4.add (local.get $b) (f32x4.mul
              (v128.load offset=16 (i32.add (local.get $r) (local.get $j)))
              (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
            (local.set $c (f32x4.add (local.get $c) (f32x4.mul
              (v128.load offset=32 (i32.add (local.get $r) (local.get $j)))
              (v128.load offset=32 (i32.add (local.get $q) (local.get $j))))))
            (local.set $d (f32x4.add (local.get $d) (f32x4.mul
              (v128.load offset=48 (i32.add (local.get $r) (local.get $j)))
              (v128.load offset=48 (i32.add (local.get $q) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 64)))
            (br $col)))
        (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $r (i32.add (local.get $r) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
  (func (export "restore") (param $codes i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $c i32) (local $o i32) (local $sum i64) (local $x i32) (local $inv f64)
    (local.set $c (local.get $codes))
    (local.set $o (local.get $out))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.const 0))
        (local.set $j (i32.const 0))
        (block $sumdone
          (loop $sq
            (br_if $sumdone (i32.ge_u (local.get $j) (local.get $dim)))
            (local.set $x (i32.load8_s (i32.add (local.get $c) (local.get $j))))
            (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_s (i32.mul (local.get $x) (local.get $x)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sq)))
        (local.set $inv (if (result f64) (i64.gt_s (local.get $sum) (i64.const 0))
          (then (f64.div (f64.const 1) (f64.sqrt (f64.convert_i64_s (local.get $sum)))))
          (else (f64.const 0))))
        (local.set $j (i32.const 0))
        (block $rowdone
          (loop $col
            (br_if $rowdone (i32.ge_u (local.get $j) (local.get $dim)))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2)))
              (f32.demote_f64 (f64.mul (f64.convert_i32_s (i32.load8_s (i32.add (local.get $c) (local.get $j)))) (local.get $inv))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $c (i32.add (local.get $c) (local.get $dim)))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $dim) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))))
