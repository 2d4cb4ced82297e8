import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationFailed, type FieldError } from '../../http/errors.ts';
import { SESSION_COOKIE } from '../../http/request-context.ts';
import { emailKey } from '../../lib/email.ts';
import { cleanText } from '../../lib/text.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import type { MailMessage } from '../../mail/mailer.ts';
import { passwordResetMail } from '../../mail/messages.ts';
import { RESET_MINUTES, ResetLinkInvalid, findPasswordReset, requestPasswordReset, resetPassword } from './password-reset.service.ts';
import { choosePasswordView, invalidResetView, requestResetView, resetRequestedView } from './password-reset.views.ts';

type Form = Record<string, string | undefined>;

/**
 * Self-service password reset: `/password-reset` asks for the e-mail address and always answers
 * the same page; the mail (in the account's language) goes out off the request path, so neither the
 * page nor its timing tells whether an account exists. Without SMTP the link only reaches the log;
 * instance admins can make one on an organization's members page instead.
 * `/password-reset/:token` sets a new password once and signs the account out everywhere.
 */
export const passwordResetRoutes = fp(
  async (app) => {
    // Mails still on their way when the app closes are waited for.
    const outgoing = new Set<Promise<unknown>>();
    const sendLater = (message: MailMessage, userId: string) => {
      const p: Promise<unknown> = app.mailer
        .send(message)
        .catch((err: unknown) => app.log.error({ err, user: userId }, 'password reset mail could not be sent'))
        .finally(() => outgoing.delete(p));
      outgoing.add(p);
    };
    app.addHook('onClose', async () => {
      await Promise.allSettled([...outgoing]);
    });

    const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Parameters<typeof sendPage>[3], status = 200) => {
      reply.header('cache-control', 'no-store');
      return sendPage(request, reply, title, body, status);
    };
    const invalid = (request: FastifyRequest, reply: FastifyReply) =>
      page(request, reply, request.tr.t('password_reset.invalid.title'), (ctx) => invalidResetView(ctx), 404);

    app.get('/password-reset', { schema: { hide: true } }, async (request, reply) =>
      page(request, reply, request.tr.t('password_reset.request.title'), (ctx) => requestResetView(ctx, {}, errorMap())),
    );

    app.post<{ Body: Form }>(
      '/password-reset',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const email = cleanText(request.body?.email) ?? '';
        const problem: FieldError | null = !email
          ? { field: 'email', messageId: 'validation.required' }
          : !emailKey(email) || email.length > 254
            ? { field: 'email', messageId: 'validation.email' }
            : null;
        if (problem) {
          return page(request, reply, request.tr.t('password_reset.request.title'), (ctx) => requestResetView(ctx, { email }, errorMap([problem])), 422);
        }
        const link = await requestPasswordReset(app.db, app.baseUrl, email);
        if (link) {
          sendLater(passwordResetMail({ to: link.email, locale: link.locale, displayName: link.displayName, url: link.url, validMinutes: RESET_MINUTES }), link.userId);
        }
        return page(request, reply, request.tr.t('password_reset.requested.title'), (ctx) => resetRequestedView(ctx));
      },
    );

    app.get<{ Params: { token: string } }>('/password-reset/:token', { schema: { hide: true } }, async (request, reply) => {
      if (!(await findPasswordReset(app.db, request.params.token))) return invalid(request, reply);
      return page(request, reply, request.tr.t('password_reset.choose.title'), (ctx) => choosePasswordView(ctx, request.params.token, errorMap()));
    });

    app.post<{ Params: { token: string }; Body: Form }>(
      '/password-reset/:token',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const token = request.params.token;
        let userId: string;
        try {
          ({ userId } = await resetPassword(app.db, token, request.body?.password));
        } catch (err) {
          if (err instanceof ResetLinkInvalid) return invalid(request, reply);
          if (err instanceof ValidationFailed) {
            return page(request, reply, request.tr.t('password_reset.choose.title'), (ctx) => choosePasswordView(ctx, token, errorMap(err.errors)), 422);
          }
          throw err;
        }
        // Every session of the account is gone; drop this browser's cookie too if it was one of them.
        if (request.viewer?.userId === userId) reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return redirectAfterPost(reply, '/sign-in');
      },
    );
  },
  { name: 'password-reset-routes', dependencies: ['request-context'] },
);
