import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, dlRow, doneNotice, dotted, nextPageLink, vocabularyOptions } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import { currencyOptions, formatMoney } from '../../lib/money.ts';
import type { PactStatus } from '../../db/schema.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { PACT_STATUSES, type PactRecord } from './pacts.service.ts';
import type { PactListRow, PactOverview } from './pacts.repo.ts';

export type PactFormValues = Record<string, string | undefined>;

/** Confirmations after a form POST on the pact's page (`?done=…`, see `withNotice`). */
export const PACT_NOTICES: Record<string, string> = {
  created: 'pacts.notices.created',
  updated: 'pacts.notices.updated',
  status: 'pacts.notices.status',
};

/** An amount in minor units for the reader's locale (ISO 4217 digits; see `formatMoney`). */
export function money(ctx: PageContext, minor: number, currency: string): string {
  return formatMoney(minor, currency, ctx.tr.locale);
}

/** The currency choices of a select, `EUR – Euro`, in the UI language (built once per locale). */
export function currencySelectOptions(ctx: PageContext): [string, string][] {
  let options = currencyCache.get(ctx.tr.locale);
  if (!options) {
    options = currencyOptions(ctx.tr.locale).map(({ code, name }): [string, string] => [code, `${code} – ${name}`]);
    currencyCache.set(ctx.tr.locale, options);
  }
  return options;
}
const currencyCache = new Map<string, [string, string][]>();

const monthFormats = new Map<string, Intl.DateTimeFormat>();

/** `2026-03` → `Mar 2026` / `März 2026` (a calendar month; no time zone shift). */
export function monthLabel(ctx: PageContext, month: string): string {
  let f = monthFormats.get(ctx.tr.locale);
  if (!f) {
    f = new Intl.DateTimeFormat(ctx.tr.locale === 'en' ? 'en-GB' : ctx.tr.locale, { year: 'numeric', month: 'short', timeZone: 'UTC' });
    monthFormats.set(ctx.tr.locale, f);
  }
  return f.format(new Date(`${month}-01T00:00:00Z`));
}

function statusLabel(ctx: PageContext, status: PactStatus): VNode {
  return html`<span class=${`status pact-${status}`}>${ctx.tr.t(`pacts.statuses.${status}`)}</span>`;
}

function periodText(ctx: PageContext, p: { periodStart: string; periodEnd: string | null }): string {
  return p.periodEnd
    ? ctx.tr.t('pacts.page.period_range', { start: ctx.tr.date(p.periodStart), end: ctx.tr.date(p.periodEnd) })
    : ctx.tr.t('pacts.page.period_open', { start: ctx.tr.date(p.periodStart) });
}

/** Whole percent of `part` in `whole` (both minor units, `whole` > 0), rounded down, exactly (BigInt). */
export function percentOf(part: number, whole: number): number {
  if (whole <= 0 || part <= 0) return 0;
  return Number((BigInt(part) * 100n) / BigInt(whole));
}

/** The pacts list: status filter, items with what they raised toward their goal, next-page link. */
export function pactListView(ctx: PageContext, o: { status: string | undefined; items: PactListRow[]; total: number; nextCursor: string | null; canStart: boolean }) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('pacts.list.title')}</h1>
    <p>${t('pacts.list.intro')}</p>
    ${o.canStart ? html`<p><a class="button" href="/pacts/new">${t('pacts.list.new')}</a></p>` : null}
    <form method="get" action="/pacts" class="filters" role="search">
      ${field(ctx, none, { name: 'status', label: 'pacts.filters.status', value: o.status, options: vocabularyOptions(ctx, 'pacts.statuses', PACT_STATUSES), empty: 'filters.any' })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('pacts.list.count', { count: o.total })}</p>
    <ul class="cards">
      ${o.items.map(
        (p) => html`<li>
          <a href=${`/pacts/${p.slug}`} lang=${p.lang}><${U}>${p.title}<//></a>
          <span class="meta">${dotted([
            statusLabel(ctx, p.status),
            html`<span lang=${p.lang}><${U}>${p.beneficiaryGroup}<//></span>`,
            p.country ? ctx.tr.country(p.country) : null,
            p.organization ? html`<a href=${`/organizations/${p.organization.slug}`}><${U}>${p.organization.name}<//></a>` : null,
            p.goalMinor !== null && p.goalCurrency
              ? t('pacts.list.raised', { raised: money(ctx, p.raisedMinor ?? 0, p.goalCurrency), goal: money(ctx, p.goalMinor, p.goalCurrency) })
              : t('pacts.list.no_goal'),
          ])}</span>
        </li>`,
      )}
    </ul>
    ${nextPageLink(ctx, '/pacts', { status: o.status }, o.nextCursor)}`;
}

