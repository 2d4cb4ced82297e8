import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { maskEmail, timeZoneChoices, type OpenInvitation } from './invitations.service.ts';

/** "Ana invites you to join Miners' Union as Member." — names isolated. */
function intro(ctx: PageContext, inv: OpenInvitation): VNode {
  const { t, tRich } = ctx.tr;
  const organization = html`<${U}>${inv.organizationName}<//>`;
  const role = t(`members.roles.${inv.role}`);
  const zone = ctx.viewer?.timeZone ?? 'UTC';
  return html`<p>
      ${inv.inviterName === null
        ? tRich('invitations.intro_anonymous', { organization, role })
        : tRich('invitations.intro', { inviter: html`<${U}>${inv.inviterName}<//>`, organization, role })}
    </p>
    <p class="meta">${t('invitations.expires', { date: ctx.tr.instant(inv.expiresAt, zone), zone })}</p>`;
}

function heading(ctx: PageContext, inv: OpenInvitation): VNode {
  return html`<h1>${ctx.tr.tRich('invitations.title', { organization: html`<${U}>${inv.organizationName}<//>` })}</h1>`;
}

/** The one page for an unknown, expired, revoked or used invitation link (sent with 404). */
export function invalidInvitationView(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('invitations.invalid.title')}</h1>
    <p>${t('invitations.invalid.body')}</p>
    <p><a href="/">${t('errors.back_home')}</a></p>`;
}

const SIGN_UP_LABELS = {
  displayName: 'invitations.sign_up.display_name',
  password: 'accounts.fields.password',
  timeZone: 'invitations.sign_up.time_zone',
};

/**
 * Sign-up form for an invited address that has no account yet: name, password, time zone; the
 * e-mail address is the invitation's and cannot be changed here.
 */
export function signUpView(ctx: PageContext, inv: OpenInvitation, token: string, values: Record<string, string | undefined>, errors: ErrorMap): VNode {
  const { t } = ctx.tr;
  const zones = timeZoneChoices().map((z): [string, string] => [z, z]);
  return html`${heading(ctx, inv)}
    ${intro(ctx, inv)}
    <h2>${t('invitations.sign_up.heading')}</h2>
    ${errorSummary(ctx, errors, SIGN_UP_LABELS)}
    <form method="post" action=${`/invitations/${token}`} class="narrow" novalidate>
      ${csrfField(ctx)}
      <dl>
        <dt>${t('invitations.sign_up.email')}</dt>
        <dd><${U}>${inv.email}<//></dd>
      </dl>
      ${field(ctx, errors, { name: 'displayName', label: 'invitations.sign_up.display_name', value: values.displayName, required: true, autocomplete: 'name' })}
      ${field(ctx, errors, { name: 'password', label: 'accounts.fields.password', type: 'password', required: true, autocomplete: 'new-password', hint: 'accounts.fields.password_hint' })}
      ${field(ctx, errors, { name: 'timeZone', label: 'invitations.sign_up.time_zone', value: values.timeZone ?? 'UTC', options: zones, hint: 'invitations.sign_up.time_zone_hint' })}
      <button type="submit">${t('invitations.sign_up.submit')}</button>
    </form>`;
}

/** The invited address has an account but nobody is signed in: sign in first, then come back. */
export function signInToAcceptView(ctx: PageContext, inv: OpenInvitation, token: string): VNode {
  const { t } = ctx.tr;
  return html`${heading(ctx, inv)}
    ${intro(ctx, inv)}
    <p>${t('invitations.existing.body')}</p>
    <p><a class="button" href=${`/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}`}>${t('invitations.existing.sign_in')}</a></p>
    <p><a href="/password-reset">${t('invitations.existing.forgot')}</a></p>`;
}

/** The signed-in account is the invited one: a "Join" button. */
export function joinView(ctx: PageContext, inv: OpenInvitation, token: string): VNode {
  const { t, tRich } = ctx.tr;
  return html`${heading(ctx, inv)}
    ${intro(ctx, inv)}
    <form method="post" action=${`/invitations/${token}`}>
      ${csrfField(ctx)}
      <input type="hidden" name="action" value="join" />
      <button type="submit">${tRich('invitations.join.submit', { organization: html`<${U}>${inv.organizationName}<//>` })}</button>
    </form>`;
}

/** Another account is signed in: say so, showing the invited address only partly. */
export function wrongAccountView(ctx: PageContext, inv: OpenInvitation): VNode {
  const { t, tRich } = ctx.tr;
  return html`<h1>${t('invitations.wrong_account.title')}</h1>
    <p>${tRich('invitations.wrong_account.body', {
      email: html`<${U}>${maskEmail(inv.email)}<//>`,
      name: html`<${U}>${ctx.viewer?.displayName ?? ''}<//>`,
    })}</p>`;
}
