import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';

/** The e-mail form that asks for a reset link. */
export function requestResetView(ctx: PageContext, values: { email?: string }, errors: ErrorMap): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('password_reset.request.title')}</h1>
    <p>${t('password_reset.request.intro')}</p>
    ${errorSummary(ctx, errors, { email: 'password_reset.request.email' })}
    <form method="post" action="/password-reset" class="narrow" novalidate>
      ${csrfField(ctx)}
      ${field(ctx, errors, { name: 'email', label: 'password_reset.request.email', type: 'email', value: values.email, required: true, autocomplete: 'username' })}
      <button type="submit">${t('password_reset.request.submit')}</button>
    </form>`;
}

/**
 * The answer to every well-formed request, whether or not an account uses the address (so the
 * page reveals nothing). It never shows the link.
 */
export function resetRequestedView(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('password_reset.requested.title')}</h1>
    <p>${t('password_reset.requested.body')}</p>
    <p>${t('password_reset.requested.no_mail')}</p>
    <p><a href="/sign-in">${t('password_reset.requested.sign_in')}</a></p>`;
}

/** The new-password form behind a valid link. */
export function choosePasswordView(ctx: PageContext, token: string, errors: ErrorMap): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('password_reset.choose.title')}</h1>
    <p>${t('password_reset.choose.intro')}</p>
    ${errorSummary(ctx, errors, { password: 'password_reset.choose.password' })}
    <form method="post" action=${`/password-reset/${token}`} class="narrow" novalidate>
      ${csrfField(ctx)}
      ${field(ctx, errors, { name: 'password', label: 'password_reset.choose.password', type: 'password', required: true, autocomplete: 'new-password', hint: 'accounts.fields.password_hint' })}
      <button type="submit">${t('password_reset.choose.submit')}</button>
    </form>`;
}

/** The one page for an unknown, expired, used or replaced reset link (sent with 404). */
export function invalidResetView(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('password_reset.invalid.title')}</h1>
    <p>${t('password_reset.invalid.body')}</p>
    <p><a href="/password-reset">${t('password_reset.invalid.again')}</a></p>`;
}