/**
 * A part of the pact page added by another part of the module (pledges, the beneficiary register,
 * the transparency report). `slot` says where it goes: after the progress bar (`progress`: a
 * pledges summary), after the balances and monthly table (`money`: households supported), or in
 * the links under the title (`links`: a link to the transparency report).
 */
export interface PactSection {
  /** Stable id (also the `id` attribute of the section, for links to it). */
  id: string;
  slot: 'links' | 'progress' | 'money';
  render: (ctx: PageContext) => ComponentChildren;
}

function sectionsIn(ctx: PageContext, sections: PactSection[], slot: PactSection['slot']): ComponentChildren[] {
  return sections.filter((s) => s.slot === slot).map((s) => (slot === 'links' ? s.render(ctx) : html`<div id=${s.id}>${s.render(ctx)}</div>`));
}

/**
 * The progress bar toward the goal: contributions (net of reversals) in the goal currency, as a
 * native `<progress>` named by its heading and described by the text beside it (works without
 * CSS and JavaScript). Contributions in other currencies are listed apart, each in its own
 * currency, and the page says that they are not converted here.
 */
function progressSection(ctx: PageContext, pact: PactRecord, ov: PactOverview): VNode {
  const { t } = ctx.tr;
  const goal = pact.goal_minor;
  const cur = pact.goal_currency;
  const others = ov.raised.filter((r) => r.currency !== cur && r.amountMinor !== 0);
  if (goal === null || !cur) {
    return html`<section id="progress" aria-labelledby="progress-title">
      <h2 id="progress-title">${t('pacts.page.progress_title')}</h2>
      <p>${t('pacts.page.progress_none')}</p>
    </section>`;
  }
  const raised = ov.raised.find((r) => r.currency === cur)?.amountMinor ?? 0;
  const shown = Math.min(Math.max(raised, 0), goal);
  return html`<section id="progress" aria-labelledby="progress-title">
    <h2 id="progress-title">${t('pacts.page.progress_title')}</h2>
    <progress class="goal" max=${String(goal)} value=${String(shown)} aria-label=${t('pacts.page.progress_label')} aria-describedby="progress-text">
      ${t('pacts.page.progress_percent', { percent: percentOf(raised, goal) })}
    </progress>
    <p id="progress-text" class="progress-text">
      ${t('pacts.page.progress_text', { raised: money(ctx, raised, cur), goal: money(ctx, goal, cur), percent: percentOf(raised, goal) })}
    </p>
    ${others.length
      ? html`<h3>${t('pacts.page.other_currencies')}</h3>
          <ul class="amounts">${others.map((r) => html`<li>${money(ctx, r.amountMinor, r.currency)}</li>`)}</ul>
          <p class="hint">${t('pacts.page.other_currencies_note')}</p>`
      : null}
  </section>`;
}

