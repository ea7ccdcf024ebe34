/**
 * Child process for admin-socket.test.ts: holds the embedded database in
 * argv[2] (as the service does), prints `ready {json}`, answers `count` on
 * stdin with the number of API keys it sees, and closes on `close` or SIGTERM.
 */
import { createInterface } from 'node:readline';
import { openDatabase } from '../../src/db/open.ts';

const dataDir = process.argv[2];
const db = await openDatabase({ dataDir });
let closing = false;
async function shutdown(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  await db.close();
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
let releaseTx: (() => void) | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  void (async () => {
    if (line === 'count') process.stdout.write(`count ${await db.prisma.apiKey.count()}\n`);
    if (line === 'tx-open') {
      // An interactive transaction that renames every tenant, then rolls back.
      const gate = new Promise<void>((resolve) => (releaseTx = resolve));
      void db.prisma
        .$transaction(
          async (tx) => {
            await tx.tenant.updateMany({ data: { name: 'inside-tx' } });
            process.stdout.write('tx-opened\n');
            await gate;
            throw new Error('rollback');
          },
          { timeout: 60_000 },
        )
        .catch(() => process.stdout.write('tx-rolled-back\n'));
    }
    if (line === 'tx-rollback') releaseTx?.();
    if (line === 'close') await shutdown(0);
  })();
});
lines.on('close', () => void shutdown(0));
process.stdout.write(`ready ${JSON.stringify({ pid: process.pid, kind: db.kind })}\n`);
