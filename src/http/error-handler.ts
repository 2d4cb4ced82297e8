import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { html } from 'htm/preact';
import { AppError, NotFound, ValidationFailed, Conflict, type FieldError } from './errors.ts';
import { renderPage } from '../web/layout.ts';

/** True for requests to the JSON API (problem+json errors) rather than pages. */
export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/** Field errors from Fastify's schema validation, with the offending field named. */
function schemaFieldErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = params.additionalProperty as string | undefined;
    const missing = params.missingProperty as string | undefined;
    const field = [path, extra ?? missing].filter(Boolean).join('.') || (err.validationContext ?? 'body');
    const messageId = extra ? 'validation.unknown_field' : missing ? 'validation.required' : 'validation.invalid';
    return { field, messageId };
  });
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
        code = status === 429 ? 'rate_limited' : status === 403 ? 'forbidden' : status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
        messageId = status === 429 ? 'errors.rate_limited' : status === 403 ? 'errors.csrf' : status === 415 ? 'errors.unsupported_media_type' : 'errors.bad_request';
      } else {
        request.log.error({ err }, 'unhandled error');
      }
      if (isApiRequest(request) && status === 422) status = 400;
      reply.status(status);
      if (isApiRequest(request)) {
        return sendProblem(reply, { status, code, title: tr.t(messageId), errors: fieldErrors.map((e) => ({ field: e.field, code: e.messageId.replace(/^validation\./, ''), detail: tr.t(e.messageId, e.values) })) });
      }
      reply.type('text/html; charset=utf-8');
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
      return renderPage(request.pageContext(reply), {
        title: tr.t('errors.not_found'),
        children: html`<h1>${tr.t('errors.not_found')}</h1><p><a href="/">${tr.t('errors.back_home')}</a></p>`,
      });
    });
  },
  { name: 'error-handler', dependencies: ['request-context'] },
);

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