/** Balances per currency and the monthly in/out/fees table (the 12 most recent months with entries). */
function moneySections(ctx: PageContext, ov: PactOverview): VNode {
  const { t } = ctx.tr;
  const months = [...new Set(ov.months.map((m) => m.month))].slice(-12);
  const lines = ov.months.filter((m) => months.includes(m.month)).sort((a, b) => (a.month === b.month ? a.currency.localeCompare(b.currency) : a.month < b.month ? 1 : -1));
  return html`<section id="balances">
      <h2 id="balances-title">${t('pacts.page.balances_title')}</h2>
      ${ov.balances.length
        ? html`<p class="hint" id="balances-note">${t('pacts.page.balances_caption')}</p>
          <div class="table-scroll" role="region" aria-labelledby="balances-title" tabindex="0"><table class="balances" aria-labelledby="balances-title" aria-describedby="balances-note">
            <thead><tr><th scope="col">${t('pacts.columns.currency')}</th><th scope="col" class="num">${t('pacts.columns.balance')}</th></tr></thead>
            <tbody>
              ${ov.balances.map(
                (b) => html`<tr><th scope="row">${b.currency}</th><td class="num">${money(ctx, b.balanceMinor, b.currency)}</td></tr>`,
              )}
            </tbody>
          </table></div>`
        : html`<p>${t('pacts.page.balances_none')}</p>`}
    </section>
    <section id="months">
      <h2 id="months-title">${t('pacts.page.months_title')}</h2>
      ${lines.length
        ? html`<p class="hint" id="months-note">${t('pacts.page.months_caption')}</p>
          <div class="table-scroll" role="region" aria-labelledby="months-title" tabindex="0">
            <table class="months" aria-labelledby="months-title" aria-describedby="months-note">
              <thead>
                <tr>
                  <th scope="col">${t('pacts.columns.month')}</th>
                  <th scope="col">${t('pacts.columns.currency')}</th>
                  <th scope="col" class="num">${t('pacts.columns.in')}</th>
                  <th scope="col" class="num">${t('pacts.columns.out')}</th>
                  <th scope="col" class="num">${t('pacts.columns.fees')}</th>
                  <th scope="col" class="num">${t('pacts.columns.moved')}</th>
                  <th scope="col" class="num">${t('pacts.columns.closing')}</th>
                </tr>
              </thead>
              <tbody>
                ${lines.map(
                  (m) => html`<tr>
                    <th scope="row"><time datetime=${m.month}>${monthLabel(ctx, m.month)}</time></th>
                    <td>${m.currency}</td>
                    <td class="num">${money(ctx, m.inMinor, m.currency)}</td>
                    <td class="num">${money(ctx, m.outMinor, m.currency)}</td>
                    <td class="num">${money(ctx, m.feesMinor, m.currency)}</td>
                    <td class="num">${money(ctx, m.movedMinor, m.currency)}</td>
                    <td class="num">${money(ctx, m.closingMinor, m.currency)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p>${t('pacts.page.months_none')}</p>`}
    </section>`;
}

/**
 * A pact's public page: title and description (in the pact's language), who it supports, where,
 * who initiates it, linked struggles, period, status, the progress bar toward the goal, balances
 * per currency and money in and out per month. `sections` are the parts other pages of the module
 * add (see {@link PactSection}).
 */
export function pactDetailView(ctx: PageContext, pact: PactRecord, ov: PactOverview, o: { sections: PactSection[] }) {
  const { t } = ctx.tr;
  const links = [
    html`<a href=${`/pacts/${pact.slug}/ledger`}>${t('pacts.page.ledger_link')}</a>`,
    ...sectionsIn(ctx, o.sections, 'links'),
    ov.coordinator && pact.status !== 'closed' ? html`<a class="button" href=${`/pacts/${pact.slug}/edit`}>${t('actions.edit')}</a>` : null,
  ];
  return html`<article lang=${pact.lang}>
    <h1><${U}>${pact.title}<//></h1>
    <div lang=${ctx.tr.locale}>
      ${doneNotice(ctx, PACT_NOTICES)}
      <p class="meta">${dotted([statusLabel(ctx, pact.status), t(`visibility.${pact.visibility}`)])}</p>
      ${pact.status === 'closed' ? html`<p class="notice">${t('pacts.page.closed_notice')}</p>` : null}
      <p class="pact-links">${dotted(links)}</p>
      <dl>
        ${dlRow(t('pacts.page.beneficiary_group'), html`<span lang=${pact.lang}><${U}>${pact.beneficiary_group}<//></span>`)}
        ${dlRow(t('pacts.fields.country'), pact.country ? ctx.tr.country(pact.country) : null)}
        ${dlRow(
          t('pacts.page.initiators'),
          ov.initiators.length ? ov.initiators.flatMap((i, n) => [n ? ', ' : '', html`<a href=${`/organizations/${i.slug}`}><${U}>${i.name}<//></a>`]) : null,
        )}
        ${dlRow(
          t('pacts.page.struggles'),
          ov.struggles.length ? ov.struggles.flatMap((s, n) => [n ? ', ' : '', html`<a href=${`/struggles/${s.slug}`}><${U}>${s.title}<//></a>`]) : null,
        )}
        ${dlRow(t('pacts.page.period'), periodText(ctx, { periodStart: pact.period_start, periodEnd: pact.period_end }))}
        ${dlRow(t('pacts.page.status'), statusLabel(ctx, pact.status))}
      </dl>
    </div>
    <div class="prose" dir="auto">${pact.description}</div>
    <div lang=${ctx.tr.locale}>
      ${progressSection(ctx, pact, ov)}
      ${sectionsIn(ctx, o.sections, 'progress')}
      ${moneySections(ctx, ov)}
      ${sectionsIn(ctx, o.sections, 'money')}
    </div>
  </article>`;
}

const PACT_LABELS: Record<string, string> = {
  organization: 'pacts.fields.organization',
  initiators: 'pacts.fields.initiators',
  struggles: 'pacts.fields.struggles',
  title: 'pacts.fields.title',
  slug: 'fields.slug',
  description: 'pacts.fields.description',
  lang: 'fields.text_language',
  beneficiaryGroup: 'pacts.fields.beneficiary_group',
  country: 'pacts.fields.country',
  goalAmount: 'pacts.fields.goal_amount',
  goalCurrency: 'pacts.fields.goal_currency',
  periodStart: 'pacts.fields.period_start',
  periodEnd: 'pacts.fields.period_end',
  visibility: 'fields.visibility',
  status: 'pacts.status_form.status',
};

/**
 * Start/change form; re-rendered with field errors and HTTP 422. When `editing`, the owning
 * organization is shown, not offered (it stays), and the status form follows in its own section.
 */
export function pactFormView(
  ctx: PageContext,
  o: {
    action: string;
    values: PactFormValues;
    errors: ErrorMap;
    editing: { slug: string; status: PactStatus; owner: string } | null;
    organizations: { slug: string; name: string }[];
    statusErrors?: ErrorMap;
  },
) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  return html`<h1>${t(o.editing ? 'pacts.form.edit_title' : 'pacts.form.new_title')}</h1>
    ${o.editing ? html`<p><a href=${`/pacts/${o.editing.slug}`}>${t('pacts.ledger.back')}</a></p>` : null}
    ${errorSummary(ctx, e, PACT_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${o.editing
        ? html`<div class="field fixed"><dl>${dlRow(t('pacts.fields.organization'), html`<${U}>${o.editing.owner}<//>`)}</dl></div>`
        : field(ctx, e, { name: 'organization', label: 'pacts.fields.organization', value: v.organization, required: true, options: o.organizations.map((x): [string, string] => [x.slug, x.name]), empty: 'forms.choose', hint: 'pacts.fields.organization_hint' })}
      ${field(ctx, e, { name: 'initiators', label: 'pacts.fields.initiators', value: v.initiators, hint: 'pacts.fields.initiators_hint' })}
      ${field(ctx, e, { name: 'title', label: 'pacts.fields.title', value: v.title, required: true })}
      ${field(ctx, e, { name: 'description', label: 'pacts.fields.description', value: v.description, required: true, multiline: true })}
      ${field(ctx, e, { name: 'lang', label: 'fields.text_language', value: v.lang, hint: 'fields.text_language_hint' })}
      ${field(ctx, e, { name: 'beneficiaryGroup', label: 'pacts.fields.beneficiary_group', value: v.beneficiaryGroup, required: true, hint: 'pacts.fields.beneficiary_group_hint' })}
      ${field(ctx, e, { name: 'country', label: 'pacts.fields.country', value: v.country, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'struggles', label: 'pacts.fields.struggles', value: v.struggles, hint: 'pacts.fields.struggles_hint' })}
      ${field(ctx, e, { name: 'goalAmount', label: 'pacts.fields.goal_amount', value: v.goalAmount, hint: 'pacts.fields.goal_amount_hint' })}
      ${field(ctx, e, { name: 'goalCurrency', label: 'pacts.fields.goal_currency', value: v.goalCurrency, options: currencySelectOptions(ctx), empty: 'pacts.form.no_goal_currency' })}
      ${field(ctx, e, { name: 'periodStart', label: 'pacts.fields.period_start', type: 'date', value: v.periodStart, required: true })}
      ${field(ctx, e, { name: 'periodEnd', label: 'pacts.fields.period_end', type: 'date', value: v.periodEnd, hint: 'pacts.fields.period_end_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      <button type="submit">${t(o.editing ? 'actions.save' : 'pacts.form.submit_new')}</button>
    </form>
    ${o.editing ? statusForm(ctx, o.editing.slug, o.editing.status, o.statusErrors ?? new Map()) : null}`;
}

/** The status form of the edit page: open ↔ paused; choosing `closed` leads to a confirmation page. */
function statusForm(ctx: PageContext, slug: string, status: PactStatus, errors: ErrorMap): VNode {
  const { t } = ctx.tr;
  return html`<section id="status" aria-labelledby="status-title">
    <h2 id="status-title">${t('pacts.status_form.title')}</h2>
    <p>${t('pacts.status_form.intro')}</p>
    ${errorSummary(ctx, errors, PACT_LABELS)}
    <form method="post" action=${`/pacts/${slug}/status`} class="narrow" novalidate>
      ${csrfField(ctx)}
      ${field(ctx, errors, { name: 'status', label: 'pacts.status_form.status', value: status, options: vocabularyOptions(ctx, 'pacts.statuses', PACT_STATUSES) })}
      <button type="submit">${t('pacts.status_form.submit')}</button>
    </form>
  </section>`;
}

/** The confirmation step before closing a pact: what closing means, and the final button. */
export function closeConfirmView(ctx: PageContext, pact: { slug: string; title: string; lang: string }) {
  const { t } = ctx.tr;
  return html`<h1>${t('pacts.close.title')}</h1>
    <p><a href=${`/pacts/${pact.slug}`} lang=${pact.lang}><${U}>${pact.title}<//></a></p>
    <p class="notice">${t('pacts.close.explain')}</p>
    <form method="post" action=${`/pacts/${pact.slug}/status`}>
      ${csrfField(ctx)}
      <input type="hidden" name="status" value="closed" />
      <input type="hidden" name="confirm" value="yes" />
      <button type="submit" class="danger">${t('pacts.close.confirm')}</button>
    </form>
    <p><a href=${`/pacts/${pact.slug}/edit#status`}>${t('pacts.close.cancel')}</a></p>`;
}
