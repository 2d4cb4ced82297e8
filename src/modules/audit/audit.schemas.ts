import { Type } from 'typebox';

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

export const AuditParams = Type.Object({ slug: str({ maxLength: 80 }) });

/** Query of `GET /api/v1/organizations/:slug/audit`. */
export const AuditListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    before: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`: events older than the last one seen' })),
  },
  { additionalProperties: false },
);

export const AuditEventOut = Type.Object({
  id: str(),
  at: str({ format: 'date-time', description: 'ISO 8601 UTC' }),
  actor: Type.Union([
    Type.Object({
      id: str(),
      displayName: nullable(str()),
      erased: Type.Boolean({ description: 'the account was erased (shown as "former member"); displayName is null then' }),
    }),
    Type.Null(),
  ], { description: 'null for the system, the command line and importers' }),
  sessionRef: nullable(str({ description: 'first 16 hex digits of the acting session hash' })),
  action: str({ description: '`<subject>.<verb>`, e.g. `organization.updated`' }),
  actionLabel: str({ description: 'the action in the request language' }),
  subjectType: str(),
  subjectId: nullable(str()),
  subjectName: nullable(str()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const AuditListOut = Type.Object({
  items: Type.Array(AuditEventOut),
  next: nullable(str({ description: 'pass as `before` for older events' })),
});
