import { Type } from 'typebox';
import { MoneyOut } from './pacts.schemas.ts';

/** TypeBox schemas of the transparency report API (`GET /api/v1/pacts/:slug/report`). */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const month = (description: string) => str({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: `${description} (YYYY-MM)` });

export const ReportQuery = Type.Object(
  {
    currency: Type.Optional(str({ minLength: 3, maxLength: 3, description: 'ISO 4217 code of the converted totals; default the pact’s goal currency, else EUR' })),
    from: Type.Optional(month('first month')),
    to: Type.Optional(month('last month')),
  },
  { additionalProperties: false },
);

const RateOut = Type.Object({
  currency: str({ description: 'the currency converted' }),
  rate: str({ description: 'units of the target currency for one unit of `currency`, an exact decimal string' }),
  source: str({ description: '`ECB`: the European Central Bank’s euro foreign exchange reference rates' }),
  rateDate: str({ description: 'publication day of the rate (date-only)' }),
  stale: Type.Boolean({ description: 'the rate is more than 7 days older than the day it is used for (no newer rate stored)' }),
});

export const ReportOut = Type.Object({
  currency: str({ description: 'ISO 4217 code of the converted totals' }),
  householdsSupported: Type.Integer({ description: 'beneficiaries that received at least one disbursement (net of reversals)' }),
  balances: Type.Array(MoneyOut, { description: 'current balance per currency' }),
  months: Type.Array(
    Type.Object({
      month: str({ description: 'YYYY-MM' }),
      lines: Type.Array(
        Type.Object({ currency: str(), in: MoneyOut, out: MoneyOut, fees: MoneyOut, closing: MoneyOut }),
        { description: 'per currency: contributions, disbursements and fees net of reversals (out and fees negative), balance at the month’s end' },
      ),
      converted: Type.Union([Type.Object({ in: MoneyOut, out: MoneyOut, fees: MoneyOut, closing: MoneyOut }), Type.Null()], {
        description: 'every convertible currency summed in `currency` (each amount converted on its own, rounded half to even); null when nothing could be converted',
      }),
      rates: Type.Array(RateOut),
      unconverted: Type.Array(str(), { description: 'currencies with money that month and no ECB rate (e.g. CDF)' }),
    }),
  ),
});
