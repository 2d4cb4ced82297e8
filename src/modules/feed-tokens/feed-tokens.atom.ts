import { RESPONSE_KINDS } from '../../db/schema.ts';
import { isolate, type Translator } from '../../i18n/i18n.ts';
import type { Notification } from '../follows/notifications.repo.ts';
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

/** The summary of a notification in the reader's language (plain text). */
function summary(tr: Translator, n: Notification): string {
  const detail = n.detail ?? '';
  const country = n.country ? tr.country(n.country) : '';
  switch (n.kind) {
    case 'struggle_created':
      return tr.t('feed_tokens.atom.summaries.struggle_created', { country });
    case 'struggle_update':
      return excerpt(detail);
    case 'call_issued':
      return tr.t('feed_tokens.atom.summaries.call_issued', { struggle: isolate(detail) });
    case 'response_recorded':
      return (RESPONSE_KINDS as readonly string[]).includes(detail) ? tr.t(`feeds.response_kinds.${detail}`) : detail;
    case 'action_day_called':
      return tr.t('feed_tokens.atom.summaries.action_day_called', { date: /^\d{4}-\d{2}-\d{2}$/.test(detail) ? tr.date(detail) : detail });
    case 'local_action_registered':
      return tr.t('feed_tokens.atom.summaries.local_action_registered', { city: isolate(detail), country });
  }
}

/**
 * Notifications (newest first, as `listNotifications` returns them) as Atom entries, in the
 * same order. Author: the organization that did it, linked to its page, or "Public record" for
 * an imported struggle without one.
 */
export function notificationEntries(site: FeedSite, tr: Translator, notifications: Notification[]): AtomEntry[] {
  return notifications.map((n) => ({
    id: `urn:uuid:${n.eventId}`,
    title: tr.t(`feed_tokens.atom.titles.${n.kind}`, { title: isolate(n.subject.title) }),
    updated: n.at,
    link: link(site, n),
    summary: summary(tr, n),
    author: n.actor ? { name: n.actor.name, link: `${site.baseUrl}/organizations/${encodeURIComponent(n.actor.slug)}` } : { name: tr.t('feeds.atom.public_data') },
  }));
}
