import type { FastifyRequest } from 'fastify';

type Done = (err: Error | null, body?: unknown) => void;
/** A callback-style string body parser (the shape of Fastify's `getDefaultJsonParser()`). */
type StringBodyParser = (request: FastifyRequest, body: string, done: Done) => void;

/**
 * The `application/json` body parser: Fastify's own (`defaultParser`, which refuses `__proto__`
 * and `constructor` keys), except that an empty body on a DELETE is no body at all (`undefined`).
 * Many HTTP clients send `Content-Type: application/json` on every request, also on a DELETE
 * without a body, and Fastify would answer that with 400 (`FST_ERR_CTP_EMPTY_JSON_BODY`). An empty
 * body on any other method and malformed JSON anywhere still fail as before (400 problem+json).
 */
export function jsonBodyParser(defaultParser: StringBodyParser): StringBodyParser {
  return (request, body, done) => {
    if (body.length === 0 && request.method === 'DELETE') done(null, undefined);
    else defaultParser(request, body, done);
  };
}
