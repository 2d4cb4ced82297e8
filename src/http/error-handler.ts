import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { html } from 'htm/preact';
import { AppError, NotFound, ValidationFailed, Conflict, type FieldError } from './errors.ts';
import { renderPage } from '../web/layout.ts';
import { negotiateLocale, translator } from '../i18n/i18n.ts';

/** True for requests to the JSON API (problem+json errors) rather than pages. */
export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/**
 * Field errors from Fastify's schema validation, with the offending field named, one per field.
 * Ajv (with `allErrors`) reports a value that matches no branch of a union once per branch and
 * once for the `anyOf` itself (a `kind` outside a union of six literals gave seven identical
 * errors); they are folded into one error for the field, `validation.unknown_field` or
 * `validation.required` when one of them says so, else `validation.invalid`.
 */
function schemaFieldErrors(err: FastifyError): FieldError[] {
  const byField = new Map<string, string>();
  for (const v of err.validation ?? []) {
    const params = v.params as Record<string, unknown>;
    const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = params.additionalProperty as string | undefined;
    const missing = params.missingProperty as string | undefined;
    const field = [path, extra ?? missing].filter(Boolean).join('.') || (err.validationContext ?? 'body');
    const messageId = extra ? 'validation.unknown_field' : missing ? 'validation.required' : 'validation.invalid';
    if (!byField.has(field) || byField.get(field) === 'validation.invalid') byField.set(field, messageId);
  }
  return [...byField].map(([field, messageId]) => ({ field, messageId }));
}

/**
 * The problem `code` and message id for a plain 4xx status from Fastify or a plugin (rate limit,
 * CSRF, body too large, wrong content type, malformed body).
 */
export function clientErrorCode(status: number): { code: string; messageId: string } {
  switch (status) {
    case 429:
      return { code: 'rate_limited', messageId: 'errors.rate_limited' };
    case 403:
      return { code: 'forbidden', messageId: 'errors.csrf' };
    case 413:
      return { code: 'too_large', messageId: 'errors.bad_request' };
    case 415:
      return { code: 'unsupported_media_type', messageId: 'errors.unsupported_media_type' };
    default:
      return { code: 'bad_request', messageId: 'errors.bad_request' };
  }
}

/**
 * One error handler for the whole app (STYLE rule 3):
 * - `AppError`s map to their status; the API answers RFC 9457 `application/problem+json`
 *   (`type`, `title`, `status`, `code`, and `errors[]` with `field`, `code`, `detail`), pages get
 *   a translated error page;
 * - schema validation errors are 400 with each offending field named;
 * - anything else is logged and answered as a 500 that reveals nothing about the cause.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler(async (err: FastifyError, request, reply) => {
      const tr = request.tr;
      let status = 500;
      let code = 'internal_error';
      let messageId = 'errors.internal';
      let fieldErrors: FieldError[] = [];
      if (err instanceof AppError) {
        ({ status, code, messageId } = err);
        if (err instanceof ValidationFailed) fieldErrors = err.errors;
        if (err instanceof Conflict && err.field) fieldErrors = [{ field: err.field, messageId: err.messageId }];
      } else if (err.validation) {
        status = 400;
        code = 'invalid_request';
        messageId = 'errors.invalid_request';
        fieldErrors = schemaFieldErrors(err);
      } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        status = err.statusCode;
        ({ code, messageId } = clientErrorCode(status));
      } else {
        request.log.error({ err }, 'unhandled error');
      }
      if (isApiRequest(request) && status === 422) status = 400;
      reply.status(status);
      if (isApiRequest(request)) {
        return sendProblem(reply, { status, code, title: tr.t(messageId), errors: fieldErrors.map((e) => ({ field: e.field, code: e.messageId.replace(/^validation\./, ''), detail: tr.t(e.messageId, e.values) })) });
      }
      reply.type('text/html; charset=utf-8');
      await request.loadUnreadNotifications();
      return renderPage(request.pageContext(reply), {
        title: tr.t(messageId),
        children: html`<h1>${tr.t(messageId)}</h1>
          ${fieldErrors.length ? html`<ul>${fieldErrors.map((e) => html`<li>${tr.t(e.messageId, e.values)}</li>`)}</ul>` : null}
          ${status === 401 && request.method === 'GET'
            ? html`<p><a class="button" href=${`/sign-in?next=${encodeURIComponent(request.url)}`}>${tr.t('nav.sign_in')}</a></p>`
            : null}
          <p><a href="/">${tr.t('errors.back_home')}</a></p>`,
      });
    });

    // Unknown GET paths go through a catch-all route (so compression and the other route hooks
    // apply to the 404 page); other methods reach the not-found handler below.
    app.get('/*', { schema: { hide: true } }, async () => {
      throw new NotFound();
    });

    app.setNotFoundHandler(async (request, reply) => {
      const tr = request.tr;
      reply.status(404);
      if (isApiRequest(request)) return sendProblem(reply, { status: 404, code: 'not_found', title: tr.t('errors.not_found') });
      reply.type('text/html; charset=utf-8');
      await request.loadUnreadNotifications();
      return renderPage(request.pageContext(reply), {
        title: tr.t('errors.not_found'),
        children: html`<h1>${tr.t('errors.not_found')}</h1><p><a href="/">${tr.t('errors.back_home')}</a></p>`,
      });
    });
  },
  { name: 'error-handler', dependencies: ['request-context'] },
);

/**
 * Security headers for answers that Fastify gives before any hook runs (see
 * `frameworkErrorHandler`); the same policy as `@fastify/helmet` sets in app.ts.
 */
const FALLBACK_HEADERS = {
  'content-security-policy':
    "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';object-src 'none';base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Fastify's `frameworkErrors` option: errors Fastify meets before routing and hooks — a URL
 * that is not valid percent-encoding (`FST_ERR_BAD_URL`), a path parameter over the length limit
 * — answered like every other bad request: translated HTML page or problem+json, 4xx, with the
 * security headers and nothing about the cause.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tr = translator(negotiateLocale(undefined, request.headers['accept-language']));
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  reply.headers(FALLBACK_HEADERS);
  if (request.url.startsWith('/api/')) {
    reply.send(sendProblem(reply, { status, code: 'bad_request', title: tr.t('errors.bad_request') }));
    return;
  }
  const ctx = { tr, viewer: null, csrfToken: '', path: '/', url: '/' };
  reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(renderPage(ctx, { title: tr.t('errors.bad_request'), children: html`<h1>${tr.t('errors.bad_request')}</h1><p><a href="/">${tr.t('errors.back_home')}</a></p>` }));
}

/** Sends an RFC 9457 problem document. */
export function sendProblem(
  reply: FastifyReply,
  p: { status: number; code: string; title: string; errors?: { field: string; code: string; detail: string }[] },
) {
  reply.status(p.status).type('application/problem+json; charset=utf-8');
  return {
    type: `urn:solidaris:problem:${p.code}`,
    title: p.title,
    status: p.status,
    code: p.code,
    ...(p.errors && p.errors.length ? { errors: p.errors } : {}),
  };
}
