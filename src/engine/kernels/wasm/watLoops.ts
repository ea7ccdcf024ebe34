/** Loop helpers shared by the hand-written WebAssembly text generators. */

/** `(block (loop ...))` running `body` for `v` from `from` (an expression) while v < `to` (signed). */
export function forRange(v: string, from: string, to: string, body: string[]): string[] {
  const id = v.slice(1);
  return [
    `(local.set ${v} ${from})`,
    `(block $${id}_done (loop $${id}_loop`,
    `  (br_if $${id}_done (i32.ge_s (local.get ${v}) ${to}))`,
    ...body.map((l) => `  ${l}`),
    `  (local.set ${v} (i32.add (local.get ${v}) (i32.const 1)))`,
    `  (br $${id}_loop)))`,
  ];
}
