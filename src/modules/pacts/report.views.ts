import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { dlRow, dotted } from '../../web/components.ts';
import { RATE_MAX_AGE_DAYS } from '../rates/rates.service.ts';
import type { PactRecord } from './pacts.service.ts';
import type { RateUsed, ReportMonth, TransparencyReport } from './report.service.ts';
import { money, monthLabel } from './pacts.views.ts';
import { pactHeading, pactNav } from './pact-nav.views.ts';

const rateFormats = new Map<string, Intl.NumberFormat>();

/**
 * A rate for reading: six significant digits in the reader's locale (the exact decimal string is
 * kept in the `<data>` element's value and in the CSV). Display only; nothing is computed with it.
 */
export function rateText(ctx: PageContext, rate: string): string {
  let f = rateFormats.get(ctx.tr.locale);
  if (!f) {
    f = new Intl.NumberFormat(ctx.tr.locale, { maximumSignificantDigits: 6 });
    rateFormats.set(ctx.tr.locale, f);
  }
  return f.format(Number(rate));
}

/** `1 USD = 0.923 EUR (ECB, 31 Mar 2026)`, with a visible mark when the rate is stale. */
function rateNode(ctx: PageContext, r: RateUsed, target: string): VNode {
  const { t } = ctx.tr;
  return html`<li>
    ${ctx.tr.tRich('pacts.report.rate', {
      from: r.currency,
      to: target,
      rate: html`<data value=${r.rate}>${rateText(ctx, r.rate)}</data>`,
      source: r.source === 'ECB' ? t('pacts.report.source_ecb') : r.source,
      date: html`<time datetime=${r.rateDate}>${ctx.tr.date(r.rateDate)}</time>`,
    })}
    ${r.stale ? html` <strong class="stale">${t('pacts.report.stale')}</strong>` : null}
  </li>`;
}

/** The rows of one month: one per currency, the converted total, the rates used and what was not converted. */
function monthRows(ctx: PageContext, m: ReportMonth, target: string): VNode {
  const { t } = ctx.tr;
  const span = m.lines.length + 2;
  return html`<tbody class="report-month">
    ${m.lines.map(
      (l, i) => html`<tr>
        ${i === 0 ? html`<th scope="rowgroup" rowspan=${span} class="month"><time datetime=${m.month}>${monthLabel(ctx, m.month)}</time></th>` : null}
        <th scope="row">${l.currency}</th>
        <td class="num">${money(ctx, l.inMinor, l.currency)}</td>
        <td class="num">${money(ctx, l.outMinor, l.currency)}</td>
        <td class="num">${money(ctx, l.feesMinor, l.currency)}</td>
        <td class="num">${money(ctx, l.closingMinor, l.currency)}</td>
      </tr>`,
    )}
    <tr class="total">
      <th scope="row">${t('pacts.report.total_in', { currency: target })}</th>
      ${m.converted
        ? html`<td class="num">${money(ctx, m.converted.inMinor, target)}</td>
            <td class="num">${money(ctx, m.converted.outMinor, target)}</td>
            <td class="num">${money(ctx, m.converted.feesMinor, target)}</td>
            <td class="num">${money(ctx, m.converted.closingMinor, target)}</td>`
        : html`<td colspan="4">${t('pacts.report.no_total')}</td>`}
    </tr>
    <tr class="rates">
      <td colspan="5">
        ${m.rates.length
          ? html`<span class="meta">${t('pacts.report.rates_used')}</span>
              <ul class="rates-used">${m.rates.map((r) => rateNode(ctx, r, target))}</ul>`
          : html`<span class="meta">${t('pacts.report.no_rates_needed')}</span>`}
        ${m.unconverted.length ? html`<p class="meta unconverted">${t('pacts.report.unconverted', { currencies: m.unconverted.join(', ') })}</p>` : null}
      </td>
    </tr>
  </tbody>`;
}

