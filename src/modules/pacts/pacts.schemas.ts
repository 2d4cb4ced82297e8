import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { ValidationFailed } from '../../http/errors.ts';
import { minorToDecimalString } from '../../lib/money.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { PACT_STATUSES } from './pacts.service.ts';
import { CONTRIBUTOR_KINDS } from './entries.service.ts';

/**
 * TypeBox schemas of the pacts API (`/api/v1/pacts…`): request bodies, query strings and answers,
 * shown in `/api/openapi.json`. Amounts travel as `{ amountMinor, amount, currency }`: integer
 * minor units, the same value as an exact decimal string with the currency's ISO 4217 digits, and
 * the code. Amounts sent in are decimal strings (`"12.34"`), never JSON numbers.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });
const decimal = (description: string) => str({ maxLength: 40, description: `${description}: a decimal string such as "12.34" with at most the currency's ISO 4217 digits (JPY none, KWD three); never a JSON number` });
const currency = (description = 'ISO 4217 alphabetic code') => str({ minLength: 3, maxLength: 3, description });

export const PactParams = Type.Object({ slug: str({ maxLength: 200 }) });
export const EntryParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the ledger entry' }) });

const pactFields = {
  initiators: Type.Optional(Type.Array(str({ maxLength: 80 }), { maxItems: 19, description: 'slugs of further initiating organizations (the caller must coordinate each one added)' })),
  struggles: Type.Optional(Type.Array(str({ maxLength: 80 }), { maxItems: 20, description: 'slugs of linked struggles' })),
  title: str({ maxLength: 300 }),
  description: str({ maxLength: 20000 }),
  lang: Type.Optional(str({ maxLength: 35, description: 'BCP 47 language tag of title and description' })),
  beneficiaryGroup: str({ maxLength: 300, description: 'who the pact supports: a group, never a named person' }),
  country: Type.Optional(nullable(str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }))),
  goalAmount: Type.Optional(nullable(decimal('goal in `goalCurrency`'))),
  goalCurrency: Type.Optional(nullable(currency('ISO 4217 code of the goal; required with `goalAmount`'))),
  periodStart: date('first day of the pact'),
  periodEnd: Type.Optional(nullable(date('last day of the pact, inclusive'))),
  visibility: Type.Optional(oneOf(VISIBILITIES)),
};

/** Body of `POST /api/v1/pacts`. */
export const PactCreateBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the owning organization (the caller must be its admin or coordinator)' }),
    slug: Type.Optional(str({ maxLength: 60, description: 'address name; made from the title when absent' })),
    ...pactFields,
  },
  { additionalProperties: false },
);

/** Body of `PUT /api/v1/pacts/:slug` (a full update; owner and slug stay). */
export const PactUpdateBody = Type.Object(pactFields, { additionalProperties: false });

/** Body of `POST /api/v1/pacts/:slug/status`. */
export const PactStatusBody = Type.Object(
  { status: Type.Union(PACT_STATUSES.map((s) => Type.Literal(s)), { description: '`open` and `paused` can be switched freely; `closed` is final' }) },
  { additionalProperties: false },
);

