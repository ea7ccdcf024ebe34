// Prisma CLI configuration (Prisma 7 keeps the connection URL out of schema.prisma).
// Only the CLI reads this: `prisma generate` (scripts/prisma-generate.mjs) and, on
// a machine that can fetch Prisma's native engine, `prisma migrate status|deploy`.
// The application applies migrations itself (src/db/migrate.ts).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Unset is fine for `generate`, which never connects.
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
