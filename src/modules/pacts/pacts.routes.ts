import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, ValidationFailed, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { apiWrite, pageByStatus } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { minorToDecimalString } from '../../lib/money.ts';
import type { PactStatus } from '../../db/schema.ts';
import { createPact, getPact, getPactForCoordinator, PACT_STATUSES, setPactStatus, updatePact, type PactInput, type PactRecord } from './pacts.service.ts';
import { canLeadAnywhere, countPacts, leadingOrganizations, listPactRows, pactOverview, type PactListRow, type PactOverview } from './pacts.repo.ts';
import { closeConfirmView, pactDetailView, pactFormView, pactListView, type PactFormValues, type PactSection } from './pacts.views.ts';
import { moneyOut, PactCreateBody, PactListOut, PactListQuery, PactOut, PactParams, PactStatusBody, PactUpdateBody, refuseNumericAmounts } from './pacts.schemas.ts';
import { ledgerRoutes } from './ledger.routes.ts';
import { PactClosed } from './ledger.service.ts';
import { pledgesSections } from './pledges.routes.ts';
import { disbursementSections } from './disbursements.routes.ts';
import { beneficiarySections } from './beneficiaries.routes.ts';
import { reportSections } from './report.routes.ts';

const PAGE_SIZE = 25;
type Form = Record<string, string | undefined>;

function summaryToApi(p: PactListRow) {
  return {
    slug: p.slug,
    title: p.title,
    lang: p.lang,
    beneficiaryGroup: p.beneficiaryGroup,
    country: p.country,
    status: p.status,
    organization: p.organization?.slug ?? null,
    goal: p.goalMinor !== null && p.goalCurrency ? moneyOut(p.goalMinor, p.goalCurrency) : null,
    raised: p.goalCurrency ? moneyOut(p.raisedMinor ?? 0, p.goalCurrency) : null,
    periodStart: p.periodStart,
    periodEnd: p.periodEnd,
  };
}

