import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { RESPONSE_KINDS } from '../../db/schema.ts';
import { translator, type Translator } from '../../i18n/i18n.ts';
import type { MailMessage } from '../../mail/mailer.ts';
import { bdi, htmlDocument, mailLocale } from '../../mail/messages.ts';
import type { Notification } from '../follows/notifications.repo.ts';
import { actionDayDates } from '../follows/notifications.messages.ts';

/** Everything a digest mail says. */
export interface DigestMailInput {
  to: string;
  /** The recipient's stored language tag (see `mailLocale`). */
  locale: string;
  displayName: string;
  /** The recipient's IANA time zone: every time in the mail is shown in it. */
  timeZone: string;
  frequency: 'daily' | 'weekly';
  /** Start (exclusive) and end (inclusive) of the window, ISO 8601 UTC instants. */
  from: string;
  until: string;
  /** The notifications to list, newest first (at most 100 are passed). */
  items: Notification[];
  /** There were more notifications in the window than `items`. */
  more: boolean;
  /** Public base URL without trailing slash; every link in the mail is absolute. */
  baseUrl: string;
}

/** Longest excerpt of an update's text, in characters. */
const EXCERPT = 200;

/** One line of user text: whitespace collapsed, cut at {@link EXCERPT} characters. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1).trimEnd()}…` : flat;
}

const PATHS: Record<Notification['subject']['type'], string> = { struggle: 'struggles', call: 'calls', action_day: 'action-days' };

/** The absolute address of what an item is about. */
export function itemUrl(baseUrl: string, n: Notification): string {
  return `${baseUrl}/${PATHS[n.subject.type]}/${encodeURIComponent(n.subject.slug)}`;
}

/**
 * The message id and values of one item's sentence. `user` names the values that are
 * user-supplied (the HTML part isolates them in `<bdi>`); the plain-text part isolates every
 * string value anyway (`tPlain`).
 */
function sentence(tr: Translator, n: Notification, timeZone: string): { id: string; values: Record<string, string>; user: string[] } {
  const values: Record<string, string> = { time: tr.instant(n.at, timeZone), title: n.subject.title };
  const user = ['title'];
  if (n.actor) {
    values.actor = n.actor.name;
    user.push('actor');
  }
  const detail = n.detail ?? '';
  switch (n.kind) {
    case 'struggle_created':
      values.country = n.country ? tr.country(n.country) : '';
      break;
    case 'struggle_update':
      values.text = excerpt(detail);
      user.push('text');
      break;
    case 'call_issued':
      values.struggle = detail;
      user.push('struggle');
      break;
    case 'response_recorded':
      values.response = (RESPONSE_KINDS as readonly string[]).includes(detail) ? tr.t(`calls.kinds.${detail}`) : detail;
      break;
    case 'action_day_called': {
      // "beginning {date}": the first date, also of an action day over several days.
      const dates = actionDayDates(detail);
      values.date = dates ? tr.date(dates.start) : detail;
      break;
    }
    case 'local_action_registered':
      values.city = detail;
      values.country = n.country ? tr.country(n.country) : '';
      user.push('city');
      break;
  }
  return { id: `digests.items.${n.kind}${n.actor ? '' : '_no_actor'}`, values, user };
}

/**
 * The digest mail in the recipient's language: the subject counts the items ("more than 100"
 * when `more`), the plain-text part lists each item as a translated sentence (time in the
 * recipient's zone, user-supplied text isolated with U+2068 … U+2069) with its absolute link,
 * points to `<baseUrl>/notifications` when there are more, and says how to change the digest on
 * the profile page (`<baseUrl>/account`). The HTML part says the same, escaped by Preact, user
 * text in `<bdi>`.
 */
export function digestMail(o: DigestMailInput): MailMessage {
  const tr = translator(mailLocale(o.locale));
  const { t } = tr;
  const count = o.items.length;
  const subject = t(o.more ? 'digests.mail.subject_more' : 'digests.mail.subject', { count });
  const window = { from: tr.instant(o.from, o.timeZone), until: tr.instant(o.until, o.timeZone), timeZone: o.timeZone };
  const introId = o.frequency === 'weekly' ? 'digests.mail.intro_weekly' : 'digests.mail.intro_daily';
  const manageId = o.frequency === 'weekly' ? 'digests.mail.manage_weekly' : 'digests.mail.manage_daily';
  const notificationsUrl = `${o.baseUrl}/notifications`;
  const accountUrl = `${o.baseUrl}/account`;
  const lines = o.items.map((n) => ({ s: sentence(tr, n, o.timeZone), url: itemUrl(o.baseUrl, n) }));

  const text = [
    tr.tPlain('digests.mail.greeting', { name: o.displayName }),
    tr.tPlain(introId, window),
    lines.map(({ s, url }) => `- ${tr.tPlain(s.id, s.values)}\n  ${url}`).join('\n\n'),
    ...(o.more ? [`${t('digests.mail.more')}\n${notificationsUrl}`] : []),
    `${tr.tPlain(manageId, { timeZone: o.timeZone })}\n${accountUrl}`,
    `-- \n${t('digests.mail.footer')}`,
  ].join('\n\n');

  const rich = (s: ReturnType<typeof sentence>) =>
    tr.tRich<VNode>(s.id, Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, s.user.includes(k) ? bdi(v) : v])));
  const body = html`<p>${tr.tRich('digests.mail.greeting', { name: bdi(o.displayName) })}</p>
    <p>${t(introId, window)}</p>
    <ul>
      ${lines.map(({ s, url }) => html`<li><p>${rich(s)}<br /><a href=${url}>${url}</a></p></li>`)}
    </ul>
    ${o.more ? html`<p>${t('digests.mail.more')}<br /><a href=${notificationsUrl}>${notificationsUrl}</a></p>` : null}
    <p>${t(manageId, { timeZone: o.timeZone })}<br /><a href=${accountUrl}>${accountUrl}</a></p>`;
  return { to: o.to, subject, text: `${text}\n`, html: htmlDocument(tr, body, t('digests.mail.footer')) };
}
