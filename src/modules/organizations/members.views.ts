import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { vocabularyOptions } from '../../web/components.ts';
import type { FieldError } from '../../http/errors.ts';
import { ORGANIZATION_ROLES, type MemberRow, type MembersOrganization, type PendingInvitation } from './members.service.ts';

/** A link shown once on the page instead of (or besides) a mail. */
export type ShownLink =
  | { kind: 'invitation'; url: string; email: string; days: number; reason: 'not_configured' | 'failed' }
  | { kind: 'reset'; url: string; name: string; minutes: number; mail: 'sent' | 'failed' | 'none' };

/** Everything the members page shows. */
export interface MembersPage {
  org: MembersOrganization;
  members: MemberRow[];
  /** Pending invitations; null for readers who may not administer members. */
  invitations: PendingInvitation[] | null;
  /** May invite, change roles, remove, revoke and set the second-factor rule. */
  canAdminister: boolean;
  /** Instance administrator: may make password reset links for members. */
  canResetPasswords: boolean;
  /** The viewer's own admin role is held back for want of a second factor. */
  heldBack: boolean;
  /** Catalog id of a confirmation after a redirect (`members.done.*`). */
  notice?: string;
  invite: { values: Record<string, string | undefined>; errors: ErrorMap };
  /** A failed per-member form (role change or removal) with its error. */
  rowFailure?: { userId: string; error: FieldError };
  /** A failed second-factor toggle. */
  secondFactorError?: FieldError;
  shownLink?: ShownLink;
}

const INVITE_LABELS = { email: 'members.invite.email', role: 'members.invite.role' };

