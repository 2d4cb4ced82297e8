import { Type, type Static } from 'typebox';
import { ORGANIZATION_KINDS, VISIBILITIES } from './organizations.service.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

/** Body of `POST /api/v1/organizations` and `PATCH`-free full update `PUT /api/v1/organizations/:slug`. */
export const OrganizationBody = Type.Object(
  {
    name: str({ maxLength: 200 }),
    slug: Type.Optional(str({ maxLength: 60 })),
    kind: Type.Union(ORGANIZATION_KINDS.map((k) => Type.Literal(k))),
    country: str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    city: Type.Optional(nullable(str({ maxLength: 120 }))),
    languages: Type.Optional(Type.Array(str({ description: 'BCP 47' }), { maxItems: 20 })),
    website: Type.Optional(nullable(str({ maxLength: 2000 }))),
    contactEmail: Type.Optional(nullable(str({ maxLength: 254 }))),
    description: Type.Optional(nullable(str({ maxLength: 10000 }))),
    descriptionLang: Type.Optional(str({ description: 'BCP 47' })),
    visibility: Type.Optional(Type.Union(VISIBILITIES.map((k) => Type.Literal(k)))),
    parent: Type.Optional(nullable(str({ description: 'slug of the parent organization' }))),
  },
  { additionalProperties: false },
);
export type OrganizationBody = Static<typeof OrganizationBody>;

export const OrganizationListQuery = Type.Object(
  {
    q: Type.Optional(str({ maxLength: 200 })),
    country: Type.Optional(str({ minLength: 2, maxLength: 2 })),
    kind: Type.Optional(Type.Union(ORGANIZATION_KINDS.map((k) => Type.Literal(k)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

export const OrganizationSummaryOut = Type.Object({
  slug: str(),
  name: str(),
  kind: str(),
  country: str(),
  city: nullable(str()),
});

export const OrganizationOut = Type.Object({
  id: str(),
  slug: str(),
  name: str(),
  kind: str(),
  country: str(),
  city: nullable(str()),
  languages: Type.Array(str()),
  website: nullable(str()),
  contactEmail: nullable(str()),
  description: nullable(str()),
  descriptionLang: str(),
  visibility: str(),
  parent: nullable(str()),
  children: Type.Array(str()),
  networks: Type.Array(Type.Object({ slug: str(), role: str(), since: str(), until: nullable(str()) })),
  createdAt: str(),
  updatedAt: str(),
});

export const OrganizationListOut = Type.Object({
  items: Type.Array(OrganizationSummaryOut),
  total: Type.Integer(),
  next: nullable(str()),
});

export const SlugParams = Type.Object({ slug: str({ maxLength: 80 }) });
