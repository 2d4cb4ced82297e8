import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, ValidationFailed, formFieldErrors } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { apiWrite } from '../../http/api.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { canManageOrganization, createOrganization, updateOrganization, type OrganizationInput } from './organizations.service.ts';
import { countOrganizations, getOrganizationDetail, listOrganizations, type OrganizationDetail } from './organizations.repo.ts';
import { organizationDetailView, organizationFormView, organizationListView, type OrganizationFormValues } from './organizations.views.ts';
import { OrganizationBody, OrganizationListOut, OrganizationListQuery, OrganizationOut, SlugParams } from './organizations.schemas.ts';

const PAGE_SIZE = 50;

function toApi(o: OrganizationDetail) {
  return {
    id: o.id,
    slug: o.slug,
    name: o.name,
    kind: o.kind,
    country: o.country,
    city: o.city,
    languages: o.languages,
    website: o.website,
    contactEmail: o.contact_email,
    description: o.description,
    descriptionLang: o.description_lang,
    visibility: o.visibility,
    parent: o.parent?.slug ?? null,
    children: o.children.map((c) => c.slug),
    networks: o.networks.map((n) => ({ slug: n.slug, role: n.role, since: n.since, until: n.until })),
    createdAt: o.created_at,
    updatedAt: o.updated_at,
  };
}

function formValues(o: OrganizationDetail): OrganizationFormValues {
  return {
    name: o.name,
    slug: o.slug,
    kind: o.kind,
    country: o.country,
    city: o.city ?? '',
    languages: o.languages.join(', '),
    website: o.website ?? '',
    contactEmail: o.contact_email ?? '',
    description: o.description ?? '',
    descriptionLang: o.description_lang,
    visibility: o.visibility,
    parent: o.parent?.slug ?? '',
  };
}

type Form = Record<string, string | undefined>;

/** Organization pages (`/organizations…`) and API (`/api/v1/organizations…`). */
export const organizationsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const list = async (request: FastifyRequest, query: { q?: string; country?: string; kind?: string; after?: string; limit?: number }) => {
      const limit = query.limit ?? PAGE_SIZE;
      const cursor = decodeCursor(query.after, 2);
      if (query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
      const checks = new FieldChecker();
      const country = checks.country('country', query.country, { required: false });
      if (checks.errors.length) throw new ValidationFailed(checks.errors);
      const filters = { q: query.q || undefined, country: country ?? undefined, kind: query.kind || undefined };
      const [items, total] = await Promise.all([
        listOrganizations(app.db, request.viewer, { ...filters, after: cursor ? { key: cursor[0]!, id: cursor[1]! } : undefined, limit: limit + 1 }),
        countOrganizations(app.db, request.viewer, filters),
      ]);
      const more = items.length > limit;
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return { filters, items: page, total, next: more && last ? encodeCursor([last.search_text, last.id]) : null };
    };

    const renderForm = (request: FastifyRequest, reply: FastifyReply, o: { action: string; values: Form; errors?: ValidationFailed['errors']; editing: boolean }, status = 200) =>
      sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'organizations.form.edit_title' : 'organizations.form.new_title'), (ctx) =>
        organizationFormView(ctx, { action: o.action, values: o.values, errors: errorMap(o.errors), editing: o.editing }), status);

    /** Runs a form write; bad input re-renders the form with 422 and the typed values. */
    const submit = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, action: string, editing: boolean, write: (input: OrganizationInput) => Promise<{ slug: string }>) => {
      try {
        const { slug } = await write(request.body ?? {});
        return redirectAfterPost(reply, `/organizations/${slug}`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action, values: request.body ?? {}, errors, editing }, 422);
      }
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/organizations', { schema: { hide: true } }, async (request, reply) => {
      const r = await list(request, { q: request.query.q, country: request.query.country, kind: request.query.kind, after: request.query.after });
      return sendPage(request, reply, request.tr.t('organizations.list.title'), (ctx) =>
        organizationListView(ctx, { query: r.filters, items: r.items, total: r.total, nextCursor: r.next, canCreate: !!request.viewer }),
      );
    });

    app.get('/organizations/new', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return renderForm(request, reply, { action: '/organizations/new', values: { visibility: 'public', descriptionLang: request.tr.locale }, editing: false });
    });

    app.post<{ Body: Form }>('/organizations/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, '/organizations/new', false, (input) => createOrganization(app.db, request.requireViewer(), input)),
    );

    app.get<{ Params: { slug: string } }>('/organizations/:slug', { schema: { hide: true } }, async (request, reply) => {
      const org = await getOrganizationDetail(app.db, request.viewer, request.params.slug);
      if (!org) throw new NotFound();
      return sendPage(request, reply, org.name, (ctx) => organizationDetailView(ctx, org, canManageOrganization(request.viewer, org.id)));
    });

    app.get<{ Params: { slug: string } }>('/organizations/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const org = await getOrganizationDetail(app.db, viewer, request.params.slug);
      if (!org) throw new NotFound();
      if (!canManageOrganization(viewer, org.id)) throw new Forbidden();
      return renderForm(request, reply, { action: `/organizations/${org.slug}/edit`, values: formValues(org), editing: true });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/organizations/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, `/organizations/${request.params.slug}/edit`, true, (input) => updateOrganization(app.db, request.requireViewer(), request.params.slug, input)),
    );

    // ---- API
    app.get('/api/v1/organizations', { schema: { tags: ['organizations'], querystring: OrganizationListQuery, response: { 200: OrganizationListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map(({ slug, name, kind, country, city }) => ({ slug, name, kind, country, city })), total: r.total, next: r.next };
    });

    app.get('/api/v1/organizations/:slug', { schema: { tags: ['organizations'], params: SlugParams, response: { 200: OrganizationOut } } }, async (request) => {
      const org = await getOrganizationDetail(app.db, request.viewer, request.params.slug);
      if (!org) throw new NotFound();
      return toApi(org);
    });

    app.post('/api/v1/organizations', { preValidation: apiWrite, schema: { tags: ['organizations'], body: OrganizationBody, response: { 201: OrganizationOut } } }, async (request, reply) => {
      const { slug } = await createOrganization(app.db, request.requireViewer(), request.body);
      const org = await getOrganizationDetail(app.db, request.viewer, slug);
      return reply.status(201).header('location', `/api/v1/organizations/${slug}`).send(toApi(org!));
    });

    app.put('/api/v1/organizations/:slug', { preValidation: apiWrite, schema: { tags: ['organizations'], params: SlugParams, body: OrganizationBody, response: { 200: OrganizationOut } } }, async (request) => {
      const { slug } = await updateOrganization(app.db, request.requireViewer(), request.params.slug, request.body);
      const org = await getOrganizationDetail(app.db, request.viewer, slug);
      return toApi(org!);
    });
  },
  { name: 'organizations-routes', dependencies: ['request-context'] },
);
