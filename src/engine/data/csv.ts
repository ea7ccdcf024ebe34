/**
 * CSV (RFC 4180) with a header row, streamed chunk by chunk.
 *
 * - Fields are separated by `delimiter` (default `,`); records end with CRLF,
 *   LF or CR. A field may be double-quoted, and then may contain delimiters,
 *   line breaks and `""` for a quote. A quote inside an unquoted field, or
 *   text after a closing quote, is an error (`bad_quote`).
 * - The first record names the columns; the label column is chosen by name,
 *   every other column (or the `features` subset, in that order) is a feature.
 * - Every cell must be a decimal number: spaces and tabs around it are
 *   ignored, `""` is an empty cell, `0x10`, `NaN`, `Infinity` and `1e400`
 *   are rejected. Blank lines at the end are ignored; elsewhere they are errors.
 * - Errors carry the row (header = row 1), the column name and the byte offset.
 * - `maxBytes` bounds the input consumed and the arrays built; `maxSamples` the rows.
 */
import { DataFormatError } from './dataFormatError.ts';
import type { DataFormatLocation } from './dataFormatError.ts';
import { parseNumber } from './parseNumber.ts';
import { checkBytes, checkSamples } from './limits.ts';
import { checkClassLabel, inferNumClasses } from './classLabel.ts';
import { GrowableFloat32 } from './growable.ts';
import type { Dataset, LabelOptions, ReadLimits } from './types.ts';

export interface CsvOptions extends ReadLimits, LabelOptions {
  /** Name of the label column (required). */
  label: string;
  /** Feature columns, by name, in the order wanted. Default: every column but the label, in file order. */
  features?: string[];
  /** A single character; default `,`. */
  delimiter?: string;
}

const enum S { FieldStart, Unquoted, Quoted, QuoteInQuoted }

export class CsvReader {
  private readonly opts: CsvOptions;
  private readonly delim: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private text = '';
  /** Scan position in `text`; `fieldStart` is where the current field's text starts. */
  private pos = 0;
  private fieldStart = 0;
  private state = S.FieldStart;
  private quoted = false;
  private escaped = false;
  private skipLf = false;
  private first = true;
  private ended = false;
  /** Byte offset (in the whole input) of the scan position, and of the current field and record. */
  private posByte = 0;
  private fieldByte = 0;
  private recordByte = 0;
  private bytesIn = 0;

  private row = 1;
  private col = 0;
  private header: string[] | null = null;
  private labelCol = -1;
  /** For each column: its feature slot, -1 for the label, -2 for ignored. */
  private slot: Int32Array = new Int32Array(0);
  private rowValues = new Float64Array(0);
  private labelValue = 0;
  private pendingEmptyFirst = false;
  private blankRow = 0;
  private readonly x = new GrowableFloat32();
  private readonly y = new GrowableFloat32();
  private count = 0;

  constructor(opts: CsvOptions) {
    if (typeof opts.label !== 'string' || opts.label === '') throw new TypeError('CsvReader needs the label column name (options.label)');
    const d = opts.delimiter ?? ',';
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') throw new TypeError(`CSV delimiter must be one character other than a quote or line break, got ${JSON.stringify(d)}`);
    this.opts = opts;
    this.delim = d.charCodeAt(0);
  }

  /** Feed the next chunk of the input (bytes in UTF-8, or already decoded text). */
  push(chunk: Uint8Array | string): void {
    if (this.ended) throw new Error('CsvReader.push() after end()');
    const n = typeof chunk === 'string' ? utf8Length(chunk) : chunk.length;
    this.bytesIn += n;
    checkBytes(this.opts, this.bytesIn + this.x.capacityBytes + this.y.capacityBytes, 'the CSV input read so far plus the arrays built');
    let s: string;
    if (typeof chunk === 'string') s = chunk;
    else {
      try {
        s = this.decoder.decode(chunk, { stream: true });
      } catch {
        throw new DataFormatError('not_numeric', 'input is not valid UTF-8', { byte: this.bytesIn - n });
      }
    }
    if (this.first) {
      if (s.charCodeAt(0) === 0xfeff) {
        s = s.slice(1);
        this.posByte += 3;
        this.fieldByte = this.recordByte = 3;
      }
      if (s.length > 0) this.first = false;
    }
    this.append(s);
    this.scan();
  }

