import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, SignInRequired } from './errors.ts';

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
