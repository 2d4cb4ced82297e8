import fp from 'fastify-plugin';
import { html } from 'htm/preact';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { formFieldErrors, type FieldError } from '../../http/errors.ts';
import { apiWrite } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { getPactForCoordinator, isPactCoordinator, type PactRecord } from './pacts.service.ts';
import { addBeneficiary, listBeneficiaries, updateBeneficiary, type BeneficiaryView } from './beneficiaries.service.ts';
import { moneyOut, PactParams } from './pacts.schemas.ts';
import { BeneficiaryBody, BeneficiaryListOut, BeneficiaryOut, BeneficiaryParams, BeneficiaryUpdateBody } from './beneficiaries.schemas.ts';
import { beneficiariesView, beneficiaryValues } from './beneficiaries.views.ts';
import type { PactSection } from './pacts.views.ts';

type Form = Record<string, string | undefined>;

/** A register entry as the API shows it (see `BeneficiaryOut`). */
function beneficiaryToApi(b: BeneficiaryView) {
  return {
    code: b.code,
    kind: b.kind,
    householdSize: b.householdSize,
    name: b.personal.name,
    contact: b.personal.contact,
    address: b.personal.address,
    notes: b.personal.notes,
    allocations: b.allocations.map((a) => moneyOut(a.totalMinor, a.currency)),
    archived: b.archivedAt !== null,
    archivedAt: b.archivedAt,
  };
}

/** The register's link on the pact page, for its coordinators only (nothing is read to make it). */
export async function beneficiarySections(_db: Db, viewer: Viewer | null, pact: PactRecord): Promise<PactSection[]> {
  if (!isPactCoordinator(viewer, pact)) return [];
  return [{ id: 'beneficiaries-link', slot: 'links', render: (ctx) => html`<a href=${`/pacts/${pact.slug}/beneficiaries`}>${ctx.tr.t('pacts.nav.beneficiaries')}</a>` }];
}

/**
 * Pages (`/pacts/:slug/beneficiaries`) and API (`/api/v1/pacts/:slug/beneficiaries…`) of the
 * private beneficiary register, for the pact's coordinators only: 404 for whoever cannot see the
 * pact, 403 for others who can. Every page view and API read is an audited read of the register.
 */
export const beneficiariesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const render = async (request: FastifyRequest, reply: FastifyReply, pact: PactRecord, o: { editing: string | null; values?: Form; errors?: FieldError[] }, status = 200) => {
      const items = await listBeneficiaries(app.db, app.keyring, request.viewer, pact.slug);
      const edited = o.editing ? items.find((b) => b.code === o.editing) : undefined;
      const editing = edited ? edited.code : null;
      const values = o.values ?? (edited ? beneficiaryValues(edited) : {});
      return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.beneficiaries.title', { pact: pact.title }), (ctx) =>
        beneficiariesView(ctx, pact, { items, editing, values, errors: errorMap(o.errors) }), status);
    };

    // ---- pages
    app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/pacts/:slug/beneficiaries', { schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      const edit = typeof request.query.edit === 'string' ? request.query.edit : null;
      return render(request, reply, pact, { editing: edit });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/beneficiaries', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      const { _csrf, ...input } = request.body ?? {};
      try {
        const { code } = await addBeneficiary(app.db, app.keyring, request.viewer, pact.slug, input);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/beneficiaries`, 'added', `b-${code}`));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return render(request, reply, pact, { editing: null, values: input, errors }, 422);
      }
    });

    app.post<{ Params: { slug: string; code: string }; Body: Form }>('/pacts/:slug/beneficiaries/:code', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      const { _csrf, ...input } = request.body ?? {};
      try {
        await updateBeneficiary(app.db, app.keyring, request.viewer, pact.slug, request.params.code, input);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/beneficiaries`, 'updated', `b-${request.params.code}`));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return render(request, reply, pact, { editing: request.params.code, values: input, errors }, 422);
      }
    });

    // ---- API
    const one = async (request: FastifyRequest, slug: string, code: string) => {
      const [b] = await listBeneficiaries(app.db, app.keyring, request.viewer, slug, { code });
      return beneficiaryToApi(b!);
    };

    app.get(
      '/api/v1/pacts/:slug/beneficiaries',
      { schema: { tags: ['pacts'], summary: "A pact's private beneficiary register (coordinators; every read is audited)", params: PactParams, response: { 200: BeneficiaryListOut } } },
      async (request) => ({ items: (await listBeneficiaries(app.db, app.keyring, request.viewer, request.params.slug)).map(beneficiaryToApi) }),
    );

    app.post(
      '/api/v1/pacts/:slug/beneficiaries',
      { preValidation: apiWrite, schema: { tags: ['pacts'], summary: 'Add a beneficiary to the register (coordinators); the code is assigned', params: PactParams, body: BeneficiaryBody, response: { 201: BeneficiaryOut } } },
      async (request, reply) => {
        const { code } = await addBeneficiary(app.db, app.keyring, request.viewer, request.params.slug, request.body);
        return reply.status(201).send(await one(request, request.params.slug, code));
      },
    );

    app.put(
      '/api/v1/pacts/:slug/beneficiaries/:code',
      { preValidation: apiWrite, schema: { tags: ['pacts'], summary: 'Change or archive a beneficiary (coordinators; a full update)', params: BeneficiaryParams, body: BeneficiaryUpdateBody, response: { 200: BeneficiaryOut } } },
      async (request) => {
        await updateBeneficiary(app.db, app.keyring, request.viewer, request.params.slug, request.params.code, request.body);
        return one(request, request.params.slug, request.params.code);
      },
    );
  },
  { name: 'beneficiaries-routes', dependencies: ['request-context'] },
);