function pactToApi(p: PactRecord, ov: PactOverview) {
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    description: p.description,
    lang: p.lang,
    beneficiaryGroup: p.beneficiary_group,
    country: p.country,
    status: p.status,
    closedAt: p.closed_at,
    visibility: p.visibility,
    organization: ov.organization?.slug ?? null,
    initiators: ov.initiators.map((i) => i.slug),
    struggles: ov.struggles.map((s) => s.slug),
    goal: p.goal_minor !== null && p.goal_currency ? moneyOut(p.goal_minor, p.goal_currency) : null,
    periodStart: p.period_start,
    periodEnd: p.period_end,
    raised: ov.raised.map((r) => moneyOut(r.amountMinor, r.currency)),
    coordinator: ov.coordinator,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

/** The form's fields as service input (lists stay comma-separated text; the service splits them). */
function formInput(body: Form): PactInput {
  const { _csrf, ...rest } = body;
  return rest;
}

/**
 * Parts of the pact page that other parts of the module add (see `PactSection` in pacts.views.ts).
 * Slots kept for: a pledges summary (slot `progress`: pledged vs fulfilled per period), the number
 * of households supported and the total disbursed per month (slot `money`: aggregates only), and
 * a link to the transparency report (slot `links`). Each is one line here calling its own module.
 */
async function pactSections(app: FastifyInstance, request: FastifyRequest, pact: PactRecord, _ov: PactOverview): Promise<PactSection[]> {
  const sections: PactSection[] = [];
  sections.push(...await pledgesSections(app.db, request.viewer, pact));
  sections.push(...await reportSections(app.db, request.viewer, pact));
  sections.push(...await disbursementSections(app.db, request.viewer, pact));
  sections.push(...await beneficiarySections(app.db, request.viewer, pact));
  return sections;
}

/** Solidarity pact pages (`/pacts…`) and API (`/api/v1/pacts…`); the ledger's are in ledger.routes.ts. */
export const pactsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const list = (request: FastifyRequest, query: { status?: string; after?: string; limit?: number }) =>
      pageByStatus(query, {
        statuses: PACT_STATUSES,
        pageSize: PAGE_SIZE,
        rows: (filter) => listPactRows(app.db, request.viewer, filter),
        count: (filter) => countPacts(app.db, request.viewer, filter),
      });

    /** Starting a pact needs an admin or coordinator role somewhere (the owner must be led by the starter). */
    const requireLeader = (request: FastifyRequest) => {
      const viewer = request.requireViewer();
      if (!canLeadAnywhere(viewer)) throw new Forbidden();
      return viewer;
    };

    const renderForm = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { action: string; values: Form; errors?: FieldError[]; editing: { slug: string; status: PactStatus; owner: string } | null; statusErrors?: FieldError[] },
      status = 200,
    ) => {
      const organizations = o.editing ? [] : await leadingOrganizations(app.db, request.viewer);
      const values = { ...o.values };
      if (!o.editing && status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      return sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'pacts.form.edit_title' : 'pacts.form.new_title'), (ctx) =>
        pactFormView(ctx, { action: o.action, values, errors: errorMap(o.errors), editing: o.editing, organizations, statusErrors: errorMap(o.statusErrors) }), status);
    };

    /** The edit form's values from the stored pact (every initiator, also those the editor cannot open). */
    const editValues = async (p: PactRecord): Promise<PactFormValues> => {
      const [orgs, struggles] = await Promise.all([
        app.db.selectFrom('organizations').select(['id', 'slug']).where('id', 'in', p.initiatorIds).execute(),
        app.db.selectFrom('pact_struggles as ps').innerJoin('struggles as s', 's.id', 'ps.struggle_id').select('s.slug').where('ps.pact_id', '=', p.id).orderBy('s.slug').execute(),
      ]);
      return {
        initiators: orgs.filter((o) => o.id !== p.organization_id).map((o) => o.slug).sort().join(', '),
        struggles: struggles.map((s) => s.slug).join(', '),
        title: p.title,
        description: p.description,
        lang: p.lang,
        beneficiaryGroup: p.beneficiary_group,
        country: p.country ?? '',
        goalAmount: p.goal_minor !== null && p.goal_currency ? minorToDecimalString(p.goal_minor, p.goal_currency) : '',
        goalCurrency: p.goal_currency ?? '',
        periodStart: p.period_start,
        periodEnd: p.period_end ?? '',
        visibility: p.visibility,
      };
    };

    const editing = async (p: PactRecord) => {
      const owner = await app.db.selectFrom('organizations').select('name').where('id', '=', p.organization_id).executeTakeFirstOrThrow();
      return { slug: p.slug, status: p.status, owner: owner.name };
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/pacts', { schema: { hide: true } }, async (request, reply) => {
      const status = typeof request.query.status === 'string' && request.query.status ? request.query.status : undefined;
      let r;
      try {
        r = await list(request, { status, after: request.query.after });
      } catch (err) {
        // A stale page link or a bad filter shows the first page of everything rather than an error.
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, {});
      }
      const shown = status && (PACT_STATUSES as readonly string[]).includes(status) ? status : undefined;
      return sendPage(request, reply, request.tr.t('pacts.list.title'), (ctx) =>
        pactListView(ctx, { status: shown, items: r.items, total: r.total, nextCursor: r.next, canStart: canLeadAnywhere(request.viewer) }));
    });

    app.get('/pacts/new', { schema: { hide: true } }, async (request, reply) => {
      requireLeader(request);
      return renderForm(request, reply, { action: '/pacts/new', values: { visibility: 'public', lang: request.tr.locale }, editing: null });
    });

    app.post<{ Body: Form }>('/pacts/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = requireLeader(request);
      try {
        const { slug } = await createPact(app.db, viewer, formInput(request.body ?? {}));
        return redirectAfterPost(reply, withNotice(`/pacts/${slug}`, 'created'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action: '/pacts/new', values: request.body ?? {}, errors, editing: null }, 422);
      }
    });

    app.get<{ Params: { slug: string } }>('/pacts/:slug', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const ov = await pactOverview(app.db, request.viewer, pact);
      const sections = await pactSections(app, request, pact, ov);
      return sendPage(request, reply, pact.title, (ctx) => pactDetailView(ctx, pact, ov, { sections }));
    });

    app.get<{ Params: { slug: string } }>('/pacts/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      // A closed pact is final: no form that could only be refused.
      if (pact.status === 'closed') throw new PactClosed();
      return renderForm(request, reply, { action: `/pacts/${pact.slug}/edit`, values: await editValues(pact), editing: await editing(pact) });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      // Who may not see or change the pact learns nothing from a form: 404 / 403 before any validation.
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      try {
        await updatePact(app.db, request.viewer, pact.slug, formInput(request.body ?? {}));
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}`, 'updated'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action: `/pacts/${pact.slug}/edit`, values: request.body ?? {}, errors, editing: await editing(pact) }, 422);
      }
    });

    /**
     * Status change from the edit page. `closed` is final, so without `confirm=yes` the answer is
     * the confirmation page (nothing changes); with it the pact closes.
     */
    app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/status', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      const status = request.body?.status;
      if (status === 'closed' && request.body?.confirm !== 'yes' && pact.status !== 'closed') {
        return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.close.title'), (ctx) => closeConfirmView(ctx, pact));
      }
      try {
        await setPactStatus(app.db, request.viewer, pact.slug, status);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}`, 'status'));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action: `/pacts/${pact.slug}/edit`, values: await editValues(pact), statusErrors: errors, editing: await editing(pact) }, 422);
      }
    });

    // ---- API
    const detail = async (request: FastifyRequest, slug: string) => {
      const pact = await getPact(app.db, request.viewer, slug);
      return pactToApi(pact, await pactOverview(app.db, request.viewer, pact));
    };

    app.get('/api/v1/pacts', { schema: { tags: ['pacts'], summary: 'List the solidarity pacts the caller may see, newest first', querystring: PactListQuery, response: { 200: PactListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map(summaryToApi), next: r.next };
    });

    app.post(
      '/api/v1/pacts',
      { preValidation: [...apiWrite, refuseNumericAmounts('goalAmount')], schema: { tags: ['pacts'], summary: 'Start a solidarity pact (admins and coordinators of the owning organization)', body: PactCreateBody, response: { 201: PactOut } } },
      async (request, reply) => {
        const { slug } = await createPact(app.db, request.requireViewer(), request.body);
        return reply.status(201).header('location', `/api/v1/pacts/${slug}`).send(await detail(request, slug));
      },
    );

    app.get('/api/v1/pacts/:slug', { schema: { tags: ['pacts'], summary: 'A solidarity pact with what it raised per currency', params: PactParams, response: { 200: PactOut } } }, async (request) =>
      detail(request, request.params.slug),
    );

    app.put(
      '/api/v1/pacts/:slug',
      { preValidation: [...apiWrite, refuseNumericAmounts('goalAmount')], schema: { tags: ['pacts'], summary: "Change a pact (its coordinators; not once it is closed)", params: PactParams, body: PactUpdateBody, response: { 200: PactOut } } },
      async (request) => {
        const { slug } = await updatePact(app.db, request.requireViewer(), request.params.slug, request.body);
        return detail(request, slug);
      },
    );

    app.post(
      '/api/v1/pacts/:slug/status',
      { preValidation: apiWrite, schema: { tags: ['pacts'], summary: 'Open, pause or close a pact (closing is final)', params: PactParams, body: PactStatusBody, response: { 200: PactOut } } },
      async (request) => {
        await setPactStatus(app.db, request.requireViewer(), request.params.slug, request.body.status);
        return detail(request, request.params.slug);
      },
    );

    await ledgerRoutes(app);
  },
  { name: 'pacts-routes', dependencies: ['request-context'] },
);
