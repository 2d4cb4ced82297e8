import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, vocabularyOptions, nextPageLink, dlRow, dotted } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import { SECTOR_CODES } from '../../lib/sectors.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { STRUGGLE_KINDS, STRUGGLE_STATUSES } from './struggles.service.ts';
import type { StruggleDetail, StruggleSummary } from './struggles.repo.ts';
import { hasMessage } from '../../i18n/i18n.ts';
import { struggleCallsSection } from '../calls/calls.views.ts';
import type { CallSummary } from '../calls/calls.repo.ts';
import { followControl, type FollowControl } from '../follows/follows.views.ts';

/** The struggle's solidarity calls the reader may see, and whether to offer issuing one. */
export interface StruggleCalls {
  items: CallSummary[];
  canIssue: boolean;
}

export type StruggleQuery = Record<'q' | 'country' | 'sector' | 'kind' | 'status' | 'from' | 'to', string | undefined>;

/**
 * The period of a struggle: "since 3 Mar 2026" while ongoing, "3 Mar 2026 – 9 Mar 2026" when it
 * ended, "from 3 Mar 2026 (end not reported)" when it is over but the end date is unknown.
 */
export function period(ctx: PageContext, s: { start_date: string; end_date: string | null; status: string }): string {
  if (s.end_date) return ctx.tr.t('struggles.detail.period', { start: ctx.tr.date(s.start_date), end: ctx.tr.date(s.end_date) });
  if (s.status === 'ongoing') return ctx.tr.t('struggles.detail.period_open', { start: ctx.tr.date(s.start_date) });
  return ctx.tr.t('struggles.detail.period_no_end', { start: ctx.tr.date(s.start_date) });
}

/** One struggle in a list. */
export function struggleItem(ctx: PageContext, s: StruggleSummary) {
  const { t } = ctx.tr;
  const place = s.locality ? html`<${U}>${s.locality}<//>, ${ctx.tr.country(s.country)}` : ctx.tr.country(s.country);
  return html`<li>
    <a href=${`/struggles/${s.slug}`} lang=${s.lang}><${U}>${s.title}<//></a>
    <span class="meta">${dotted([
      t(`struggles.kinds.${s.kind}`),
      t(`sectors.${s.sector}`),
      place,
      period(ctx, s),
      html`<span class=${`status ${s.status}`}>${t(`struggles.statuses.${s.status}`)}</span>`,
      s.participants !== null ? t('struggles.detail.participants', { count: s.participants }) : null,
    ])}</span>
  </li>`;
}

/** The struggles list: filters, count, items, next-page link; filtered by a country, its follow control. */
export function struggleListView(
  ctx: PageContext,
  o: { query: StruggleQuery; items: StruggleSummary[]; total: number; nextCursor: string | null; canCreate: boolean; follow?: FollowControl | null },
) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  const q = o.query;
  return html`<h1>${t('struggles.list.title')}</h1>
    ${o.canCreate ? html`<p><a class="button" href="/struggles/new">${t('struggles.list.create')}</a></p>` : null}
    <form method="get" action="/struggles" class="filters" role="search">
      ${field(ctx, none, { name: 'q', label: 'struggles.filters.q', type: 'search', value: q.q })}
      ${field(ctx, none, { name: 'country', label: 'struggles.fields.country', value: q.country, options: countryOptions(ctx, countryCodes()), empty: 'filters.any' })}
      ${field(ctx, none, { name: 'sector', label: 'struggles.fields.sector', value: q.sector, options: vocabularyOptions(ctx, 'sectors', SECTOR_CODES), empty: 'filters.any' })}
      ${field(ctx, none, { name: 'kind', label: 'struggles.fields.kind', value: q.kind, options: vocabularyOptions(ctx, 'struggles.kinds', STRUGGLE_KINDS), empty: 'filters.any' })}
      ${field(ctx, none, { name: 'status', label: 'struggles.fields.status', value: q.status, options: vocabularyOptions(ctx, 'struggles.statuses', STRUGGLE_STATUSES), empty: 'filters.any' })}
      ${field(ctx, none, { name: 'from', label: 'struggles.filters.from', type: 'date', value: q.from })}
      ${field(ctx, none, { name: 'to', label: 'struggles.filters.to', type: 'date', value: q.to })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('struggles.list.count', { count: o.total })}</p>
    ${followControl(ctx, o.follow)}
    <ul class="cards">${o.items.map((s) => struggleItem(ctx, s))}</ul>
    ${nextPageLink(ctx, '/struggles', q, o.nextCursor)}`;
}

