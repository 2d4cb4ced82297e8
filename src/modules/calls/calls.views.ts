import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, vocabularyOptions, nextPageLink, dlRow, dotted } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import { CALL_ASKS, RESPONSE_KINDS } from '../../db/schema.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import type { AnsweredBy, CallDetail, CallSummary } from './calls.repo.ts';
import { followControl, type FollowControl } from '../follows/follows.views.ts';

export type CallQuery = Record<'q' | 'country', string | undefined>;
export type CallFormValues = Record<string, string | undefined>;

/** "Answered by 3 organizations in 2 countries" (or "No answers yet"), counting only what the reader may see. */
export function answeredByText(ctx: PageContext, a: AnsweredBy): string {
  if (a.responses === 0) return ctx.tr.t('calls.answered.none');
  return ctx.tr.t('calls.answered.by', { organizations: a.organizations, countries: a.countries });
}

/** "Open until 31 Dec 2026", "Open (no deadline)" or "Closed on 31 Dec 2026". */
function deadlineText(ctx: PageContext, c: { deadline: string | null; open: boolean }): string {
  if (!c.deadline) return ctx.tr.t('calls.status.open_no_deadline');
  return ctx.tr.t(c.open ? 'calls.status.open_until' : 'calls.status.closed_since', { date: ctx.tr.date(c.deadline) });
}

function asksText(ctx: PageContext, asks: readonly string[], actionDate: string | null): string[] {
  return asks.map((a) => (a === 'action' && actionDate ? ctx.tr.t('calls.asks_on_date.action', { date: ctx.tr.date(actionDate) }) : ctx.tr.t(`calls.asks.${a}`)));
}

/** One call in a list (calls page, struggle page). */
export function callItem(ctx: PageContext, c: CallSummary, o: { showStruggle?: boolean } = {}) {
  return html`<li>
    <a href=${`/calls/${c.slug}`} lang=${c.lang}><${U}>${c.title}<//></a>
    <span class="meta">${dotted([
      o.showStruggle ? html`<a href=${`/struggles/${c.struggle.slug}`} lang=${c.struggle.lang}><${U}>${c.struggle.title}<//></a>` : null,
      o.showStruggle ? ctx.tr.country(c.struggle.country) : null,
      html`<span class=${c.open ? 'status ongoing' : 'status ended'}>${deadlineText(ctx, c)}</span>`,
      asksText(ctx, c.asks, c.action_date).join(', '),
      answeredByText(ctx, c.answeredBy),
    ])}</span>
  </li>`;
}

/** The calls list: filters, count, items (open first), next-page link. */
export function callListView(ctx: PageContext, o: { query: CallQuery; items: CallSummary[]; total: number; nextCursor: string | null }) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('calls.list.title')}</h1>
    <p>${t('calls.list.intro')}</p>
    <form method="get" action="/calls" class="filters" role="search">
      ${field(ctx, none, { name: 'q', label: 'calls.filters.q', type: 'search', value: o.query.q })}
      ${field(ctx, none, { name: 'country', label: 'calls.filters.country', value: o.query.country, options: countryOptions(ctx, countryCodes()), empty: 'filters.any' })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('calls.list.count', { count: o.total })}</p>
    <ul class="cards">${o.items.map((c) => callItem(ctx, c, { showStruggle: true }))}</ul>
    ${nextPageLink(ctx, '/calls', o.query, o.nextCursor)}`;
}

/** The "Solidarity calls" section of a struggle's page. */
export function struggleCallsSection(ctx: PageContext, o: { struggleSlug: string; items: CallSummary[]; canIssue: boolean }) {
  const { t } = ctx.tr;
  return html`<section lang=${ctx.tr.locale} id="calls">
    <h2>${t('calls.struggle_section.title')}</h2>
    ${o.items.length ? html`<ul class="cards">${o.items.map((c) => callItem(ctx, c))}</ul>` : html`<p>${t('calls.struggle_section.none')}</p>`}
    ${o.canIssue ? html`<p><a class="button" href=${`/calls/new?struggle=${encodeURIComponent(o.struggleSlug)}`}>${t('calls.struggle_section.issue')}</a></p>` : null}
  </section>`;
}

const RESPONSE_LABELS: Record<string, string> = {
  organization: 'calls.response.organization',
  network: 'calls.response.network',
  kind: 'calls.response.kind',
  date: 'calls.response.date',
  place: 'calls.response.place',
  country: 'calls.response.country',
  report: 'calls.response.report',
  lang: 'fields.text_language',
  link: 'calls.response.link',
  visibility: 'fields.visibility',
};

/** What the response form on a call's page needs; absent when the reader may not respond. */
export interface RespondForm {
  organizations: { slug: string; name: string }[];
  networks: { slug: string; name: string }[];
  values: CallFormValues;
  errors: ErrorMap;
}

