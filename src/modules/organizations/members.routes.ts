import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { invitationMail, passwordResetMail } from '../../mail/messages.ts';
import { INVITATION_DAYS, createInvitation, invitationUrl, revokeInvitation } from '../accounts/invitations.service.ts';
import { RESET_MINUTES, createPasswordResetLink } from '../accounts/password-reset.service.ts';
import {
  assertOrganizationAdmin,
  changeMemberRole,
  findMembersOrganization,
  isOrganizationAdmin,
  isOrganizationMember,
  listMembers,
  listPendingInvitations,
  removeMember,
  setSecondFactorRequired,
  type MembersOrganization,
} from './members.service.ts';
import { membersView, type MembersPage } from './members.views.ts';

type Form = Record<string, string | undefined>;

/** Confirmations a redirect may ask the members page to show (`?done=…`). */
const NOTICES: Record<string, string> = {
  invited: 'members.done.invited',
  revoked: 'members.done.revoked',
  role_changed: 'members.done.role_changed',
  removed: 'members.done.removed',
  second_factor: 'members.done.second_factor',
};

/**
 * The members page of an organization (`/organizations/:slug/members`) and its admin actions:
 * invite, revoke an invitation, change a role, remove a member, require a second factor for admins,
 * and (instance admins) make a password reset link. Non-members get 404 for every route, members
 * without the admin role 403 for the actions.
 */