function shownLink(ctx: PageContext, l: ShownLink): VNode {
  const { t, tRich } = ctx.tr;
  const link = html`<p><code>${l.url}</code></p>`;
  if (l.kind === 'invitation') {
    return html`<div class="flash" role="status">
      <p>${tRich(l.reason === 'failed' ? 'members.link_shown.failed' : 'members.link_shown.not_configured', { email: html`<${U}>${l.email}<//>`, days: l.days })}</p>
      ${link}
    </div>`;
  }
  return html`<div class="flash" role="status">
    <p>${tRich('members.link_shown.reset', { name: html`<${U}>${l.name}<//>`, minutes: l.minutes })}</p>
    ${link}
    ${l.mail === 'sent' ? html`<p>${t('members.link_shown.reset_mailed')}</p>` : l.mail === 'failed' ? html`<p>${t('members.link_shown.reset_failed')}</p>` : null}
  </div>`;
}

function memberName(ctx: PageContext, m: MemberRow): VNode {
  return m.displayName === null ? html`<em>${ctx.tr.t('members.former_member')}</em>` : html`<${U}>${m.displayName}<//>`;
}

function memberActions(ctx: PageContext, p: MembersPage, m: MemberRow): VNode {
  const { t } = ctx.tr;
  const base = `/organizations/${p.org.slug}/members/${m.userId}`;
  const id = `role-${m.userId}`;
  const err = p.rowFailure?.userId === m.userId ? p.rowFailure.error : undefined;
  const errId = `${id}-error`;
  return html`<td>
    <form method="post" action=${`${base}/role`} class="inline">
      ${csrfField(ctx)}
      <label for=${id}>${t('members.change_role')}</label>
      <select id=${id} name="role" aria-invalid=${err?.field === 'role' ? 'true' : undefined} aria-describedby=${err ? errId : undefined}>
        ${ORGANIZATION_ROLES.map((r) => html`<option value=${r} selected=${r === m.role}>${t(`members.roles.${r}`)}</option>`)}
      </select>
      <button type="submit">${t('members.change_role_submit')}</button>
    </form>
    <form method="post" action=${`${base}/remove`} class="inline">
      ${csrfField(ctx)}
      <button type="submit" class="link">${t('members.remove')}</button>
    </form>
    ${p.canResetPasswords && !m.erased
      ? html`<form method="post" action=${`${base}/password-reset`} class="inline">
          ${csrfField(ctx)}
          <button type="submit" class="link">${t('members.reset_link')}</button>
        </form>`
      : null}
    ${err ? html`<p class="error" id=${errId} role="alert">${t(err.messageId, err.values)}</p>` : null}
  </td>`;
}

/**
 * The members page of an organization: members with roles for every member; for admins also the
 * pending invitations, the invite form, per-member role change and removal, and the second-factor
 * rule; for instance admins a "password reset link" action per member. E-mail addresses of members
 * are not shown (only those typed into pending invitations, to admins).
 */
export function membersView(ctx: PageContext, p: MembersPage): VNode {
  const { t, tRich } = ctx.tr;
  const tz = ctx.viewer?.timeZone ?? 'UTC';
  const slug = p.org.slug;
  return html`<h1>${tRich('members.title', { organization: html`<${U}>${p.org.name}<//>` })}</h1>
    <p><a href=${`/organizations/${slug}`}>${t('members.back')}</a></p>
    ${p.notice ? html`<p class="flash" role="status">${t(p.notice)}</p>` : null}
    ${p.shownLink ? shownLink(ctx, p.shownLink) : null}
    ${p.heldBack ? html`<p class="flash">${t('members.held_back')}</p>` : null}
    <table>
      <caption>${t('members.table.caption', { count: p.members.length })}</caption>
      <thead>
        <tr>
          <th scope="col">${t('members.table.name')}</th>
          <th scope="col">${t('members.table.role')}</th>
          <th scope="col">${t('members.table.since')}</th>
          ${p.canAdminister ? html`<th scope="col">${t('members.table.actions')}</th>` : null}
        </tr>
      </thead>
      <tbody>
        ${p.members.map(
          (m) => html`<tr>
            <td>${memberName(ctx, m)}</td>
            <td>${t(`members.roles.${m.role}`)}</td>
            <td><time datetime=${m.since}>${ctx.tr.instant(m.since, tz)}</time></td>
            ${p.canAdminister ? memberActions(ctx, p, m) : null}
          </tr>`,
        )}
      </tbody>
    </table>
    ${p.canAdminister && p.invitations
      ? html`<section>
          <h2>${t('members.invitations.title')}</h2>
          ${p.invitations.length
            ? html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t('members.invitations.email')}</th>
                    <th scope="col">${t('members.invitations.role')}</th>
                    <th scope="col">${t('members.invitations.invited_by')}</th>
                    <th scope="col">${t('members.invitations.expires')}</th>
                    <th scope="col">${t('members.table.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${p.invitations.map(
                    (i) => html`<tr>
                      <td><${U}>${i.email}<//></td>
                      <td>${t(`members.roles.${i.role}`)}</td>
                      <td>${i.invitedBy === null ? html`<em>${t('members.former_member')}</em>` : html`<${U}>${i.invitedBy}<//>`}</td>
                      <td><time datetime=${i.expiresAt}>${ctx.tr.instant(i.expiresAt, tz)}</time></td>
                      <td>
                        <form method="post" action=${`/organizations/${slug}/invitations/${i.id}/revoke`} class="inline">
                          ${csrfField(ctx)}
                          <button type="submit" class="link">${t('members.invitations.revoke')}</button>
                        </form>
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p>${t('members.invitations.none')}</p>`}
        </section>
        <section>
          <h2>${t('members.invite.title')}</h2>
          ${errorSummary(ctx, p.invite.errors, INVITE_LABELS)}
          <form method="post" action=${`/organizations/${slug}/members/invite`} class="narrow" novalidate>
            ${csrfField(ctx)}
            ${field(ctx, p.invite.errors, { name: 'email', label: 'members.invite.email', type: 'email', value: p.invite.values.email, required: true, autocomplete: 'off' })}
            ${field(ctx, p.invite.errors, { name: 'role', label: 'members.invite.role', value: p.invite.values.role ?? 'member', required: true, options: vocabularyOptions(ctx, 'members.roles', ORGANIZATION_ROLES) })}
            <button type="submit">${t('members.invite.submit')}</button>
          </form>
        </section>
        <section>
          <h2>${t('members.security.title')}</h2>
          <p>${t(p.org.requireSecondFactor ? 'members.security.required' : 'members.security.not_required')}</p>
          <form method="post" action=${`/organizations/${slug}/second-factor`}>
            ${csrfField(ctx)}
            <input type="hidden" name="required" value=${p.org.requireSecondFactor ? '0' : '1'} />
            <button type="submit" aria-describedby=${p.secondFactorError ? 'second-factor-error' : undefined}>
              ${t(p.org.requireSecondFactor ? 'members.security.stop' : 'members.security.require')}
            </button>
            ${p.secondFactorError
              ? html`<p class="error" id="second-factor-error" role="alert">${t(p.secondFactorError.messageId, p.secondFactorError.values)}</p>`
              : null}
          </form>
        </section>`
      : null}`;
}
