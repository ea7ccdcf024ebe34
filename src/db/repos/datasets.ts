/**
 * Data sets: metadata, and the uploaded (decompressed) files stored in
 * Postgres in 1 MiB chunks, so any worker machine can read them.
 */
import { fromBase64, toBase64 } from '../bytea.ts';
import type { Prisma, PrismaClient, Dataset } from '../generated/client.ts';

export const CHUNK_BYTES = 1024 * 1024;

export interface NewDataset {
  tenantId: string;
  name: string;
  format: string;
  options: Prisma.InputJsonValue;
  sampleShape: number[];
  labelShape: number[];
  sampleCount: number;
  numClasses: number | null;
  classCounts: number[] | null;
  sha256: string;
  /** The files, by part name (`x`, `y` or `file`), decompressed. */
  parts: Record<string, Uint8Array[]>;
}

function totalBytes(parts: Record<string, Uint8Array[]>): number {
  let n = 0;
  for (const chunks of Object.values(parts)) for (const c of chunks) n += c.byteLength;
  return n;
}

/** Re-slices a file's pieces into CHUNK_BYTES rows. */
function* rows(pieces: Uint8Array[]): Generator<Uint8Array> {
  let buf = new Uint8Array(CHUNK_BYTES);
  let used = 0;
  for (const p of pieces) {
    let off = 0;
    while (off < p.byteLength) {
      const n = Math.min(CHUNK_BYTES - used, p.byteLength - off);
      buf.set(p.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === CHUNK_BYTES) {
        yield buf;
        buf = new Uint8Array(CHUNK_BYTES);
        used = 0;
      }
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}

export async function createDataset(prisma: PrismaClient, d: NewDataset): Promise<Dataset> {
  return prisma.$transaction(async (tx) => {
    const row = await tx.dataset.create({
      data: {
        tenantId: d.tenantId,
        name: d.name,
        format: d.format,
        options: d.options,
        status: 'ready',
        sampleShape: d.sampleShape,
        labelShape: d.labelShape,
        sampleCount: d.sampleCount,
        numClasses: d.numClasses,
        classCounts: d.classCounts ?? undefined,
        bytes: BigInt(totalBytes(d.parts)),
        sha256: d.sha256,
      },
    });
    for (const [part, pieces] of Object.entries(d.parts)) {
      let seqs: number[] = [];
      let texts: string[] = [];
      const write = async (): Promise<void> => {
        // As base64 text, decoded by the server (bytea.ts).
        await tx.$executeRaw`INSERT INTO dataset_chunk (dataset_id, part, seq, data)
          SELECT ${row.id}::uuid, ${part}, u.seq, decode(u.b64, 'base64') FROM unnest(${seqs}::int4[], ${texts}::text[]) AS u(seq, b64)`;
        seqs = [];
        texts = [];
      };
      let seq = 0;
      for (const data of rows(pieces)) {
        seqs.push(seq++);
        texts.push(toBase64(data));
        if (seqs.length === 8) await write();
      }
      if (seqs.length > 0) await write();
    }
    return row;
  }, { timeout: 600_000, maxWait: 60_000 });
}

export async function getDataset(prisma: PrismaClient, tenantId: string, id: string): Promise<Dataset | null> {
  return prisma.dataset.findFirst({ where: { id, tenantId, deletedAt: null } });
}

export async function listDatasets(prisma: PrismaClient, tenantId: string, opts: { limit: number; after?: { createdAt: Date; id: string } }): Promise<{ datasets: Dataset[]; next: { createdAt: Date; id: string } | null }> {
  const rowsFound = await prisma.dataset.findMany({
    where: {
      tenantId,
      deletedAt: null,
      ...(opts.after ? { OR: [{ createdAt: { lt: opts.after.createdAt } }, { createdAt: opts.after.createdAt, id: { lt: opts.after.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: opts.limit + 1,
  });
  const datasets = rowsFound.slice(0, opts.limit);
  const last = datasets[datasets.length - 1];
  return { datasets, next: rowsFound.length > opts.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

export type DeleteOutcome = 'deleted' | 'in_use' | 'not_found';

/** Soft-deletes the metadata (finished jobs keep pointing at it) and drops the content. */
export async function deleteDataset(prisma: PrismaClient, tenantId: string, id: string): Promise<DeleteOutcome> {
  return prisma.$transaction(async (tx) => {
    const rowsFound = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM dataset WHERE id = ${id}::uuid AND tenant_id = ${tenantId}::uuid AND deleted_at IS NULL FOR UPDATE`;
    if (rowsFound.length === 0) return 'not_found';
    const busy = await tx.job.count({ where: { datasetId: id, status: { in: ['queued', 'running'] } } });
    if (busy > 0) return 'in_use';
    await tx.datasetChunk.deleteMany({ where: { datasetId: id } });
    await tx.dataset.update({ where: { id }, data: { deletedAt: new Date(), status: 'deleted' } });
    return 'deleted';
  });
}

/** The stored files of a data set, reassembled, for a training thread. */
export async function loadDatasetParts(prisma: PrismaClient, id: string): Promise<{ format: string; options: unknown; parts: Record<string, Uint8Array> } | null> {
  const ds = await prisma.dataset.findFirst({ where: { id, deletedAt: null }, select: { format: true, options: true, bytes: true } });
  if (!ds) return null;
  // As base64 text (bytea.ts), in order.
  const rows64 = await prisma.$queryRaw<Array<{ part: string; b64: string }>>`
    SELECT part, encode(data, 'base64') AS b64 FROM dataset_chunk WHERE dataset_id = ${id}::uuid ORDER BY part, seq`;
  const chunks = rows64.map((r) => ({ part: r.part, data: fromBase64(r.b64) }));
  const sizes = new Map<string, number>();
  for (const c of chunks) sizes.set(c.part, (sizes.get(c.part) ?? 0) + c.data.byteLength);
  const parts: Record<string, Uint8Array> = {};
  const offsets = new Map<string, number>();
  for (const [part, size] of sizes) {
    // Shared, so the bytes reach the training thread without a copy.
    parts[part] = new Uint8Array(new SharedArrayBuffer(size));
    offsets.set(part, 0);
  }
  for (const c of chunks) {
    const off = offsets.get(c.part)!;
    parts[c.part].set(c.data, off);
    offsets.set(c.part, off + c.data.byteLength);
  }
  return { format: ds.format, options: ds.options, parts };
}
