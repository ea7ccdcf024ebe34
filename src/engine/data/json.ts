/**
 * JSON data sets, in either of two layouts (detected from the top level):
 *
 *   columns: {"x": [sample, sample, ...], "y": [label, label, ...]}
 *   rows:    [{"x": sample, "y": label}, ...]
 *
 * A sample is a number or a nested array of numbers; every sample must have
 * the shape of the first. A label is a class index (`labels: 'classes'`, the
 * default) or a number / nested array (`labels: 'values'`). Strings, booleans
 * and null are refused (NaN and Infinity serialise to null); numbers that
 * overflow (`1e400`) are refused. Errors carry the sample index as `row`,
 * the path inside the document as `column` (`x[3][1]`, `[3].y`), and for a
 * syntax error the byte offset when V8 reports a position (not for every error).
 */
import { DataFormatError } from './dataFormatError.ts';
import { checkBytes, checkSamples } from './limits.ts';
import { checkClassLabel, inferNumClasses } from './classLabel.ts';
import type { Dataset, LabelOptions, ReadLimits } from './types.ts';

export interface JsonDatasetOptions extends ReadLimits, LabelOptions {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null (NaN and Infinity serialise to null)';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : String(v);
}

/** The shape of a nested-array value, following first elements. */
function shapeOf(v: unknown): number[] {
  const shape: number[] = [];
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** Append the numbers of `v` (which must have `shape`) to `out` at `at`; returns the next offset. */
function flatten(v: unknown, shape: readonly number[], d: number, out: Float32Array, at: number, row: number, path: string): number {
  if (d === shape.length) {
    if (typeof v !== 'number') {
      throw new DataFormatError(Array.isArray(v) ? 'ragged' : 'not_numeric', `expected a number, got ${kind(v)}`, { row, column: path });
    }
    if (!Number.isFinite(v)) throw new DataFormatError('not_finite', `${v} is not finite (the number overflows)`, { row, column: path });
    out[at] = v;
    return at + 1;
  }
  if (!Array.isArray(v)) {
    throw new DataFormatError('ragged', `expected an array of length ${shape[d]} (shape [${shape.join(', ')}]), got ${kind(v)}`, { row, column: path });
  }
  if (v.length !== shape[d]) {
    throw new DataFormatError('ragged', `array has length ${v.length}, expected ${shape[d]} (shape [${shape.join(', ')}] from the first sample)`, { row, column: path });
  }
  for (let i = 0; i < v.length; i++) at = flatten(v[i], shape, d + 1, out, at, row, `${path}[${i}]`);
  return at;
}

/** Parse a JSON data set from text or UTF-8 bytes. */
export function readJsonDataset(input: string | Uint8Array, opts: JsonDatasetOptions = {}): Dataset {
  const inputBytes = typeof input === 'string' ? input.length : input.length;
  checkBytes(opts, inputBytes, 'the JSON input');
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new DataFormatError('bad_json', 'input is not valid UTF-8');
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const at = m ? { byte: new TextEncoder().encode(text.slice(0, Number(m[1]))).length } : {};
    throw new DataFormatError('bad_json', `not valid JSON: ${msg}`, at);
  }

  let xs: unknown[];
  let ys: unknown[];
  let xPath: (i: number) => string;
  let yPath: (i: number) => string;
  if (isObject(doc)) {
    for (const k of Object.keys(doc)) if (k !== 'x' && k !== 'y') throw new DataFormatError('bad_json', `unknown key ${JSON.stringify(k)}; expected {"x": [...], "y": [...]}`, { column: k });
    if (!Array.isArray(doc.x)) throw new DataFormatError('bad_json', `"x" must be an array of samples, got ${kind(doc.x)}`, { column: 'x' });
    if (!Array.isArray(doc.y)) throw new DataFormatError('bad_json', `"y" must be an array of labels, got ${kind(doc.y)}`, { column: 'y' });
    xs = doc.x;
    ys = doc.y;
    if (xs.length !== ys.length) throw new DataFormatError('count_mismatch', `${xs.length} samples in "x" but ${ys.length} labels in "y"`);
    xPath = (i) => `x[${i}]`;
    yPath = (i) => `y[${i}]`;
  } else if (Array.isArray(doc)) {
    xs = new Array<unknown>(doc.length);
    ys = new Array<unknown>(doc.length);
    doc.forEach((r: unknown, i) => {
      if (!isObject(r) || !('x' in r) || !('y' in r)) throw new DataFormatError('bad_json', `each row must be {"x": ..., "y": ...}, got ${kind(r)}`, { row: i, column: `[${i}]` });
      xs[i] = r.x;
      ys[i] = r.y;
    });
    xPath = (i) => `[${i}].x`;
    yPath = (i) => `[${i}].y`;
  } else {
    throw new DataFormatError('bad_json', `expected {"x": [...], "y": [...]} or [{"x": ..., "y": ...}, ...], got ${kind(doc)}`);
  }

  const count = xs.length;
  checkSamples(opts, count);
  const sampleShape = count > 0 ? shapeOf(xs[0]) : [];
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const labels = opts.labels ?? 'classes';
  const labelShape = labels === 'values' && count > 0 ? shapeOf(ys[0]) : [];
  const labelSize = labelShape.reduce((a, b) => a * b, 1);
  checkBytes(opts, inputBytes + count * (sampleSize + labelSize) * 4, 'the JSON input plus the dataset');

  const x = new Float32Array(count * sampleSize);
  for (let i = 0; i < count; i++) flatten(xs[i], sampleShape, 0, x, i * sampleSize, i, xPath(i));
  if (labels === 'values') {
    const y = new Float32Array(count * labelSize);
    for (let i = 0; i < count; i++) flatten(ys[i], labelShape, 0, y, i * labelSize, i, yPath(i));
    return { x, sampleShape, count, y, labelShape };
  }
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = ys[i];
    if (typeof v !== 'number') {
      throw new DataFormatError(Array.isArray(v) ? 'bad_label' : 'not_numeric', `class label must be a number, got ${kind(v)}${Array.isArray(v) ? " (use labels: 'values' for one-hot labels)" : ''}`, { row: i, column: yPath(i) });
    }
    checkClassLabel(v, opts.numClasses, { row: i, column: yPath(i) });
    y[i] = v;
  }
  return { x, sampleShape, count, y, labelShape: [], numClasses: inferNumClasses(y, opts.numClasses) };
}
