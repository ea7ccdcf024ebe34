/**
 * Source of the WebAssembly GEMM module, as a generator of WebAssembly text (WAT).
 *
 * The micro-kernel and the packing routines are unrolled for a fixed register tile
 * (MR rows x NR columns of C); writing them by hand would be hundreds of repetitive lines,
 * so this file spells each routine once and expands it. `scripts/build-wasm.ts` assembles
 * the text with wabt and embeds the bytes in `gemmModule.generated.ts`; nothing here runs
 * at engine run time (it is pure string building, kept beside the loader so the source
 * and the bytes live together).
 *
 * Scheme (BLIS-style): C[rows, n] = op(A)[rows, k] · op(B)[k, n], with op(A)(i, p) at
 * `a + i*ars + p*acs` and op(B)(p, j) at `b + p*brs + j*bcs` (byte strides), so the four
 * transpose variants differ only in strides; packing turns every variant into the same
 * contiguous panels:
 *
 *   for jc (NC columns) / for pc (KC of the inner dimension): pack B block -> [NR panels][kc][NR]
 *     for ic (MC rows): pack A block -> [MR panels][kc][MR]
 *       for jr (NR) / for ir (MR): micro-kernel: MR x NR tile of C += Ap · Bp over kc
 *
 * The B micro-panel (kc x NR) stays in L1 while the A block (MC x KC) streams from L2.
 * Edge tiles are computed whole into a scratch tile and only their valid part is merged,
 * so the micro-kernel never branches on sizes. A transposing pack uses 4x4 shuffles.
 */

export interface GemmWatOptions {
  /** Rows of the register tile. */
  mr: number;
  /** Columns of the register tile (a multiple of 4). */
  nr: number;
  /** Use f32x4.relaxed_madd (fused multiply-add where the CPU has it). */
  relaxed: boolean;
  /** Unroll factor of the micro-kernel's k loop (1 or 2). */
  unroll: number;
}

const lines = (xs: string[]): string => xs.join('\n');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** i8x16.shuffle byte indices for four i32 lanes (0..3 from x, 4..7 from y). */
function lanes(l: number[]): string {
  return l.flatMap((x) => [0, 1, 2, 3].map((b) => x * 4 + b)).join(' ');
}

/**
 * The micro-kernel: tile (MR x NR at c, row stride ldc bytes) = or += Ap[kc][MR] · Bp[kc][NR].
 * `direct`: A is read in place instead of from a packed panel — row r at ap + r·arow
 * (rows past `valid` repeat the last valid one), contiguous along k — which saves packing
 * A when its rows are contiguous (the NN and NT products: forward passes, input gradients).
 */