  /** Finish the input and return the data set. */
  end(): Dataset {
    if (this.ended) throw new Error('CsvReader.end() called twice');
    this.ended = true;
    let rest = '';
    try {
      rest = this.decoder.decode();
    } catch {
      throw new DataFormatError('not_numeric', 'input ends inside a UTF-8 sequence', { byte: this.bytesIn });
    }
    if (rest !== '') {
      this.append(rest);
      this.scan();
    }
    if (this.state === S.Quoted) {
      throw new DataFormatError('bad_quote', 'input ends inside a quoted field', this.at(this.fieldByte - 1));
    }
    if (this.state === S.QuoteInQuoted) this.endField(this.text.length - 1);
    else if (this.state !== S.FieldStart || this.col > 0) this.endField(this.text.length);
    if (this.col > 0) this.endRecord();
    if (this.header === null) throw new DataFormatError('bad_header', 'the CSV input is empty: no header row', { byte: 0 });
    const labels = this.opts.labels ?? 'classes';
    const yv = this.y.toArray();
    if (labels === 'classes') {
      const y = Int32Array.from(yv);
      return { x: this.x.toArray(), sampleShape: [this.nFeatures], count: this.count, y, labelShape: [], numClasses: inferNumClasses(y, this.opts.numClasses) };
    }
    return { x: this.x.toArray(), sampleShape: [this.nFeatures], count: this.count, y: yv, labelShape: [] };
  }

  private nFeatures = 0;

  private append(s: string): void {
    // Drop text before the current field: it has been consumed.
    if (this.fieldStart > 0) {
      this.text = this.text.slice(this.fieldStart);
      this.pos -= this.fieldStart;
      this.fieldStart = 0;
    }
    this.text += s;
  }

  private at(byte: number, col = this.col): DataFormatLocation {
    const at: DataFormatLocation = { row: this.row, byte };
    if (this.header !== null) at.column = col < this.header.length ? this.header[col] : `#${col + 1}`;
    return at;
  }

