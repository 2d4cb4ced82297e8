import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from './context.ts';

/** Options for a select of ISO 3166-1 countries, labelled in the UI language and sorted by label. */
export function countryOptions(ctx: PageContext, codes: string[]): [string, string][] {
  const key = `${ctx.tr.locale}\u0000${codes.join(',')}`;
  let options = countryOptionsCache.get(key);
  if (!options) {
    const collator = new Intl.Collator(ctx.tr.locale);
    options = codes.map((c): [string, string] => [c, ctx.tr.country(c)]).sort((a, b) => collator.compare(a[1], b[1]));
    countryOptionsCache.set(key, options);
  }
  return options;
}

/** Sorted, labelled country lists per locale and code list (a few entries; built once). */
const countryOptionsCache = new Map<string, [string, string][]>();

/** Options for a fixed vocabulary, labelled from `<prefix>.<value>` messages. */
export function vocabularyOptions(ctx: PageContext, prefix: string, values: readonly string[]): [string, string][] {
  return values.map((v): [string, string] => [v, ctx.tr.t(`${prefix}.${v}`)]);
}

/** A "next page" link keeping the current filters. */
export function nextPageLink(ctx: PageContext, base: string, params: Record<string, string | undefined>, cursor: string | null): VNode | null {
  if (!cursor) return null;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  q.set('after', cursor);
  return html`<nav class="pager" aria-label=${ctx.tr.t('pager.label')}><a rel="next" href=${`${base}?${q}`}>${ctx.tr.t('pager.next')}</a></nav>`;
}

/** A definition-list row, skipped when the value is empty. */
export function dlRow(label: string, value: unknown): VNode | null {
  if (value === null || value === undefined || value === '') return null;
  return html`<dt>${label}</dt><dd>${value}</dd>`;
}

/** Inline parts joined with " · ", empty ones skipped (for meta lines under a title). */
export function dotted(parts: unknown[]): unknown[] {
  return parts.filter((p) => p !== null && p !== undefined && p !== '').flatMap((p, i) => (i === 0 ? [p] : [' · ', p]));
}

/**
 * Links to a record's public feeds, for calendar and feed readers (only public records have
 * feeds; pass nothing for the others and nothing is shown).
 */
export function feedLinks(ctx: PageContext, o: { calendar?: string | null; atom?: string | null }): VNode | null {
  if (!o.calendar && !o.atom) return null;
  const { t } = ctx.tr;
  const links = [
    o.calendar ? html`<a href=${o.calendar} type="text/calendar">${t('feeds.links.calendar')}</a>` : null,
    o.atom ? html`<a href=${o.atom} type="application/atom+xml">${t('feeds.links.atom')}</a>` : null,
  ].filter(Boolean);
  return html`<p class="feeds">${t('feeds.links.subscribe')} ${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}</p>`;
}

/**
 * The confirmation a redirect after a form POST asked for with `?done=<key>` on the page's own
 * address (`ctx.url`): the message `notices[key]` as a polite status, or nothing for an unknown
 * or missing key (the value comes from a link anyone can edit, never from the message catalog).
 */
export function doneNotice(ctx: PageContext, notices: Record<string, string>): VNode | null {
  const q = ctx.url.indexOf('?');
  const done = q < 0 ? null : new URLSearchParams(ctx.url.slice(q + 1)).get('done');
  const id = done && Object.hasOwn(notices, done) ? notices[done] : undefined;
  return id ? html`<p class="flash" role="status">${ctx.tr.t(id)}</p>` : null;
}
