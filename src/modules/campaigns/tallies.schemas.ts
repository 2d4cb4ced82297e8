import { Type } from 'typebox';
import { MAX_TALLY } from './tallies.service.ts';

/**
 * TypeBox schemas of the tallies API (`/api/v1/campaigns/:slug/tallies…`): signatures collected on
 * paper or elsewhere, as counts per country (ISO 3166-1 alpha-2) and source; dates date-only.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);

export const TallyParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the tally' }) });

/** Body of `POST /api/v1/campaigns/:slug/tallies`. */
export const TallyBody = Type.Object(
  {
    country: str({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    count: Type.Integer({ minimum: 1, maximum: MAX_TALLY, description: 'number of signatures' }),
    source: str({ maxLength: 200, description: 'where they were collected, e.g. "Rally at the port, 1 May"' }),
    collectedOn: Type.Optional(Type.Union([str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Null()], { description: 'day of the collection (date-only), not after today' })),
  },
  { additionalProperties: false },
);

export const TallyOut = Type.Object({
  id: str(),
  country: str(),
  count: Type.Integer(),
  source: str(),
  collectedOn: Type.Union([str(), Type.Null()]),
  externalRef: Type.Union([str(), Type.Null()], { description: 'identity in an imported file (e.g. `uk-petition:584632:DE`)' }),
  enteredBy: Type.Union([str(), Type.Null()], { description: 'display name of who entered it' }),
  enteredAt: str(),
});

export const TallyListOut = Type.Object({ items: Type.Array(TallyOut, { description: 'newest first' }), sum: Type.Integer() });