export const membersRoutes = fp(
  async (app) => {
    /** The organization, if the signed-in viewer (anonymous: 401 before any look-up) is one of its members (or an instance admin); else 404. */
    const load = async (request: FastifyRequest, slug: string): Promise<{ viewer: Viewer; org: MembersOrganization }> => {
      const viewer = request.requireViewer();
      const org = await findMembersOrganization(app.db, slug);
      if (!org || !isOrganizationMember(viewer, org.id)) throw new NotFound();
      return { viewer, org };
    };

    const render = async (
      request: FastifyRequest,
      reply: FastifyReply,
      viewer: Viewer,
      org: MembersOrganization,
      extra: Partial<Pick<MembersPage, 'notice' | 'invite' | 'rowFailure' | 'secondFactorError' | 'shownLink'>> = {},
      status = 200,
    ) => {
      const canAdminister = isOrganizationAdmin(viewer, org.id);
      const [members, invitations] = await Promise.all([
        listMembers(app.db, org.id, request.tr.locale),
        canAdminister ? listPendingInvitations(app.db, org.id) : Promise.resolve(null),
      ]);
      const page: MembersPage = {
        org,
        members,
        invitations,
        canAdminister,
        canResetPasswords: viewer.isAdmin,
        heldBack: viewer.heldBackRoles.has(org.id),
        invite: { values: {}, errors: errorMap() },
        ...extra,
      };
      // Pages that show a secret link must not stay in any cache.
      if (extra.shownLink) reply.header('cache-control', 'no-store');
      return sendPage(request, reply, (ctx) => ctx.tr.t('members.page_title', { organization: org.name }), (ctx) => membersView(ctx, page), status);
    };

    const back = (org: MembersOrganization, done: string) => `/organizations/${org.slug}/members?done=${done}`;

    app.get<{ Params: { slug: string }; Querystring: { done?: string } }>('/organizations/:slug/members', { schema: { hide: true } }, async (request, reply) => {
      const { viewer, org } = await load(request, request.params.slug);
      const done = request.query.done;
      return render(request, reply, viewer, org, { notice: done && Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined });
    });

    app.post<{ Params: { slug: string }; Body: Form }>(
      '/organizations/:slug/members/invite',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        const body = request.body ?? {};
        let created;
        try {
          created = await createInvitation(app.db, viewer, org.id, { email: body.email, role: body.role });
        } catch (err) {
          if (!(err instanceof ValidationFailed)) throw err;
          return render(request, reply, viewer, org, { invite: { values: { email: body.email, role: body.role }, errors: errorMap(err.errors) } }, 422);
        }
        const url = invitationUrl(app.baseUrl, created.token);
        const mail = invitationMail({
          to: created.email,
          locale: request.tr.locale,
          inviterName: viewer.displayName,
          organizationName: org.name,
          role: created.role,
          url,
          validDays: INVITATION_DAYS,
        });
        let reason: 'not_configured' | 'failed' = 'not_configured';
        try {
          const { delivered } = await app.mailer.send(mail);
          if (delivered) return redirectAfterPost(reply, back(org, 'invited'));
        } catch (err) {
          request.log.error({ err, invitation: created.id }, 'invitation mail could not be sent');
          reason = 'failed';
        }
        return render(request, reply, viewer, org, { shownLink: { kind: 'invitation', url, email: created.email, days: INVITATION_DAYS, reason } });
      },
    );

    app.post<{ Params: { slug: string; id: string } }>(
      '/organizations/:slug/invitations/:id/revoke',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        await revokeInvitation(app.db, viewer, org.id, request.params.id);
        return redirectAfterPost(reply, back(org, 'revoked'));
      },
    );

    app.post<{ Params: { slug: string; userId: string }; Body: Form }>(
      '/organizations/:slug/members/:userId/role',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        try {
          await changeMemberRole(app.db, viewer, org.id, request.params.userId, request.body?.role);
        } catch (err) {
          if (!(err instanceof ValidationFailed)) throw err;
          return render(request, reply, viewer, org, { rowFailure: { userId: request.params.userId, error: err.errors[0]! } }, 422);
        }
        return redirectAfterPost(reply, back(org, 'role_changed'));
      },
    );

    app.post<{ Params: { slug: string; userId: string } }>(
      '/organizations/:slug/members/:userId/remove',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        try {
          await removeMember(app.db, viewer, org.id, request.params.userId);
        } catch (err) {
          if (!(err instanceof ValidationFailed)) throw err;
          return render(request, reply, viewer, org, { rowFailure: { userId: request.params.userId, error: err.errors[0]! } }, 422);
        }
        // Someone who removed themselves can no longer see the page.
        if (request.params.userId === viewer.userId && !viewer.isAdmin) return redirectAfterPost(reply, `/organizations/${org.slug}`);
        return redirectAfterPost(reply, back(org, 'removed'));
      },
    );

    app.post<{ Params: { slug: string }; Body: Form }>(
      '/organizations/:slug/second-factor',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        const raw = request.body?.required;
        if (raw !== '0' && raw !== '1') {
          assertOrganizationAdmin(viewer, org.id);
          return render(request, reply, viewer, org, { secondFactorError: { field: 'required', messageId: 'validation.choice' } }, 422);
        }
        try {
          await setSecondFactorRequired(app.db, viewer, org.id, raw === '1');
        } catch (err) {
          if (!(err instanceof ValidationFailed)) throw err;
          return render(request, reply, viewer, org, { secondFactorError: err.errors[0] as FieldError }, 422);
        }
        return redirectAfterPost(reply, back(org, 'second_factor'));
      },
    );

    app.post<{ Params: { slug: string; userId: string } }>(
      '/organizations/:slug/members/:userId/password-reset',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { viewer, org } = await load(request, request.params.slug);
        if (!viewer.isAdmin) throw new Forbidden();
        const member = await app.db
          .selectFrom('organization_members')
          .select('user_id')
          .where('organization_id', '=', org.id)
          .where('user_id', '=', request.params.userId)
          .executeTakeFirst();
        if (!member) throw new NotFound();
        const link = await createPasswordResetLink(app.db, app.baseUrl, member.user_id, { actor: viewer, organizationId: org.id, source: 'admin' });
        let mail: 'sent' | 'failed' | 'none' = 'none';
        if (app.mailer.configured) {
          try {
            await app.mailer.send(passwordResetMail({ to: link.email, locale: link.locale, displayName: link.displayName, url: link.url, validMinutes: RESET_MINUTES }));
            mail = 'sent';
          } catch (err) {
            request.log.error({ err, user: link.userId }, 'password reset mail could not be sent');
            mail = 'failed';
          }
        }
        return render(request, reply, viewer, org, { shownLink: { kind: 'reset', url: link.url, name: link.displayName, minutes: RESET_MINUTES, mail } });
      },
    );
  },
  { name: 'members-routes', dependencies: ['request-context'] },
);
