import { Type } from 'typebox';
import { ENDORSEMENT_STATUSES } from '../../db/schema.ts';

/**
 * TypeBox schemas of the endorsements API (`/api/v1/campaigns/:slug/endorsements…`):
 * organizations signing on to a campaign. Statements are Unicode NFC with a BCP 47 language tag;
 * countries ISO 3166-1 alpha-2; instants ISO 8601 UTC.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);

export const EndorsementParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the endorsement' }) });

/** Body of `POST /api/v1/campaigns/:slug/endorsements`. */
export const EndorsementBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the endorsing organization (the caller must be its admin or coordinator)' }),
    statement: Type.Optional(Type.Union([str({ maxLength: 1000 }), Type.Null()], { description: 'a short statement shown with the endorsement' })),
    statementLang: Type.Optional(Type.Union([str({ maxLength: 35 }), Type.Null()], { description: 'BCP 47 tag of the statement; required with one' })),
  },
  { additionalProperties: false },
);

export const EndorsementListQuery = Type.Object(
  { status: Type.Optional(Type.Union(ENDORSEMENT_STATUSES.map((s) => Type.Literal(s)), { description: 'for the campaign’s coordinators: only endorsements with this status' })) },
  { additionalProperties: false },
);

export const EndorsementOut = Type.Object({
  id: str(),
  status: str({ description: '`pending` (waiting for the campaign’s coordinators), `confirmed` or `rejected`' }),
  organization: Type.Object({ slug: str(), name: str(), country: str({ description: 'ISO 3166-1 alpha-2' }) }),
  statement: Type.Union([str(), Type.Null()]),
  statementLang: Type.Union([str(), Type.Null()]),
  endorsedAt: str(),
  decidedAt: Type.Union([str(), Type.Null()]),
});

export const EndorsementListOut = Type.Object({
  items: Type.Array(EndorsementOut, {
    description: 'for the campaign’s coordinators every endorsement (waiting ones first); for everyone else the confirmed ones by organizations they may see, by name',
  }),
});
