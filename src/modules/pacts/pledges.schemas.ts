import { Type } from 'typebox';
import { MoneyOut } from './pacts.schemas.ts';
import { PLEDGE_FREQUENCIES, PLEDGER_KINDS } from './pledges.service.ts';

/**
 * TypeBox schemas of the pledges API (`/api/v1/pacts/:slug/pledges…`). Amounts travel as
 * `{ amountMinor, amount, currency }` (see `MoneyOut`); amounts sent in are decimal strings.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });

export const PledgeParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the pledge' }) });

/** Body of `POST /api/v1/pacts/:slug/pledges`. */
export const PledgeBody = Type.Object(
  {
    pledgerKind: Type.Optional(oneOf(PLEDGER_KINDS)),
    organization: Type.Optional(nullable(str({ maxLength: 80, description: 'slug of the pledging organization (with `pledgerKind` `organization`; the caller must publish for it or coordinate the pact)' }))),
    name: Type.Optional(nullable(str({ maxLength: 200, description: 'with `pledgerKind` `person`: the name of someone without an account (pact coordinators only); absent: the caller pledges' }))),
    amount: str({ maxLength: 40, description: 'amount per installment in `currency`: a decimal string such as "50.00" with at most the currency’s ISO 4217 digits; never a JSON number' }),
    currency: str({ minLength: 3, maxLength: 3, description: 'ISO 4217 alphabetic code' }),
    frequency: Type.Optional(oneOf(PLEDGE_FREQUENCIES)),
    startDate: date('the first period starts in this month (quarter)'),
    endDate: Type.Optional(nullable(date('last day of the pledge, inclusive'))),
    note: Type.Optional(nullable(str({ maxLength: 500, description: 'seen by the pact’s coordinators only' }))),
  },
  { additionalProperties: false },
);

const PeriodOut = Type.Object({
  start: str({ description: 'first day, inclusive' }),
  end: str({ description: 'last day, inclusive' }),
  due: MoneyOut,
  fulfilled: MoneyOut,
  state: str({ description: '`fulfilled`, `overdue` (ended with less) or `open` (the current period)' }),
});

export const PledgeOut = Type.Object({
  id: str(),
  pledgerKind: str({ description: '`organization` or `person`' }),
  pledger: Type.Object({
    name: Type.Union([str(), Type.Null()], { description: 'an organization’s name when the caller may see it; a person’s name for the pact’s coordinators and the person only' }),
    organization: Type.Union([str(), Type.Null()], { description: 'slug, when the caller may see the organization' }),
  }),
  amountMinor: Type.Integer(),
  amount: str(),
  currency: str(),
  frequency: str({ description: '`once`, `monthly` or `quarterly`' }),
  startDate: str(),
  endDate: Type.Union([str(), Type.Null()]),
  cancelledAt: Type.Union([str(), Type.Null()]),
  note: Type.Union([str(), Type.Null()], { description: 'coordinators only' }),
  periods: Type.Array(PeriodOut, { description: 'every period up to today, oldest first' }),
  overdue: Type.Integer({ description: 'number of periods that ended with less than was due' }),
  canCancel: Type.Boolean(),
});

export const PledgeListOut = Type.Object({
  items: Type.Array(PledgeOut),
  summary: Type.Array(
    Type.Object({
      frequency: str(),
      pledges: Type.Integer(),
      due: MoneyOut,
      fulfilled: MoneyOut,
      periodStart: Type.Union([str(), Type.Null()]),
      periodEnd: Type.Union([str(), Type.Null()]),
    }),
    { description: 'per currency and frequency: what running pledges promise for the current month or quarter, and what arrived for them (one-off pledges: their whole amount)' },
  ),
});