function microKernel(o: GemmWatOptions, direct = false): string {
  const { mr, nr, relaxed, unroll } = o;
  const nq = nr / 4;
  const acc = (r: number, q: number): string => `$c${r}_${q}`;
  const locals = [
    ...range(nq).map((q) => `(local $b${q} v128)`),
    '(local $x v128)',
    ...range(mr).flatMap((r) => range(nq).map((q) => `(local ${acc(r, q)} v128)`)),
    '(local $row i32)',
    ...(direct ? range(mr).map((r) => `(local $a${r} i32)`) : []),
  ];
  const step = (s: number): string[] => {
    const out: string[] = [];
    for (let q = 0; q < nq; q++) out.push(`(local.set $b${q} (v128.load offset=${(s * nr + q * 4) * 4} (local.get $bp)))`);
    for (let r = 0; r < mr; r++) {
      out.push(direct
        ? `(local.set $x (v128.load32_splat offset=${s * 4} (local.get $a${r})))`
        : `(local.set $x (v128.load32_splat offset=${(s * mr + r) * 4} (local.get $ap)))`);
      for (let q = 0; q < nq; q++) {
        out.push(relaxed
          ? `(local.set ${acc(r, q)} (f32x4.relaxed_madd (local.get $x) (local.get $b${q}) (local.get ${acc(r, q)})))`
          : `(local.set ${acc(r, q)} (f32x4.add (local.get ${acc(r, q)}) (f32x4.mul (local.get $x) (local.get $b${q}))))`);
      }
    }
    return out;
  };
  const advance = (s: number): string[] => [
    ...(direct
      ? range(mr).map((r) => `(local.set $a${r} (i32.add (local.get $a${r}) (i32.const ${s * 4})))`)
      : [`(local.set $ap (i32.add (local.get $ap) (i32.const ${s * mr * 4})))`]),
    `(local.set $bp (i32.add (local.get $bp) (i32.const ${s * nr * 4})))`,
  ];
  const body: string[] = direct
    ? range(mr).map((r) => `(local.set $a${r} (i32.add (local.get $ap) (i32.mul (local.get $arow)`
      + ` (select (i32.const ${r}) (i32.sub (local.get $valid) (i32.const 1)) (i32.lt_u (i32.const ${r}) (local.get $valid))))))`)
    : [];
  if (unroll > 1) {
    body.push(
      '(block $u_done (loop $u',
      `  (br_if $u_done (i32.lt_u (local.get $kc) (i32.const ${unroll})))`,
      ...range(unroll).flatMap((s) => step(s)),
      ...advance(unroll),
      `  (local.set $kc (i32.sub (local.get $kc) (i32.const ${unroll})))`,
      '  (br $u)))',
    );
  }
  body.push(
    '(block $done (loop $l',
    '  (br_if $done (i32.eqz (local.get $kc)))',
    ...step(0),
    ...advance(1),
    '  (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))',
    '  (br $l)))',
  );
  const store: string[] = ['(local.set $row (local.get $c))'];
  for (let r = 0; r < mr; r++) {
    if (r > 0) store.push('(local.set $row (i32.add (local.get $row) (local.get $ldc)))');
    for (let q = 0; q < nq; q++) {
      store.push(`(v128.store offset=${q * 16} (local.get $row) (if (result v128) (local.get $accumulate)`
        + ` (then (f32x4.add (v128.load offset=${q * 16} (local.get $row)) (local.get ${acc(r, q)})))`
        + ` (else (local.get ${acc(r, q)}))))`);
    }
  }
  return lines([
    direct
      ? '(func $microDirect (param $ap i32) (param $arow i32) (param $valid i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $accumulate i32)'
      : '(func $micro (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $accumulate i32)',
    ...locals,
    ...body,
    ...store,
    ')',
  ]);
}

/**
 * Packs one panel of width w: dst[p][x] = src[x*sx + p*sp] for x < valid, 0 beyond.
 * Two fast paths: full panels contiguous along x (sx = 4: plain vector copies), and any
 * panel contiguous along p (sp = 4: 4x4 transposes; an edge panel repeats its last row);
 * everything else element by element, with zeros past `valid`.
 */
