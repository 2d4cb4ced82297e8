import { Type } from 'typebox';
import { FOLLOW_TARGETS } from '../../db/schema.ts';
import { NOTIFICATION_KINDS } from './notifications.repo.ts';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

/** `:slug` of the following organization. */
export const FollowsParams = Type.Object({ slug: str({ maxLength: 80 }) });

/** `:slug` of the following organization and `:id` of one of its follows. */
export const FollowParams = Type.Object({ slug: str({ maxLength: 80 }), id: str({ maxLength: 40 }) });

/** Body of `POST /api/v1/organizations/:slug/follows`. */
export const FollowBody = Type.Object(
  {
    kind: Type.Enum([...FOLLOW_TARGETS], { description: 'what is followed' }),
    target: str({ minLength: 1, maxLength: 120, description: 'slug of the struggle, call or network; ISO 3166-1 alpha-2 code for a country' }),
  },
  { additionalProperties: false },
);

export const FollowOut = Type.Object({
  id: str(),
  kind: str({ description: 'struggle | call | network | country' }),
  target: nullable(str({ description: 'slug of the struggle, call or network, or the country code; null when the caller may no longer see the record' })),
  label: nullable(str({ description: 'title or name of the struggle, call or network; null for a country or a record the caller may not see' })),
  createdAt: str({ description: 'ISO 8601 UTC instant' }),
});

export const FollowListOut = Type.Object({ items: Type.Array(FollowOut) });

export const NotificationListQuery = Type.Object(
  {
    before: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`: notifications older than the last one of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  },
  { additionalProperties: false },
);

export const NotificationOut = Type.Object({
  id: str({ description: 'id of the record the event created (update, call, response, action day, local action, struggle)' }),
  kind: Type.Enum([...NOTIFICATION_KINDS]),
  at: str({ description: 'when it was recorded (ISO 8601 UTC)' }),
  unread: Type.Boolean({ description: "recorded after the account's read mark" }),
  subject: Type.Object({
    type: Type.Enum(['struggle', 'call', 'action_day']),
    slug: str(),
    title: str(),
  }),
  detail: nullable(str({ description: "update text, the call's struggle title, the response kind, the action day's date (YYYY-MM-DD; YYYY-MM-DD/YYYY-MM-DD, first and last, for one of several days) or the local action's city; null for a new struggle" })),
  country: nullable(str({ description: 'ISO 3166-1 alpha-2 of the place, where the event has one' })),
  actor: Type.Union([Type.Object({ slug: str(), name: str() }), Type.Null()]),
  reason: Type.Object({
    organization: str({ description: 'slug of the following organization' }),
    kind: str({ description: 'struggle | call | network | country' }),
    target: nullable(str({ description: 'slug or country code of what it follows; null when the caller may not see it' })),
  }),
});

export const NotificationListOut = Type.Object({
  items: Type.Array(NotificationOut),
  next: nullable(str({ description: 'cursor for the next (older) page' })),
  readAt: nullable(str({ description: "the account's read mark (ISO 8601 UTC), or null when never marked" })),
});

/** Body of `POST /api/v1/notifications/read`. */
export const MarkReadBody = Type.Object(
  {
    until: Type.Optional(str({ maxLength: 40, description: 'ISO 8601 UTC instant: mark what was recorded up to then (default now); the mark goes to the newest notification at or before it' })),
  },
  { additionalProperties: false },
);

export const MarkReadOut = Type.Object({
  readAt: nullable(str({ description: "the account's read mark after the request" })),
  unread: Type.Integer({ description: 'unread notifications left (counted up to 100)' }),
});
