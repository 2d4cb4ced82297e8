import { html } from 'htm/preact';
import { render } from 'preact-render-to-string';
import type { ComponentChildren, VNode } from 'preact';
import { isLocale, isolate, translator, type Locale, type Translator } from '../i18n/i18n.ts';
import type { MailMessage } from './mailer.ts';

/**
 * The texts of outgoing mail, built from the message catalogs in the recipient's (or sender's)
 * language. Every mail has a plain-text part, where user-supplied values are wrapped in First
 * Strong Isolate … Pop Directional Isolate (U+2068 … U+2069, UAX #9), and an HTML part, where they
 * sit in `<bdi>` and are escaped by Preact.
 */

/** A catalog locale for an account's stored language tag (`de-AT` → `de`); English otherwise. */
export function mailLocale(tag: string | null | undefined): Locale {
  if (isLocale(tag)) return tag;
  const base = (tag ?? '').split('-')[0];
  return isLocale(base) ? base : 'en';
}

/** A user-supplied value for the HTML part, isolated in `<bdi>` (escaped by Preact). */
export function bdi(value: string): VNode {
  return html`<bdi>${value}</bdi>`;
}

/** A small HTML document around `body` (no images, no remote resources, nothing that tracks). */
export function htmlDocument(tr: Translator, body: ComponentChildren, footer: string): string {
  const doc = html`<html lang=${tr.locale} dir=${tr.dir}>
    <head><meta charset="utf-8" /><title>${tr.t('app.name')}</title></head>
    <body>${body}<hr /><p><small>${footer}</small></p></body>
  </html>`;
  return `<!doctype html>${render(doc)}`;
}

/** An invitation into an organization. */
export interface InvitationMailInput {
  to: string;
  /** UI language of the inviting admin. */
  locale: string;
  inviterName: string;
  organizationName: string;
  /** Organization role (`admin`, `coordinator`, `member`, `viewer`). */
  role: string;
  /** The invitation link (`<baseUrl>/invitations/<token>`). */
  url: string;
  /** Days the link stays valid. */
  validDays: number;
}

/**
 * The invitation mail: subject and body name the inviter and the organization (isolated) and the
 * role, and carry the link with its validity.
 */
export function invitationMail(o: InvitationMailInput): MailMessage {
  const tr = translator(mailLocale(o.locale));
  const { t } = tr;
  const role = t(`members.roles.${o.role}`);
  const subject = t('invitations.mail.subject', { inviter: isolate(o.inviterName), organization: isolate(o.organizationName) });
  const text = [
    t('invitations.mail.greeting'),
    t('invitations.mail.body', { inviter: isolate(o.inviterName), organization: isolate(o.organizationName), role }),
    `${t('invitations.mail.link', { days: o.validDays })}\n${o.url}`,
    t('invitations.mail.ignore'),
    `-- \n${t('invitations.mail.footer')}`,
  ].join('\n\n');
  const body = html`<p>${t('invitations.mail.greeting')}</p>
    <p>${tr.tRich('invitations.mail.body', { inviter: bdi(o.inviterName), organization: bdi(o.organizationName), role })}</p>
    <p>${t('invitations.mail.link', { days: o.validDays })}<br /><a href=${o.url}>${o.url}</a></p>
    <p>${t('invitations.mail.ignore')}</p>`;
  return { to: o.to, subject, text: `${text}\n`, html: htmlDocument(tr, body, t('invitations.mail.footer')) };
}

/** A password reset link for an account. */
export interface PasswordResetMailInput {
  to: string;
  /** The account's UI language. */
  locale: string;
  displayName: string;
  /** The reset link (`<baseUrl>/password-reset/<token>`). */
  url: string;
  /** Minutes the link stays valid. */
  validMinutes: number;
}

/** The password reset mail: greets the account by name (isolated) and carries the single-use link. */
export function passwordResetMail(o: PasswordResetMailInput): MailMessage {
  const tr = translator(mailLocale(o.locale));
  const { t } = tr;
  const subject = t('password_reset.mail.subject');
  const text = [
    t('password_reset.mail.greeting', { name: isolate(o.displayName) }),
    t('password_reset.mail.body'),
    `${t('password_reset.mail.link', { minutes: o.validMinutes })}\n${o.url}`,
    t('password_reset.mail.ignore'),
    `-- \n${t('password_reset.mail.footer')}`,
  ].join('\n\n');
  const body = html`<p>${tr.tRich('password_reset.mail.greeting', { name: bdi(o.displayName) })}</p>
    <p>${t('password_reset.mail.body')}</p>
    <p>${t('password_reset.mail.link', { minutes: o.validMinutes })}<br /><a href=${o.url}>${o.url}</a></p>
    <p>${t('password_reset.mail.ignore')}</p>`;
  return { to: o.to, subject, text: `${text}\n`, html: htmlDocument(tr, body, t('password_reset.mail.footer')) };
}