export const PactListQuery = Type.Object(
  {
    status: Type.Optional(oneOf(PACT_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

/** An amount: integer minor units, the exact decimal string, the ISO 4217 code. */
export const MoneyOut = Type.Object({
  amountMinor: Type.Integer({ description: 'integer minor units (cents; JPY has none, KWD has thousandths)' }),
  amount: str({ description: 'the same amount as an exact decimal string, e.g. "12.34"' }),
  currency: str({ description: 'ISO 4217 alphabetic code' }),
});

export const PactSummaryOut = Type.Object({
  slug: str(),
  title: str(),
  lang: str(),
  beneficiaryGroup: str(),
  country: Type.Union([str(), Type.Null()]),
  status: str(),
  organization: Type.Union([str(), Type.Null()], { description: 'slug of the owning organization; null when the caller may not see it' }),
  goal: Type.Union([MoneyOut, Type.Null()]),
  raised: Type.Union([MoneyOut, Type.Null()], { description: 'contributions in the goal currency, net of reversals; null without a goal' }),
  periodStart: str(),
  periodEnd: Type.Union([str(), Type.Null()]),
});

export const PactListOut = Type.Object({ items: Type.Array(PactSummaryOut), next: Type.Union([str(), Type.Null()]) });

export const PactOut = Type.Object({
  id: str(),
  slug: str(),
  title: str(),
  description: str(),
  lang: str(),
  beneficiaryGroup: str(),
  country: Type.Union([str(), Type.Null()]),
  status: str(),
  closedAt: Type.Union([str(), Type.Null()]),
  visibility: str(),
  organization: Type.Union([str(), Type.Null()], { description: 'slug of the owning organization; null when the caller may not see it' }),
  initiators: Type.Array(str(), { description: 'slugs of the initiating organizations the caller may see' }),
  struggles: Type.Array(str(), { description: 'slugs of the linked struggles the caller may see' }),
  goal: Type.Union([MoneyOut, Type.Null()]),
  periodStart: str(),
  periodEnd: Type.Union([str(), Type.Null()]),
  raised: Type.Array(MoneyOut, { description: 'contributions per currency, net of reversals; never converted' }),
  coordinator: Type.Boolean({ description: 'the caller coordinates the pact (records contributions and reversals)' }),
  createdAt: str(),
  updatedAt: str(),
});

export const BalancesOut = Type.Object({
  items: Type.Array(
    Type.Object({
      amountMinor: Type.Integer(),
      amount: str(),
      currency: str(),
      digits: Type.Integer({ description: 'ISO 4217 minor-unit digits of the currency' }),
      entryCount: Type.Integer(),
    }),
    { description: 'one balance per currency, sorted by code; currencies are never added together' },
  ),
});

export const EntryListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'only entries with a lower sequence number (the `next` of the previous page)' })),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/pacts/:slug/entries`: a contribution (money that arrived). */
export const ContributionBody = Type.Object(
  {
    amount: decimal('amount in `currency`, positive'),
    currency: currency(),
    valueDate: Type.Optional(nullable(date('day the money arrived; default today in the account’s time zone'))),
    contributorKind: Type.Optional(oneOf(CONTRIBUTOR_KINDS)),
    organization: Type.Optional(nullable(str({ maxLength: 80, description: 'slug of the contributing organization (with `contributorKind` `organization`)' }))),
    name: Type.Optional(nullable(str({ maxLength: 200, description: 'name of the contributor; a person’s name is shown to coordinators only' }))),
    reference: Type.Optional(nullable(str({ maxLength: 200 }))),
    description: Type.Optional(nullable(str({ maxLength: 2000 }))),
    pledge: Type.Optional(nullable(str({ maxLength: 40, description: 'id of the pledge this contribution fulfils' }))),
    fee: Type.Optional(nullable(decimal('fee charged on it, recorded as a `fee` entry in the same group'))),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/pacts/:slug/entries/:id/reversal`. */
export const ReversalBody = Type.Object(
  {
    reason: str({ maxLength: 500 }),
    valueDate: Type.Optional(nullable(date('day of the correction; default today'))),
    wholeGroup: Type.Optional(Type.Boolean({ description: 'reverse every entry of the economic event (e.g. a contribution and its fee)' })),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/pacts/:slug/exchanges`: a currency exchange inside the pact. */
export const ExchangeBody = Type.Object(
  {
    fromCurrency: currency('ISO 4217 code of the money exchanged'),
    fromAmount: decimal('amount that left the pact, in `fromCurrency`, positive'),
    toCurrency: currency('ISO 4217 code of the money received; another currency than `fromCurrency`'),
    toAmount: Type.Optional(
      nullable(decimal('amount received, in `toCurrency`, as the bank booked it (the rate is computed from both amounts, source `booked`); absent or null: converted at the ECB reference rate of `valueDate` (source `ECB`)')),
    ),
    valueDate: Type.Optional(nullable(date('day of the exchange; default today in the account’s time zone'))),
    name: Type.Optional(nullable(str({ maxLength: 200, description: 'who exchanged: a bank, an exchange office' }))),
    reference: Type.Optional(nullable(str({ maxLength: 200 }))),
  },
  { additionalProperties: false },
);

/**
 * Body of `POST /api/v1/pacts/:slug/transfers`: a proposed transfer of money to another pact (a
 * disbursement proposal that a second coordinator approves).
 */
export const TransferBody = Type.Object(
  {
    toPact: str({ maxLength: 80, description: 'address name (slug) of the receiving pact: open or paused, visible to the caller, not this one' }),
    amount: decimal('amount in `currency`, positive'),
    currency: currency(),
    valueDate: Type.Optional(nullable(date('day of the transfer; default today in the account’s time zone'))),
    description: str({ maxLength: 500, description: 'why the money moves: the proposal’s purpose, then the description of both entries' }),
  },
  { additionalProperties: false },
);

/** Answer of `POST /api/v1/pacts/:slug/transfers`: the proposal, waiting for a second coordinator. */
export const TransferProposalOut = Type.Object({
  id: str({ description: 'id of the proposal (see `/api/v1/pacts/{slug}/disbursements`)' }),
  status: str({ description: 'always `proposed`' }),
});

export const EntryOut = Type.Object({
  id: str(),
  seq: Type.Integer({ description: 'per-pact order of recording' }),
  groupId: str({ description: 'entries of one economic event share it' }),
  kind: str({ description: 'contribution, disbursement, fee, exchange, transfer or reversal' }),
  flow: str({ description: 'the kind a reversal counts under in reports (the reversed kind)' }),
  amountMinor: Type.Integer({ description: 'signed: positive into the pact, negative out' }),
  amount: str(),
  currency: str(),
  valueDate: str(),
  balanceAfter: MoneyOut,
  counterparty: Type.Object({
    kind: str({ description: 'organization, person, beneficiary, external or pact' }),
    name: Type.Union([str(), Type.Null()], { description: 'null when the caller may not see it: a person’s name is for coordinators only' }),
    organization: Type.Union([str(), Type.Null()], { description: 'slug, when the caller may see the organization' }),
    pact: Type.Union([str(), Type.Null()], { description: 'slug of the other pact of a transfer, when visible' }),
    beneficiary: Type.Union([str(), Type.Null()], { description: 'pseudonymous code; coordinators only' }),
  }),
  reference: Type.Union([str(), Type.Null()]),
  description: Type.Union([str(), Type.Null()], { description: 'coordinators only' }),
  pledge: Type.Union([str(), Type.Null()]),
  conversion: Type.Union(
    [
      Type.Object({
        rate: str({ description: 'units of `to` for one unit of `from`, as an exact decimal string' }),
        source: str({ description: '`ECB` (the European Central Bank reference rate) or `booked` (computed from the two amounts the bank booked)' }),
        date: str({ description: 'date-only: the ECB publication day of the rate, or the value date of a booked exchange' }),
        from: Type.Union([str(), Type.Null()], { description: 'ISO 4217 code of the currency exchanged' }),
        to: Type.Union([str(), Type.Null()], { description: 'ISO 4217 code of the currency received' }),
      }),
      Type.Null(),
    ],
    { description: 'the rate of a currency exchange, on both of its entries (and on their reversals); null on every other entry' },
  ),
  reverses: Type.Union([Type.Object({ id: str(), seq: Type.Integer() }), Type.Null()]),
  reversedBy: Type.Union([Type.Object({ id: str(), seq: Type.Integer() }), Type.Null()]),
  recordedAt: str(),
  recordedBy: Type.Union([str(), Type.Null()], { description: 'display name of who recorded it; coordinators only' }),
});

export const EntryListOut = Type.Object({
  items: Type.Array(EntryOut),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as `before` for the next (older) page' }),
});

export const EntriesOut = Type.Object({ items: Type.Array(EntryOut) });

/** An amount as the API shows it (see {@link MoneyOut}): integer minor units, exact decimal string, ISO 4217 code. */
export function moneyOut(amountMinor: number, currency: string): { amountMinor: number; amount: string; currency: string } {
  return { amountMinor, amount: minorToDecimalString(amountMinor, currency), currency };
}

/**
 * A `preValidation` hook that refuses amounts sent as JSON numbers (400, `pacts.api.amount_not_string`
 * on each such field): amounts travel as decimal strings, since a binary float cannot hold most
 * decimal amounts exactly, and the schema's type coercion would otherwise turn `12.3` into
 * `"12.3"` without a word. Runs before schema validation, on the body as sent.
 */
export function refuseNumericAmounts(...fields: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object') return;
    const bad = fields.filter((f) => typeof body[f] === 'number');
    if (bad.length) throw new ValidationFailed(bad.map((field) => ({ field, messageId: 'pacts.api.amount_not_string' })));
  };
}
