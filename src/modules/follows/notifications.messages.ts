import { RESPONSE_KINDS } from '../../db/schema.ts';
import type { Translator } from '../../i18n/i18n.ts';
import type { Notification } from './notifications.repo.ts';

// The sentence of a notification, one for every place that shows it: the notifications page
// (rich: links, `<bdi>`, `<time>`) and the notifications Atom feed (plain text). Both take the
// message id and the values from here, so they read the same in every language.

/** How a sentence's parts are rendered: as elements on the page, as (isolated) text in a feed. */
export interface SentenceParts<T> {
  /** What the notification is about (its title), usually a link to it. */
  subject(n: Notification): T | string;
  /** The organization that did it. */
  actor(actor: { slug: string; name: string }): T | string;
  /** Other user-supplied text: the call's struggle title, the local action's city. */
  user(text: string): T | string;
  /** A calendar date (`YYYY-MM-DD`) and its formatted text. */
  date(iso: string, text: string): T | string;
}

/**
 * An action day's dates as a notification carries them (`detail`): one date (`YYYY-MM-DD`) for a
 * one-day action day, else `YYYY-MM-DD/YYYY-MM-DD` (ISO 8601 interval), or null when malformed.
 */
export function actionDayDates(detail: string | null): { start: string; end: string } | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:\/(\d{4}-\d{2}-\d{2}))?$/.exec(detail ?? '');
  return m ? { start: m[1]!, end: m[2] ?? m[1]! } : null;
}

/**
 * The message id (`follows.notifications.events.*`) and values of a notification's sentence,
 * the values rendered by `parts`. A translated response kind (`calls.kinds.*`, as the call page
 * names it) and a country name are plain strings; a one-day action day names its date, a longer
 * one its first and last.
 */
export function notificationSentence<T>(tr: Translator, n: Notification, parts: SentenceParts<T>): { id: string; values: Record<string, T | string> } {
  const subject = parts.subject(n);
  const actor = n.actor ? parts.actor(n.actor) : null;
  const country = n.country ? tr.country(n.country) : '';
  const id = (kind: string) => `follows.notifications.events.${kind}`;
  const detail = n.detail ?? '';
  switch (n.kind) {
    case 'struggle_created':
      return actor ? { id: id('struggle_created'), values: { actor, subject, country } } : { id: id('struggle_created_anonymous'), values: { subject, country } };
    case 'struggle_update':
      return actor ? { id: id('struggle_update'), values: { actor, subject } } : { id: id('struggle_update_anonymous'), values: { subject } };
    case 'call_issued':
      return { id: id('call_issued'), values: { actor: actor ?? '', subject, struggle: parts.user(detail) } };
    case 'response_recorded': {
      const response = (RESPONSE_KINDS as readonly string[]).includes(detail) ? tr.t(`calls.kinds.${detail}`) : detail;
      return { id: id('response_recorded'), values: { actor: actor ?? '', subject, response } };
    }
    case 'action_day_called': {
      const dates = actionDayDates(detail);
      const date = (iso: string) => parts.date(iso, tr.date(iso));
      if (dates && dates.end !== dates.start) {
        return { id: id('action_day_called_range'), values: { actor: actor ?? '', subject, start: date(dates.start), end: date(dates.end) } };
      }
      return { id: id('action_day_called'), values: { actor: actor ?? '', subject, date: dates ? date(dates.start) : detail } };
    }
    case 'local_action_registered':
      return { id: id('local_action_registered'), values: { actor: actor ?? '', subject, place: parts.user(detail), country } };
  }
}
