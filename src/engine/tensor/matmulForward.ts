/** Forward computation of (batched) matmul with optional transposed operands. */
import { matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTT } from '../kernels/matmul.ts';
import type { MatmulKernel } from '../kernels/matmul.ts';
import { allocFloat32 } from './storage.ts';
import { formatShape } from './shape.ts';
import type { TensorData } from './tensorData.ts';

function pick(transposeA: boolean, transposeB: boolean): MatmulKernel {
  if (transposeA) return transposeB ? matmulRowsTT : matmulRowsTN;
  return transposeB ? matmulRowsNT : matmulRows;
}

/**
 * op(a) · op(b) for rank-2 operands, or rank-3 operands with the same batch size.
 * op(x) is x or its transpose over the last two axes.
 */
export function matmulForward(a: TensorData, b: TensorData, transposeA: boolean, transposeB: boolean): TensorData {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const where = `of shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`;
  if (!((ra === 2 && rb === 2) || (ra === 3 && rb === 3))) {
    throw new Error(`matmul: operands ${where} must both be rank 2 or both rank 3`);
  }
  const batch = ra === 3 ? a.shape[0] : 1;
  if (ra === 3 && b.shape[0] !== batch) {
    throw new Error(`matmul: batch dimensions ${batch} and ${b.shape[0]} ${where} do not match`);
  }
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const kb = transposeB ? b1 : b0;
  const n = transposeB ? b0 : b1;
  if (k !== kb) {
    throw new Error(`matmul: inner dimensions ${k} and ${kb} ${where} do not match`);
  }
  const out = allocFloat32(batch * m * n);
  const kernel = pick(transposeA, transposeB);
  for (let s = 0; s < batch; s++) {
    kernel(
      a.data.subarray(s * m * k, (s + 1) * m * k),
      b.data.subarray(s * k * n, (s + 1) * k * n),
      out.subarray(s * m * n, (s + 1) * m * n),
      m, k, n, 0, m,
    );
  }
  return { shape: ra === 3 ? [batch, m, n] : [m, n], data: out };
}
