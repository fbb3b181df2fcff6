;; The engine's hot loops between graph runs, in WebAssembly with 128-bit SIMD (4 float32 lanes). Every kernel
;; does the same float32 operations in the same order as its JavaScript twin in ../row-kernels.ts, and float32
;; lane arithmetic is IEEE-exact per operation, so both give bit-identical results; this file is only faster
;; (4 lanes per instruction, no Math.fround round trips through float64).
;;
;; Conventions: pointers are byte offsets into the imported (shared) memory; counts and widths are in elements;
;; every row loop runs whole vectors first and finishes a width that is not a multiple of 4 with scalar code.
;; Build: npm run build:kernels (wabt) writes kernels.wasm next to this file; a test checks they agree.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Adam / AdamW on a dense vector, torch.optim's single-tensor order in float32 (n a multiple of 4; callers
  ;; pad with zeros):
  ;;   p ← p·decay;  g ← g + l2·p;  m ← b1·m + (1 − b1)·g;  v ← b2·v + (1 − b2)·g²;  p ← p + negStep · m / (√v / bc2 + eps)
  (func (export "adam_dense")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $bc2 f32) (param $eps f32)
    (param $negStep f32) (param $decay f32) (param $l2 f32)
    (local $i i32) (local $end i32) (local $pi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local $B1 v128) (local $OMB1 v128) (local $B2 v128) (local $OMB2 v128) (local $BC2 v128) (local $EPS v128)
    (local $NEG v128) (local $DECAY v128) (local $L2 v128)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $OMB1 (f32x4.splat (local.get $omb1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $OMB2 (f32x4.splat (local.get $omb2)))
    (local.set $BC2 (f32x4.splat (local.get $bc2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $NEG (f32x4.splat (local.get $negStep)))
    (local.set $DECAY (f32x4.splat (local.get $decay)))
    (local.set $L2 (f32x4.splat (local.get $l2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $pi (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $i))) (local.get $DECAY)))
        (local.set $gi (f32x4.add (v128.load (i32.add (local.get $g) (local.get $i))) (f32x4.mul (local.get $L2) (local.get $pi))))
        (local.set $mi (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $B1))
          (f32x4.mul (local.get $OMB1) (local.get $gi))))
        (local.set $vi (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $B2))
          (f32x4.mul (local.get $OMB2) (f32x4.mul (local.get $gi) (local.get $gi)))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f32x4.add (local.get $pi)
            (f32x4.mul (local.get $NEG)
              (f32x4.div (local.get $mi) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $BC2)) (local.get $EPS))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; The slot whose row a row loop visits: order[t] when an order is given (order ≠ 0), else t.
  (func $slot (param $order i32) (param $t i32) (result i32)
    (if (result i32) (local.get $order)
      (then (i32.load (i32.add (local.get $order) (i32.shl (local.get $t) (i32.const 2)))))
      (else (local.get $t))))

  ;; torch.optim.SparseAdam on the rows of slots [start, end): p [rows, dim] the table, mv [rows, 2·dim] each
  ;; row's first and second moments side by side, grad [slots, dim], rows[slot] the row id:
  ;;   g ← g (+ l2·p);  m ← m + (g − m)(1 − b1);  v ← v + (g² − v)(1 − b2);  p ← p + negStep · m / (√v + eps)
  (func (export "adam_rows")
    (param $p i32) (param $mv i32) (param $rows i32) (param $order i32) (param $grad i32) (param $dim i32)
    (param $start i32) (param $end i32)
    (param $omb1 f32) (param $omb2 f32) (param $eps f32) (param $l2 f32) (param $negStep f32)
    (local $t i32) (local $s i32) (local $row i32) (local $pp i32) (local $mp i32) (local $vp i32) (local $gp i32)
    (local $j i32) (local $vecEnd i32) (local $width i32)
    (local $pv v128) (local $gv v128) (local $mv4 v128) (local $vv v128)
    (local $OMB1 v128) (local $OMB2 v128) (local $EPS v128) (local $L2 v128) (local $NEG v128) (local $USE_L2 v128)
    (local $ps f32) (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $OMB1 (f32x4.splat (local.get $omb1)))
    (local.set $OMB2 (f32x4.splat (local.get $omb2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $L2 (f32x4.splat (local.get $l2)))
    (local.set $NEG (f32x4.splat (local.get $negStep)))
    ;; all ones when l2 ≠ 0: the gradient is then g + l2·p, else g itself (as the JS kernel, which skips the add)
    (local.set $USE_L2 (i32x4.splat (i32.sub (i32.const 0) (f32.ne (local.get $l2) (f32.const 0)))))
    (local.set $width (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2)))
    (local.set $t (local.get $start))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $s (call $slot (local.get $order) (local.get $t)))
        (local.set $row (i32.load (i32.add (local.get $rows) (i32.shl (local.get $s) (i32.const 2)))))
        (local.set $pp (i32.add (local.get $p) (i32.mul (local.get $row) (local.get $width))))
        (local.set $mp (i32.add (local.get $mv) (i32.shl (i32.mul (local.get $row) (local.get $width)) (i32.const 1))))
        (local.set $vp (i32.add (local.get $mp) (local.get $width)))
        (local.set $gp (i32.add (local.get $grad) (i32.mul (local.get $s) (local.get $width))))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $nextVec
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
            (local.set $pv (v128.load (i32.add (local.get $pp) (local.get $j))))
            (local.set $gv (v128.load (i32.add (local.get $gp) (local.get $j))))
            (local.set $gv (v128.bitselect
              (f32x4.add (local.get $gv) (f32x4.mul (local.get $L2) (local.get $pv))) (local.get $gv) (local.get $USE_L2)))
            (local.set $mv4 (v128.load (i32.add (local.get $mp) (local.get $j))))
            (local.set $vv (v128.load (i32.add (local.get $vp) (local.get $j))))
            (local.set $mv4 (f32x4.add (local.get $mv4) (f32x4.mul (f32x4.sub (local.get $gv) (local.get $mv4)) (local.get $OMB1))))
            (local.set $vv (f32x4.add (local.get $vv)
              (f32x4.mul (f32x4.sub (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $vv)) (local.get $OMB2))))
            (v128.store (i32.add (local.get $mp) (local.get $j)) (local.get $mv4))
            (v128.store (i32.add (local.get $vp) (local.get $j)) (local.get $vv))
            (v128.store (i32.add (local.get $pp) (local.get $j))
              (f32x4.add (local.get $pv)
                (f32x4.mul (local.get $NEG) (f32x4.div (local.get $mv4) (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $EPS))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $nextVec)))
        (block $tailDone
          (loop $nextScalar
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $width)))
            (local.set $ps (f32.load (i32.add (local.get $pp) (local.get $j))))
            (local.set $gs (f32.load (i32.add (local.get $gp) (local.get $j))))
            (if (f32.ne (local.get $l2) (f32.const 0))
              (then (local.set $gs (f32.add (local.get $gs) (f32.mul (local.get $l2) (local.get $ps))))))
            (local.set $ms (f32.load (i32.add (local.get $mp) (local.get $j))))
            (local.set $vs (f32.load (i32.add (local.get $vp) (local.get $j))))
            (local.set $ms (f32.add (local.get $ms) (f32.mul (f32.sub (local.get $gs) (local.get $ms)) (local.get $omb1))))
            (local.set $vs (f32.add (local.get $vs)
              (f32.mul (f32.sub (f32.mul (local.get $gs) (local.get $gs)) (local.get $vs)) (local.get $omb2))))
            (f32.store (i32.add (local.get $mp) (local.get $j)) (local.get $ms))
            (f32.store (i32.add (local.get $vp) (local.get $j)) (local.get $vs))
            (f32.store (i32.add (local.get $pp) (local.get $j))
              (f32.add (local.get $ps)
                (f32.mul (local.get $negStep) (f32.div (local.get $ms) (f32.add (f32.sqrt (local.get $vs)) (local.get $eps))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextScalar)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $nextRow))))

  ;; Sparse Adagrad (torch.optim.Adagrad on a sparse gradient) on the rows of slots [start, end):
  ;;   g ← g (+ l2·p);  s ← s + g²;  p ← p + negLr · g / (√s + eps)
  (func (export "adagrad_rows")
    (param $p i32) (param $sum i32) (param $rows i32) (param $order i32) (param $grad i32) (param $dim i32)
    (param $start i32) (param $end i32)
    (param $eps f32) (param $l2 f32) (param $negLr f32)
    (local $t i32) (local $s i32) (local $pp i32) (local $sp i32) (local $gp i32) (local $j i32) (local $vecEnd i32) (local $width i32)
    (local $pv v128) (local $gv v128) (local $sv v128) (local $EPS v128) (local $L2 v128) (local $NEG v128) (local $USE_L2 v128)
    (local $ps f32) (local $gs f32) (local $ss f32)
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $L2 (f32x4.splat (local.get $l2)))
    (local.set $NEG (f32x4.splat (local.get $negLr)))
    (local.set $USE_L2 (i32x4.splat (i32.sub (i32.const 0) (f32.ne (local.get $l2) (f32.const 0)))))
    (local.set $width (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2)))
    (local.set $t (local.get $start))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $s (call $slot (local.get $order) (local.get $t)))
        (local.set $pp (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $s) (i32.const 2)))) (local.get $width)))
        (local.set $sp (i32.add (local.get $sum) (local.get $pp)))
        (local.set $pp (i32.add (local.get $p) (local.get $pp)))
        (local.set $gp (i32.add (local.get $grad) (i32.mul (local.get $s) (local.get $width))))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $nextVec
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
            (local.set $pv (v128.load (i32.add (local.get $pp) (local.get $j))))
            (local.set $gv (v128.load (i32.add (local.get $gp) (local.get $j))))
            (local.set $gv (v128.bitselect
              (f32x4.add (local.get $gv) (f32x4.mul (local.get $L2) (local.get $pv))) (local.get $gv) (local.get $USE_L2)))
            (local.set $sv (f32x4.add (v128.load (i32.add (local.get $sp) (local.get $j))) (f32x4.mul (local.get $gv) (local.get $gv))))
            (v128.store (i32.add (local.get $sp) (local.get $j)) (local.get $sv))
            (v128.store (i32.add (local.get $pp) (local.get $j))
              (f32x4.add (local.get $pv)
                (f32x4.mul (local.get $NEG) (f32x4.div (local.get $gv) (f32x4.add (f32x4.sqrt (local.get $sv)) (local.get $EPS))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $nextVec)))
        (block $tailDone
          (loop $nextScalar
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $width)))
            (local.set $ps (f32.load (i32.add (local.get $pp) (local.get $j))))
            (local.set $gs (f32.load (i32.add (local.get $gp) (local.get $j))))
            (if (f32.ne (local.get $l2) (f32.const 0))
              (then (local.set $gs (f32.add (local.get $gs) (f32.mul (local.get $l2) (local.get $ps))))))
            (local.set $ss (f32.add (f32.load (i32.add (local.get $sp) (local.get $j))) (f32.mul (local.get $gs) (local.get $gs))))
            (f32.store (i32.add (local.get $sp) (local.get $j)) (local.get $ss))
            (f32.store (i32.add (local.get $pp) (local.get $j))
              (f32.add (local.get $ps)
                (f32.mul (local.get $negLr) (f32.div (local.get $gs) (f32.add (f32.sqrt (local.get $ss)) (local.get $eps))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextScalar)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $nextRow))))

  ;; The slots of one single-id field's lookups: each id's slot in the batch's list of distinct rows, a new
  ;; slot at its first appearance (slotOf: row → slot or −1; unique: slot → row; count: slots so far), −1 for the
  ;; padding id 0. Returns the new count, or −1 − b when ids[b] is the first id that is not a row of the table
  ;; (checked before anything is assigned, so that a bad batch leaves no trace).
  (func (export "assign_slots")
    (param $ids i32) (param $size i32) (param $rows i32) (param $slotOf i32) (param $unique i32) (param $count i32)
    (param $pos i32) (result i32)
    (local $b i32) (local $id i32) (local $at i32) (local $slot i32)
    (block $checked
      (loop $check
        (br_if $checked (i32.ge_u (local.get $b) (local.get $size)))
        ;; unsigned: a negative id is out of range too
        (if (i32.ge_u (i32.load (i32.add (local.get $ids) (i32.shl (local.get $b) (i32.const 2)))) (local.get $rows))
          (then (return (i32.sub (i32.const -1) (local.get $b)))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $check)))
    (local.set $b (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $b) (local.get $size)))
        (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $b) (i32.const 2)))))
        (local.set $slot (i32.const -1))
        (if (local.get $id)
          (then
            (local.set $at (i32.add (local.get $slotOf) (i32.shl (local.get $id) (i32.const 2))))
            (local.set $slot (i32.load (local.get $at)))
            (if (i32.lt_s (local.get $slot) (i32.const 0))
              (then
                (local.set $slot (local.get $count))
                (i32.store (i32.add (local.get $unique) (i32.shl (local.get $slot) (i32.const 2))) (local.get $id))
                (i32.store (local.get $at) (local.get $slot))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))))
        (i32.store (i32.add (local.get $pos) (i32.shl (local.get $b) (i32.const 2))) (local.get $slot))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $next)))
    (local.get $count))

  ;; The scatter of dL/dE [size, stride] onto the deduplicated rows of the single-id fields, sample by sample
  ;; and field by field within a sample (the lookup order, so that a row's sum is added in the same order as by
  ;; the JavaScript loop and by torch). fields: `count` descriptors of 4 i32 each, [pos, grad, offset, dim]:
  ;;   grad[pos[b]·dim ..] += dE[b·stride + offset ..]   (pos[b] < 0: padding, skipped)
  (func (export "add_rows")
    (param $fields i32) (param $count i32) (param $dE i32) (param $size i32) (param $stride i32)
    (local $b i32) (local $k i32) (local $desc i32) (local $slot i32) (local $dst i32) (local $src i32)
    (local $j i32) (local $vecEnd i32) (local $width i32)
    (block $done
      (loop $nextSample
        (br_if $done (i32.ge_u (local.get $b) (local.get $size)))
        (local.set $k (i32.const 0))
        (block $fieldsDone
          (loop $nextField
            (br_if $fieldsDone (i32.ge_u (local.get $k) (local.get $count)))
            (local.set $desc (i32.add (local.get $fields) (i32.shl (local.get $k) (i32.const 4))))
            (local.set $slot (i32.load (i32.add (i32.load (local.get $desc)) (i32.shl (local.get $b) (i32.const 2)))))
            (if (i32.ge_s (local.get $slot) (i32.const 0))
              (then
                (local.set $width (i32.shl (i32.load offset=12 (local.get $desc)) (i32.const 2)))
                (local.set $vecEnd (i32.and (local.get $width) (i32.const -16)))
                (local.set $dst (i32.add (i32.load offset=4 (local.get $desc)) (i32.mul (local.get $slot) (local.get $width))))
                (local.set $src (i32.add (local.get $dE)
                  (i32.shl (i32.add (i32.mul (local.get $b) (local.get $stride)) (i32.load offset=8 (local.get $desc))) (i32.const 2))))
                (local.set $j (i32.const 0))
                (block $vecDone
                  (loop $nextVec
                    (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
                    (v128.store (i32.add (local.get $dst) (local.get $j))
                      (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $j))) (v128.load (i32.add (local.get $src) (local.get $j)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $nextVec)))
                (block $tailDone
                  (loop $nextScalar
                    (br_if $tailDone (i32.ge_u (local.get $j) (local.get $width)))
                    (f32.store (i32.add (local.get $dst) (local.get $j))
                      (f32.add (f32.load (i32.add (local.get $dst) (local.get $j))) (f32.load (i32.add (local.get $src) (local.get $j)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $nextScalar)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $nextField)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $nextSample))))

  ;; out[b·stride + offset ..][0, dim) = data[ids[b]·dim ..] for b < size: the gather of one single-id field.
  ;; Rows of a large table are cache and TLB misses; each chunk of 16 rows is first touched by bare loads, which
  ;; the CPU overlaps, then copied. Returns the touched values' sum so that the touching loads are kept.
  (func (export "copy_rows")
    (param $ids i32) (param $size i32) (param $data i32) (param $dim i32) (param $out i32) (param $stride i32) (param $offset i32)
    (result f32)
    (local $c0 i32) (local $c1 i32) (local $b i32) (local $src i32) (local $dst i32) (local $j i32) (local $vecEnd i32)
    (local $width i32) (local $touched f32)
    (local.set $width (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $nextChunk
        (br_if $done (i32.ge_u (local.get $c0) (local.get $size)))
        (local.set $c1 (select (local.get $size) (i32.add (local.get $c0) (i32.const 16))
          (i32.lt_u (local.get $size) (i32.add (local.get $c0) (i32.const 16)))))
        (local.set $b (local.get $c0))
        (block $touchDone
          (loop $touch
            (br_if $touchDone (i32.ge_u (local.get $b) (local.get $c1)))
            (local.set $touched (f32.add (local.get $touched) (f32.load (i32.add (local.get $data)
              (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $b) (i32.const 2)))) (local.get $width))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $touch)))
        (local.set $b (local.get $c0))
        (block $copyDone
          (loop $copy
            (br_if $copyDone (i32.ge_u (local.get $b) (local.get $c1)))
            (local.set $src (i32.add (local.get $data)
              (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $b) (i32.const 2)))) (local.get $width))))
            (local.set $dst (i32.add (local.get $out)
              (i32.shl (i32.add (i32.mul (local.get $b) (local.get $stride)) (local.get $offset)) (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $vecDone
              (loop $nextVec
                (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
                (v128.store (i32.add (local.get $dst) (local.get $j)) (v128.load (i32.add (local.get $src) (local.get $j))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $nextVec)))
            (block $tailDone
              (loop $nextScalar
                (br_if $tailDone (i32.ge_u (local.get $j) (local.get $width)))
                (f32.store (i32.add (local.get $dst) (local.get $j)) (f32.load (i32.add (local.get $src) (local.get $j))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $nextScalar)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $copy)))
        (local.set $c0 (local.get $c1))
        (br $nextChunk)))
    (local.get $touched))
)
