import fp from 'fastify-plugin';
import { html } from 'htm/preact';
import { create as contentDisposition } from 'content-disposition';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { ValidationFailed, type FieldError } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage } from '../../web/reply.ts';
import { canonicalCurrency, minorToDecimalString } from '../../lib/money.ts';
import { toSafeCsv, type CsvColumn } from '../../lib/csv-safe.ts';
import { applyRate, ECB_SOURCE } from '../rates/rates.service.ts';
import { getPact, isPactCoordinator, type PactRecord } from './pacts.service.ts';
import { moneyOut, PactParams } from './pacts.schemas.ts';
import { transparencyReport, type TransparencyReport } from './report.service.ts';
import { ReportOut, ReportQuery } from './report.schemas.ts';
import { reportView } from './report.views.ts';
import { readerToday } from './pledges.routes.ts';
import type { PactSection } from './pacts.views.ts';

/**
 * The currencies a reader may choose for the converted totals: EUR, those of the latest ECB
 * publication stored, the pact's goal currency and the one asked for, sorted.
 */
async function currencyChoices(db: Db, pact: PactRecord, chosen: string): Promise<string[]> {
  const rows = await db
    .selectFrom('exchange_rates')
    .select('quote')
    .where('source', '=', ECB_SOURCE)
    .where('rate_date', '=', (eb) => eb.selectFrom('exchange_rates').select((e) => e.fn.max('rate_date').as('d')).where('source', '=', ECB_SOURCE))
    .execute();
  return [...new Set(['EUR', chosen, ...(pact.goal_currency ? [pact.goal_currency] : []), ...rows.map((r) => r.quote)])].sort();
}

/**
 * The target currency from `?currency=`: ISO 4217, case-insensitive; absent → the report's
 * default (goal currency, else EUR).
 * @throws {ValidationFailed} `money.currency.unknown` on `currency`.
 */
function targetCurrency(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const code = canonicalCurrency(raw);
  if (!code) throw new ValidationFailed([{ field: 'currency', messageId: 'money.currency.unknown' }]);
  return code;
}

/** The report as the API shows it (see `ReportOut`). */
function reportToApi(r: TransparencyReport) {
  const c = r.currency;
  return {
    currency: c,
    householdsSupported: r.householdsSupported,
    balances: r.balances.map((b) => moneyOut(b.balanceMinor, b.currency)),
    months: r.months.map((m) => ({
      month: m.month,
      lines: m.lines.map((l) => ({ currency: l.currency, in: moneyOut(l.inMinor, l.currency), out: moneyOut(l.outMinor, l.currency), fees: moneyOut(l.feesMinor, l.currency), closing: moneyOut(l.closingMinor, l.currency) })),
      converted: m.converted ? { in: moneyOut(m.converted.inMinor, c), out: moneyOut(m.converted.outMinor, c), fees: moneyOut(m.converted.feesMinor, c), closing: moneyOut(m.converted.closingMinor, c) } : null,
      rates: m.rates,
      unconverted: m.unconverted,
    })),
  };
}

/** Columns of the CSV export: amounts are decimal numbers (`type: 'number'`), everything else neutralized text (case B19). */
export const REPORT_CSV_COLUMNS: readonly CsvColumn[] = [
  { key: 'month', header: 'month' },
  { key: 'currency', header: 'currency' },
  { key: 'in', header: 'in', type: 'number' },
  { key: 'out', header: 'out', type: 'number' },
  { key: 'fees', header: 'fees', type: 'number' },
  { key: 'closing', header: 'closing', type: 'number' },
  { key: 'converted_currency', header: 'converted_currency' },
  { key: 'converted_in', header: 'converted_in', type: 'number' },
  { key: 'converted_out', header: 'converted_out', type: 'number' },
  { key: 'converted_fees', header: 'converted_fees', type: 'number' },
  { key: 'converted_closing', header: 'converted_closing', type: 'number' },
  { key: 'rate', header: 'rate', type: 'number' },
  { key: 'rate_source', header: 'rate_source' },
  { key: 'rate_date', header: 'rate_date' },
  { key: 'rate_stale', header: 'rate_stale' },
];

/**
 * The CSV rows of a report: one per month and currency, amounts as exact decimal strings of the
 * currency (`minorToDecimalString`), each line converted on its own into the report's currency
 * with the rate used (as the report's totals are: their sum per month is the converted total).
 * The target currency's own line has rate 1 (`identity`); a currency without a rate has empty
 * converted cells.
 */
