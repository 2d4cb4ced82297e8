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
    /**
     * Unread notifications for the header of a signed-in page, once `loadUnreadNotifications`
     * counted them; else null.
     */
    unreadNotifications: number | null;
    /**
     * Counts the signed-in reader's unread notifications for the header of the HTML page about
     * to be rendered (`sendPage`, the error pages), once per request. Nothing for anonymous
     * readers, the API, feeds and static files; a failed count is logged and leaves null.
     */
    loadUnreadNotifications(): Promise<void>;
    /** The page context for rendering (generates this response's CSRF token). */
    pageContext(reply: FastifyReply): PageContext;
    /** The viewer, or a `SignInRequired` error. */
    requireViewer(): Viewer;
  }
}

/**
 * Whether a request may show the header's unread count: a signed-in reader outside the API,
 * feeds and static files, whatever the method (a form post re-rendered with HTTP 422 or
 * answered with a page shows the count too). Anonymous requests never run the count query.
 */
function countsUnread(request: FastifyRequest): boolean {
  if (!request.viewer) return false;
  const path = request.url.split('?')[0]!;
  return !path.startsWith('/api/') && !/\.(ics|atom|json|js|css|svg)$/.test(path);
}

/**
 * Requests whose count was asked for already. The count runs when a page is rendered, not on
 * every request, so redirects after a form post and non-HTML answers never pay for it.
 */
const counted = new WeakSet<FastifyRequest>();

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
    app.decorateRequest('loadUnreadNotifications', async function (this: FastifyRequest): Promise<void> {
      if (counted.has(this)) return;
      counted.add(this);
      if (!this.viewer || !countsUnread(this)) return;
      try {
        this.unreadNotifications = await countUnread(app.db, this.viewer, 100);
      } catch (err) {
        // The count is a convenience: a failure must not take the page down with it.
        this.log.error({ err }, 'counting unread notifications failed');
      }
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
      }
    });
  },
  { name: 'request-context', dependencies: ['database', '@fastify/cookie'] },
);