function responseItem(ctx: PageContext, r: CallDetail['responses'][number]) {
  const { t } = ctx.tr;
  const place = [r.place ? html`<${U}>${r.place}<//>` : null, r.country ? ctx.tr.country(r.country) : null].filter(Boolean);
  return html`<li>
    <time datetime=${r.date}>${ctx.tr.date(r.date)}</time>
    ${' · '}${t(`calls.kinds.${r.kind}`)}
    ${' · '}${r.organization ? html`<a href=${`/organizations/${r.organization.slug}`}><${U}>${r.organization.name}<//></a>` : t('calls.response.hidden_organization')}
    ${r.network ? html` · ${t('calls.response.for_network')} <a href=${`/networks/${r.network.slug}`}><${U}>${r.network.name}<//></a>` : null}
    ${place.length ? html` · ${place.flatMap((p, i) => (i ? [', ', p] : [p]))}` : null}
    ${r.visibility !== 'public' ? html` · ${t(`visibility.${r.visibility}`)}` : null}
    ${r.report ? html`<div class="prose" lang=${r.lang} dir="auto">${r.report}</div>` : null}
    ${r.link ? html`<p><a href=${r.link} rel="nofollow noopener ugc">${r.link}</a></p>` : null}
  </li>`;
}

/**
 * A call's page: struggle, issuers, asks, deadline, languages, visible responses and the response
 * form (`id="respond"`; it posts to `…/responses#respond`, so a refused submission, HTTP 422, comes
 * back scrolled to the form with its error summary at the top).
 */
