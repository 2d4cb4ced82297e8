import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { formFieldErrors, type FieldError } from '../../http/errors.ts';
import { apiWrite, requireSignIn } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { getCampaignForCoordinator, type CampaignRecord } from './campaigns.access.ts';
import { campaignTitle, pendingEndorsements } from './campaigns.routes.ts';
import { CampaignParams } from './campaigns.schemas.ts';
import { addTally, listTallies, removeTally, type TallyRow } from './tallies.service.ts';
import { talliesView } from './tallies.views.ts';
import { TallyBody, TallyListOut, TallyOut, TallyParams } from './tallies.schemas.ts';

type Form = Record<string, string | undefined>;

function toApi(r: TallyRow) {
  return { id: r.id, country: r.country, count: r.count, source: r.source, collectedOn: r.collectedOn, externalRef: r.externalRef, enteredBy: r.enteredByName, enteredAt: r.enteredAt };
}

/**
 * Paper-list tallies of a campaign, for its coordinators: the page with the form and the list
 * (`/campaigns/:slug/tallies`), removal of a mistaken tally, and the API under
 * `/api/v1/campaigns/:slug/tallies`. The public sees the tallies only summed per country on the
 * campaign's page and in its counts.
 */
export const talliesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const render = async (request: FastifyRequest, reply: FastifyReply, c: CampaignRecord, o: { values: Form; errors?: FieldError[] }, status = 200) => {
      const [title, rows, pending] = await Promise.all([campaignTitle(app, request, c.id), listTallies(app.db, c.id), pendingEndorsements(app, c.id)]);
      return sendPage(request, reply, (ctx) => ctx.tr.t('campaigns.tallies.page_title'), (ctx) => talliesView(ctx, { slug: c.slug, title, rows, values: o.values, errors: errorMap(o.errors), pending }), status);
    };

    // ---- pages
    app.get<{ Params: { slug: string } }>('/campaigns/:slug/tallies', { schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      return render(request, reply, c, { values: {} });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/campaigns/:slug/tallies', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      const { _csrf, ...body } = request.body ?? {};
      try {
        await addTally(app.db, request.viewer, c.slug, body);
        return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/tallies`, 'added', 'tallies'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return render(request, reply, c, { values: body, errors }, 422);
      }
    });

    app.post<{ Params: { slug: string; id: string } }>('/campaigns/:slug/tallies/:id/remove', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      await removeTally(app.db, request.viewer, c.slug, request.params.id);
      return redirectAfterPost(reply, withNotice(`/campaigns/${c.slug}/tallies`, 'removed', 'tallies'));
    });

    // ---- API
    app.get(
      '/api/v1/campaigns/:slug/tallies',
      { schema: { tags: ['campaigns'], summary: 'Tallies of a campaign with their sources (its coordinators)', params: CampaignParams, response: { 200: TallyListOut } } },
      async (request) => {
        const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
        const rows = await listTallies(app.db, c.id);
        return { items: rows.map(toApi), sum: rows.reduce((s, r) => s + r.count, 0) };
      },
    );

    app.post(
      '/api/v1/campaigns/:slug/tallies',
      { preValidation: apiWrite, schema: { tags: ['campaigns'], summary: 'Enter signatures collected on paper or elsewhere (the campaign’s coordinators)', params: CampaignParams, body: TallyBody, response: { 201: TallyOut } } },
      async (request, reply) => {
        const c = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
        const { id } = await addTally(app.db, request.viewer, c.slug, request.body);
        const row = (await listTallies(app.db, c.id)).find((r) => r.id === id)!;
        return reply.status(201).send(toApi(row));
      },
    );

    // No body, so no JSON check: a cross-site DELETE needs a CORS preflight this server never grants.
    app.delete(
      '/api/v1/campaigns/:slug/tallies/:id',
      { preValidation: requireSignIn, schema: { tags: ['campaigns'], summary: 'Remove a mistaken tally (the campaign’s coordinators; audited)', params: TallyParams, response: { 204: Type.Null({ description: 'removed' }) } } },
      async (request, reply) => {
        await removeTally(app.db, request.viewer, request.params.slug, request.params.id);
        return reply.status(204).send(null);
      },
    );
  },
  { name: 'talliesRoutes', dependencies: ['request-context', 'campaignsRoutes'] },
);
