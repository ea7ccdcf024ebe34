/** The query of a cursor-paged list (newest first). */
import { Type } from 'typebox';

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `next` of the previous page.' })),
  },
  { additionalProperties: false },
);