export function callDetailView(ctx: PageContext, c: CallDetail, o: { canEdit: boolean; respond?: RespondForm; follow?: FollowControl | null }) {
  const { t } = ctx.tr;
  const r = o.respond;
  return html`<article lang=${c.lang}>
    <h1><${U}>${c.title}<//></h1>
    <p class="meta" lang=${ctx.tr.locale}>${dotted([
      html`<span class=${c.open ? 'status ongoing' : 'status ended'}>${deadlineText(ctx, c)}</span>`,
      t(`visibility.${c.visibility}`),
    ])}</p>
    ${o.canEdit ? html`<p lang=${ctx.tr.locale}><a class="button" href=${`/calls/${c.slug}/edit`}>${t('actions.edit')}</a></p>` : null}
    ${followControl(ctx, o.follow)}
    <dl lang=${ctx.tr.locale}>
      ${dlRow(t('calls.fields.struggle'), html`<a href=${`/struggles/${c.struggle.slug}`} lang=${c.struggle.lang}><${U}>${c.struggle.title}<//></a> (${ctx.tr.country(c.struggle.country)})`)}
      ${dlRow(
        t('calls.fields.issuers'),
        c.issuers.length
          ? c.issuers.flatMap((i, n) => [n ? ', ' : '', html`<a href=${`/organizations/${i.slug}`}><${U}>${i.name}<//></a>`])
          : null,
      )}
      ${dlRow(t('calls.fields.asks'), asksText(ctx, c.asks, c.action_date).join(', '))}
      ${dlRow(t('calls.fields.deadline'), c.deadline ? html`<time datetime=${c.deadline}>${ctx.tr.date(c.deadline)}</time>` : null)}
      ${dlRow(t('calls.fields.languages'), c.languages.map((l) => ctx.tr.language(l)).join(', '))}
    </dl>
    <div class="prose" dir="auto">${c.body}</div>
    <section lang=${ctx.tr.locale} id="responses">
      <h2>${t('calls.detail.responses')}</h2>
      <p role="status">${answeredByText(ctx, c.answeredBy)}</p>
      ${c.responses.length ? html`<ol class="timeline">${c.responses.map((x) => responseItem(ctx, x))}</ol>` : null}
      ${r
        ? html`<form method="post" action=${`/calls/${c.slug}/responses#respond`} class="narrow" id="respond" novalidate>
            <h3>${t('calls.response.title')}</h3>
            ${csrfField(ctx)}
            ${errorSummary(ctx, r.errors, RESPONSE_LABELS)}
            ${field(ctx, r.errors, { name: 'organization', label: 'calls.response.organization', required: true, value: r.values.organization ?? (r.organizations.length === 1 ? r.organizations[0]!.slug : ''), options: r.organizations.map((x): [string, string] => [x.slug, x.name]), empty: 'forms.choose' })}
            ${r.networks.length
              ? field(ctx, r.errors, { name: 'network', label: 'calls.response.network', value: r.values.network, options: r.networks.map((x): [string, string] => [x.slug, x.name]), empty: 'calls.response.no_network', hint: 'calls.response.network_hint' })
              : null}
            ${field(ctx, r.errors, { name: 'kind', label: 'calls.response.kind', required: true, value: r.values.kind, options: vocabularyOptions(ctx, 'calls.kinds', RESPONSE_KINDS), empty: 'forms.choose' })}
            ${field(ctx, r.errors, { name: 'date', label: 'calls.response.date', type: 'date', required: true, value: r.values.date })}
            ${field(ctx, r.errors, { name: 'place', label: 'calls.response.place', value: r.values.place })}
            ${field(ctx, r.errors, { name: 'country', label: 'calls.response.country', value: r.values.country, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
            ${field(ctx, r.errors, { name: 'report', label: 'calls.response.report', multiline: true, value: r.values.report })}
            ${field(ctx, r.errors, { name: 'lang', label: 'fields.text_language', value: r.values.lang ?? ctx.tr.locale, hint: 'fields.text_language_hint' })}
            ${field(ctx, r.errors, { name: 'link', label: 'calls.response.link', type: 'url', value: r.values.link })}
            ${field(ctx, r.errors, { name: 'visibility', label: 'fields.visibility', value: r.values.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
            <button type="submit">${t('calls.response.submit')}</button>
          </form>`
        : null}
    </section>
  </article>`;
}

const CALL_LABELS: Record<string, string> = {
  struggle: 'calls.fields.struggle',
  organization: 'calls.fields.organization',
  issuers: 'calls.fields.issuers',
  title: 'calls.fields.title',
  body: 'calls.fields.body',
  lang: 'fields.text_language',
  asks: 'calls.fields.asks',
  actionDate: 'calls.fields.action_date',
  deadline: 'calls.fields.deadline',
  languages: 'calls.fields.languages',
  visibility: 'fields.visibility',
  slug: 'fields.slug',
};

/**
 * Issue/edit form; re-rendered with field errors and HTTP 422. Asks are one checkbox each
 * (`ask_<value>`), since a form field may not repeat.
 */
export function callFormView(
  ctx: PageContext,
  o: { action: string; values: CallFormValues; errors: ErrorMap; editing: boolean; organizations: { slug: string; name: string }[]; struggle?: { slug: string; title: string; lang: string } },
) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  const owners: [string, string][] = o.organizations.map((x) => [x.slug, x.name]);
  // Keep an owner the viewer has no publishing role in (an admin of it editing) selectable.
  if (v.organization && !owners.some(([slug]) => slug === v.organization)) owners.push([v.organization, v.organization]);
  const asksError = e.get('asks');
  return html`<h1>${t(o.editing ? 'calls.form.edit_title' : 'calls.form.new_title')}</h1>
    ${o.struggle ? html`<p>${t('calls.form.for_struggle')} <a href=${`/struggles/${o.struggle.slug}`} lang=${o.struggle.lang}><${U}>${o.struggle.title}<//></a></p>` : null}
    ${errorSummary(ctx, e, CALL_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${field(ctx, e, { name: 'struggle', label: 'calls.fields.struggle', value: v.struggle, required: true, hint: 'calls.fields.struggle_hint' })}
      ${field(ctx, e, { name: 'organization', label: 'calls.fields.organization', value: v.organization, required: true, options: owners, empty: 'forms.choose', hint: 'calls.fields.organization_hint' })}
      ${field(ctx, e, { name: 'issuers', label: 'calls.fields.issuers', value: v.issuers, hint: 'calls.fields.issuers_hint' })}
      ${field(ctx, e, { name: 'title', label: 'calls.fields.title', value: v.title, required: true })}
      ${field(ctx, e, { name: 'body', label: 'calls.fields.body', value: v.body, required: true, multiline: true })}
      ${field(ctx, e, { name: 'lang', label: 'fields.text_language', value: v.lang, hint: 'fields.text_language_hint' })}
      <fieldset id="f-asks" class=${asksError ? 'field invalid' : 'field'} aria-describedby=${asksError ? 'f-asks-error' : undefined}>
        <legend>${t('calls.fields.asks')}<span aria-hidden="true"> *</span></legend>
        ${CALL_ASKS.map(
          (a) => html`<label class="check"><input type="checkbox" name=${`ask_${a}`} value="1" checked=${!!v[`ask_${a}`]} /> ${t(`calls.asks.${a}`)}</label>`,
        )}
        ${asksError ? html`<p class="error" id="f-asks-error">${t(asksError.messageId, asksError.values)}</p>` : null}
      </fieldset>
      ${field(ctx, e, { name: 'actionDate', label: 'calls.fields.action_date', type: 'date', value: v.actionDate, hint: 'calls.fields.action_date_hint' })}
      ${field(ctx, e, { name: 'deadline', label: 'calls.fields.deadline', type: 'date', value: v.deadline, hint: 'calls.fields.deadline_hint' })}
      ${field(ctx, e, { name: 'languages', label: 'calls.fields.languages', value: v.languages, hint: 'calls.fields.languages_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      ${o.editing ? field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'fields.slug_hint' }) : null}
      <button type="submit">${t('actions.save')}</button>
    </form>`;
}