  private scan(): void {
    const t = this.text;
    const delim = this.delim;
    let i = this.pos;
    let b = this.posByte;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xe000 ? 2 : 3;
      if (this.skipLf) {
        this.skipLf = false;
        if (c === 10) { b += 1; this.fieldStart = i + 1; this.fieldByte = this.recordByte = b; continue; }
      }
      switch (this.state) {
        case S.FieldStart:
          if (c === 34) {
            this.state = S.Quoted;
            this.quoted = true;
            this.escaped = false;
            this.fieldStart = i + 1;
            this.fieldByte = b + 1;
            break;
          }
          this.quoted = false;
          this.fieldStart = i;
          this.fieldByte = b;
          this.state = S.Unquoted;
          i--; // re-read this character as part of an unquoted field
          continue;
        case S.Unquoted:
          if (c === delim) { this.endField(i); this.nextField(i + 1, b + 1); }
          else if (c === 10 || c === 13) { this.endField(i); this.endRecord(); this.skipLf = c === 13; this.nextField(i + 1, b + 1); this.recordByte = b + 1; }
          else if (c === 34) throw new DataFormatError('bad_quote', 'a quote inside an unquoted field (quote the whole field and double the quote)', this.at(b));
          break;
        case S.Quoted:
          if (c === 34) this.state = S.QuoteInQuoted;
          break;
        case S.QuoteInQuoted:
          if (c === 34) { this.escaped = true; this.state = S.Quoted; }
          else if (c === delim) { this.endField(i - 1); this.nextField(i + 1, b + 1); }
          else if (c === 10 || c === 13) { this.endField(i - 1); this.endRecord(); this.skipLf = c === 13; this.nextField(i + 1, b + 1); this.recordByte = b + 1; }
          else throw new DataFormatError('bad_quote', `unexpected ${JSON.stringify(String.fromCharCode(c))} after a closing quote`, this.at(b));
          break;
      }
      b += w;
    }
    this.pos = i;
    this.posByte = b;
  }

  private nextField(start: number, byte: number): void {
    this.state = S.FieldStart;
    this.fieldStart = start;
    this.fieldByte = byte;
  }

  /** The current field's text ends (exclusive) at `end`. */
  private endField(end: number): void {
    let s = this.text.slice(this.fieldStart, end);
    if (this.quoted && this.escaped) s = s.replace(/""/g, '"');
    const col = this.col++;
    if (this.header === null) {
      const names = (this.headerNames ??= []);
      names.push(s.trim());
      return;
    }
    if (col === 0 && !this.quoted && s.trim() === '') {
      this.pendingEmptyFirst = true; // a blank line, unless more fields follow
      return;
    }
    if (col === 1 && this.pendingEmptyFirst) {
      this.pendingEmptyFirst = false;
      this.failBlank();
      throw new DataFormatError('empty_cell', 'empty value', this.at(this.recordByte, 0));
    }
    this.failBlank();
    if (col >= this.header.length) {
      throw new DataFormatError('ragged', `more fields than the ${this.header.length} columns of the header`, this.at(this.fieldByte, col));
    }
    const sl = this.slot[col];
    if (sl === -2) return;
    const v = parseNumber(s.replace(/^[ \t]+|[ \t]+$/g, ''));
    if (typeof v !== 'number') throw new DataFormatError(v.code, v.reason, this.at(this.fieldByte, col));
    if (sl === -1) this.labelValue = v;
    else this.rowValues[sl] = v;
  }

  private headerNames: string[] | undefined;

  /** A blank line seen earlier is an error once a non-blank record follows it. */
  private failBlank(): void {
    if (this.blankRow !== 0) {
      throw new DataFormatError('ragged', 'blank line in the middle of the data', { row: this.blankRow });
    }
  }

  private endRecord(): void {
    const nFields = this.col;
    this.col = 0;
    if (this.header === null) {
      this.setHeader(this.headerNames ?? []);
      this.row++;
      return;
    }
    if (this.pendingEmptyFirst) {
      this.pendingEmptyFirst = false;
      if (this.blankRow === 0) this.blankRow = this.row;
      this.row++;
      return;
    }
    if (nFields < this.header.length) {
      throw new DataFormatError('ragged', `${nFields} fields, but the header has ${this.header.length} columns`, { row: this.row, byte: this.recordByte });
    }
    this.count++;
    checkSamples(this.opts, this.count);
    const other = this.bytesIn;
    this.x.reserve(this.nFeatures, this.opts, other + this.y.capacityBytes, 'the CSV data');
    for (let k = 0; k < this.nFeatures; k++) this.x.push(this.rowValues[k]);
    this.y.reserve(1, this.opts, other + this.x.capacityBytes, 'the CSV labels');
    if ((this.opts.labels ?? 'classes') === 'classes') {
      checkClassLabel(this.labelValue, this.opts.numClasses, { row: this.row, column: this.header[this.labelCol] });
    }
    this.y.push(this.labelValue);
    this.row++;
  }

  private setHeader(names: string[]): void {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (n === '') throw new DataFormatError('bad_header', `column ${i + 1} has an empty name`, { row: 1 });
      if (seen.has(n)) throw new DataFormatError('bad_header', `column name ${JSON.stringify(n)} appears twice`, { row: 1 });
      seen.add(n);
    });
    const label = names.indexOf(this.opts.label);
    if (label < 0) throw new DataFormatError('missing_column', `no label column ${JSON.stringify(this.opts.label)} (columns: ${names.join(', ')})`, { row: 1 });
    this.header = names;
    this.labelCol = label;
    const slot = new Int32Array(names.length).fill(-2);
    slot[label] = -1;
    if (this.opts.features === undefined) {
      let k = 0;
      for (let i = 0; i < names.length; i++) if (i !== label) slot[i] = k++;
      this.nFeatures = k;
    } else {
      this.opts.features.forEach((f, k) => {
        const i = names.indexOf(f);
        if (i < 0) throw new DataFormatError('missing_column', `no feature column ${JSON.stringify(f)}`, { row: 1 });
        if (i === label) throw new DataFormatError('bad_header', `column ${JSON.stringify(f)} is both the label and a feature`, { row: 1 });
        if (slot[i] >= 0) throw new DataFormatError('bad_header', `feature column ${JSON.stringify(f)} is listed twice`, { row: 1 });
        slot[i] = k;
      });
      this.nFeatures = this.opts.features.length;
    }
    this.slot = slot;
    this.rowValues = new Float64Array(this.nFeatures);
  }
}

/** Read a whole CSV input: bytes, text, or an (async) iterable of byte chunks. */
export async function readCsv(
  source: Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: CsvOptions,
): Promise<Dataset> {
  const r = new CsvReader(opts);
  if (typeof source === 'string' || source instanceof Uint8Array) r.push(source);
  else for await (const chunk of source) r.push(chunk);
  return r.end();
}

/** Synchronous readCsv for input already in memory. */
export function readCsvSync(source: Uint8Array | string, opts: CsvOptions): Dataset {
  const r = new CsvReader(opts);
  r.push(source);
  return r.end();
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xe000 ? 2 : 3;
  }
  return n;
}
