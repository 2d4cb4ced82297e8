import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Conflict, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { SESSION_COOKIE } from '../../http/request-context.ts';
import { emailKey } from '../../lib/email.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import type { OrganizationRole } from '../../db/schema.ts';
import {
  InvitationInvalid,
  WrongAccount,
  accountExistsFor,
  findOpenInvitation,
  joinWithInvitation,
  signUpWithInvitation,
  type OpenInvitation,
} from './invitations.service.ts';
import { invalidInvitationView, joinView, signInToAcceptView, signUpView, wrongAccountView } from './invitations.views.ts';

type Form = Record<string, string | undefined>;

/**
 * Where a new member lands: the organization's page, or its members page when the organization is
 * `private` and the new role may not read private records.
 */
function landing(inv: OpenInvitation, role: OrganizationRole): string {
  const readsPrivate = role === 'admin' || role === 'coordinator';
  return inv.organizationVisibility === 'private' && !readsPrivate ? `/organizations/${inv.organizationSlug}/members` : `/organizations/${inv.organizationSlug}`;
}

/**
 * Invitation links (`/invitations/:token`): the page shows, by who is looking, a sign-up form (no
 * account for the address yet), a link to sign in (an account exists), a "Join" button (the invited
 * account is signed in) or an explanation (another account is signed in). The POST accepts:
 * sign-up plus membership plus session in one transaction, or joining with the signed-in account.
 */
export const invitationsRoutes = fp<{ secureCookies: boolean }>(
  async (app, opts) => {
    /** Token pages are never cached (the token is in the URL). */
    const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Parameters<typeof sendPage>[3], status = 200) => {
      reply.header('cache-control', 'no-store');
      return sendPage(request, reply, title, body, status);
    };
    const invalid = (request: FastifyRequest, reply: FastifyReply) =>
      page(request, reply, request.tr.t('invitations.invalid.title'), (ctx) => invalidInvitationView(ctx), 404);
    const title = (request: FastifyRequest, inv: OpenInvitation) => request.tr.t('invitations.title', { organization: inv.organizationName });

    /** The page for a valid invitation, by who is looking. */
    const show = async (request: FastifyRequest, reply: FastifyReply, inv: OpenInvitation, token: string, signUp?: { values: Form; errors: FieldError[] }) => {
      const viewer = request.viewer;
      if (viewer) {
        if (emailKey(viewer.email) !== inv.emailKey) {
          return page(request, reply, request.tr.t('invitations.wrong_account.title'), (ctx) => wrongAccountView(ctx, inv), 403);
        }
        return page(request, reply, title(request, inv), (ctx) => joinView(ctx, inv, token));
      }
      if (!signUp && (await accountExistsFor(app.db, inv.emailKey))) {
        return page(request, reply, title(request, inv), (ctx) => signInToAcceptView(ctx, inv, token));
      }
      return page(request, reply, title(request, inv), (ctx) => signUpView(ctx, inv, token, signUp?.values ?? {}, errorMap(signUp?.errors)), signUp ? 422 : 200);
    };

    app.get<{ Params: { token: string } }>('/invitations/:token', { schema: { hide: true } }, async (request, reply) => {
      const inv = await findOpenInvitation(app.db, request.params.token);
      if (!inv) return invalid(request, reply);
      return show(request, reply, inv, request.params.token);
    });

    app.post<{ Params: { token: string }; Body: Form }>(
      '/invitations/:token',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const token = request.params.token;
        const inv = await findOpenInvitation(app.db, token);
        if (!inv) return invalid(request, reply);
        const viewer = request.viewer;
        try {
          if (viewer) {
            const { role } = await joinWithInvitation(app.db, viewer, token);
            return redirectAfterPost(reply, landing(inv, role));
          }
          if (await accountExistsFor(app.db, inv.emailKey)) {
            return page(request, reply, title(request, inv), (ctx) => signInToAcceptView(ctx, inv, token), 409);
          }
          const body = request.body ?? {};
          const r = await signUpWithInvitation(app.db, token, {
            displayName: body.displayName,
            password: body.password,
            timeZone: body.timeZone,
            locale: request.tr.locale,
          });
          reply.setCookie(SESSION_COOKIE, r.sessionToken, { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, maxAge: 30 * 86400 });
          return redirectAfterPost(reply, landing(inv, inv.role));
        } catch (err) {
          if (err instanceof InvitationInvalid) return invalid(request, reply);
          if (err instanceof WrongAccount) return show(request, reply, inv, token);
          if (err instanceof Conflict) return page(request, reply, title(request, inv), (ctx) => signInToAcceptView(ctx, inv, token), 409);
          if (err instanceof ValidationFailed) {
            const body = request.body ?? {};
            return show(request, reply, inv, token, { values: { displayName: body.displayName, timeZone: body.timeZone }, errors: err.errors });
          }
          throw err;
        }
      },
    );
  },
  { name: 'invitations-routes', dependencies: ['request-context'] },
);
