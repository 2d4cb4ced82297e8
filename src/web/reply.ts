import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { renderPage } from './layout.ts';
import type { PageContext } from './context.ts';

/**
 * Renders a full page for a request and sends it as HTML with `status` (default 200).
 * `body` receives the page context (translator, viewer, CSRF token).
 */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  title: string | ((ctx: PageContext) => string),
  body: (ctx: PageContext) => ComponentChildren,
  status = 200,
): FastifyReply {
  const ctx = request.pageContext(reply);
  const t = typeof title === 'function' ? title(ctx) : title;
  return reply.status(status).type('text/html; charset=utf-8').send(renderPage(ctx, { title: t, children: body(ctx) }));
}

/** Redirect after a successful form POST (303 See Other, RFC 9110 §15.4.4). */
export function redirectAfterPost(reply: FastifyReply, location: string): FastifyReply {
  return reply.redirect(safeLocalPath(location), 303);
}

/** `next` values from forms may only point inside this site (no `//host` or scheme). */
export function safeLocalPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}