function packPanel(name: string, w: number): string {
  const groups = Math.floor(w / 4);
  const contig: string[] = [];
  // sx == 4: each p copies w consecutive floats.
  for (let g = 0; g < groups; g++) contig.push(`(v128.store offset=${g * 16} (local.get $dst) (v128.load offset=${g * 16} (local.get $src)))`);
  for (let x = groups * 4; x < w; x++) contig.push(`(f32.store offset=${x * 4} (local.get $dst) (f32.load offset=${x * 4} (local.get $src)))`);
  // sp == 4: rows x of the source are contiguous in p; transpose 4 rows x 4 p at a time.
  // Rows past `valid` (an edge panel) re-read the last valid row: their lanes are discarded.
  const rowPtrs = range(w).map((x) => `(local.set $s${x} (i32.add (local.get $src) (i32.mul (local.get $sx)`
    + ` (select (i32.const ${x}) (i32.sub (local.get $valid) (i32.const 1)) (i32.lt_u (i32.const ${x}) (local.get $valid))))))`);
  const trans: string[] = [];
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < 4; i++) trans.push(`(local.set $r${i} (v128.load (local.get $s${g * 4 + i})))`);
    trans.push(
      `(local.set $t0 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $r0) (local.get $r1)))`,
      `(local.set $t1 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $r2) (local.get $r3)))`,
      `(local.set $t2 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $r0) (local.get $r1)))`,
      `(local.set $t3 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $r2) (local.get $r3)))`,
      `(v128.store offset=${g * 16} (local.get $dst) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t0) (local.get $t1)))`,
      `(v128.store offset=${(w + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t0) (local.get $t1)))`,
      `(v128.store offset=${(2 * w + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t2) (local.get $t3)))`,
      `(v128.store offset=${(3 * w + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t2) (local.get $t3)))`,
    );
  }
  for (let x = groups * 4; x < w; x++) {
    for (let s = 0; s < 4; s++) trans.push(`(f32.store offset=${(s * w + x) * 4} (local.get $dst) (f32.load offset=${s * 4} (local.get $s${x})))`);
  }
  const bump = range(w).map((x) => `(local.set $s${x} (i32.add (local.get $s${x}) (i32.const 16)))`);
  const transTail = range(w).map((x) => `(f32.store offset=${x * 4} (local.get $dst) (f32.load (local.get $s${x})))`);
  const bumpTail = range(w).map((x) => `(local.set $s${x} (i32.add (local.get $s${x}) (i32.const 4)))`);
  return lines([
    `(func ${name} (param $src i32) (param $sx i32) (param $sp i32) (param $valid i32) (param $kc i32) (param $dst i32)`,
    ...range(w).map((x) => `(local $s${x} i32)`),
    '(local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)',
    '(local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)',
    '(local $p i32) (local $x i32) (local $q i32)',
    `(if (i32.and (i32.eq (local.get $valid) (i32.const ${w})) (i32.eq (local.get $sx) (i32.const 4))) (then`,
    '    (block $d (loop $l',
    '      (br_if $d (i32.eqz (local.get $kc)))',
    ...contig,
    '      (local.set $src (i32.add (local.get $src) (local.get $sp)))',
    `      (local.set $dst (i32.add (local.get $dst) (i32.const ${w * 4})))`,
    '      (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))',
    '      (br $l)))',
    '    (return)))',
    '(if (i32.eq (local.get $sp) (i32.const 4)) (then',
    ...rowPtrs,
    '    (block $d (loop $l',
    '      (br_if $d (i32.lt_u (local.get $kc) (i32.const 4)))',
    ...trans,
    ...bump,
    `      (local.set $dst (i32.add (local.get $dst) (i32.const ${w * 16})))`,
    '      (local.set $kc (i32.sub (local.get $kc) (i32.const 4)))',
    '      (br $l)))',
    '    (block $d (loop $l',
    '      (br_if $d (i32.eqz (local.get $kc)))',
    ...transTail,
    ...bumpTail,
    `      (local.set $dst (i32.add (local.get $dst) (i32.const ${w * 4})))`,
    '      (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))',
    '      (br $l)))',
    '    (return)))',
    // General case (edge panels, or strides with neither side contiguous).
    '(block $d (loop $l',
    '  (br_if $d (i32.ge_u (local.get $p) (local.get $kc)))',
    '  (local.set $x (i32.const 0))',
    '  (local.set $q (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $sp))))',
    '  (block $dx (loop $lx',
    `    (br_if $dx (i32.ge_u (local.get $x) (i32.const ${w})))`,
    '    (f32.store (local.get $dst) (if (result f32) (i32.lt_u (local.get $x) (local.get $valid))',
    '      (then (f32.load (local.get $q))) (else (f32.const 0))))',
    '    (local.set $q (i32.add (local.get $q) (local.get $sx)))',
    '    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))',
    '    (local.set $x (i32.add (local.get $x) (i32.const 1)))',
    '    (br $lx)))',
    '  (local.set $p (i32.add (local.get $p) (i32.const 1)))',
    '  (br $l)))',
    ')',
  ]);
}

/** Packs `count` rows/columns (panels of width w, each kc long) starting at src. */
function packBlock(name: string, panel: string, w: number): string {
  return lines([
    `(func ${name} (param $src i32) (param $sx i32) (param $sp i32) (param $count i32) (param $kc i32) (param $dst i32)`,
    '(local $x i32)',
    '(block $d (loop $l',
    '  (br_if $d (i32.ge_u (local.get $x) (local.get $count)))',
    `  (call ${panel} (i32.add (local.get $src) (i32.mul (local.get $x) (local.get $sx))) (local.get $sx) (local.get $sp)`,
    `    (select (i32.sub (local.get $count) (local.get $x)) (i32.const ${w}) (i32.lt_u (i32.sub (local.get $count) (local.get $x)) (i32.const ${w})))`,
    '    (local.get $kc) (i32.add (local.get $dst) (i32.mul (local.get $x) (i32.shl (local.get $kc) (i32.const 2)))))',
    `  (local.set $x (i32.add (local.get $x) (i32.const ${w})))`,
    '  (br $l)))',
    ')',
  ]);
}

