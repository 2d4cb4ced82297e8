import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { Type } from 'typebox';
import { apiWrite, requireSignIn } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import type { EndorsementStatus } from '../../db/schema.ts';
import { getCampaignForCoordinator, isCampaignCoordinator, type CampaignRecord } from './campaigns.access.ts';
import { getCampaignForReader } from './campaigns.service.ts';
import { leadsAnywhere, ledOrganizations } from './campaigns.repo.ts';
import { campaignTitle } from './campaigns.routes.ts';
import {
  confirmedEndorsements,
  decideEndorsement,
  EndorsementConflict,
  endorseCampaign,
  endorsementsLedBy,
  listEndorsements,
  withdrawEndorsement,
  type EndorsementRow,
} from './endorsements.service.ts';
import { endorseView, endorsementsAdminView } from './endorsements.views.ts';
import { EndorsementBody, EndorsementListOut, EndorsementListQuery, EndorsementOut, EndorsementParams } from './endorsements.schemas.ts';
import { CampaignParams } from './campaigns.schemas.ts';

type Form = Record<string, string | undefined>;

function toApi(e: EndorsementRow) {
  return {
    id: e.id,
    status: e.status,
    organization: { slug: e.organization.slug, name: e.organization.name, country: e.organization.country },
    statement: e.statement,
    statementLang: e.statementLang,
    endorsedAt: e.endorsedAt,
    decidedAt: e.decidedAt,
  };
}

/**
 * Organizations as signatories of a campaign: the endorse page and form for admins and
 * coordinators of an organization, withdrawal, and the coordinators' page to confirm or refuse
 * (`/campaigns/:slug/endorse`, `/campaigns/:slug/endorsements…`), with the API equivalents under
 * `/api/v1/campaigns/:slug/endorsements`.
 */
