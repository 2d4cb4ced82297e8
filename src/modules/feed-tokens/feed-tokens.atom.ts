import { isolate, type Translator } from '../../i18n/i18n.ts';
import type { Notification } from '../follows/notifications.repo.ts';
import { notificationSentence } from '../follows/notifications.messages.ts';
import type { AtomEntry } from '../feeds/feeds.atom.ts';
import type { FeedSite } from '../feeds/feeds.ical.ts';

// The notifications Atom feed (RFC 4287) of a feed token's account, in the conventions of the
// public Atom feeds (`feeds/feeds.atom.ts`, which writes the document): the entry id is the
// `urn:uuid:` of the record the event created (the same entry id the record has in any other
// feed, stable across requests), `updated` its recording instant, links absolute.

/** Longest summary taken from user text, in characters (code points). */
const EXCERPT = 600;

function excerpt(text: string): string {
  const chars = [...text];
  return chars.length > EXCERPT ? `${chars.slice(0, EXCERPT).join('')}…` : text;
}

const PATHS: Record<Notification['subject']['type'], string> = { struggle: 'struggles', call: 'calls', action_day: 'action-days' };

/** The absolute link of a notification: its subject's page, at the event's anchor where the page has one. */
function link(site: FeedSite, n: Notification): string {
  const page = `${site.baseUrl}/${PATHS[n.subject.type]}/${encodeURIComponent(n.subject.slug)}`;
  switch (n.kind) {
    case 'struggle_update':
      return `${page}#update-${n.eventId}`;
    case 'response_recorded':
      return `${page}#responses`;
    case 'local_action_registered':
      return `${page}#local-action-${n.eventId}`;
    default:
      return page;
  }
}

/**
 * The sentence of a notification in the reader's language, as plain text: the same message and
 * values as the notifications page (`notificationSentence`), user-written parts isolated
 * (U+2068 … U+2069) instead of linked.
 */
export function plainSentence(tr: Translator, n: Notification): string {
  const { id, values } = notificationSentence<string>(tr, n, {
    subject: (x) => isolate(x.subject.title),
    actor: (a) => isolate(a.name),
    user: (text) => isolate(text),
    date: (_iso, text) => text,
  });
  return tr.t(id, values);
}

/**
 * Notifications (newest first, as `listNotifications` returns them) as Atom entries, in the
 * same order. Title: the sentence the notifications page shows (see {@link plainSentence});
 * summary: an update's text (shortened), else the sentence again. Author: the organization that
 * did it, linked to its page, or "Public record" for an imported struggle without one.
 */
export function notificationEntries(site: FeedSite, tr: Translator, notifications: Notification[]): AtomEntry[] {
  return notifications.map((n) => ({
    id: `urn:uuid:${n.eventId}`,
    title: plainSentence(tr, n),
    updated: n.at,
    link: link(site, n),
    summary: n.kind === 'struggle_update' && n.detail ? excerpt(n.detail) : plainSentence(tr, n),
    author: n.actor ? { name: n.actor.name, link: `${site.baseUrl}/organizations/${encodeURIComponent(n.actor.slug)}` } : { name: tr.t('feeds.atom.public_data') },
  }));
}
