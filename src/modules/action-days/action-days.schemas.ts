import { Type, type Static } from 'typebox';
import { nullableInteger } from '../../http/api.ts';
import { LOCAL_ACTION_KINDS } from '../../db/schema.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(s: T) => Type.Union([s, Type.Null()]);
const oneOf = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });
const local = (description: string) =>
  str({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$', description: `${description} (local wall-clock time YYYY-MM-DDTHH:MM in timeZone)` });
const instant = (description: string) => str({ description: `${description} (instant, ISO 8601 UTC)` });

/** Body of `POST /api/v1/action-days` and `PUT /api/v1/action-days/:slug`. */
export const ActionDayBody = Type.Object(
  {
    title: str({ maxLength: 300 }),
    slug: Type.Optional(str({ maxLength: 60 })),
    callText: str({ maxLength: 20000, description: 'the call, in language `lang`' }),
    lang: Type.Optional(str({ description: 'BCP 47 language tag of title and call text' })),
    startDate: date('first day'),
    endDate: Type.Optional(nullable(date('last day, inclusive; defaults to startDate'))),
    organization: str({ maxLength: 80, description: 'slug of the calling organization (publishing role needed)' }),
    network: Type.Optional(nullable(str({ maxLength: 80, description: 'slug of a network the organization currently belongs to' }))),
    struggle: Type.Optional(nullable(str({ maxLength: 80, description: 'slug of a linked struggle' }))),
    visibility: Type.Optional(oneOf(VISIBILITIES)),
  },
  { additionalProperties: false },
);
export type ActionDayBody = Static<typeof ActionDayBody>;

/** Body of `POST /api/v1/action-days/:slug/local-actions`. */
export const LocalActionBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the participating organization (publishing role needed)' }),
    title: str({ maxLength: 300 }),
    kind: oneOf(LOCAL_ACTION_KINDS),
    city: str({ maxLength: 200 }),
    country: str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    venue: Type.Optional(nullable(str({ maxLength: 300 }))),
    allDay: Type.Optional(Type.Boolean({ description: 'true: dates only (startDate/endDate); false: startLocal/endLocal in timeZone' })),
    startDate: Type.Optional(date('all-day: first day')),
    endDate: Type.Optional(nullable(date('all-day: last day, inclusive'))),
    startLocal: Type.Optional(local('start')),
    endLocal: Type.Optional(local('end')),
    timeZone: Type.Optional(str({ maxLength: 64, description: "IANA time zone of the local times; default the account's zone" })),
    expectedParticipants: Type.Optional(nullableInteger({ minimum: 0, description: 'null or left out: not known' })),
    contact: Type.Optional(nullable(str({ maxLength: 300 }))),
    visibility: Type.Optional(oneOf(VISIBILITIES)),
  },
  { additionalProperties: false },
);
export type LocalActionBody = Static<typeof LocalActionBody>;

/**
 * Body of `PUT /api/v1/action-days/:slug/local-actions/:id`: the same fields as registering
 * ({@link LocalActionBody}); `organization` may be left out and otherwise must name the current
 * organization (it cannot be changed). Without `timeZone` the action keeps its own zone.
 */
export const LocalActionUpdateBody = Type.Object(
  {
    ...LocalActionBody.properties,
    organization: Type.Optional(str({ maxLength: 80, description: 'slug of the participating organization; cannot be changed, so it must be the current one when given' })),
    timeZone: Type.Optional(str({ maxLength: 64, description: "IANA time zone of the local times; default the action's own zone" })),
  },
  { additionalProperties: false },
);
export type LocalActionUpdateBody = Static<typeof LocalActionUpdateBody>;

export const ActionDayListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

export const ActionDaySlugParams = Type.Object({ slug: str({ maxLength: 80 }) });
/** `:slug` of the action day and `:id` of one of its local actions. */
export const LocalActionParams = Type.Object({ slug: str({ maxLength: 80 }), id: str({ maxLength: 64, description: 'id of the local action (as in `localActions[].id`)' }) });

const summary = {
  slug: str(),
  title: str(),
  lang: str(),
  startDate: date('first day'),
  endDate: date('last day, inclusive'),
  visibility: str(),
  localActionCount: Type.Integer({ description: 'local actions the reader may see' }),
};

export const ActionDaySummaryOut = Type.Object(summary);
export const ActionDayListOut = Type.Object({ items: Type.Array(ActionDaySummaryOut), total: Type.Integer(), next: nullable(str()) });

export const LocalActionOut = Type.Object({
  id: str(),
  organization: nullable(str({ description: 'slug, null when the reader may not see the organization' })),
  title: str(),
  kind: str(),
  city: str(),
  country: str(),
  venue: nullable(str()),
  allDay: Type.Boolean(),
  startDate: date('first local day'),
  endDate: date('last local day, inclusive'),
  startLocal: nullable(local('start')),
  endLocal: nullable(local('end')),
  timeZone: nullable(str({ description: 'IANA time zone of startLocal/endLocal' })),
  startsAt: nullable(instant('start')),
  endsAt: nullable(instant('end')),
  expectedParticipants: nullable(Type.Integer()),
  contact: nullable(str()),
  visibility: str(),
});

export const ActionDayOut = Type.Object({
  id: str(),
  ...summary,
  callText: str(),
  organization: nullable(str()),
  network: nullable(str()),
  struggle: nullable(str()),
  localActions: Type.Array(LocalActionOut),
  participation: Type.Array(
    Type.Object({
      country: str(),
      localActions: Type.Integer(),
      expectedParticipants: nullable(Type.Integer({ description: 'sum over the local actions that state a number; null when none does' })),
    }),
  ),
  createdAt: str(),
  updatedAt: str(),
});
