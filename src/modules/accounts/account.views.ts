import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import type { Translator } from '../../i18n/i18n.ts';
import { LOCALES } from '../../i18n/i18n.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import type { FieldError } from '../../http/errors.ts';
import { TIME_ZONES, type SessionSummary } from './account.service.ts';
import { DIGEST_FREQUENCIES } from '../../db/schema.ts';

/**
 * The name to show for the author or actor of a record: the display name, or the catalog's
 * "former member" for an erased account (whose tombstone has no name). Plain text; callers
 * isolate a real name with `U`.
 */
export function personName(tr: Translator, person: { displayName: string | null; erased: boolean }): string {
  return person.erased || !person.displayName ? tr.t('account.former_member') : person.displayName;
}

/** A person's name as a view node: isolated (`<bdi>`) when it is user-supplied, plain for "former member". */
export function personNode(tr: Translator, person: { displayName: string | null; erased: boolean }): VNode | string {
  return person.erased || !person.displayName ? tr.t('account.former_member') : html`<${U}>${person.displayName}<//>`;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bChrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  [/\bcurl\/(\d+)/, 'curl'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * A User-Agent header shortened to browser, major version and system (`Firefox 132 · Linux`);
 * the first 40 characters when it is not recognized; null when there is none.
 */
export function shortUserAgent(ua: string | null): string | null {
  if (!ua) return null;
  const b = BROWSERS.map(([re, name]) => [re.exec(ua), name] as const).find(([m]) => m);
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (!b && !os) return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
  return [b ? `${b[1]} ${b[0]![1]}` : null, os].filter(Boolean).join(' · ');
}

/** `<time>` with the instant in the viewer's time zone. */
function instant(ctx: PageContext, iso: string): VNode {
  return html`<time datetime=${iso}>${ctx.tr.instant(iso, ctx.viewer?.timeZone)}</time>`;
}

/** Values of the profile form. */
export interface ProfileFormValues {
  displayName: string;
  locale: string;
  timeZone: string;
  /** E-mail digest choice (`off`, `daily`, `weekly`). */
  digestFrequency: string;
}

/** Which form of the account page answered with errors (the others render clean). */
export type AccountForm = 'profile' | 'password';

/** Done-notices after a successful POST (`?done=` on the redirect). */
export const ACCOUNT_NOTICES = ['profile', 'password', 'sessions'] as const;

const PROFILE_LABELS = { displayName: 'accounts.fields.display_name', locale: 'account.fields.locale', timeZone: 'account.fields.time_zone', digestFrequency: 'digests.fields.frequency' };
const PASSWORD_LABELS = { currentPassword: 'account.fields.current_password', newPassword: 'account.fields.new_password' };

function timeZoneOptions(current: string): [string, string][] {
  const zones = TIME_ZONES.includes(current) || !current ? TIME_ZONES : [current, ...TIME_ZONES];
  return zones.map((z) => [z, z.replace(/_/g, ' ')]);
}

/**
 * The account page: profile form, password change, the list of sessions with sign-out buttons,
 * and links to security settings, the data export and erasure.
 */
export function accountView(
  ctx: PageContext,
  o: {
    profile: ProfileFormValues;
    sessions: SessionSummary[];
    errors?: { form: AccountForm; errors: ErrorMap };
    notice?: string;
  },
): VNode {
  const { t } = ctx.tr;
  const errorsOf = (form: AccountForm): ErrorMap => (o.errors?.form === form ? o.errors.errors : new Map());
  const others = o.sessions.filter((s) => !s.current).length;
  return html`<h1>${t('account.title')}</h1>
    ${o.notice && (ACCOUNT_NOTICES as readonly string[]).includes(o.notice)
      ? html`<p class="flash" role="status">${t(`account.notices.${o.notice}`)}</p>`
      : null}
    <nav aria-label=${t('account.links.label')}>
      <ul>
        <li><a href="/account/security">${t('account.links.security')}</a></li>
        <li><a href="/account/feeds">${t('feed_tokens.account_link')}</a></li>
        <li><a href="/account/export" download>${t('account.links.export')}</a></li>
        <li><a href="/account/erase">${t('account.links.erase')}</a></li>
      </ul>
    </nav>

    <section aria-labelledby="profile-h">
      <h2 id="profile-h">${t('account.profile.title')}</h2>
      ${errorSummary(ctx, errorsOf('profile'), PROFILE_LABELS)}
      <form method="post" action="/account/profile" class="narrow" novalidate>
        ${csrfField(ctx)}
        ${field(ctx, errorsOf('profile'), { name: 'displayName', label: PROFILE_LABELS.displayName, value: o.profile.displayName, required: true, autocomplete: 'name' })}
        ${field(ctx, errorsOf('profile'), {
          name: 'locale',
          label: PROFILE_LABELS.locale,
          value: o.profile.locale,
          required: true,
          options: LOCALES.map((l): [string, string] => [l, t(`locale.${l}`)]),
        })}
        ${field(ctx, errorsOf('profile'), {
          name: 'timeZone',
          label: PROFILE_LABELS.timeZone,
          value: o.profile.timeZone,
          required: true,
          hint: 'account.fields.time_zone_hint',
          options: timeZoneOptions(o.profile.timeZone),
        })}
        ${field(ctx, errorsOf('profile'), {
          name: 'digestFrequency',
          label: PROFILE_LABELS.digestFrequency,
          value: o.profile.digestFrequency,
          hint: 'digests.fields.frequency_hint',
          options: DIGEST_FREQUENCIES.map((f): [string, string] => [f, t(`digests.frequency.${f}`)]),
        })}
        <button type="submit">${t('actions.save')}</button>
      </form>
    </section>

    <section aria-labelledby="password-h">
      <h2 id="password-h">${t('account.password.title')}</h2>
      <p>${t('account.password.intro')}</p>
      ${errorSummary(ctx, errorsOf('password'), PASSWORD_LABELS)}
      <form method="post" action="/account/password" class="narrow" novalidate>
        ${csrfField(ctx)}
        ${field(ctx, errorsOf('password'), { name: 'currentPassword', label: PASSWORD_LABELS.currentPassword, type: 'password', required: true, autocomplete: 'current-password' })}
        ${field(ctx, errorsOf('password'), {
          name: 'newPassword',
          label: PASSWORD_LABELS.newPassword,
          type: 'password',
          required: true,
          autocomplete: 'new-password',
          hint: 'accounts.fields.password_hint',
        })}
        <button type="submit">${t('account.password.submit')}</button>
      </form>
    </section>

    <section aria-labelledby="sessions-h">
      <h2 id="sessions-h">${t('account.sessions.title')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">${t('account.sessions.device')}</th>
            <th scope="col">${t('account.sessions.created')}</th>
            <th scope="col">${t('account.sessions.last_seen')}</th>
            <th scope="col">${t('account.sessions.actions')}</th>
          </tr>
        </thead>
        <tbody>
          ${o.sessions.map((s) => {
            const agent = shortUserAgent(s.userAgent);
            return html`<tr>
              <td>
                ${agent ? html`<${U}>${agent}<//>` : t('account.sessions.unknown_device')}
                ${s.current ? html` <strong>(${t('account.sessions.current')})</strong>` : null}
                ${s.pendingSecondFactor ? html` <em>(${t('account.sessions.pending_second_factor')})</em>` : null}
              </td>
              <td>${instant(ctx, s.createdAt)}</td>
              <td>${instant(ctx, s.lastSeenAt)}</td>
              <td>
                <form method="post" action="/account/sessions/revoke" class="inline">
                  ${csrfField(ctx)}
                  <input type="hidden" name="session" value=${s.ref} />
                  <button type="submit" class="link">${t('account.sessions.sign_out')}</button>
                </form>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p>
        ${others
          ? html`<form method="post" action="/account/sessions/revoke-others" class="inline">
              ${csrfField(ctx)}
              <button type="submit">${t('account.sessions.sign_out_others', { count: others })}</button>
            </form> `
          : null}
        <form method="post" action="/account/sessions/revoke-all" class="inline">
          ${csrfField(ctx)}
          <button type="submit">${t('account.sessions.sign_out_all')}</button>
        </form>
      </p>
    </section>`;
}

/**
 * The erasure page: what erasure does, the blocking "hand over first" errors (one per
 * organization, its name isolated), and the password confirmation.
 */
export function eraseView(ctx: PageContext, o: { errors: FieldError[] }): VNode {
  const { t } = ctx.tr;
  const handover = o.errors.filter((e) => e.field === 'organizations');
  const fieldErrors: ErrorMap = new Map(o.errors.filter((e) => e.field !== 'organizations').map((e) => [e.field, e]));
  return html`<h1>${t('account.erase.title')}</h1>
    <p>${t('account.erase.intro')}</p>
    <ul>
      <li>${t('account.erase.what_deleted')}</li>
      <li>${t('account.erase.what_kept')}</li>
      <li>${t('account.erase.what_email')}</li>
    </ul>
    <p><a href="/account/export" download>${t('account.erase.export_first')}</a></p>
    ${handover.length
      ? html`<div class="error-summary" role="alert">
          <h2>${t('account.erase.handover_title')}</h2>
          <ul>
            ${handover.map((e) => html`<li>${ctx.tr.tRich(e.messageId, { organization: html`<${U}>${String(e.values?.organization ?? '')}<//>` })}</li>`)}
          </ul>
        </div>`
      : errorSummary(ctx, fieldErrors, { password: 'account.fields.current_password' })}
    <form method="post" action="/account/erase" class="narrow" novalidate>
      ${csrfField(ctx)}
      ${field(ctx, fieldErrors, { name: 'password', label: 'account.fields.current_password', type: 'password', required: true, autocomplete: 'current-password' })}
      <button type="submit">${t('account.erase.submit')}</button>
    </form>
    <p><a href="/account">${t('account.erase.cancel')}</a></p>`;
}

/** The confirmation shown after an account was erased. */
export function erasedView(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  return html`<h1>${t('account.erased.title')}</h1>
    <p>${t('account.erased.body')}</p>
    <p><a href="/">${t('errors.back_home')}</a></p>`;
}
