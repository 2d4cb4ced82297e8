import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { renderPage } from './layout.ts';
import type { PageContext } from './context.ts';

/**
 * Renders a full page for a request and sends it as HTML with `status` (default 200) — also a
 * form re-rendered with HTTP 422 or a page answering a POST. `body` receives the page context
 * (translator, viewer, CSRF token, the signed-in reader's unread count for the header, counted
 * here: see `loadUnreadNotifications`).
 */
export async function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  title: string | ((ctx: PageContext) => string),
  body: (ctx: PageContext) => ComponentChildren,
  status = 200,
): Promise<FastifyReply> {
  await request.loadUnreadNotifications();
  const ctx = request.pageContext(reply);
  const t = typeof title === 'function' ? title(ctx) : title;
  return reply.status(status).type('text/html; charset=utf-8').send(renderPage(ctx, { title: t, children: body(ctx) }));
}

/** Redirect after a successful form POST (303 See Other, RFC 9110 §15.4.4). */
export function redirectAfterPost(reply: FastifyReply, location: string): FastifyReply {
  return reply.redirect(safeLocalPath(location), 303);
}

/**
 * `next` values from forms may only point inside this site: a path starting with one `/`, not
 * `//host` or `/\host`, and without control characters or white space anywhere — browsers drop
 * tabs and line breaks from URLs (WHATWG URL §4.4), so `/\t/evil.example` would become
 * `//evil.example`, and a line break cannot go into a `Location` header at all. Anything else
 * gives `/`.
 */
export function safeLocalPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !/^\/(?![/\\])/.test(next) || /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(next)) return '/';
  // Resolved against a placeholder origin, the path must stay on that origin.
  const base = 'http://solidaris.invalid';
  try {
    return new URL(next, base).origin === base ? next : '/';
  } catch {
    return '/';
  }
}

/**
 * A local path (see {@link safeLocalPath}) with `?done=<done>` set — replacing an earlier `done`,
 * keeping the other query parameters — and `#<fragment>`, for the redirect after a form POST:
 * the page returned to shows the confirmation `done` names (see `doneNotice`) and the browser
 * scrolls to the fragment (a fragment in `Location` replaces the one of the form's action).
 */
export function withNotice(location: string, done: string, fragment?: string): string {
  const base = 'http://solidaris.invalid';
  const url = new URL(safeLocalPath(location), base);
  url.searchParams.set('done', done);
  url.hash = fragment ?? url.hash;
  return `${url.pathname}${url.search}${url.hash}`;
}
