import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import type { PactRecord } from './pacts.service.ts';
import type { EntryView } from './pacts.repo.ts';
import { currencySelectOptions } from './pacts.views.ts';
import { rateText } from './report.views.ts';

/**
 * The parts of the ledger page for currency exchanges and transfers between pacts: their forms
 * (for coordinators, see `ledgerView`) and the rate shown with an exchange entry.
 */

const EXCHANGE_LABELS: Record<string, string> = {
  fromAmount: 'pacts.exchange.from_amount',
  fromCurrency: 'pacts.exchange.from_currency',
  toCurrency: 'pacts.exchange.to_currency',
  toAmount: 'pacts.exchange.to_amount',
  valueDate: 'pacts.exchange.value_date',
  name: 'pacts.exchange.name',
  reference: 'pacts.exchange.reference',
};

const TRANSFER_LABELS: Record<string, string> = {
  toPact: 'pacts.transfer.to_pact',
  amount: 'pacts.transfer.amount',
  currency: 'pacts.transfer.currency',
  valueDate: 'pacts.transfer.value_date',
  description: 'pacts.transfer.description',
};

/**
 * The rate an exchange entry was recorded with: `1 EUR = 1.1252 USD · ECB 9 May 2025`, or
 * `… · booked by the bank` (the rate computed from the two booked amounts). The exact decimal is
 * kept in the `<data>` element's value; the text shows six significant digits.
 */
export function conversionNode(ctx: PageContext, c: NonNullable<EntryView['conversion']>): VNode | null {
  if (!c.from || !c.to) return null;
  const values = {
    from: c.from,
    to: c.to,
    rate: html`<data value=${c.rate}>${rateText(ctx, c.rate)}</data>`,
    source: c.source,
    date: html`<time datetime=${c.date}>${ctx.tr.date(c.date)}</time>`,
  };
  const id = c.source === 'ECB' ? 'pacts.exchange.rate_ecb' : c.source === 'booked' ? 'pacts.exchange.rate_booked' : 'pacts.exchange.rate_other';
  return html`<br /><span class="meta rate">${ctx.tr.tRich(id, values)}</span>`;
}

/**
 * The form that records a currency exchange inside the pact (coordinators of an open or paused
 * pact): what left in one currency, what arrived in another — or nothing, to convert at the ECB
 * reference rate of the day. Field ids start with `x-`, apart from the other forms of the page.
 */
export function exchangeForm(ctx: PageContext, pact: PactRecord, v: Record<string, string | undefined>, e: ErrorMap): VNode {
  const { t } = ctx.tr;
  const idPrefix = 'x';
  return html`<details class="record" id="exchange" open=${e.size > 0}>
    <summary>${t('pacts.exchange.title')}</summary>
    <form method="post" action=${`/pacts/${pact.slug}/ledger/exchanges#exchange`} class="narrow" novalidate>
      ${csrfField(ctx)}
      <p class="hint">${t('pacts.exchange.intro')}</p>
      ${errorSummary(ctx, e, EXCHANGE_LABELS, idPrefix)}
      ${field(ctx, e, { idPrefix, name: 'fromAmount', label: 'pacts.exchange.from_amount', value: v.fromAmount, required: true, hint: 'pacts.contribution.amount_hint' })}
      ${field(ctx, e, { idPrefix, name: 'fromCurrency', label: 'pacts.exchange.from_currency', value: v.fromCurrency ?? pact.goal_currency ?? 'EUR', required: true, options: currencySelectOptions(ctx) })}
      ${field(ctx, e, { idPrefix, name: 'toCurrency', label: 'pacts.exchange.to_currency', value: v.toCurrency, required: true, options: currencySelectOptions(ctx), empty: 'forms.choose' })}
      ${field(ctx, e, { idPrefix, name: 'toAmount', label: 'pacts.exchange.to_amount', value: v.toAmount, hint: 'pacts.exchange.to_amount_hint' })}
      ${field(ctx, e, { idPrefix, name: 'valueDate', label: 'pacts.exchange.value_date', type: 'date', value: v.valueDate, hint: 'pacts.contribution.value_date_hint' })}
      ${field(ctx, e, { idPrefix, name: 'name', label: 'pacts.exchange.name', value: v.name, hint: 'pacts.exchange.name_hint' })}
      ${field(ctx, e, { idPrefix, name: 'reference', label: 'pacts.exchange.reference', value: v.reference, hint: 'pacts.contribution.reference_hint' })}
      <button type="submit">${t('pacts.exchange.submit')}</button>
    </form>
  </details>`;
}

/**
 * The form that moves money to another pact (coordinators of an open or paused pact). The
 * receiving pact is chosen from `targets` (the open or paused pacts the viewer can see), or typed
 * as an address name when there are too many to list (`targets` null). Field ids start with `tr-`.
 */
export function transferForm(ctx: PageContext, pact: PactRecord, targets: { slug: string; title: string }[] | null, v: Record<string, string | undefined>, e: ErrorMap): VNode {
  const { t } = ctx.tr;
  const idPrefix = 'tr';
  return html`<details class="record" id="transfer" open=${e.size > 0}>
    <summary>${t('pacts.transfer.title')}</summary>
    ${targets && targets.length === 0 && e.size === 0
      ? html`<p class="hint">${t('pacts.transfer.no_targets')}</p>`
      : html`<form method="post" action=${`/pacts/${pact.slug}/ledger/transfers#transfer`} class="narrow" novalidate>
          ${csrfField(ctx)}
          <p class="hint">${t('pacts.transfer.intro')}</p>
          ${errorSummary(ctx, e, TRANSFER_LABELS, idPrefix)}
          ${targets
            ? field(ctx, e, { idPrefix, name: 'toPact', label: 'pacts.transfer.to_pact', value: v.toPact, required: true, options: targets.map((p): [string, string] => [p.slug, p.title]), empty: 'forms.choose' })
            : field(ctx, e, { idPrefix, name: 'toPact', label: 'pacts.transfer.to_pact', value: v.toPact, required: true, hint: 'pacts.transfer.to_pact_hint' })}
          ${field(ctx, e, { idPrefix, name: 'amount', label: 'pacts.transfer.amount', value: v.amount, required: true, hint: 'pacts.contribution.amount_hint' })}
          ${field(ctx, e, { idPrefix, name: 'currency', label: 'pacts.transfer.currency', value: v.currency ?? pact.goal_currency ?? 'EUR', required: true, options: currencySelectOptions(ctx) })}
          ${field(ctx, e, { idPrefix, name: 'valueDate', label: 'pacts.transfer.value_date', type: 'date', value: v.valueDate, hint: 'pacts.contribution.value_date_hint' })}
          ${field(ctx, e, { idPrefix, name: 'description', label: 'pacts.transfer.description', value: v.description, required: true, hint: 'pacts.transfer.description_hint' })}
          <button type="submit">${t('pacts.transfer.submit')}</button>
        </form>`}
  </details>`;
}
