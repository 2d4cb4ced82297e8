import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { negotiateLocale, translator, type Translator } from '../i18n/i18n.ts';
import type { Viewer } from './viewer.ts';
import type { PageContext } from '../web/context.ts';
import { loadViewer } from '../modules/accounts/accounts.service.ts';
import { SignInRequired } from './errors.ts';
import { countUnread } from '../modules/follows/notifications.repo.ts';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
    tr: Translator;
    /** Unread notifications for the header of a signed-in page request (see `countsUnread`), else null. */
    unreadNotifications: number | null;
    /** The page context for rendering (generates this response's CSRF token). */
    pageContext(reply: FastifyReply): PageContext;
    /** The viewer, or a `SignInRequired` error. */
    requireViewer(): Viewer;
  }
}

/**
 * Whether a request renders a page with the header's unread count: a GET (or HEAD) of a
 * signed-in reader outside the API, feeds and static files. Anonymous requests never run the
 * count query; form posts (redirects, or a page re-rendered on 422) show the link without it.
 */
function countsUnread(request: FastifyRequest): boolean {
  if (!request.viewer || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const path = request.url.split('?')[0]!;
  return !path.startsWith('/api/') && !/\.(ics|atom|json|js|css|svg)$/.test(path);
}

export const SESSION_COOKIE = 'sid';
export const LOCALE_COOKIE = 'locale';

/**
 * Per-request context: the signed-in viewer (from the server-side session named by the `sid`
 * cookie) and the UI translator (locale cookie, else the account's language, else
 * `Accept-Language`). Requests for static files skip the session look-up.
 */
export const requestContextPlugin = fp(
  async (app) => {
    app.decorateRequest('viewer', null);
    app.decorateRequest('tr', null as unknown as Translator);
    app.decorateRequest('unreadNotifications', null);
    app.decorateRequest('pageContext', function (this, reply: FastifyReply): PageContext {
      return { tr: this.tr, viewer: this.viewer, csrfToken: reply.generateCsrf(), path: this.url.split('?')[0]!, url: this.url, unreadNotifications: this.unreadNotifications };
    });
    app.decorateRequest('requireViewer', function (this): Viewer {
      if (!this.viewer) throw new SignInRequired();
      return this.viewer;
    });
    app.addHook('onRequest', async (request) => {
      request.tr = translator(negotiateLocale(request.cookies[LOCALE_COOKIE], request.headers['accept-language']));
      if (request.url.startsWith('/static/') || request.url === '/healthz') return;
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        request.viewer = await loadViewer(app.db, token);
        if (request.viewer && !request.cookies[LOCALE_COOKIE]) {
          request.tr = translator(negotiateLocale(request.viewer.locale, request.headers['accept-language']));
        }
        if (countsUnread(request)) {
          try {
            request.unreadNotifications = await countUnread(app.db, request.viewer, 100);
          } catch (err) {
            // The count is a convenience: a failure must not take the page down with it.
            request.log.error({ err }, 'counting unread notifications failed');
          }
        }
      }
    });
  },
  { name: 'request-context', dependencies: ['database', '@fastify/cookie'] },
);
