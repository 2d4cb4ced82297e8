import { Type } from 'typebox';
import { nullableInteger } from '../../http/api.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { CAMPAIGN_STATUSES, MAX_GOAL } from './campaigns.service.ts';

/**
 * TypeBox schemas of the campaigns API (`/api/v1/campaigns…`): bodies, query strings and answers,
 * shown in `/api/openapi.json`. Text is Unicode NFC, languages BCP 47 tags, countries ISO 3166-1
 * alpha-2, dates date-only `YYYY-MM-DD`, instants ISO 8601 UTC. OSDI calls a campaign a
 * "petition"; its fields keep our names (title, appeal, goal) but the counts follow OSDI's
 * `total_signatures` meaning: confirmed signatures only.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);
const nullableStr = (o: Record<string, unknown> = {}) => Type.Union([str(o), Type.Null()]);
const oneOf = (values: readonly string[], o: Record<string, unknown> = {}) => Type.Union(values.map((v) => Type.Literal(v)), o);
const date = (description: string) => str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (date-only, YYYY-MM-DD)` });

export const CampaignParams = Type.Object({ slug: str({ maxLength: 200 }) });
export const TranslationParams = Type.Object({ slug: str({ maxLength: 200 }), lang: str({ maxLength: 35, description: 'BCP 47 language tag' }) });

const campaignFields = {
  issuers: Type.Optional(Type.Array(str({ maxLength: 80 }), { maxItems: 19, description: 'slugs of further issuing organizations (the caller must coordinate each one added)' })),
  title: str({ maxLength: 300, description: 'title in the original language' }),
  appeal: str({ maxLength: 20000, description: 'the appeal in the original language' }),
  startsOn: date('first day of the campaign'),
  endsOn: Type.Optional(Type.Union([date('last day of the campaign, inclusive'), Type.Null()])),
  goal: Type.Optional(nullableInteger({ minimum: 1, maximum: MAX_GOAL, description: 'number of signatures aimed for (confirmed supporters plus tallies)' })),
  status: Type.Optional(oneOf(CAMPAIGN_STATUSES, { description: '`draft` (only its coordinators see it; default), `open` (signing) or `closed`' })),
  visibility: Type.Optional(oneOf(VISIBILITIES)),
};

/** Body of `POST /api/v1/campaigns`. */
export const CampaignCreateBody = Type.Object(
  {
    organization: str({ maxLength: 80, description: 'slug of the owning organization (the caller must be its admin or coordinator)' }),
    slug: Type.Optional(str({ maxLength: 60, description: 'address name; made from the title when absent' })),
    lang: Type.Optional(str({ maxLength: 35, description: 'BCP 47 tag of the original language (default `en`); fixed afterwards' })),
    ...campaignFields,
  },
  { additionalProperties: false },
);

/** Body of `PUT /api/v1/campaigns/:slug` (a full update; owner, slug and original language stay). */
export const CampaignUpdateBody = Type.Object(campaignFields, { additionalProperties: false });

/** Body of `PUT /api/v1/campaigns/:slug/translations/:lang`. */
export const TranslationBody = Type.Object(
  {
    title: str({ maxLength: 300 }),
    appeal: str({ maxLength: 20000 }),
    translatorName: Type.Optional(nullableStr({ maxLength: 200, description: 'who translated, when not the calling account (someone without an account)' })),
  },
  { additionalProperties: false },
);

export const CampaignListQuery = Type.Object(
  {
    status: Type.Optional(oneOf(CAMPAIGN_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

export const SupporterListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    after: Type.Optional(str({ maxLength: 500, description: 'cursor from `next`' })),
  },
  { additionalProperties: false },
);

const CountsFields = {
  online: Type.Integer({ description: 'confirmed supporters (signed online or imported one by one)' }),
  tallies: Type.Integer({ description: 'signatures counted elsewhere: paper lists, another petition site' }),
  total: Type.Integer({ description: '`online` + `tallies`' }),
};

export const CountsOut = Type.Object({
  ...CountsFields,
  goal: Type.Union([Type.Integer(), Type.Null()]),
  percent: Type.Union([Type.Integer(), Type.Null()], { description: 'whole percent of the goal reached, rounded down; null without a goal' }),
  byCountry: Type.Array(Type.Object({ country: str({ description: 'ISO 3166-1 alpha-2' }), ...CountsFields }), { description: 'most signatures first' }),
});

export const TranslationOut = Type.Object({
  lang: str({ description: 'BCP 47 tag' }),
  title: str(),
  appeal: str(),
  original: Type.Boolean({ description: 'the text the campaign was written in' }),
  translator: Type.Union([str(), Type.Null()], { description: 'who wrote this language version: the name given, else the account that saved it' }),
  updatedAt: str(),
});

export const CampaignSummaryOut = Type.Object({
  slug: str(),
  title: str({ description: 'in `lang`' }),
  lang: str({ description: 'language of `title`: the caller’s UI language when translated, else the original' }),
  originalLang: str(),
  status: str(),
  organization: Type.Union([str(), Type.Null()], { description: 'slug of the owning organization; null when the caller may not see it' }),
  goal: Type.Union([Type.Integer(), Type.Null()]),
  total: Type.Integer({ description: 'confirmed supporters plus tallies' }),
  startsOn: str(),
  endsOn: Type.Union([str(), Type.Null()]),
});

export const CampaignListOut = Type.Object({ items: Type.Array(CampaignSummaryOut), next: Type.Union([str(), Type.Null()]) });

export const CampaignOut = Type.Object({
  id: str(),
  slug: str(),
  originalLang: str(),
  status: str(),
  visibility: str(),
  organization: Type.Union([str(), Type.Null()], { description: 'slug of the owning organization; null when the caller may not see it' }),
  issuers: Type.Array(str(), { description: 'slugs of the issuing organizations the caller may see, the owner first' }),
  goal: Type.Union([Type.Integer(), Type.Null()]),
  startsOn: str(),
  endsOn: Type.Union([str(), Type.Null()]),
  translations: Type.Array(TranslationOut, { description: 'every language version, the original first' }),
  counts: Type.Object(CountsFields),
  coordinator: Type.Boolean({ description: 'the caller coordinates the campaign' }),
  createdAt: str(),
  updatedAt: str(),
});

export const PublicSupportersOut = Type.Object({
  items: Type.Array(
    Type.Object({
      name: str(),
      city: Type.Union([str(), Type.Null()]),
      affiliation: Type.Union([str(), Type.Null()], { description: 'organization as the supporter typed it' }),
      country: str({ description: 'ISO 3166-1 alpha-2' }),
      confirmedAt: str(),
    }),
    { description: 'confirmed supporters who agreed to be listed publicly, newest first; never an e-mail address' },
  ),
  total: Type.Integer({ description: 'number of supporters on the public list' }),
  next: Type.Union([str(), Type.Null()]),
});
