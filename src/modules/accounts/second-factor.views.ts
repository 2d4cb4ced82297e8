import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { errorSummary, field, type ErrorMap } from '../../web/forms.ts';
import { isolate } from '../../i18n/i18n.ts';
import type { PasskeyRow } from './passkeys.service.ts';
import { groupSecret, type TotpSetup } from './totp.service.ts';

/** Where passkeys.js loads @simplewebauthn/browser from (the version busts the year-long cache). */
export interface PasskeyScript {
  vendorUrl: string;
}

/** A one-time-code field: digits keyboard on phones, the browser's code autofill, translated error. */
function codeField(ctx: PageContext, errors: ErrorMap, o: { name: string; key?: string; label: string; hint?: string; numeric?: boolean }): VNode {
  const { t } = ctx.tr;
  const key = o.key ?? o.name;
  const id = `f-${key}`;
  const err = errors.get(key);
  const described = [o.hint ? `${id}-hint` : null, err ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return html`<div class=${err ? 'field invalid' : 'field'}>
    <label for=${id}>${t(o.label)}</label>
    <input
      id=${id}
      name=${o.name}
      type="text"
      class="code"
      inputmode=${o.numeric ? 'numeric' : undefined}
      autocomplete=${o.numeric ? 'one-time-code' : 'off'}
      spellcheck="false"
      autocapitalize="off"
      required
      aria-invalid=${err ? 'true' : undefined}
      aria-describedby=${described}
    />
    ${o.hint ? html`<p class="hint" id=${`${id}-hint`}>${t(o.hint)}</p>` : null}
    ${err ? html`<p class="error" id=${`${id}-error`}>${t(err.messageId, err.values)}</p>` : null}
  </div>`;
}

/**
 * Password + current code, for turning TOTP off and for new recovery codes. Both forms share the
 * field names `password` and `code`; ids and error keys carry `prefix` (`disable-password`) so
 * the two forms on one page keep unique ids and only the form that was sent shows its errors.
 */
function passwordAndCodeForm(ctx: PageContext, errors: ErrorMap, o: { action: string; submit: string; prefix: string; danger?: boolean }): VNode {
  const { t } = ctx.tr;
  const key = `${o.prefix}-password`;
  const err = errors.get(key);
  return html`<form method="post" action=${o.action} class="narrow" novalidate>
    ${csrfField(ctx)}
    <div class=${err ? 'field invalid' : 'field'}>
      <label for=${`f-${key}`}>${t('security.fields.current_password')}</label>
      <input id=${`f-${key}`} name="password" type="password" required autocomplete="current-password"
        aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? `f-${key}-error` : undefined} />
      ${err ? html`<p class="error" id=${`f-${key}-error`}>${t(err.messageId, err.values)}</p>` : null}
    </div>
    ${codeField(ctx, errors, { name: 'code', key: `${o.prefix}-code`, label: 'security.fields.current_code', hint: 'security.fields.current_code_hint' })}
    <button type="submit" class=${o.danger ? 'danger' : undefined}>${t(o.submit)}</button>
  </form>`;
}

/** Data attributes every passkey widget needs: CSRF token for the JSON header, translated messages. */
function passkeyData(ctx: PageContext, script: PasskeyScript) {
  const { t } = ctx.tr;
  return {
    'data-csrf': ctx.csrfToken,
    'data-vendor': script.vendorUrl,
    'data-msg-failed': t('security.errors.passkey_failed'),
    'data-msg-unsupported': t('security.passkeys.unsupported'),
  };
}

export interface SecurityPageData {
  totpEnabledAt: string | null;
  recoveryCodesLeft: number;
  /** Present while TOTP is off: the secret being set up. */
  setup: TotpSetup | null;
  passkeys: PasskeyRow[];
  /** Names of organizations whose admin role this session does not get (require a second factor). */
  heldBack: string[];
  /** Which form was sent and failed (its errors are shown): `confirm`, `disable`, `regenerate`, `remove`. */
  failed?: 'confirm' | 'disable' | 'regenerate';
  errors?: ErrorMap;
  script: PasskeyScript;
}

/** `/account/security`: authenticator app (TOTP, RFC 6238), recovery codes and passkeys (WebAuthn). */
export function securityView(ctx: PageContext, d: SecurityPageData): VNode {
  const { t } = ctx.tr;
  const tz = ctx.viewer?.timeZone ?? 'UTC';
  const none: ErrorMap = new Map();
  const errorsFor = (form: SecurityPageData['failed']) => (d.failed === form && d.errors ? d.errors : none);
  const labels: Record<string, string> = {
    code: 'security.fields.code',
    'disable-password': 'security.fields.current_password',
    'disable-code': 'security.fields.current_code',
    'regenerate-password': 'security.fields.current_password',
    'regenerate-code': 'security.fields.current_code',
  };
  return html`<h1>${t('security.page.title')}</h1>
    <p>${t('security.page.intro')}</p>
    ${d.heldBack.length
      ? html`<div class="notice" role="status">
          <p>${ctx.viewer?.hasSecondFactor ? t('security.held_back.sign_in_again', { count: d.heldBack.length }) : t('security.held_back.set_up', { count: d.heldBack.length })}</p>
          <ul>${d.heldBack.map((name) => html`<li><${U}>${name}<//></li>`)}</ul>
          ${ctx.viewer?.hasSecondFactor ? html`<p><a href=${`/sign-in?next=${encodeURIComponent('/account/security')}`}>${t('security.held_back.sign_in_link')}</a></p>` : null}
        </div>`
      : null}
    ${d.errors && d.failed ? errorSummary(ctx, d.errors, labels) : null}

    <section aria-labelledby="totp-title">
      <h2 id="totp-title">${t('security.totp.title')}</h2>
      ${d.totpEnabledAt
        ? html`<p class="status on">${t('security.totp.on_since', { when: ctx.tr.instant(d.totpEnabledAt, tz) })}</p>
            <p>${t('security.recovery.left', { count: d.recoveryCodesLeft })}</p>
            <h3>${t('security.recovery.regenerate_title')}</h3>
            <p class="hint">${t('security.recovery.regenerate_intro')}</p>
            ${passwordAndCodeForm(ctx, errorsFor('regenerate'), { action: '/account/security/recovery-codes', submit: 'security.recovery.regenerate_submit', prefix: 'regenerate' })}
            <h3>${t('security.totp.disable_title')}</h3>
            <p class="hint">${t('security.totp.disable_intro')}</p>
            ${passwordAndCodeForm(ctx, errorsFor('disable'), { action: '/account/security/totp/disable', submit: 'security.totp.disable_submit', prefix: 'disable', danger: true })}`
        : d.setup
          ? html`<p>${t('security.totp.intro')}</p>
              <ol class="steps">
                <li>
                  <p>${t('security.totp.step_scan')}</p>
                  <img class="qr" src=${d.setup.qrDataUri} width="200" height="200" alt=${t('security.totp.qr_alt')} />
                </li>
                <li>
                  <p>${t('security.totp.step_type')}</p>
                  <p><code class="secret" translate="no">${groupSecret(d.setup.secret)}</code></p>
                  <details>
                    <summary>${t('security.totp.uri_summary')}</summary>
                    <p><code class="uri" translate="no">${d.setup.uri}</code></p>
                  </details>
                </li>
                <li>
                  <form method="post" action="/account/security/totp" class="narrow" novalidate>
                    ${csrfField(ctx)}
                    ${codeField(ctx, errorsFor('confirm'), { name: 'code', label: 'security.fields.code', hint: 'security.totp.code_hint', numeric: true })}
                    <button type="submit">${t('security.totp.confirm_submit')}</button>
                  </form>
                </li>
              </ol>`
          : null}
    </section>

    <section aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">${t('security.passkeys.title')}</h2>
      <p>${t('security.passkeys.intro')}</p>
      ${d.passkeys.length
        ? html`<table class="passkeys">
            <caption>${t('security.passkeys.list_caption')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('security.passkeys.name')}</th>
                <th scope="col">${t('security.passkeys.created')}</th>
                <th scope="col">${t('security.passkeys.last_used')}</th>
                <th scope="col"><span class="visually-hidden">${t('security.passkeys.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${d.passkeys.map(
                (p) => html`<tr>
                  <td><${U}>${p.name}<//></td>
                  <td>${ctx.tr.instant(p.createdAt, tz)}</td>
                  <td>${p.lastUsedAt ? ctx.tr.instant(p.lastUsedAt, tz) : t('security.passkeys.never')}</td>
                  <td>
                    <form method="post" action=${`/account/security/passkeys/${encodeURIComponent(p.id)}/remove`} class="inline">
                      ${csrfField(ctx)}
                      <button type="submit" class="link" aria-label=${t('security.passkeys.remove_label', { name: isolate(p.name) })}>${t('security.passkeys.remove')}</button>
                    </form>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="meta">${t('security.passkeys.none')}</p>`}
      <form class="narrow passkey-add" data-passkey-register="/account/security/passkeys" ...${passkeyData(ctx, d.script)}>
        ${field(ctx, none, { name: 'name', label: 'security.passkeys.new_name', hint: 'security.passkeys.new_name_hint', required: true, autocomplete: 'off' })}
        <button type="submit" disabled>${t('security.passkeys.add')}</button>
        <p class="hint js-hint">${t('security.passkeys.needs_script')}</p>
        <p class="error" role="alert" data-passkey-error></p>
      </form>
    </section>
    <script type="module" src="/static/passkeys.js"></script>`;
}

/** Shown once after TOTP was confirmed or the codes were renewed: the new recovery codes. */
export function recoveryCodesView(ctx: PageContext, o: { codes: string[]; firstTime: boolean }): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('security.recovery.title')}</h1>
    ${o.firstTime ? html`<p class="flash" role="status">${t('security.totp.enabled')}</p>` : null}
    <p>${t('security.recovery.intro', { count: o.codes.length })}</p>
    <ol class="recovery-codes" translate="no">
      ${o.codes.map((c) => html`<li><code>${c}</code></li>`)}
    </ol>
    <p class="hint">${t('security.recovery.once')}</p>
    <p><a class="button" href="/account/security">${t('security.recovery.done')}</a></p>`;
}

export interface SecondStepData {
  next: string;
  totp: boolean;
  passkeys: boolean;
  recoveryCodes: boolean;
  /** `totp` or `recovery` when that form was sent and failed. */
  failed?: 'totp' | 'recovery';
  errors?: ErrorMap;
  script: PasskeyScript;
}

/** `/sign-in/second-factor`: the second step after the password (TOTP code, recovery code, passkey). */
export function secondStepView(ctx: PageContext, d: SecondStepData): VNode {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  const errors = d.errors ?? none;
  return html`<h1>${t('security.second_step.title')}</h1>
    <p>${t('security.second_step.intro')}</p>
    ${d.failed ? errorSummary(ctx, errors, { code: 'security.fields.code', recoveryCode: 'security.fields.recovery_code' }) : null}
    ${d.passkeys
      ? html`<section aria-labelledby="passkey-title" class="second-step">
          <h2 id="passkey-title">${t('security.second_step.passkey_title')}</h2>
          <form data-passkey-sign-in="/sign-in/second-factor/passkey" data-next=${d.next} ...${passkeyData(ctx, d.script)}>
            <button type="submit" disabled>${t('security.second_step.passkey_submit')}</button>
            <p class="hint js-hint">${t('security.passkeys.needs_script')}</p>
            <p class="error" role="alert" data-passkey-error></p>
          </form>
        </section>`
      : null}
    ${d.totp
      ? html`<section aria-labelledby="totp-title" class="second-step">
          <h2 id="totp-title">${t('security.second_step.totp_title')}</h2>
          <form method="post" action="/sign-in/second-factor" class="narrow" novalidate>
            ${csrfField(ctx)}
            <input type="hidden" name="next" value=${d.next} />
            ${codeField(ctx, d.failed === 'totp' ? errors : none, { name: 'code', label: 'security.fields.code', hint: 'security.second_step.totp_hint', numeric: true })}
            <button type="submit">${t('security.second_step.submit')}</button>
          </form>
        </section>`
      : null}
    ${d.recoveryCodes
      ? html`<section aria-labelledby="recovery-title" class="second-step">
          <h2 id="recovery-title">${t('security.second_step.recovery_title')}</h2>
          <form method="post" action="/sign-in/second-factor/recovery" class="narrow" novalidate>
            ${csrfField(ctx)}
            <input type="hidden" name="next" value=${d.next} />
            ${codeField(ctx, d.failed === 'recovery' ? errors : none, { name: 'recoveryCode', label: 'security.fields.recovery_code', hint: 'security.second_step.recovery_hint' })}
            <button type="submit">${t('security.second_step.recovery_submit')}</button>
          </form>
        </section>`
      : null}
    <form method="post" action="/sign-out" class="inline">
      ${csrfField(ctx)}
      <button type="submit" class="link">${t('security.second_step.cancel')}</button>
    </form>
    ${d.passkeys ? html`<script type="module" src="/static/passkeys.js"></script>` : null}`;
}
