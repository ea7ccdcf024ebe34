/** The query of a cursor-paged list (newest first). */
import { Type } from 'typebox';

export const DEFAULT_PAGE_SIZE = 20;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `next` of the previous page.' })),
  },
  { additionalProperties: false },
);
