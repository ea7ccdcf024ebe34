/** Schemas shared by every route: the error body and small reusable pieces. */
import { Type, type Static } from 'typebox';
import { ERROR_CODES } from '../../shared/errors.ts';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated.' }),
    code: Type.Union(
      Object.keys(ERROR_CODES).map((c) => Type.Literal(c)),
      { description: 'Stable machine-readable code; see the list in the API description.' },
    ),
    message: Type.String({ description: 'What went wrong, naming the field, layer or row.' }),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

const errorRef = Type.Ref('ErrorResponse');

/** The error responses every authenticated route can give, for `schema.response`. */
export function errorResponses<const S extends readonly number[]>(...statuses: S) {
  const out: Record<number, typeof errorRef> = {};
  for (const s of [400, 401, 500, ...statuses]) out[s] = errorRef;
  return out;
}

export const Uuid = Type.String({ format: 'uuid' });