export function reportCsvRows(r: TransparencyReport): Record<string, string | null>[] {
  const c = r.currency;
  const dec = (minor: number, currency: string) => minorToDecimalString(minor, currency);
  return r.months.flatMap((m) =>
    m.lines.map((l) => {
      const rate = l.currency === c ? { rate: '1', source: 'identity', rateDate: null, stale: false } : m.rates.find((x) => x.currency === l.currency);
      const conv = (minor: number) => (rate ? dec(l.currency === c ? minor : applyRate(minor, l.currency, c, rate.rate), c) : null);
      return {
        month: m.month,
        currency: l.currency,
        in: dec(l.inMinor, l.currency),
        out: dec(l.outMinor, l.currency),
        fees: dec(l.feesMinor, l.currency),
        closing: dec(l.closingMinor, l.currency),
        converted_currency: rate ? c : null,
        converted_in: conv(l.inMinor),
        converted_out: conv(l.outMinor),
        converted_fees: conv(l.feesMinor),
        converted_closing: conv(l.closingMinor),
        rate: rate?.rate ?? null,
        rate_source: rate?.source ?? null,
        rate_date: rate?.rateDate ?? null,
        rate_stale: rate ? String(rate.stale) : null,
      };
    }),
  );
}

/**
 * The report parts of the pact page: a link to the transparency report, and the number of
 * households supported (an aggregate; who they are stays in the register).
 */
export async function reportSections(db: Db, viewer: Viewer | null, pact: PactRecord): Promise<PactSection[]> {
  const today = readerToday(viewer);
  const month = today.slice(0, 7);
  const report = await transparencyReport(db, pact, { from: month, to: month, today });
  const href = `/pacts/${pact.slug}/report`;
  return [
    { id: 'report-link', slot: 'links', render: (ctx) => html`<a href=${href}>${ctx.tr.t('pacts.nav.report')}</a>` },
    {
      id: 'households',
      slot: 'money',
      render: (ctx) => html`<section aria-labelledby="households-title">
        <h2 id="households-title">${ctx.tr.t('pacts.report.households')}</h2>
        <p>${ctx.tr.t('pacts.report.households_text', { count: report.householdsSupported })} <a href=${href}>${ctx.tr.t('pacts.report.link')}</a></p>
      </section>`,
    },
  ];
}

/**
 * The public transparency report of a pact (whoever may see the pact): the page
 * (`/pacts/:slug/report`, printable), its CSV (`/pacts/:slug/report.csv`, formula-safe) and the
 * API (`/api/v1/pacts/:slug/report`). `?currency=` chooses the currency of the converted totals.
 */
export const reportRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const build = (pact: PactRecord, request: FastifyRequest, o: { currency?: string; from?: string; to?: string }) =>
      transparencyReport(app.db, pact, { ...o, today: readerToday(request.viewer) });

    app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/pacts/:slug/report', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      let errors: FieldError[] = [];
      let currency: string | undefined;
      try {
        currency = targetCurrency(request.query.currency);
      } catch (err) {
        // A currency that is not ISO 4217: the report in its default currency, the field error at the choice.
        if (!(err instanceof ValidationFailed)) throw err;
        errors = err.errors;
      }
      const report = await build(pact, request, { currency });
      const choices = await currencyChoices(app.db, pact, report.currency);
      return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.report.title', { pact: pact.title }), (ctx) =>
        reportView(ctx, pact, { report, choices, coordinator: isPactCoordinator(request.viewer, pact), errors: errorMap(errors), today: readerToday(request.viewer) }), errors.length ? 422 : 200);
    });

    app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/pacts/:slug/report.csv', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const report = await build(pact, request, { currency: targetCurrency(request.query.currency) });
      const csv = toSafeCsv(reportCsvRows(report), { columns: REPORT_CSV_COLUMNS });
      const filename = `${pact.slug}-transparency-report-${report.currency}-${readerToday(request.viewer)}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', contentDisposition(filename))
        .header('cache-control', 'private, no-cache')
        .send(csv);
    });

    app.get(
      '/api/v1/pacts/:slug/report',
      {
        schema: {
          tags: ['pacts'],
          summary: 'The transparency report of a pact: per month and currency in, out, fees and closing balance, with totals converted at ECB rates',
          params: PactParams,
          querystring: ReportQuery,
          response: { 200: ReportOut },
        },
      },
      async (request) => {
        const pact = await getPact(app.db, request.viewer, request.params.slug);
        const { from, to } = request.query;
        if (from && to && to < from) throw new ValidationFailed([{ field: 'to', messageId: 'validation.end_before_start' }]);
        return reportToApi(await build(pact, request, { currency: targetCurrency(request.query.currency), from, to }));
      },
    );
  },
  { name: 'report-routes', dependencies: ['request-context'] },
);
