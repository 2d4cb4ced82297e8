import fp from 'fastify-plugin';
import { html } from 'htm/preact';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { apiWrite } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { todayIn } from '../../lib/time.ts';
import { getPact, isPactCoordinator, type PactRecord } from './pacts.service.ts';
import { moneyOut, PactParams, refuseNumericAmounts } from './pacts.schemas.ts';
import { cancelPledge, createPledge, listPledges, type PledgeView } from './pledges.service.ts';
import { summarizePledges, type PledgeSummaryLine } from './pledges.summary.ts';
import { PledgeBody, PledgeListOut, PledgeOut, PledgeParams } from './pledges.schemas.ts';
import { pledgeSummaryView, pledgesView } from './pledges.views.ts';
import type { PactSection } from './pacts.views.ts';

type Form = Record<string, string | undefined>;

/** Today (date-only) where the reader is: their account's time zone, UTC for anonymous readers. */
export function readerToday(viewer: Viewer | null): string {
  return todayIn(viewer?.timeZone ?? 'UTC');
}

/** Organizations the viewer may pledge for (publishing roles: admin, coordinator, member), by name. */
async function pledgingOrganizations(db: Db, viewer: Viewer | null): Promise<{ slug: string; name: string }[]> {
  if (!viewer) return [];
  const ids = [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator' || r === 'member').map(([id]) => id);
  if (!ids.length) return [];
  return db.selectFrom('organizations').select(['slug', 'name']).where('id', 'in', ids).orderBy('name').limit(500).execute();
}

/** A pledge as the API shows it (see `PledgeOut`). */
export function pledgeToApi(p: PledgeView) {
  return {
    id: p.id,
    pledgerKind: p.pledgerKind,
    pledger: { name: p.pledgerName, organization: p.organizationSlug },
    ...moneyOut(p.amountMinor, p.currency),
    frequency: p.frequency,
    startDate: p.startDate,
    endDate: p.endDate,
    cancelledAt: p.cancelledAt,
    note: p.note,
    periods: p.periods.map((x) => ({ start: x.start, end: x.end, due: moneyOut(x.dueMinor, p.currency), fulfilled: moneyOut(x.fulfilledMinor, p.currency), state: x.state })),
    overdue: p.overdue,
    canCancel: p.canManage && !p.cancelledAt,
  };
}

function summaryToApi(l: PledgeSummaryLine) {
  return {
    frequency: l.frequency,
    pledges: l.pledges,
    due: moneyOut(l.dueMinor, l.currency),
    fulfilled: moneyOut(l.fulfilledMinor, l.currency),
    periodStart: l.period?.start ?? null,
    periodEnd: l.period?.end ?? null,
  };
}

/**
 * The pledges parts of the pact page (see `PactSection`): a link to the pledges page, and
 * pledged against fulfilled in the current period in aggregate (with the number of overdue
 * pledges for coordinators).
 */
export async function pledgesSections(db: Db, viewer: Viewer | null, pact: PactRecord): Promise<PactSection[]> {
  const today = readerToday(viewer);
  const summary = summarizePledges(await listPledges(db, viewer, pact, today), today);
  const coordinator = isPactCoordinator(viewer, pact);
  return [
    { id: 'pledges-link', slot: 'links', render: (ctx) => html`<a href=${`/pacts/${pact.slug}/pledges`}>${ctx.tr.t('pacts.nav.pledges')}</a>` },
    { id: 'pledges', slot: 'progress', render: (ctx) => pledgeSummaryView(ctx, pact.slug, summary, coordinator) },
  ];
}

/** Pages (`/pacts/:slug/pledges`) and API (`/api/v1/pacts/:slug/pledges…`) of a pact's pledges. */
export const pledgesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const render = async (request: FastifyRequest, reply: FastifyReply, pact: PactRecord, form?: { values: Form; errors: FieldError[] }, status = 200) => {
      const viewer = request.viewer;
      const today = readerToday(viewer);
      const [items, organizations] = await Promise.all([listPledges(app.db, viewer, pact, today), pledgingOrganizations(app.db, viewer)]);
      const coordinator = isPactCoordinator(viewer, pact);
      return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.pledges.title', { pact: pact.title }), (ctx) =>
        pledgesView(ctx, pact, {
          items,
          coordinator,
          overduePledges: summarizePledges(items, today).overduePledges,
          form: viewer ? { organizations, values: form?.values ?? {}, errors: errorMap(form?.errors) } : null,
        }), status);
    };

    // ---- pages
    app.get<{ Params: { slug: string } }>('/pacts/:slug/pledges', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      return render(request, reply, pact);
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/pledges', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const viewer = request.requireViewer();
      const { _csrf, ...input } = request.body ?? {};
      try {
        await createPledge(app.db, viewer, pact.slug, input);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/pledges`, 'pledged'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return render(request, reply, await getPact(app.db, viewer, pact.slug), { values: input, errors }, 422);
      }
    });

    app.post<{ Params: { slug: string; id: string } }>('/pacts/:slug/pledges/:id/cancel', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      await cancelPledge(app.db, request.requireViewer(), pact.slug, request.params.id);
      return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/pledges`, 'cancelled'));
    });

    // ---- API
    const one = async (request: FastifyRequest, slug: string, id: string) => {
      const pact = await getPact(app.db, request.viewer, slug);
      const p = (await listPledges(app.db, request.viewer, pact, readerToday(request.viewer))).find((x) => x.id === id);
      if (!p) throw new NotFound();
      return pledgeToApi(p);
    };

    app.get(
      '/api/v1/pacts/:slug/pledges',
      { schema: { tags: ['pacts'], summary: "A pact's pledges with their periods up to today, and pledged against fulfilled in the current period", params: PactParams, response: { 200: PledgeListOut } } },
      async (request) => {
        const pact = await getPact(app.db, request.viewer, request.params.slug);
        const today = readerToday(request.viewer);
        const items = await listPledges(app.db, request.viewer, pact, today);
        return { items: items.map(pledgeToApi), summary: summarizePledges(items, today).lines.map(summaryToApi) };
      },
    );

    app.post(
      '/api/v1/pacts/:slug/pledges',
      {
        preValidation: [...apiWrite, refuseNumericAmounts('amount')],
        schema: { tags: ['pacts'], summary: 'Pledge to a pact: for an organization you publish for, for yourself, or (coordinators) for a named person', params: PactParams, body: PledgeBody, response: { 201: PledgeOut } },
      },
      async (request, reply) => {
        const { id } = await createPledge(app.db, request.requireViewer(), request.params.slug, request.body);
        return reply.status(201).send(await one(request, request.params.slug, id));
      },
    );

    app.post(
      '/api/v1/pacts/:slug/pledges/:id/cancel',
      { preValidation: apiWrite, schema: { tags: ['pacts'], summary: 'End a pledge from today on (its maker, the pledging organization’s members, pact coordinators)', params: PledgeParams, response: { 200: PledgeOut } } },
      async (request) => {
        await cancelPledge(app.db, request.requireViewer(), request.params.slug, request.params.id);
        return one(request, request.params.slug, request.params.id);
      },
    );
  },
  { name: 'pledges-routes', dependencies: ['request-context'] },
);
