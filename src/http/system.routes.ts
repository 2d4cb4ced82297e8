import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { isLocale } from '../i18n/i18n.ts';
import { LOCALE_COOKIE } from './request-context.ts';
import { redirectAfterPost } from '../web/reply.ts';
import { ValidationFailed } from './errors.ts';

/** `GET /healthz` and the language switch (`POST /locale`). */
export const systemRoutes = fp<{ secureCookies: boolean }>(
  async (app, opts) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['system'],
          response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]) }) },
        },
      },
      async () => {
        await sql`select 1`.execute(app.db);
        return { status: 'ok' as const, database: app.dbEngine };
      },
    );

    app.post<{ Body: { locale?: string; next?: string } }>(
      '/locale',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const locale = request.body?.locale;
        if (!isLocale(locale)) throw new ValidationFailed([{ field: 'locale', messageId: 'validation.invalid' }]);
        reply.setCookie(LOCALE_COOKIE, locale, { path: '/', sameSite: 'lax', httpOnly: true, secure: opts.secureCookies, maxAge: 365 * 86400 });
        // A signed-in person's choice is their account's language from now on.
        if (request.viewer) await app.db.updateTable('users').set({ locale }).where('id', '=', request.viewer.userId).execute();
        return redirectAfterPost(reply, request.body?.next ?? '/');
      },
    );
  },
  { name: 'system-routes' },
);
