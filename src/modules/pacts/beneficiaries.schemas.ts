import { Type } from 'typebox';
import { nullableInteger } from '../../http/api.ts';
import { MoneyOut } from './pacts.schemas.ts';
import { BENEFICIARY_KINDS } from './beneficiaries.service.ts';

/**
 * TypeBox schemas of the beneficiary register API (`/api/v1/pacts/:slug/beneficiaries…`,
 * coordinators only). The personal fields are stored encrypted (AES-256-GCM) and every read is
 * written to the audit log.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

export const BeneficiaryParams = Type.Object({ slug: str({ maxLength: 200 }), code: str({ maxLength: 40, description: 'pseudonymous code, e.g. `H-0007`' }) });

const fields = {
  kind: Type.Optional(Type.Union(BENEFICIARY_KINDS.map((k) => Type.Literal(k)), { description: '`household` (code H-nnnn) or `person` (P-nnnn); default household' })),
  householdSize: Type.Optional(nullableInteger({ minimum: 1, maximum: 100, description: 'number of people in a household' })),
  name: str({ maxLength: 200 }),
  contact: Type.Optional(nullable(str({ maxLength: 200 }))),
  address: Type.Optional(nullable(str({ maxLength: 500 }))),
  notes: Type.Optional(nullable(str({ maxLength: 5000 }))),
};

/** Body of `POST /api/v1/pacts/:slug/beneficiaries`. */
export const BeneficiaryBody = Type.Object(fields, { additionalProperties: false });

/** Body of `PUT /api/v1/pacts/:slug/beneficiaries/:code` (a full update). */
export const BeneficiaryUpdateBody = Type.Object(
  { ...fields, archived: Type.Optional(Type.Boolean({ description: 'archived: no new disbursements to it; its history stays' })) },
  { additionalProperties: false },
);

export const BeneficiaryOut = Type.Object({
  code: str(),
  kind: str(),
  householdSize: Type.Union([Type.Integer(), Type.Null()]),
  name: str(),
  contact: Type.Union([str(), Type.Null()]),
  address: Type.Union([str(), Type.Null()]),
  notes: Type.Union([str(), Type.Null()]),
  allocations: Type.Array(MoneyOut, { description: 'disbursed to it per currency, net of reversals' }),
  archived: Type.Boolean(),
  archivedAt: Type.Union([str(), Type.Null()]),
});

export const BeneficiaryListOut = Type.Object({ items: Type.Array(BeneficiaryOut) });
