import { Feed } from 'feed';
import { isolate, type Translator } from '../../i18n/i18n.ts';
import type { AtomItems } from './feeds.repo.ts';
import type { FeedSite } from './feeds.ical.ts';

/**
 * Atom (RFC 4287) output, written by the `feed` package. Every entry has the elements §4.1.2
 * requires: `id` (a `urn:uuid:` URI of the record's UUID, §4.2.6 — permanent and unique),
 * `title`, `updated` (an RFC 3339 date-time in UTC, §3.3), an `author` (§4.2.1) and a `link`,
 * plus a `summary`. `feed` marks title and summary `type="html"` and puts them in CDATA, so plain
 * text is HTML-escaped here first: a title such as `Bosses & <co>` reaches the reader as text.
 */

/** At most this many entries per feed, newest first. */
export const ATOM_LIMIT = 50;

/** One entry before writing. */
export interface AtomEntry {
  id: string;
  title: string;
  /** ISO 8601 UTC instant. */
  updated: string;
  link: string;
  summary: string;
  author: { name: string; link?: string };
}

/** Characters XML 1.0 does not allow (§2.2), removed from text so the document stays well-formed. */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Plain text as HTML text (for `type="html"` constructs), without characters XML forbids. */
export function htmlText(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Plain text for an XML text node (the `feed` package escapes `&`; the XML writer `<`). */
function xmlText(text: string): string {
  return text.replace(XML_INVALID, '');
}

/** At most `max` characters (code points) of a long text, for summaries. */
function excerpt(text: string, max = 600): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

/**
 * The scope's public records as Atom entries, newest first (ties by id, descending), at most
 * `ATOM_LIMIT`.
 */
export function atomEntries(site: FeedSite, tr: Translator, items: AtomItems): AtomEntry[] {
  const orgAuthor = (name: string | null, slug: string | null) =>
    name && slug ? { name, link: `${site.baseUrl}/organizations/${encodeURIComponent(slug)}` } : { name: tr.t('feeds.atom.public_data') };
  const entries: AtomEntry[] = [
    ...items.struggles.map((s) => ({
      id: `urn:uuid:${s.id}`,
      title: s.title,
      updated: s.updated_at,
      link: `${site.baseUrl}/struggles/${encodeURIComponent(s.slug)}`,
      summary: s.demands?.trim()
        ? excerpt(s.demands)
        : tr.t('feeds.atom.struggle_summary', { country: tr.country(s.country), date: tr.date(s.start_date) }),
      author: orgAuthor(s.organization_name, s.organization_slug),
    })),
    ...items.updates.map((u) => ({
      id: `urn:uuid:${u.id}`,
      title: tr.t('feeds.atom.update_title', { struggle: isolate(u.struggle_title), date: tr.date(u.date) }),
      updated: u.created_at,
      link: `${site.baseUrl}/struggles/${encodeURIComponent(u.struggle_slug)}#update-${u.id}`,
      summary: excerpt(u.body),
      author: orgAuthor(u.organization_name, u.organization_slug),
    })),
    ...items.calls.map((c) => ({
      id: `urn:uuid:${c.id}`,
      title: tr.t('feeds.atom.call_title', { title: isolate(c.title) }),
      updated: c.updated_at,
      link: `${site.baseUrl}/calls/${encodeURIComponent(c.slug)}`,
      summary: excerpt(c.body),
      author: orgAuthor(c.organization_name, c.organization_slug),
    })),
    ...items.responses.map((r) => ({
      id: `urn:uuid:${r.id}`,
      title: tr.t('feeds.atom.response_title', {
        organization: isolate(r.organization_name),
        kind: tr.t(`feeds.response_kinds.${r.kind}`),
        call: isolate(r.call_title),
      }),
      updated: r.updated_at,
      link: `${site.baseUrl}/calls/${encodeURIComponent(r.call_slug)}#responses`,
      summary: r.report?.trim()
        ? excerpt(r.report)
        : tr.t('feeds.atom.response_summary', {
            hasPlace: r.place ? 'yes' : 'no',
            hasCountry: r.country ? 'yes' : 'no',
            place: isolate(r.place ?? ''),
            country: r.country ? tr.country(r.country) : '',
            date: tr.date(r.date),
          }),
      author: orgAuthor(r.organization_name, r.organization_slug),
    })),
  ];
  const time = (iso: string) => Date.parse(iso);
  entries.sort((a, b) => time(b.updated) - time(a.updated) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return entries.slice(0, ATOM_LIMIT);
}

/**
 * Writes the Atom document.
 * @param o.selfUrl the feed's own absolute URL: also its `id` (RFC 4287 §4.2.6).
 * @param o.fallbackUpdated the feed's `updated` when it has no entries (else the newest entry's).
 */
export function writeAtom(o: { title: string; selfUrl: string; pageUrl: string; language: string; fallbackUpdated: string; entries: AtomEntry[] }): string {
  const feed = new Feed({
    id: o.selfUrl,
    title: xmlText(o.title),
    link: o.pageUrl,
    feed: o.selfUrl,
    language: o.language,
    updated: new Date(o.entries[0]?.updated ?? o.fallbackUpdated),
    generator: false,
  });
  for (const e of o.entries) {
    feed.addItem({
      id: e.id,
      title: htmlText(e.title),
      link: e.link,
      date: new Date(e.updated),
      description: htmlText(e.summary),
      author: [{ name: xmlText(e.author.name), ...(e.author.link ? { link: e.author.link } : {}) }],
    });
  }
  return feed.atom1();
}