/**
 * The public transparency report of a pact: per month and currency money in, out, fees and the
 * balance at the month's end; per month the total converted into one currency (`?currency=`)
 * with each rate used (rate, ECB, publication day; a stale one marked and explained), the
 * currencies that could not be converted, and the number of households supported. Prints without
 * navigation and forms (style.css `@media print`); the CSV download carries the same figures.
 */
export function reportView(
  ctx: PageContext,
  pact: PactRecord,
  o: { report: TransparencyReport; choices: string[]; coordinator: boolean; errors: ErrorMap; today: string },
) {
  const { t } = ctx.tr;
  const r = o.report;
  const target = r.currency;
  const anyStale = r.months.some((m) => m.rates.some((x) => x.stale));
  const unconverted = [...new Set(r.months.flatMap((m) => m.unconverted))].sort();
  const csv = `/pacts/${pact.slug}/report.csv?currency=${encodeURIComponent(target)}`;
  return html`${pactHeading(ctx, 'pacts.report.title', pact)}
    ${pactNav(ctx, pact.slug, { current: 'report', coordinator: o.coordinator })}
    <p>${t('pacts.report.intro', { currency: target })}</p>
    <p class="print-hint hint">${t('pacts.report.print_hint')}</p>
    ${errorSummary(ctx, o.errors, { currency: 'pacts.report.currency' })}
    <form method="get" action=${`/pacts/${pact.slug}/report`} class="filters">
      ${field(ctx, o.errors, { name: 'currency', label: 'pacts.report.currency', value: target, options: o.choices.map((c): [string, string] => [c, c]), hint: 'pacts.report.currency_hint' })}
      <button type="submit">${t('pacts.report.show')}</button>
    </form>
    <p class="downloads"><a href=${csv} download>${t('pacts.report.csv')}</a></p>
    <dl class="report-facts">
      ${dlRow(t('pacts.report.households'), ctx.tr.number(r.householdsSupported))}
      ${dlRow(t('pacts.page.balances_title'), r.balances.length ? dotted(r.balances.map((b) => money(ctx, b.balanceMinor, b.currency))) : t('pacts.page.balances_none'))}
      ${dlRow(t('pacts.report.as_of'), ctx.tr.date(o.today))}
    </dl>
    ${r.months.length
      ? html`<div class="table-scroll" role="region" aria-labelledby="report-caption" tabindex="0">
          <table class="report">
            <caption id="report-caption">${t('pacts.report.caption', { currency: target })}</caption>
            <thead>
              <tr>
                <th scope="col">${t('pacts.columns.month')}</th>
                <th scope="col">${t('pacts.columns.currency')}</th>
                <th scope="col" class="num">${t('pacts.columns.in')}</th>
                <th scope="col" class="num">${t('pacts.columns.out')}</th>
                <th scope="col" class="num">${t('pacts.columns.fees')}</th>
                <th scope="col" class="num">${t('pacts.columns.closing')}</th>
              </tr>
            </thead>
            ${r.months.map((m) => monthRows(ctx, m, target))}
          </table>
        </div>
        <section aria-labelledby="report-notes-title" class="report-notes">
          <h2 id="report-notes-title">${t('pacts.report.notes_title')}</h2>
          <ul>
            <li>${t('pacts.report.note_rates', { currency: target })}</li>
            <li>${t('pacts.report.note_moved')}</li>
            ${anyStale ? html`<li><strong class="stale">${t('pacts.report.stale')}</strong>: ${t('pacts.report.stale_explained', { days: RATE_MAX_AGE_DAYS })}</li>` : null}
            ${unconverted.length ? html`<li>${t('pacts.report.unconverted_explained', { currencies: unconverted.join(', '), currency: target })}</li>` : null}
            <li>${t('pacts.report.note_households')}</li>
          </ul>
        </section>`
      : html`<p>${t('pacts.page.months_none')}</p>`}`;
}
