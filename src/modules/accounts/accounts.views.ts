import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';

/** The sign-in form; `failed` shows the generic "wrong e-mail or password" message. */
export function signInView(ctx: PageContext, o: { email: string; next: string; failed: boolean }) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('accounts.sign_in.title')}</h1>
    ${o.failed ? html`<p class="error-summary" role="alert">${t('accounts.sign_in.failed')}</p>` : null}
    <form method="post" action="/sign-in" class="narrow">
      ${csrfField(ctx)}
      <input type="hidden" name="next" value=${o.next} />
      ${field(ctx, none, { name: 'email', label: 'accounts.fields.email', type: 'email', value: o.email, required: true, autocomplete: 'username' })}
      ${field(ctx, none, { name: 'password', label: 'accounts.fields.password', type: 'password', required: true, autocomplete: 'current-password' })}
      <button type="submit">${t('accounts.sign_in.submit')}</button>
    </form>
    <p><a href="/password-reset">${t('accounts.sign_in.forgot')}</a></p>
    <p class="hint">${t('accounts.sign_in.by_invitation')}</p>`;
}

/** First-run form for the instance's first administrator. */
export function setupView(ctx: PageContext, errors: ErrorMap, values: { email?: string; displayName?: string }) {
  const { t } = ctx.tr;
  return html`<h1>${t('accounts.setup.title')}</h1>
    <p>${t('accounts.setup.intro')}</p>
    ${errorSummary(ctx, errors, { displayName: 'accounts.fields.display_name', email: 'accounts.fields.email', password: 'accounts.fields.password' })}
    <form method="post" action="/setup" class="narrow" novalidate>
      ${csrfField(ctx)}
      ${field(ctx, errors, { name: 'displayName', label: 'accounts.fields.display_name', value: values.displayName, required: true, autocomplete: 'name' })}
      ${field(ctx, errors, { name: 'email', label: 'accounts.fields.email', type: 'email', value: values.email, required: true, autocomplete: 'username' })}
      ${field(ctx, errors, { name: 'password', label: 'accounts.fields.password', type: 'password', required: true, autocomplete: 'new-password', hint: 'accounts.fields.password_hint' })}
      <button type="submit">${t('accounts.setup.submit')}</button>
    </form>`;
}
