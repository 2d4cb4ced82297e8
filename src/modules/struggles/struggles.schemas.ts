import { Type, type Static } from 'typebox';
import { nullableInteger } from '../../http/api.ts';
import { SECTOR_CODES } from '../../lib/sectors.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { STRUGGLE_KINDS, STRUGGLE_STATUSES } from './struggles.service.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });

/** Body of `POST /api/v1/struggles` and `PUT /api/v1/struggles/:slug`. */
export const StruggleBody = Type.Object(
  {
    title: str({ maxLength: 300 }),
    slug: Type.Optional(str({ maxLength: 60 })),
    kind: oneOf(STRUGGLE_KINDS),
    sector: oneOf(SECTOR_CODES),
    country: str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    locality: Type.Optional(nullable(str({ maxLength: 200 }))),
    employer: Type.Optional(nullable(str({ maxLength: 300 }))),
    participants: Type.Optional(nullableInteger({ minimum: 0, description: 'null or left out: not known' })),
    demands: Type.Optional(nullable(str({ maxLength: 10000 }))),
    startDate: date('first day'),
    endDate: Type.Optional(nullable(date('last day; null while ongoing'))),
    status: Type.Optional(oneOf(STRUGGLE_STATUSES)),
    visibility: Type.Optional(oneOf(VISIBILITIES)),
    lang: Type.Optional(str({ description: 'BCP 47 language tag of the texts' })),
    organization: Type.Optional(nullable(str({ description: 'slug of the publishing organization' }))),
    initiators: Type.Optional(Type.Array(str(), { maxItems: 50 })),
    supporters: Type.Optional(Type.Array(str(), { maxItems: 200 })),
    sources: Type.Optional(Type.Array(str({ maxLength: 2000 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type StruggleBody = Static<typeof StruggleBody>;

export const StruggleUpdateBody = Type.Object(
  { date: date('day of the update'), body: str({ maxLength: 5000 }), lang: Type.Optional(str()) },
  { additionalProperties: false },
);

export const StruggleListQuery = Type.Object(
  {
    q: Type.Optional(str({ maxLength: 200 })),
    country: Type.Optional(str({ minLength: 2, maxLength: 2 })),
    sector: Type.Optional(oneOf(SECTOR_CODES)),
    kind: Type.Optional(oneOf(STRUGGLE_KINDS)),
    status: Type.Optional(oneOf(STRUGGLE_STATUSES)),
    from: Type.Optional(date('active on or after')),
    to: Type.Optional(date('started on or before')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

const summary = {
  slug: str(),
  title: str(),
  kind: str(),
  sector: str(),
  country: str(),
  locality: nullable(str()),
  employer: nullable(str()),
  participants: nullable(Type.Integer()),
  startDate: str(),
  endDate: nullable(str()),
  status: str(),
  lang: str(),
};

export const StruggleSummaryOut = Type.Object(summary);

export const StruggleOut = Type.Object({
  id: str(),
  ...summary,
  demands: nullable(str()),
  visibility: str(),
  organization: nullable(str()),
  organizations: Type.Array(Type.Object({ slug: str(), role: str() })),
  sources: Type.Array(str()),
  updates: Type.Array(Type.Object({ date: str(), body: str(), lang: str() })),
  externalRef: nullable(str()),
  createdAt: str(),
  updatedAt: str(),
});

export const StruggleListOut = Type.Object({ items: Type.Array(StruggleSummaryOut), total: Type.Integer(), next: nullable(str()) });
