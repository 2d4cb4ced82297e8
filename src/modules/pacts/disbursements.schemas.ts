import { Type } from 'typebox';

/**
 * TypeBox schemas of the disbursements API (`/api/v1/pacts/:slug/disbursements…`, coordinators).
 * Amounts travel as `{ amountMinor, amount, currency }`; amounts sent in are decimal strings.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

export const DisbursementParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the disbursement' }) });

/**
 * Body of `POST /api/v1/pacts/:slug/disbursements`: JSON, or `multipart/form-data` with the same
 * fields as text parts followed by the receipt as the file part `receipt` (then with the CSRF
 * token of the session in `_csrf` or the `x-csrf-token` header, as for any form).
 */
export const DisbursementBody = Type.Object(
  {
    beneficiary: Type.Optional(nullable(str({ maxLength: 40, description: 'code of a registered beneficiary of the pact (e.g. `H-0007`); or name a `payee`' }))),
    payee: Type.Optional(nullable(str({ maxLength: 200, description: 'who is paid when it is not a registered beneficiary (a pharmacy, a school)' }))),
    toPact: Type.Optional(nullable(str({ maxLength: 80, description: 'address name (slug) of another pact the money is transferred to (open or paused, visible to the caller); exactly one of `beneficiary`, `payee` and `toPact`' }))),
    amount: str({ maxLength: 40, description: 'a decimal string such as "120.00" with at most the currency’s ISO 4217 digits; never a JSON number' }),
    currency: str({ minLength: 3, maxLength: 3, description: 'ISO 4217 alphabetic code' }),
    purpose: str({ maxLength: 500 }),
    valueDate: Type.Optional(nullable(str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'day of payment (date-only); default today in the account’s time zone' }))),
  },
  { additionalProperties: false },
);

/** Body of `POST …/decline`: a note is required to refuse someone else's proposal, optional to withdraw one's own. */
export const DeclineBody = Type.Object({ note: Type.Optional(nullable(str({ maxLength: 500 }))) }, { additionalProperties: false });

export const DisbursementOut = Type.Object({
  id: str(),
  status: str({ description: '`proposed`, `approved`, `rejected` (refused by another coordinator) or `withdrawn` (by the proposer)' }),
  amountMinor: Type.Integer(),
  amount: str(),
  currency: str(),
  purpose: str(),
  valueDate: str(),
  beneficiary: Type.Union([str(), Type.Null()], { description: 'pseudonymous code of the beneficiary' }),
  payee: Type.Union([str(), Type.Null()]),
  toPact: Type.Union([Type.Object({ slug: str(), title: str() }), Type.Null()], { description: 'the receiving pact of a transfer, when the caller can see it' }),
  transfer: Type.Boolean({ description: 'a transfer to another pact: approval records a `transfer` entry on each pact' }),
  receipt: Type.Union([
    Type.Object({ id: str(), filename: str(), contentType: str(), sizeBytes: Type.Integer(), sha256: str(), url: str({ description: 'download (coordinators only)' }) }),
    Type.Null(),
  ]),
  proposedBy: Type.Union([str(), Type.Null()], { description: 'display name' }),
  proposedAt: str(),
  decidedBy: Type.Union([str(), Type.Null()]),
  decidedAt: Type.Union([str(), Type.Null()]),
  decisionNote: Type.Union([str(), Type.Null()]),
  entry: Type.Union([Type.Object({ id: str(), seq: Type.Integer() }), Type.Null()], { description: 'the ledger entry an approval recorded' }),
  canApprove: Type.Boolean({ description: 'waiting, and the caller is not the proposer' }),
});

export const DisbursementListOut = Type.Object({ items: Type.Array(DisbursementOut, { description: 'proposals waiting for approval first, then newest first' }) });
