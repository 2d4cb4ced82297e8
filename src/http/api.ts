import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, SignInRequired, ValidationFailed } from './errors.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';

/** 415 for an API write that is not `application/json`. */
export class UnsupportedMediaType extends AppError {
  constructor() {
    super(415, 'unsupported_media_type', 'errors.unsupported_media_type');
  }
}

/**
 * API writes must be `application/json`. Browsers cannot send that content type cross-site
 * without a CORS preflight (which this server never grants), so a cookie-authenticated JSON
 * write cannot be forged by another site; HTML forms carry CSRF tokens instead.
 */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaType();
}

/**
 * API writes need a signed-in account; checked before the body is validated so an anonymous
 * client learns it must sign in (401) rather than how to shape a body it may not send.
 */
export async function requireSignIn(request: FastifyRequest): Promise<void> {
  if (!request.viewer) throw new SignInRequired();
}

/** `preValidation` of every API write: signed in, then JSON. */
export const apiWrite = [requireSignIn, requireJson];

/**
 * A whole number or null, as one `type: ['integer', 'null']` rather than an `anyOf`: the app's Ajv
 * coerces types, and inside `anyOf` the integer branch would turn `null` into `0` before the null
 * branch is tried; with a type list Ajv only coerces when no listed type matches (so null stays
 * null, "unknown", and `"12"` still becomes 12).
 */
export const nullableInteger = (o: Record<string, unknown> = {}) => Type.Unsafe<number | null>({ type: ['integer', 'null'], ...o });

/** One page of a list filtered by status, with its cursor to the next page (see {@link pageByStatus}). */
export interface StatusPage<T> {
  items: T[];
  total: number;
  next: string | null;
}

/**
 * A keyset-paginated list filtered by an optional status, as the list routes of pacts and
 * campaigns answer it: `after` is an opaque cursor of (createdAt, id) (lib/cursor.ts), `status`
 * must be one of `statuses`. `rows` is asked for one row more than `limit` to know whether a next
 * page exists; `count` gives the total of the filter.
 * @throws {ValidationFailed} `after` (`validation.cursor`) for a cursor that does not decode,
 *   `status` (`validation.choice`) for an unknown status.
 */
export async function pageByStatus<S extends string, T extends { createdAt: string; id: string }>(
  query: { status?: string; after?: string; limit?: number },
  o: {
    statuses: readonly S[];
    pageSize: number;
    rows: (filter: { status?: S; limit: number; after?: { createdAt: string; id: string } }) => Promise<T[]>;
    count: (filter: { status?: S }) => Promise<number>;
  },
): Promise<StatusPage<T>> {
  const limit = query.limit ?? o.pageSize;
  const cursor = decodeCursor(query.after, 2);
  if (query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
  if (query.status && !(o.statuses as readonly string[]).includes(query.status)) throw new ValidationFailed([{ field: 'status', messageId: 'validation.choice' }]);
  const status = query.status as S | undefined;
  const [rows, total] = await Promise.all([
    o.rows({ status, limit: limit + 1, after: cursor ? { createdAt: cursor[0]!, id: cursor[1]! } : undefined }),
    o.count({ status }),
  ]);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, total, next: rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
}
