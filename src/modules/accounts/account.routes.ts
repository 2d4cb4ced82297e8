import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, LOCALE_COOKIE } from '../../http/request-context.ts';
import { formFieldErrors, type FieldError } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { todayIn } from '../../lib/time.ts';
import { changePassword, listSessions, revokeSessions, updateProfile, type SessionScope } from './account.service.ts';
import { eraseAccount, exportAccount } from './account-data.service.ts';
import { digestFrequencyOf } from '../digests/digests.service.ts';
import { accountView, erasedView, eraseView, type AccountForm, type ProfileFormValues } from './account.views.ts';

type Form = Record<string, string | undefined>;

/**
 * The signed-in person's own account (all routes need a session; anonymous requests get 401):
 * - `GET /account`: profile, password, sessions, links to security, export and erasure;
 * - `POST /account/profile`, `POST /account/password`;
 * - `POST /account/sessions/revoke` (one, by reference), `…/revoke-others`, `…/revoke-all`;
 * - `GET /account/export`: GDPR Art. 15/20 JSON download;
 * - `GET|POST /account/erase`: GDPR Art. 17 erasure with password confirmation;
 * - `GET /account/erased`: the confirmation afterwards (public: the session is gone).
 * Every form carries a CSRF token; password checks are rate-limited like sign-in.
 */
export const accountRoutes = fp(
  async (app) => {
    const profileOf = async (viewer: Viewer): Promise<ProfileFormValues> => {
      const digestFrequency = await digestFrequencyOf(app.db, viewer.userId);
      return { displayName: viewer.displayName, locale: viewer.locale, timeZone: viewer.timeZone, digestFrequency };
    };

    const renderAccount = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { profile?: ProfileFormValues; errors?: { form: AccountForm; errors: FieldError[] }; notice?: string } = {},
      status = 200,
    ) => {
      const viewer = request.requireViewer();
      const sessions = await listSessions(app.db, viewer);
      const profile = o.profile ?? (await profileOf(viewer));
      return sendPage(
        request,
        reply,
        request.tr.t('account.title'),
        (ctx) =>
          accountView(ctx, {
            profile,
            sessions,
            errors: o.errors ? { form: o.errors.form, errors: errorMap(o.errors.errors) } : undefined,
            notice: o.notice,
          }),
        status,
      );
    };

    const clearSession = (reply: FastifyReply) => reply.clearCookie(SESSION_COOKIE, { path: '/' });

    app.get<{ Querystring: { done?: string } }>('/account', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      reply.header('cache-control', 'no-store');
      return renderAccount(request, reply, { notice: typeof request.query.done === 'string' ? request.query.done : undefined });
    });

    app.post<{ Body: Form }>('/account/profile', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const body = request.body ?? {};
      try {
        const fields = await updateProfile(app.db, viewer, body);
        // The language switch's cookie wins over the account's language: keep the two in step.
        if (fields.includes('locale')) reply.setCookie(LOCALE_COOKIE, String(body.locale).trim(), { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
        return redirectAfterPost(reply, '/account?done=profile');
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        const profile = {
          displayName: String(body.displayName ?? ''),
          locale: String(body.locale ?? ''),
          timeZone: String(body.timeZone ?? ''),
          digestFrequency: String(body.digestFrequency ?? ''),
        };
        return renderAccount(request, reply, { profile, errors: { form: 'profile', errors } }, 422);
      }
    });

    app.post<{ Body: Form }>(
      '/account/password',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          await changePassword(app.db, viewer, request.body ?? {});
          return redirectAfterPost(reply, '/account?done=password');
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return renderAccount(request, reply, { errors: { form: 'password', errors } }, 422);
        }
      },
    );

    const revoke = async (request: FastifyRequest, reply: FastifyReply, scope: SessionScope) => {
      const viewer = request.requireViewer();
      const { endedCurrent } = await revokeSessions(app.db, viewer, scope);
      if (endedCurrent) {
        clearSession(reply);
        return redirectAfterPost(reply, '/');
      }
      return redirectAfterPost(reply, '/account?done=sessions');
    };

    app.post<{ Body: Form }>('/account/sessions/revoke', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      revoke(request, reply, { ref: String(request.body?.session ?? '') }),
    );
    app.post('/account/sessions/revoke-others', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      revoke(request, reply, 'others'),
    );
    app.post('/account/sessions/revoke-all', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      revoke(request, reply, 'all'),
    );

    app.get('/account/export', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const data = await exportAccount(app.db, viewer, request.tr.t('account.export.about'));
      return reply
        .header('content-disposition', `attachment; filename="solidaris-account-${todayIn(viewer.timeZone)}.json"`)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(data, null, 2));
    });

    app.get('/account/erase', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return sendPage(request, reply, request.tr.t('account.erase.title'), (ctx) => eraseView(ctx, { errors: [] }));
    });

    app.post<{ Body: Form }>(
      '/account/erase',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          await eraseAccount(app.db, viewer, { password: request.body?.password }, app.dbEngine);
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return sendPage(request, reply, request.tr.t('account.erase.title'), (ctx) => eraseView(ctx, { errors }), 422);
        }
        clearSession(reply);
        return redirectAfterPost(reply, '/account/erased');
      },
    );

    // The confirmation after erasure; there is no session any more, so anyone may see this page.
    app.get('/account/erased', { schema: { hide: true } }, async (request, reply) =>
      sendPage(request, reply, request.tr.t('account.erased.title'), (ctx) => erasedView(ctx)),
    );
  },
  { name: 'account-routes', dependencies: ['request-context'] },
);
