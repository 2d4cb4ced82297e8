import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import { negotiateLocale, translator, type Translator } from '../i18n/i18n.ts';
import type { Viewer } from './viewer.ts';
import type { PageContext } from '../web/context.ts';
import { loadViewer } from '../modules/accounts/accounts.service.ts';
import { SignInRequired } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
    tr: Translator;
    /** The page context for rendering (generates this response's CSRF token). */
    pageContext(reply: FastifyReply): PageContext;
    /** The viewer, or a `SignInRequired` error. */
    requireViewer(): Viewer;
  }
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
    app.decorateRequest('pageContext', function (this, reply: FastifyReply): PageContext {
      return { tr: this.tr, viewer: this.viewer, csrfToken: reply.generateCsrf(), path: this.url.split('?')[0]!, url: this.url };
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
