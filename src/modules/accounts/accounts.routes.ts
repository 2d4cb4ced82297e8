import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../http/request-context.ts';
import { NotFound, formFieldErrors } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, safeLocalPath } from '../../web/reply.ts';
import { authenticate, countUsers, createSession, createUser, deleteSession } from './accounts.service.ts';
import { limitPendingSession, needsSecondFactor, secondFactorsOf } from './second-factor.service.ts';
import { setupView, signInView } from './accounts.views.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** True while the instance has no account yet (pages then point to `/setup`). */
    needsSetup(): Promise<boolean>;
  }
}

type Form = Record<string, string | undefined>;

/**
 * Sign-in, sign-out and first-run set-up. Sessions are server-side (`sessions` table); the
 * cookie carries only a random token (`HttpOnly; SameSite=Lax`, `Secure` behind TLS).
 */
export const accountsRoutes = fp<{ secureCookies: boolean }>(
  async (app, opts) => {
    let setupDone = false;
    app.decorate('needsSetup', async () => {
      if (setupDone) return false;
      setupDone = (await countUsers(app.db)) > 0;
      return !setupDone;
    });

    // First-run submissions run one after another, so two racing forms cannot both pass the
    // "no account yet" check and create two administrators (the server is one process).
    let setupQueue: Promise<unknown> = Promise.resolve();
    const oneSetupAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = setupQueue.then(fn, fn);
      setupQueue = run.catch(() => undefined);
      return run;
    };

    /**
     * Starts a session for `userId` and sets its cookie. A session the browser had before (another
     * account, or the same one signing in again) ends: one browser, one session. With
     * `pendingSecondFactor` the session only opens the second step of the sign-in, for ten minutes.
     */
    const startSession = async (request: FastifyRequest, reply: FastifyReply, userId: string, o: { pendingSecondFactor?: boolean } = {}) => {
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await deleteSession(app.db, previous);
      const userAgent = request.headers['user-agent'];
      const token = await createSession(app.db, userId, { userAgent, pendingSecondFactor: o.pendingSecondFactor });
      if (o.pendingSecondFactor) await limitPendingSession(app.db, token);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: opts.secureCookies,
        maxAge: 30 * 86400,
      });
    };

    app.get<{ Querystring: { next?: string } }>('/sign-in', { schema: { hide: true } }, async (request, reply) =>
      sendPage(request, reply, request.tr.t('accounts.sign_in.title'), (ctx) =>
        signInView(ctx, { email: '', next: safeLocalPath(request.query.next), failed: false }),
      ),
    );

    app.post<{ Body: Form }>(
      '/sign-in',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const email = String(request.body?.email ?? '');
        const next = safeLocalPath(request.body?.next);
        const userId = await authenticate(app.db, email, String(request.body?.password ?? ''));
        if (!userId) {
          return sendPage(request, reply, request.tr.t('accounts.sign_in.title'), (ctx) => signInView(ctx, { email, next, failed: true }), 422);
        }
        // RFC 6238 / WebAuthn second step: an account with TOTP or a passkey gets a pending session
        // that loadViewer treats as anonymous until /sign-in/second-factor completes it.
        if (needsSecondFactor(await secondFactorsOf(app.db, userId))) {
          await startSession(request, reply, userId, { pendingSecondFactor: true });
          return reply.redirect(`/sign-in/second-factor?next=${encodeURIComponent(next)}`, 303);
        }
        await startSession(request, reply, userId);
        return redirectAfterPost(reply, next);
      },
    );

    app.post('/sign-out', { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } }, async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await deleteSession(app.db, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return redirectAfterPost(reply, '/');
    });

    app.get('/setup', { schema: { hide: true } }, async (request, reply) => {
      if (!(await app.needsSetup())) throw new NotFound();
      return sendPage(request, reply, request.tr.t('accounts.setup.title'), (ctx) => setupView(ctx, errorMap(), {}));
    });

    app.post<{ Body: Form }>(
      '/setup',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => oneSetupAtATime(async () => {
        if (!(await app.needsSetup())) throw new NotFound();
        const values = { email: request.body?.email ?? '', displayName: request.body?.displayName ?? '' };
        try {
          const userId = await createUser(app.db, {
            ...values,
            password: String(request.body?.password ?? ''),
            locale: request.tr.locale,
            isAdmin: true,
          });
          await startSession(request, reply, userId);
          return redirectAfterPost(reply, '/');
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return sendPage(request, reply, request.tr.t('accounts.setup.title'), (ctx) => setupView(ctx, errorMap(errors), values), 422);
        }
      }),
    );
  },
  { name: 'accounts-routes', dependencies: ['request-context'] },
);
