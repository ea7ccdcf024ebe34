/** Who am I: the tenant the presented key belongs to. */
import type { App } from '../types.ts';
import { Type } from 'typebox';
import { errorResponses } from '../schemas/common.ts';

const Tenant = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() }, { title: 'Tenant' });

export async function tenantRoutes(app: App): Promise<void> {
  app.get('/tenant', {
    schema: {
      tags: ['tenant'],
      summary: "The caller's tenant",
      security: [{ bearerAuth: [] }],
      response: { 200: Tenant, ...errorResponses() },
    },
  }, async (request) => ({ id: request.tenant.id, name: request.tenant.name }));
}
