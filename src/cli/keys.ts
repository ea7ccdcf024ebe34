/** `trainyard keys create|list|revoke`: works in every configuration, including while a service holds the embedded database. */
import { parseArgs } from 'node:util';
import type { Config } from '../shared/config.ts';
import { openDatabaseForAdmin } from '../db/open.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/repos/api-keys.ts';

export async function keysCommand(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { tenant: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
  });
  if (sub === 'create' && !values.tenant) {
    console.error('keys create needs --tenant NAME');
    return 2;
  }
  if (sub === 'revoke' && positionals.length !== 1) {
    console.error('keys revoke needs one key id or prefix');
    return 2;
  }
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    console.error('usage: trainyard keys create --tenant NAME [--name LABEL] | list [--tenant NAME] | revoke ID|PREFIX');
    return 2;
  }
  if (values.tenant !== undefined && !/^[\w.-]{1,64}$/.test(values.tenant)) {
    console.error('--tenant must be 1 to 64 letters, digits, ".", "_" or "-"');
    return 2;
  }
  const db = await openDatabaseForAdmin({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (sub === 'create') {
      const k = await createApiKey(db.prisma, values.tenant!, values.name);
      console.log(`created key ${k.id} (${k.prefix}...) for tenant ${k.tenant.name}; it is shown only once:`);
      console.log(k.key);
      return 0;
    }
    if (sub === 'list') {
      const keys = await listApiKeys(db.prisma, values.tenant);
      for (const k of keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        console.log([k.id, `${k.prefix}...`, k.tenant, k.name ?? '-', k.createdAt.toISOString(), k.lastUsedAt?.toISOString() ?? 'never used', state].join('\t'));
      }
      if (keys.length === 0) console.error('no keys');
      return 0;
    }
    const n = await revokeApiKey(db.prisma, positionals[0]);
    if (n === 0) {
      console.error(`no active key matches ${positionals[0]}`);
      return 1;
    }
    console.log(`revoked ${n} key${n === 1 ? '' : 's'}`);
    return 0;
  } finally {
    await db.close();
  }
}
