import { Type, type Static } from 'typebox';
import { SECTOR_CODES } from '../../lib/sectors.ts';
import { NETWORK_ROLES } from './networks.service.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });

/** Body of `POST /api/v1/networks` and the full update `PUT /api/v1/networks/:slug`. */
export const NetworkBody = Type.Object(
  {
    name: str({ maxLength: 200 }),
    slug: Type.Optional(str({ maxLength: 60 })),
    sector: oneOf(SECTOR_CODES),
    description: Type.Optional(nullable(str({ maxLength: 10000 }))),
    descriptionLang: Type.Optional(str({ description: 'BCP 47 language tag of the description' })),
  },
  { additionalProperties: false },
);
export type NetworkBody = Static<typeof NetworkBody>;

/** Body of `POST /api/v1/networks/:slug/members`. */
export const NetworkMembershipBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the joining organization' }),
    role: Type.Optional(oneOf(NETWORK_ROLES)),
    since: date('first day of the membership'),
    until: Type.Optional(nullable(date('last day of the membership, inclusive; null while it lasts'))),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/networks/:slug/members/:id/end`. */
export const NetworkMembershipEndBody = Type.Object(
  { until: date('last day of the membership, inclusive') },
  { additionalProperties: false },
);

export const NetworkListQuery = Type.Object(
  {
    sector: Type.Optional(oneOf(SECTOR_CODES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

export const NetworkSummaryOut = Type.Object({
  slug: str(),
  name: str(),
  sector: str(),
  memberCount: Type.Integer({ description: 'organizations with a current membership that the caller may see' }),
});

export const NetworkListOut = Type.Object({
  items: Type.Array(NetworkSummaryOut),
  total: Type.Integer(),
  next: nullable(str()),
});

export const NetworkMemberOut = Type.Object({
  membershipId: str(),
  organization: str({ description: 'slug' }),
  name: str(),
  kind: str(),
  role: str(),
  since: str({ description: 'date-only' }),
  until: nullable(str({ description: 'date-only, inclusive' })),
  past: Type.Boolean(),
  upcoming: Type.Boolean(),
});

export const NetworkOut = Type.Object({
  id: str(),
  slug: str(),
  name: str(),
  sector: str(),
  description: nullable(str()),
  descriptionLang: str(),
  memberCount: Type.Integer(),
  members: Type.Record(Type.String({ pattern: '^[A-Z]{2}$' }), Type.Array(NetworkMemberOut), {
    description: 'memberships of organizations the caller may see, by the organization’s country (ISO 3166-1 alpha-2)',
  }),
  createdAt: str(),
  updatedAt: str(),
});

export const NetworkMembershipOut = Type.Object({
  id: str(),
  network: str({ description: 'slug' }),
  organization: str({ description: 'slug' }),
  role: str(),
  since: str(),
  until: nullable(str()),
});

export const NetworkSlugParams = Type.Object({ slug: str({ maxLength: 80 }) });
export const NetworkMembershipParams = Type.Object({ slug: str({ maxLength: 80 }), id: str({ maxLength: 40 }) });
