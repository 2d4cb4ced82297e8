import { Type } from 'typebox';
import { CALL_ASKS, RESPONSE_KINDS } from '../../db/schema.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });

/** Body of `POST /api/v1/calls` and the full update `PUT /api/v1/calls/:slug`. */
export const CallBody = Type.Object(
  {
    struggle: str({ maxLength: 80, description: 'slug of the struggle the call is for' }),
    organization: str({ maxLength: 80, description: 'slug of the owning issuer (its members decide who sees the call)' }),
    issuers: Type.Optional(Type.Array(str({ maxLength: 80 }), { maxItems: 19, description: 'slugs of further issuing organizations' })),
    title: str({ maxLength: 300 }),
    slug: Type.Optional(str({ maxLength: 60 })),
    body: str({ maxLength: 20000 }),
    lang: Type.Optional(str({ maxLength: 35, description: 'BCP 47 language tag of title and body' })),
    asks: Type.Array(oneOf(CALL_ASKS), { minItems: 1, maxItems: CALL_ASKS.length }),
    actionDate: Type.Optional(nullable(date('day of the action asked for; required with the ask `action`'))),
    deadline: Type.Optional(nullable(date('last day answers are asked for, inclusive'))),
    languages: Type.Optional(Type.Array(str({ maxLength: 35 }), { maxItems: 20, description: 'BCP 47 tags the call is available in' })),
    visibility: Type.Optional(oneOf(VISIBILITIES)),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/calls/:slug/responses`. */
export const ResponseBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the responding organization' }),
    network: Type.Optional(nullable(str({ maxLength: 80, description: 'slug of a network the organization answers for (a current member)' }))),
    kind: oneOf(RESPONSE_KINDS),
    date: date('day of the response'),
    place: Type.Optional(nullable(str({ maxLength: 200 }))),
    country: Type.Optional(nullable(str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }))),
    report: Type.Optional(nullable(str({ maxLength: 2000 }))),
    lang: Type.Optional(str({ maxLength: 35, description: 'BCP 47 language tag of the report' })),
    link: Type.Optional(nullable(str({ maxLength: 2000, description: 'http(s) URL' }))),
    visibility: Type.Optional(oneOf(VISIBILITIES)),
  },
  { additionalProperties: false },
);

export const CallListQuery = Type.Object(
  {
    q: Type.Optional(str({ maxLength: 200 })),
    country: Type.Optional(str({ minLength: 2, maxLength: 2, description: "ISO 3166-1 alpha-2 of the struggle's country" })),
    struggle: Type.Optional(str({ maxLength: 80, description: 'slug of a struggle' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

const AnsweredByOut = Type.Object({
  organizations: Type.Integer({ description: 'distinct responding organizations among the responses the caller may see' }),
  countries: Type.Integer({ description: 'distinct countries of those organizations' }),
  responses: Type.Integer(),
});

const StruggleRefOut = Type.Object({ slug: str(), title: str(), country: str() });

export const CallSummaryOut = Type.Object({
  slug: str(),
  title: str(),
  lang: str(),
  struggle: StruggleRefOut,
  asks: Type.Array(str()),
  actionDate: nullable(str()),
  deadline: nullable(str()),
  open: Type.Boolean({ description: "no deadline, or the deadline is today or later (the reader's time zone; UTC without a session)" }),
  answeredBy: AnsweredByOut,
  createdAt: str(),
});

export const CallListOut = Type.Object({ items: Type.Array(CallSummaryOut), total: Type.Integer(), next: nullable(str()) });

export const ResponseOut = Type.Object({
  id: str(),
  organization: nullable(str({ description: 'slug; null when the caller may not see the organization' })),
  network: nullable(str()),
  kind: str(),
  date: str(),
  place: nullable(str()),
  country: nullable(str()),
  report: nullable(str()),
  lang: str(),
  link: nullable(str()),
  visibility: str(),
  createdAt: str(),
});

export const CallOut = Type.Object({
  id: str(),
  slug: str(),
  title: str(),
  body: str(),
  lang: str(),
  struggle: StruggleRefOut,
  organization: nullable(str({ description: 'slug of the owning issuer; null when the caller may not see it' })),
  issuers: Type.Array(str(), { description: 'slugs of the issuing organizations the caller may see' }),
  asks: Type.Array(str()),
  actionDate: nullable(str()),
  deadline: nullable(str()),
  open: Type.Boolean(),
  languages: Type.Array(str()),
  visibility: str(),
  answeredBy: AnsweredByOut,
  responses: Type.Array(ResponseOut),
  createdAt: str(),
  updatedAt: str(),
});
