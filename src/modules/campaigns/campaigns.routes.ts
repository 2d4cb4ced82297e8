import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, ValidationFailed, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { apiWrite, pageByStatus } from '../../http/api.ts';
import { errorMap, type ErrorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { canonicalLanguageTag, isLanguageTag } from '../../lib/countries.ts';
import { getCampaignForCoordinator, isCampaignCoordinator, type CampaignRecord } from './campaigns.access.ts';
import {
  CAMPAIGN_STATUSES,
  createCampaign,
  getCampaignForReader,
  pickText,
  saveTranslation,
  updateCampaign,
  type CampaignInput,
  type CampaignText,
} from './campaigns.service.ts';
import {
  campaignTexts,
  countCampaigns,
  countListedSupporters,
  leadsAnywhere,
  ledOrganizations,
  listCampaignRows,
  listedSupporters,
  visibleIssuers,
  type CampaignListRow,
} from './campaigns.repo.ts';
import { campaignFormView, campaignListView, translationsView, type CampaignFormValues } from './campaigns.views.ts';
import { campaignPageView } from './campaign-page.views.ts';
import {
  CampaignCreateBody,
  CampaignListOut,
  CampaignListQuery,
  CampaignOut,
  CampaignParams,
  CampaignUpdateBody,
  CountsOut,
  PublicSupportersOut,
  SupporterListQuery,
  TranslationBody,
  TranslationOut,
  TranslationParams,
} from './campaigns.schemas.ts';
import { campaignCounts, type CampaignCounts } from './tallies.service.ts';
import { confirmedEndorsements, groupByCountry } from './endorsements.service.ts';
import { signForm } from './signatures.views.ts';

const PAGE_SIZE = 25;
/** Supporters per page of the public list. */
const SUPPORTERS_PAGE = 30;
type Form = Record<string, string | undefined>;

/** Waiting endorsements of a campaign (for its coordinators' links). */
export async function pendingEndorsements(app: FastifyInstance, campaignId: string): Promise<number> {
  const r = await app.db
    .selectFrom('campaign_endorsements')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The title to head a campaign's sub-pages with: the reader's language when translated, else the original. */
export async function campaignTitle(app: FastifyInstance, request: FastifyRequest, campaignId: string): Promise<{ title: string; lang: string; texts: CampaignText[] }> {
  const texts = await campaignTexts(app.db, campaignId);
  const text = pickText(texts, { locale: request.tr.locale });
  return { title: text.title, lang: text.lang, texts };
}

/** The `?lang=` of a page as a canonical BCP 47 tag, or null when absent or malformed. */
function langParam(raw: unknown): string | null {
  return typeof raw === 'string' && raw.length <= 35 && isLanguageTag(raw) ? canonicalLanguageTag(raw) : null;
}

/**
 * Sends the public page of the campaign `slug` (see `campaignPageView`) with HTTP `status`: the
 * language version `lang` names (else the reader's, else the original), the public supporters
 * from the cursor `after`, every country in the table with `allCountries`, and the signing form with `sign` values and errors (for the signing
 * routes to re-render the page after a refused signature, status 422).
 * @throws {NotFound} unknown, invisible, or a draft the reader does not coordinate.
 */
export async function sendCampaignPage(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  slug: string,
  o: { lang?: string | null; after?: string | null; allCountries?: boolean; sign?: { values?: Record<string, string>; errors?: ErrorMap }; status?: number } = {},
): Promise<FastifyReply> {
  const viewer = request.viewer;
  const campaign = await getCampaignForReader(app.db, viewer, slug);
  const coordinator = isCampaignCoordinator(viewer, campaign);
  const cursor = decodeCursor(o.after ?? undefined, 2);
  const [texts, issuers, counts, endorsements, items, total, pending] = await Promise.all([
    campaignTexts(app.db, campaign.id),
    visibleIssuers(app.db, viewer, campaign),
    campaignCounts(app.db, campaign.id),
    confirmedEndorsements(app.db, viewer, campaign.id),
    listedSupporters(app.db, campaign.id, { limit: SUPPORTERS_PAGE + 1, after: cursor ? { confirmedAt: cursor[0]!, id: cursor[1]! } : undefined }),
    countListedSupporters(app.db, campaign.id),
    coordinator ? pendingEndorsements(app, campaign.id) : Promise.resolve(0),
  ]);
  const text = pickText(texts, { requested: o.lang, locale: request.tr.locale });
  const shown = items.slice(0, SUPPORTERS_PAGE);
  const last = shown.at(-1);
  const lang = o.lang && text.lang === o.lang ? o.lang : null;
  return sendPage(
    request,
    reply,
    text.title,
    (ctx) =>
      campaignPageView(
        ctx,
        {
          campaign,
          text,
          texts,
          issuers,
          counts,
          endorsements: groupByCountry(endorsements, ctx.tr.country, ctx.tr.locale),
          supporters: { items: shown, total, next: items.length > SUPPORTERS_PAGE && last ? encodeCursor([last.confirmedAt, last.id]) : null, later: !!cursor },
          coordinator,
          pending,
          canEndorse: campaign.status === 'open' && (!viewer || leadsAnywhere(viewer)),
          endorseHref: viewer ? `/campaigns/${campaign.slug}/endorse` : `/sign-in?next=${encodeURIComponent(`/campaigns/${campaign.slug}/endorse`)}`,
          signForm: campaign.status === 'open' ? signForm(ctx, campaign.slug, o.sign ?? {}) : null,
        },
        { lang, allCountries: o.allCountries },
      ),
    o.status ?? 200,
  );
}

function countsToApi(c: CampaignCounts, goal: number | null) {
  return {
    online: c.online,
    tallies: c.tallies,
    total: c.total,
    goal,
    percent: goal ? Math.floor((c.total * 100) / goal) : null,
    byCountry: c.byCountry.map((r) => ({ country: r.country, online: r.online, tallies: r.tallies, total: r.total })),
  };
}

function summaryToApi(c: CampaignListRow, locale: string) {
  const text = pickText(
    c.titles.map((x) => ({ lang: x.lang, title: x.title, appeal: '', original: x.original, translator: null, updatedAt: '' })),
    { locale },
  );
  return {
    slug: c.slug,
    title: text.title,
    lang: text.lang,
    originalLang: c.originalLang,
    status: c.status,
    organization: c.organization?.slug ?? null,
    goal: c.goal,
    total: c.total,
    startsOn: c.startsOn,
    endsOn: c.endsOn,
  };
}

/** The form's fields as service input (lists stay comma-separated text; the service splits them). */
function formInput(body: Form): CampaignInput {
  const { _csrf, ...rest } = body;
  return rest;
}

/** Campaign pages (`/campaigns…`) and API (`/api/v1/campaigns…`); endorsements and tallies have their own plugins. */
export const campaignsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const list = (request: FastifyRequest, query: { status?: string; after?: string; limit?: number }) =>
      pageByStatus(query, {
        statuses: CAMPAIGN_STATUSES,
        pageSize: PAGE_SIZE,
        rows: (filter) => listCampaignRows(app.db, request.viewer, filter),
        count: (filter) => countCampaigns(app.db, request.viewer, filter),
      });

    /** Starting a campaign needs an admin or coordinator role somewhere (the owner must be led by the starter). */
    const requireLeader = (request: FastifyRequest) => {
      const viewer = request.requireViewer();
      if (!leadsAnywhere(viewer)) throw new Forbidden();
      return viewer;
    };

    const editing = async (request: FastifyRequest, c: CampaignRecord) => {
      const [owner, title, pending] = await Promise.all([
        app.db.selectFrom('organizations').select('name').where('id', '=', c.organization_id).executeTakeFirstOrThrow(),
        campaignTitle(app, request, c.id),
        pendingEndorsements(app, c.id),
      ]);
      return { slug: c.slug, owner: owner.name, lang: c.original_lang, title: title.title, pending };
    };

    const renderForm = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { action: string; values: Form; errors?: FieldError[]; editing: Awaited<ReturnType<typeof editing>> | null },
      status = 200,
    ) => {
      const organizations = o.editing ? [] : await ledOrganizations(app.db, request.viewer);
      const values = { ...o.values };
      if (!o.editing && status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      return sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'campaigns.form.edit_page_title' : 'campaigns.form.new_title'), (ctx) =>
        campaignFormView(ctx, { action: o.action, values, errors: errorMap(o.errors), editing: o.editing, organizations }), status);
    };

    /** The edit form's values from the stored campaign (every issuer, also those the editor cannot open). */
    const editValues = async (c: CampaignRecord): Promise<CampaignFormValues> => {
      const [orgs, original] = await Promise.all([
        app.db.selectFrom('organizations').select(['id', 'slug']).where('id', 'in', c.issuerIds).execute(),
        app.db.selectFrom('campaign_translations').select(['title', 'appeal']).where('campaign_id', '=', c.id).where('is_original', '=', 1).executeTakeFirst(),
      ]);
      return {
        issuers: orgs.filter((o) => o.id !== c.organization_id).map((o) => o.slug).sort().join(', '),
        title: original?.title ?? '',
        appeal: original?.appeal ?? '',
        startsOn: c.starts_on,
        endsOn: c.ends_on ?? '',
        goal: c.goal === null ? '' : String(c.goal),
        status: c.status,
        visibility: c.visibility,
      };
    };

    const renderTranslations = async (request: FastifyRequest, reply: FastifyReply, c: CampaignRecord, o: { values: Form; errors?: FieldError[] }, status = 200) => {
      const [title, pending] = await Promise.all([campaignTitle(app, request, c.id), pendingEndorsements(app, c.id)]);
      const editingLang = !!o.values.lang && title.texts.some((x) => !x.original && x.lang === o.values.lang);
      return sendPage(request, reply, (ctx) => ctx.tr.t('campaigns.translations.page_title'), (ctx) =>
        translationsView(ctx, { slug: c.slug, title, texts: title.texts, values: o.values, errors: errorMap(o.errors), editing: editingLang, pending }), status);
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/campaigns', { schema: { hide: true } }, async (request, reply) => {
      const status = typeof request.query.status === 'string' && request.query.status ? request.query.status : undefined;
      let r;
      try {
        r = await list(request, { status, after: request.query.after });
      } catch (err) {
        // A stale page link or a bad filter shows the first page of everything rather than an error.
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, {});
      }
      const shown = status && (CAMPAIGN_STATUSES as readonly string[]).includes(status) ? status : undefined;
      return sendPage(request, reply, request.tr.t('campaigns.list.title'), (ctx) =>
        campaignListView(ctx, { status: shown, items: r.items, total: r.total, nextCursor: r.next, canStart: leadsAnywhere(request.viewer) }));
    });

    app.get('/campaigns/new', { schema: { hide: true } }, async (request, reply) => {
      requireLeader(request);
      const today = new Date().toISOString().slice(0, 10);
      return renderForm(request, reply, { action: '/campaigns/new', values: { visibility: 'public', status: 'draft', lang: request.tr.locale, startsOn: today }, editing: null });
    });

    app.post<{ Body: Form }>('/campaigns/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = requireLeader(request);
      try {
        const { slug } = await createCampaign(app.db, viewer, formInput(request.body ?? {}));
        return redirectAfterPost(reply, withNotice(`/campaigns/${slug}`, 'created'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action: '/campaigns/new', values: request.body ?? {}, errors, editing: null }, 422);
      }
    });

    app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/campaigns/:slug', { schema: { hide: true } }, async (request, reply) =>
      sendCampaignPage(app, request, reply, request.params.slug, {
        lang: langParam(request.query.lang),
        after: typeof request.query.after === 'string' ? request.query.after : null,
        allCountries: request.query.countries === 'all',
      }),
    );

    app.get<{ Params: { slug: string } }>('/campaigns/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      return renderForm(request, reply, { action: `/campaigns/${c.slug}/edit`, values: await editValues(c), editing: await editing(request, c) });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/campaigns/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      // Who may not see or change the campaign learns nothing from a form: 404 / 403 before any validation.
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      try {
        await updateCampaign(app.db, request.viewer, c.slug, formInput(request.body ?? {}));
        return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}`, 'updated'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action: `/campaigns/${c.slug}/edit`, values: request.body ?? {}, errors, editing: await editing(request, c) }, 422);
      }
    });

    app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/campaigns/:slug/translations', { schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      const lang = langParam(request.query.lang);
      const existing = lang ? await app.db.selectFrom('campaign_translations').selectAll().where('campaign_id', '=', c.id).where('lang', '=', lang).where('is_original', '=', 0).executeTakeFirst() : undefined;
      const values: Form = existing ? { lang: existing.lang, title: existing.title, appeal: existing.appeal, translatorName: existing.translator_name ?? '' } : { lang: lang && lang !== c.original_lang ? lang : '' };
      return renderTranslations(request, reply, c, { values });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/campaigns/:slug/translations', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      const { _csrf, ...body } = request.body ?? {};
      try {
        await saveTranslation(app.db, request.viewer, c.slug, body);
        return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/translations`, 'translation_saved'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderTranslations(request, reply, c, { values: body, errors }, 422);
      }
    });

    // ---- API
    const detail = async (request: FastifyRequest, slug: string) => {
      const c = await getCampaignForReader(app.db, request.viewer, slug);
      const [texts, issuers, counts] = await Promise.all([campaignTexts(app.db, c.id), visibleIssuers(app.db, request.viewer, c), campaignCounts(app.db, c.id)]);
      return {
        id: c.id,
        slug: c.slug,
        originalLang: c.original_lang,
        status: c.status,
        visibility: c.visibility,
        organization: issuers.find((i) => i.id === c.organization_id)?.slug ?? null,
        issuers: issuers.map((i) => i.slug),
        goal: c.goal === null ? null : Number(c.goal),
        startsOn: c.starts_on,
        endsOn: c.ends_on,
        translations: texts,
        counts: { online: counts.online, tallies: counts.tallies, total: counts.total },
        coordinator: isCampaignCoordinator(request.viewer, c),
        createdAt: c.created_at,
        updatedAt: c.updated_at,
      };
    };

    app.get('/api/v1/campaigns', { schema: { tags: ['campaigns'], summary: 'List the campaigns the caller may see, newest first', querystring: CampaignListQuery, response: { 200: CampaignListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map((c) => summaryToApi(c, request.tr.locale)), next: r.next };
    });

    app.post(
      '/api/v1/campaigns',
      { preValidation: apiWrite, schema: { tags: ['campaigns'], summary: 'Start a campaign (admins and coordinators of the owning organization)', body: CampaignCreateBody, response: { 201: CampaignOut } } },
      async (request, reply) => {
        const { slug } = await createCampaign(app.db, request.requireViewer(), request.body);
        return reply.status(201).header('location', `/api/v1/campaigns/${slug}`).send(await detail(request, slug));
      },
    );

    app.get('/api/v1/campaigns/:slug', { schema: { tags: ['campaigns'], summary: 'A campaign with its texts in every language and its signatures', params: CampaignParams, response: { 200: CampaignOut } } }, async (request) =>
      detail(request, request.params.slug),
    );

    app.put(
      '/api/v1/campaigns/:slug',
      { preValidation: apiWrite, schema: { tags: ['campaigns'], summary: 'Change a campaign (its coordinators)', params: CampaignParams, body: CampaignUpdateBody, response: { 200: CampaignOut } } },
      async (request) => {
        const { slug } = await updateCampaign(app.db, request.requireViewer(), request.params.slug, request.body);
        return detail(request, slug);
      },
    );

    app.put(
      '/api/v1/campaigns/:slug/translations/:lang',
      {
        preValidation: apiWrite,
        schema: { tags: ['campaigns'], summary: "Add or replace the campaign's title and appeal in another language (its coordinators)", params: TranslationParams, body: TranslationBody, response: { 200: TranslationOut, 201: TranslationOut } },
      },
      async (request, reply) => {
        const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
        const saved = await saveTranslation(app.db, request.requireViewer(), c.slug, { ...request.body, lang: request.params.lang });
        const text = (await campaignTexts(app.db, c.id)).find((x) => x.lang === saved.lang)!;
        return reply.status(saved.created ? 201 : 200).send(text);
      },
    );

    app.get(
      '/api/v1/campaigns/:slug/counts',
      { schema: { tags: ['campaigns'], summary: 'Signatures of a campaign in all and per country (what the live counter polls)', params: CampaignParams, response: { 200: CountsOut } } },
      async (request, reply) => {
        const c = await getCampaignForReader(app.db, request.viewer, request.params.slug);
        // A public campaign's counts are the same for every reader: a cache in front may answer the polling for 5 s.
        reply.header('cache-control', c.visibility === 'public' && c.status !== 'draft' ? 'public, max-age=5' : 'private, no-store');
        return countsToApi(await campaignCounts(app.db, c.id), c.goal === null ? null : Number(c.goal));
      },
    );

    app.get(
      '/api/v1/campaigns/:slug/public-supporters',
      {
        schema: { tags: ['campaigns'], summary: 'Confirmed supporters who agreed to be listed publicly, newest first (never their e-mail)', params: CampaignParams, querystring: SupporterListQuery, response: { 200: PublicSupportersOut } },
      },
      async (request) => {
        const c = await getCampaignForReader(app.db, request.viewer, request.params.slug);
        const limit = request.query.limit ?? 50;
        const cursor = decodeCursor(request.query.after, 2);
        if (request.query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
        const [rows, total] = await Promise.all([
          listedSupporters(app.db, c.id, { limit: limit + 1, after: cursor ? { confirmedAt: cursor[0]!, id: cursor[1]! } : undefined }),
          countListedSupporters(app.db, c.id),
        ]);
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return {
          items: items.map((s) => ({ name: s.name, city: s.city, affiliation: s.affiliation, country: s.country, confirmedAt: s.confirmedAt })),
          total,
          next: rows.length > limit && last ? encodeCursor([last.confirmedAt, last.id]) : null,
        };
      },
    );
  },
  { name: 'campaignsRoutes', dependencies: ['request-context'] },
);