export const endorsementsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    /** The campaign for someone who may endorse it: sees it, signed in, leads some organization. */
    const forEndorser = async (request: FastifyRequest, slug: string) => {
      const campaign = await getCampaignForReader(app.db, request.viewer, slug);
      const viewer = request.requireViewer();
      if (!leadsAnywhere(viewer)) throw new Forbidden();
      return campaign;
    };

    const renderEndorse = async (request: FastifyRequest, reply: FastifyReply, c: CampaignRecord, o: { values: Form; errors?: FieldError[] }, status = 200) => {
      const [title, own, led] = await Promise.all([campaignTitle(app, request, c.id), endorsementsLedBy(app.db, request.viewer, c.id), ledOrganizations(app.db, request.viewer)]);
      const taken = new Set([...c.issuerIds, ...own.map((e) => e.organization.id)]);
      const organizations = led.filter((o) => !taken.has(o.id));
      const values = { ...o.values };
      if (status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      return sendPage(request, reply, (ctx) => ctx.tr.t('campaigns.endorsements.endorse_page_title'), (ctx) =>
        endorseView(ctx, { slug: c.slug, title, open: c.status === 'open', own, organizations, values, errors: errorMap(o.errors) }), status);
    };

    const renderAdmin = async (request: FastifyRequest, reply: FastifyReply, c: CampaignRecord, error: string | null = null, status = 200) => {
      const [title, rows] = await Promise.all([campaignTitle(app, request, c.id), listEndorsements(app.db, c.id)]);
      return sendPage(request, reply, (ctx) => ctx.tr.t('campaigns.endorsements.admin_page_title'), (ctx) => endorsementsAdminView(ctx, { slug: c.slug, title, rows, error }), status);
    };

    // ---- pages
    app.get<{ Params: { slug: string } }>('/campaigns/:slug/endorse', { schema: { hide: true } }, async (request, reply) => {
      const c = await forEndorser(request, request.params.slug);
      return renderEndorse(request, reply, c, { values: { statementLang: request.tr.locale } });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/campaigns/:slug/endorse', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const c = await forEndorser(request, request.params.slug);
      const { _csrf, ...body } = request.body ?? {};
      try {
        await endorseCampaign(app.db, request.viewer, c.slug, body);
        return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/endorse`, 'endorsed'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderEndorse(request, reply, c, { values: body, errors }, 422);
      }
    });

    app.post<{ Params: { slug: string; id: string } }>('/campaigns/:slug/endorsements/:id/withdraw', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForReader(app.db, request.viewer, request.params.slug);
      await withdrawEndorsement(app.db, request.viewer, c.slug, request.params.id);
      return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/endorse`, 'withdrawn'));
    });

    app.get<{ Params: { slug: string } }>('/campaigns/:slug/endorsements', { schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      return renderAdmin(request, reply, c);
    });

    for (const [verb, decision] of [['confirm', 'confirmed'], ['reject', 'rejected']] as const) {
      app.post<{ Params: { slug: string; id: string } }>(`/campaigns/:slug/endorsements/:id/${verb}`, { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
        const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
        try {
          await decideEndorsement(app.db, request.viewer, c.slug, request.params.id, decision);
        } catch (err) {
          // Decided meanwhile by another coordinator: the page as it is now, saying so.
          if (err instanceof EndorsementConflict) return renderAdmin(request, reply, c, err.messageId, 409);
          throw err;
        }
        return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/endorsements`, decision));
      });
    }

    // ---- API
    app.get(
      '/api/v1/campaigns/:slug/endorsements',
      {
        schema: {
          tags: ['campaigns'],
          summary: 'Endorsements of a campaign: confirmed ones for everyone, all of them for its coordinators',
          params: CampaignParams,
          querystring: EndorsementListQuery,
          response: { 200: EndorsementListOut },
        },
      },
      async (request) => {
        const c = await getCampaignForReader(app.db, request.viewer, request.params.slug);
        const status = request.query.status as EndorsementStatus | undefined;
        if (isCampaignCoordinator(request.viewer, c)) return { items: (await listEndorsements(app.db, c.id, { status })).map(toApi) };
        const confirmed = status && status !== 'confirmed' ? [] : await confirmedEndorsements(app.db, request.viewer, c.id);
        return { items: confirmed.map(toApi) };
      },
    );

    app.post(
      '/api/v1/campaigns/:slug/endorsements',
      {
        preValidation: apiWrite,
        schema: { tags: ['campaigns'], summary: 'Endorse a campaign for an organization (its admins and coordinators); waits for the campaign’s coordinators', params: CampaignParams, body: EndorsementBody, response: { 201: EndorsementOut } },
      },
      async (request, reply) => {
        const c = await forEndorser(request, request.params.slug);
        const { id } = await endorseCampaign(app.db, request.viewer, c.slug, request.body);
        const row = (await endorsementsLedBy(app.db, request.viewer, c.id)).find((e) => e.id === id)!;
        return reply.status(201).header('location', `/api/v1/campaigns/${c.slug}/endorsements`).send(toApi(row));
      },
    );

    for (const [verb, decision] of [['confirm', 'confirmed'], ['reject', 'rejected']] as const) {
      app.post(
        `/api/v1/campaigns/:slug/endorsements/:id/${verb}`,
        {
          preValidation: apiWrite,
          schema: { tags: ['campaigns'], summary: `${verb === 'confirm' ? 'Confirm' : 'Refuse'} a waiting endorsement (the campaign’s coordinators)`, params: EndorsementParams, response: { 200: EndorsementOut } },
        },
        async (request) => {
          const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
          await decideEndorsement(app.db, request.viewer, c.slug, request.params.id, decision);
          return toApi((await listEndorsements(app.db, c.id)).find((e) => e.id === request.params.id)!);
        },
      );
    }

    app.delete(
      '/api/v1/campaigns/:slug/endorsements/:id',
      { preValidation: requireSignIn, schema: { tags: ['campaigns'], summary: 'Withdraw an organization’s endorsement (its admins and coordinators)', params: EndorsementParams, response: { 204: Type.Null({ description: 'withdrawn' }) } } },
      async (request, reply) => {
        await withdrawEndorsement(app.db, request.viewer, request.params.slug, request.params.id);
        return reply.status(204).send(null);
      },
    );
  },
  { name: 'endorsementsRoutes', dependencies: ['request-context', 'campaignsRoutes'] },
);