/** A struggle's page with organizations, sources and the timeline. */
export function struggleDetailView(
  ctx: PageContext,
  s: StruggleDetail,
  canEdit: boolean,
  update: { values: Record<string, string | undefined>; errors: ErrorMap } = { values: {}, errors: new Map() },
  calls?: StruggleCalls,
  follow?: FollowControl | null,
) {
  const { t } = ctx.tr;
  const ue = update.errors;
  return html`<article lang=${s.lang}>
    <h1><${U}>${s.title}<//></h1>
    <p class="meta" lang=${ctx.tr.locale}>${dotted([
      t(`struggles.kinds.${s.kind}`),
      t(`sectors.${s.sector}`),
      html`<span class=${`status ${s.status}`}>${t(`struggles.statuses.${s.status}`)}</span>`,
      t(`visibility.${s.visibility}`),
    ])}</p>
    ${canEdit ? html`<p lang=${ctx.tr.locale}><a class="button" href=${`/struggles/${s.slug}/edit`}>${t('actions.edit')}</a></p>` : null}
    ${followControl(ctx, follow)}
    <dl lang=${ctx.tr.locale}>
      ${dlRow(t('struggles.fields.country'), ctx.tr.country(s.country))}
      ${dlRow(t('struggles.fields.locality'), s.locality ? html`<${U}>${s.locality}<//>` : null)}
      ${dlRow(t('struggles.fields.employer'), s.employer ? html`<${U}>${s.employer}<//>` : null)}
      ${dlRow(t('struggles.detail.period_label'), period(ctx, s))}
      ${dlRow(t('struggles.fields.participants'), s.participants !== null ? ctx.tr.number(s.participants) : null)}
      ${dlRow(t('struggles.fields.organization'), s.organization ? html`<a href=${`/organizations/${s.organization.slug}`}><${U}>${s.organization.name}<//></a>` : null)}
    </dl>
    ${s.external_ref ? html`<p class="meta" lang=${ctx.tr.locale}>${t('struggles.detail.imported', { source: importSource(ctx, s.external_ref) })}</p>` : null}
    ${s.demands ? html`<section><h2 lang=${ctx.tr.locale}>${t('struggles.fields.demands')}</h2><div class="prose" dir="auto">${s.demands}</div></section>` : null}
    ${s.organizations.length
      ? html`<section lang=${ctx.tr.locale}><h2>${t('struggles.detail.organizations')}</h2><ul>
          ${s.organizations.map((o) => html`<li><a href=${`/organizations/${o.slug}`}><${U}>${o.name}<//></a> · ${t(`struggles.roles.${o.role}`)} · ${ctx.tr.country(o.country)}</li>`)}
        </ul></section>`
      : null}
    ${s.sources.length
      ? html`<section lang=${ctx.tr.locale}><h2>${t('struggles.detail.sources')}</h2><ul>
          ${s.sources.map((u) => html`<li><a href=${u} rel="nofollow noopener">${u}</a></li>`)}
        </ul></section>`
      : null}
    <section lang=${ctx.tr.locale}>
      <h2>${t('struggles.detail.timeline')}</h2>
      ${s.updates.length
        ? html`<ol class="timeline">${s.updates.map(
            (u) => html`<li><time datetime=${u.date}>${ctx.tr.date(u.date)}</time> <div class="prose" lang=${u.lang} dir="auto">${u.body}</div></li>`,
          )}</ol>`
        : html`<p>${t('struggles.detail.no_updates')}</p>`}
      ${canEdit
        ? html`<form method="post" action=${`/struggles/${s.slug}/updates`} class="narrow" id="add-update" novalidate>
            <h3>${t('struggles.detail.add_update')}</h3>
            ${csrfField(ctx)}
            ${errorSummary(ctx, ue, { date: 'struggles.detail.update_date', body: 'struggles.detail.update_body', lang: 'fields.text_language' })}
            ${field(ctx, ue, { name: 'date', label: 'struggles.detail.update_date', type: 'date', required: true, value: update.values.date })}
            ${field(ctx, ue, { name: 'body', label: 'struggles.detail.update_body', multiline: true, required: true, value: update.values.body })}
            ${field(ctx, ue, { name: 'lang', label: 'fields.text_language', value: update.values.lang ?? s.lang })}
            <button type="submit">${t('struggles.detail.update_submit')}</button>
          </form>`
        : null}
    </section>
    ${calls ? struggleCallsSection(ctx, { struggleSlug: s.slug, items: calls.items, canIssue: calls.canIssue }) : null}
  </article>`;
}

export type StruggleFormValues = Record<string, string | undefined>;

const STRUGGLE_LABELS: Record<string, string> = {
  title: 'struggles.fields.title',
  kind: 'struggles.fields.kind',
  sector: 'struggles.fields.sector',
  country: 'struggles.fields.country',
  locality: 'struggles.fields.locality',
  employer: 'struggles.fields.employer',
  participants: 'struggles.fields.participants',
  demands: 'struggles.fields.demands',
  startDate: 'struggles.fields.start_date',
  endDate: 'struggles.fields.end_date',
  status: 'struggles.fields.status',
  organization: 'struggles.fields.organization',
  initiators: 'struggles.fields.initiators',
  supporters: 'struggles.fields.supporters',
  sources: 'struggles.fields.sources',
  lang: 'struggles.fields.lang',
  visibility: 'fields.visibility',
  slug: 'fields.slug',
};

/** Create/edit form; re-rendered with field errors and HTTP 422. */
export function struggleFormView(
  ctx: PageContext,
  o: { action: string; values: StruggleFormValues; errors: ErrorMap; editing: boolean; ownOrganizations?: { slug: string; name: string }[] },
) {
  const own = o.ownOrganizations ?? [];
  // Keep a publishing organization the viewer is not a member of (an admin editing) selectable.
  const publishers: [string, string][] = own.map((x) => [x.slug, x.name]);
  if (o.values.organization && !publishers.some(([slug]) => slug === o.values.organization)) publishers.push([o.values.organization, o.values.organization]);
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  return html`<h1>${t(o.editing ? 'struggles.form.edit_title' : 'struggles.form.new_title')}</h1>
    ${errorSummary(ctx, e, STRUGGLE_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${field(ctx, e, { name: 'title', label: 'struggles.fields.title', value: v.title, required: true })}
      ${field(ctx, e, { name: 'kind', label: 'struggles.fields.kind', value: v.kind, required: true, options: vocabularyOptions(ctx, 'struggles.kinds', STRUGGLE_KINDS), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'sector', label: 'struggles.fields.sector', value: v.sector, required: true, options: vocabularyOptions(ctx, 'sectors', SECTOR_CODES), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'country', label: 'struggles.fields.country', value: v.country, required: true, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'locality', label: 'struggles.fields.locality', value: v.locality })}
      ${field(ctx, e, { name: 'employer', label: 'struggles.fields.employer', value: v.employer })}
      ${field(ctx, e, { name: 'participants', label: 'struggles.fields.participants', type: 'number', value: v.participants, min: '0' })}
      ${field(ctx, e, { name: 'demands', label: 'struggles.fields.demands', value: v.demands, multiline: true })}
      ${field(ctx, e, { name: 'startDate', label: 'struggles.fields.start_date', type: 'date', value: v.startDate, required: true })}
      ${field(ctx, e, { name: 'endDate', label: 'struggles.fields.end_date', type: 'date', value: v.endDate, hint: 'struggles.fields.end_date_hint' })}
      ${field(ctx, e, { name: 'status', label: 'struggles.fields.status', value: v.status ?? '', options: vocabularyOptions(ctx, 'struggles.statuses', STRUGGLE_STATUSES), empty: 'struggles.fields.status_auto' })}
      ${field(ctx, e, { name: 'organization', label: 'struggles.fields.organization', value: v.organization, hint: 'struggles.fields.organization_hint', options: publishers, empty: 'struggles.fields.organization_none' })}
      ${field(ctx, e, { name: 'initiators', label: 'struggles.fields.initiators', value: v.initiators, hint: 'struggles.fields.orgs_hint' })}
      ${field(ctx, e, { name: 'supporters', label: 'struggles.fields.supporters', value: v.supporters, hint: 'struggles.fields.orgs_hint' })}
      ${field(ctx, e, { name: 'sources', label: 'struggles.fields.sources', value: v.sources, multiline: true, hint: 'struggles.fields.sources_hint' })}
      ${field(ctx, e, { name: 'lang', label: 'struggles.fields.lang', value: v.lang, hint: 'fields.text_language_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      ${o.editing ? field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'fields.slug_hint' }) : null}
      <button type="submit">${t('actions.save')}</button>
    </form>`;
}

/**
 * The translated name of the source an imported struggle came from (the prefix of its
 * `external_ref`, e.g. `fmcs`); a source without a catalog entry is named by its prefix.
 */
function importSource(ctx: PageContext, externalRef: string): string {
  const prefix = externalRef.split(':')[0]!;
  return hasMessage(`struggles.import_sources.${prefix}`) ? ctx.tr.t(`struggles.import_sources.${prefix}`) : prefix;
}