/** Merges the valid rows x cols of the scratch tile (row stride NR floats) into C. */
function mergeTile(nr: number): string {
  return lines([
    '(func $merge (param $tile i32) (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32) (param $accumulate i32)',
    '(local $i i32) (local $j i32) (local $src i32) (local $dst i32)',
    '(block $d (loop $l',
    '  (br_if $d (i32.ge_u (local.get $i) (local.get $rows)))',
    `  (local.set $src (i32.add (local.get $tile) (i32.mul (local.get $i) (i32.const ${nr * 4}))))`,
    '  (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))',
    '  (local.set $j (i32.const 0))',
    '  (block $dj (loop $lj',
    '    (br_if $dj (i32.ge_u (local.get $j) (local.get $cols)))',
    '    (f32.store (local.get $dst) (if (result f32) (local.get $accumulate)',
    '      (then (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))',
    '      (else (f32.load (local.get $src)))))',
    '    (local.set $src (i32.add (local.get $src) (i32.const 4)))',
    '    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))',
    '    (local.set $j (i32.add (local.get $j) (i32.const 1)))',
    '    (br $lj)))',
    '  (local.set $i (i32.add (local.get $i) (i32.const 1)))',
    '  (br $l)))',
    ')',
  ]);
}

/** The exported driver: blocking loops, packing, micro-kernel calls, edge tiles. */
function driver(mr: number, nr: number): string {
  const min = (x: string, y: string): string => `(select ${x} ${y} (i32.lt_u ${x} ${y}))`;
  const g = (v: string): string => `(local.get $${v})`;
  return lines([
    ';; C[m, n] (row stride ldc bytes) = (or, with accumulate, +=) op(A)[m, k] . op(B)[k, n]; strides in bytes.',
    ';; work: scratch of (mcBlock*kcBlock + kcBlock*ncBlock + MR*NR) floats, mcBlock % MR == 0, ncBlock % NR == 0.',
    '(func (export "gemm")',
    '  (param $a i32) (param $ars i32) (param $acs i32)',
    '  (param $b i32) (param $brs i32) (param $bcs i32)',
    '  (param $c i32) (param $ldc i32)',
    '  (param $m i32) (param $k i32) (param $n i32)',
    '  (param $work i32) (param $KC i32) (param $MC i32) (param $NC i32) (param $accumulate i32)',
    '(local $jc i32) (local $pc i32) (local $ic i32) (local $jr i32) (local $ir i32)',
    '(local $nc i32) (local $kc i32) (local $mc i32) (local $apack i32) (local $bpack i32) (local $tile i32)',
    '(local $acc i32) (local $cp i32) (local $i i32) (local $ap i32) (local $bp i32) (local $rows i32) (local $full i32) (local $direct i32)',
    '(if (i32.eqz (local.get $k)) (then',
    '  (if (local.get $accumulate) (then (return)))',
    '  (block $d (loop $l',
    '    (br_if $d (i32.ge_u (local.get $i) (local.get $m)))',
    '    (memory.fill (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))',
    '    (local.set $i (i32.add (local.get $i) (i32.const 1)))',
    '    (br $l)))',
    '  (return)))',
    ';; A contiguous along k (NN, NT): the micro-kernel reads it in place, no packing.',
    '(local.set $direct (i32.eq (local.get $acs) (i32.const 4)))',
    '(local.set $apack (local.get $work))',
    '(local.set $bpack (i32.add (local.get $apack) (i32.shl (i32.mul (local.get $MC) (local.get $KC)) (i32.const 2))))',
    '(local.set $tile (i32.add (local.get $bpack) (i32.shl (i32.mul (local.get $KC) (local.get $NC)) (i32.const 2))))',
    '(block $djc (loop $ljc',
    '  (br_if $djc (i32.ge_u (local.get $jc) (local.get $n)))',
    `  (local.set $nc ${min('(i32.sub (local.get $n) (local.get $jc))', g('NC'))})`,
    '  (local.set $pc (i32.const 0))',
    '  (block $dpc (loop $lpc',
    '    (br_if $dpc (i32.ge_u (local.get $pc) (local.get $k)))',
    `    (local.set $kc ${min('(i32.sub (local.get $k) (local.get $pc))', g('KC'))})`,
    '    (local.set $acc (i32.or (i32.ne (local.get $pc) (i32.const 0)) (local.get $accumulate)))',
    '    (call $packB (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.mul (local.get $jc) (local.get $bcs))))',
    '      (local.get $bcs) (local.get $brs) (local.get $nc) (local.get $kc) (local.get $bpack))',
    '    (local.set $ic (i32.const 0))',
    '    (block $dic (loop $lic',
    '      (br_if $dic (i32.ge_u (local.get $ic) (local.get $m)))',
    `      (local.set $mc ${min('(i32.sub (local.get $m) (local.get $ic))', g('MC'))})`,
    '      (if (i32.eqz (local.get $direct)) (then',
    '        (call $packA (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))))',
    '          (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $apack))))',
    '      (local.set $jr (i32.const 0))',
    '      (block $djr (loop $ljr',
    '        (br_if $djr (i32.ge_u (local.get $jr) (local.get $nc)))',
    '        (local.set $bp (i32.add (local.get $bpack) (i32.mul (local.get $jr) (i32.shl (local.get $kc) (i32.const 2)))))',
    '        (local.set $ir (i32.const 0))',
    '        (block $dir (loop $lir',
    '          (br_if $dir (i32.ge_u (local.get $ir) (local.get $mc)))',
    '          (block $next',
    '          (local.set $ap (i32.add (local.get $apack) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2)))))',
    '          (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))',
    '            (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))',
    `          (local.set $rows ${min('(i32.sub (local.get $mc) (local.get $ir))', `(i32.const ${mr})`)})`,
    `          (local.set $full (i32.and (i32.eq (local.get $rows) (i32.const ${mr})) (i32.ge_u (i32.sub (local.get $nc) (local.get $jr)) (i32.const ${nr}))))`,
    '          (if (local.get $direct) (then',
    '            (local.set $ap (i32.add (local.get $a) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ars)) (i32.shl (local.get $pc) (i32.const 2)))))',
    '            (if (local.get $full)',
    '              (then (call $microDirect (local.get $ap) (local.get $ars) (local.get $rows) (local.get $bp) (local.get $kc) (local.get $cp) (local.get $ldc) (local.get $acc)))',
    `              (else (call $microDirect (local.get $ap) (local.get $ars) (local.get $rows) (local.get $bp) (local.get $kc) (local.get $tile) (i32.const ${nr * 4}) (i32.const 0))`,
    '                (call $merge (local.get $tile) (local.get $cp) (local.get $ldc) (local.get $rows)',
    `                  ${min('(i32.sub (local.get $nc) (local.get $jr))', `(i32.const ${nr})`)} (local.get $acc))))`,
    '            (br $next)))',
    '          (if (local.get $full)',
    '            (then (call $micro (local.get $ap) (local.get $bp) (local.get $kc) (local.get $cp) (local.get $ldc) (local.get $acc)))',
    `            (else (call $micro (local.get $ap) (local.get $bp) (local.get $kc) (local.get $tile) (i32.const ${nr * 4}) (i32.const 0))`,
    `              (call $merge (local.get $tile) (local.get $cp) (local.get $ldc) ${min('(i32.sub (local.get $mc) (local.get $ir))', `(i32.const ${mr})`)}`,
    `                ${min('(i32.sub (local.get $nc) (local.get $jr))', `(i32.const ${nr})`)} (local.get $acc))))`,
    '          )',
    `          (local.set $ir (i32.add (local.get $ir) (i32.const ${mr})))`,
    '          (br $lir)))',
    `        (local.set $jr (i32.add (local.get $jr) (i32.const ${nr})))`,
    '        (br $ljr)))',
    '      (local.set $ic (i32.add (local.get $ic) (local.get $MC)))',
    '      (br $lic)))',
    '    (local.set $pc (i32.add (local.get $pc) (local.get $KC)))',
    '    (br $lpc)))',
    '  (local.set $jc (i32.add (local.get $jc) (local.get $NC)))',
    '  (br $ljc)))',
    ')',
  ]);
}

/** The whole module's text. Memory is imported (shared, so worker threads can use one). */
export function gemmWat(o: GemmWatOptions): string {
  if (o.nr % 4 !== 0) throw new Error(`gemmWat: nr must be a multiple of 4, got ${o.nr}`);
  return lines([
    `;; Generated by src/engine/kernels/wasm/gemmWat.ts (mr=${o.mr}, nr=${o.nr}, relaxed=${o.relaxed}, unroll=${o.unroll}).`,
    '(module',
    '(import "env" "memory" (memory 1 32768 shared))',
    `(global (export "MR") i32 (i32.const ${o.mr}))`,
    `(global (export "NR") i32 (i32.const ${o.nr}))`,
    microKernel(o),
    microKernel(o, true),
    packPanel('$packPanelA', o.mr),
    packPanel('$packPanelB', o.nr),
    packBlock('$packA', '$packPanelA', o.mr),
    packBlock('$packB', '$packPanelB', o.nr),
    mergeTile(o.nr),
    driver(o.mr, o.nr),
    ')',
    '',
  ]);
}
