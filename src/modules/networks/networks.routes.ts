import fp from 'fastify-plugin';
import type { Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { isSector } from '../../lib/sectors.ts';
import { apiWrite } from '../../http/api.ts';
import { canManageOrganization } from '../organizations/organizations.service.ts';
import {
  NETWORK_ROLES,
  addNetworkMembership,
  createNetwork,
  endNetworkMembership,
  mayManageNetwork,
  networkToday,
  updateNetwork,
  type NetworkInput,
} from './networks.service.ts';
import { countNetworks, getNetworkDetail, listNetworks, managedOrganizations, type NetworkDetail } from './networks.repo.ts';
import { followOptions } from '../follows/follows.service.ts';
import { networkDetailView, networkFormView, networkListView, type NetworkDetailOptions, type NetworkFormValues } from './networks.views.ts';
import {
  NetworkBody,
  NetworkListOut,
  NetworkListQuery,
  NetworkMembershipBody,
  NetworkMembershipEndBody,
  NetworkMembershipOut,
  NetworkMembershipParams,
  NetworkMemberOut,
  NetworkOut,
  NetworkSlugParams,
} from './networks.schemas.ts';

const PAGE_SIZE = 50;
type Form = Record<string, string | undefined>;

function detailToApi(n: NetworkDetail) {
  const members: Record<string, Static<typeof NetworkMemberOut>[]> = {};
  for (const [country, list] of Object.entries(n.members)) {
    members[country] = list.map((m) => ({
      membershipId: m.membershipId,
      organization: m.slug,
      name: m.name,
      kind: m.kind,
      role: m.role,
      since: m.since,
      until: m.until,
      past: m.past,
      upcoming: m.upcoming,
    }));
  }
  return {
    id: n.id,
    slug: n.slug,
    name: n.name,
    sector: n.sector,
    description: n.description,
    descriptionLang: n.description_lang,
    memberCount: n.memberCount,
    members,
    createdAt: n.created_at,
    updatedAt: n.updated_at,
  };
}

/** The membership id must belong to the network in the URL and be listed on its page (a visible organization). */
function assertMembershipOf(n: NetworkDetail, membershipId: string): void {
  const found = Object.values(n.members).some((list) => list.some((m) => m.membershipId === membershipId));
  if (!found) throw new NotFound();
}

function formValues(n: NetworkDetail): NetworkFormValues {
  return { name: n.name, slug: n.slug, sector: n.sector, description: n.description ?? '', descriptionLang: n.description_lang };
}

/** Network pages (`/networks…`) and API (`/api/v1/networks…`). */
export const networksRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const list = async (request: FastifyRequest, query: { sector?: string; after?: string; limit?: number }) => {
      const limit = query.limit ?? PAGE_SIZE;
      const cursor = decodeCursor(query.after, 2);
      if (query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
      const filters = { sector: query.sector || undefined };
      const [items, total] = await Promise.all([
        listNetworks(app.db, request.viewer, { ...filters, after: cursor ? { name: cursor[0]!, id: cursor[1]! } : undefined, limit: limit + 1, today: networkToday() }),
        countNetworks(app.db, filters),
      ]);
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return { filters, items: page, total, next: items.length > limit && last ? encodeCursor([last.name, last.id]) : null };
    };

    const loadDetail = async (viewer: Viewer | null, slug: string) => {
      const n = await getNetworkDetail(app.db, viewer, slug, networkToday());
      if (!n) throw new NotFound();
      return n;
    };

    /** Renders the detail page; `join`/`end` carry a failed form's values and errors (HTTP 422). */
    const renderDetail = async (
      request: FastifyRequest,
      reply: FastifyReply,
      n: NetworkDetail,
      o: { join?: { values: Form; errors: FieldError[] }; end?: { membershipId: string; values: Form; errors: FieldError[] } } = {},
      status = 200,
    ) => {
      const viewer = request.viewer;
      const canManage = await mayManageNetwork(app.db, viewer, n);
      const own = canManage ? [] : await managedOrganizations(app.db, viewer);
      const options: NetworkDetailOptions = {
        canManage,
        follow: viewer ? { kind: 'network', target: n.slug, next: `/networks/${n.slug}`, options: await followOptions(app.db, viewer, 'network', n.id) } : null,
        canEnd: (m) => canManage || canManageOrganization(viewer, m.organizationId),
        ...(o.end ? { endFailure: { membershipId: o.end.membershipId, values: o.end.values, errors: errorMap(o.end.errors) } } : {}),
      };
      if (canManage || own.length) {
        options.join = {
          organizations: canManage ? null : own,
          roles: canManage ? NETWORK_ROLES : NETWORK_ROLES.filter((r) => r !== 'coordinator'),
          values: o.join?.values ?? {},
          errors: errorMap(o.join?.errors),
        };
      }
      return sendPage(request, reply, n.name, (ctx) => networkDetailView(ctx, n, options), status);
    };

    const renderForm = (request: FastifyRequest, reply: FastifyReply, o: { action: string; values: Form; errors?: FieldError[]; editing: boolean }, status = 200) =>
      sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'networks.form.edit_title' : 'networks.form.new_title'), (ctx) =>
        networkFormView(ctx, { action: o.action, values: o.values, errors: errorMap(o.errors), editing: o.editing }), status);

    /** Runs a form write; bad input re-renders the form with 422 and the typed values. */
    const submit = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, action: string, editing: boolean, write: (input: NetworkInput) => Promise<{ slug: string }>) => {
      try {
        const { slug } = await write(request.body ?? {});
        return redirectAfterPost(reply, `/networks/${slug}`);
      } catch (err) {
        if (err instanceof ValidationFailed) return renderForm(request, reply, { action, values: request.body ?? {}, errors: err.errors, editing }, 422);
        throw err;
      }
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/networks', { schema: { hide: true } }, async (request, reply) => {
      const sector = request.query.sector && isSector(request.query.sector) ? request.query.sector : undefined;
      let r;
      try {
        r = await list(request, { sector, after: request.query.after });
      } catch (err) {
        // A stale page link shows the first page rather than an error.
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, { sector });
      }
      return sendPage(request, reply, request.tr.t('networks.list.title'), (ctx) =>
        networkListView(ctx, { query: { sector }, items: r.items, total: r.total, nextCursor: r.next, canCreate: !!request.viewer }),
      );
    });

    app.get('/networks/new', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return renderForm(request, reply, { action: '/networks/new', values: { descriptionLang: request.tr.locale }, editing: false });
    });

    app.post<{ Body: Form }>('/networks/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, '/networks/new', false, (input) => createNetwork(app.db, request.requireViewer(), input)),
    );

    app.get<{ Params: { slug: string } }>('/networks/:slug', { schema: { hide: true } }, async (request, reply) =>
      renderDetail(request, reply, await loadDetail(request.viewer, request.params.slug)),
    );

    app.get<{ Params: { slug: string } }>('/networks/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const n = await loadDetail(viewer, request.params.slug);
      if (!(await mayManageNetwork(app.db, viewer, n))) throw new NotFound();
      return renderForm(request, reply, { action: `/networks/${n.slug}/edit`, values: formValues(n), editing: true });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/networks/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, `/networks/${request.params.slug}/edit`, true, (input) => updateNetwork(app.db, request.requireViewer(), request.params.slug, input)),
    );

    app.post<{ Params: { slug: string }; Body: Form }>('/networks/:slug/members', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const body = request.body ?? {};
      try {
        await addNetworkMembership(app.db, request.requireViewer(), request.params.slug, body);
        return redirectAfterPost(reply, `/networks/${request.params.slug}`);
      } catch (err) {
        if (!(err instanceof ValidationFailed)) throw err;
        const n = await loadDetail(request.viewer, request.params.slug);
        return renderDetail(request, reply, n, { join: { values: body, errors: err.errors } }, 422);
      }
    });

    app.post<{ Params: { slug: string; id: string }; Body: Form }>('/networks/:slug/members/:id/end', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const body = request.body ?? {};
      const n = await loadDetail(viewer, request.params.slug);
      assertMembershipOf(n, request.params.id);
      try {
        await endNetworkMembership(app.db, viewer, request.params.id, body.until);
        return redirectAfterPost(reply, `/networks/${n.slug}`);
      } catch (err) {
        if (!(err instanceof ValidationFailed)) throw err;
        return renderDetail(request, reply, n, { end: { membershipId: request.params.id, values: body, errors: err.errors } }, 422);
      }
    });

    // ---- API
    app.get('/api/v1/networks', { schema: { tags: ['networks'], querystring: NetworkListQuery, response: { 200: NetworkListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return {
        items: r.items.map((n) => ({ slug: n.slug, name: n.name, sector: n.sector, memberCount: n.member_count })),
        total: r.total,
        next: r.next,
      };
    });

    app.get('/api/v1/networks/:slug', { schema: { tags: ['networks'], params: NetworkSlugParams, response: { 200: NetworkOut } } }, async (request) =>
      detailToApi(await loadDetail(request.viewer, request.params.slug)),
    );

    app.post('/api/v1/networks', { preValidation: apiWrite, schema: { tags: ['networks'], body: NetworkBody, response: { 201: NetworkOut } } }, async (request, reply) => {
      const { slug } = await createNetwork(app.db, request.requireViewer(), request.body);
      return reply.status(201).header('location', `/api/v1/networks/${slug}`).send(detailToApi(await loadDetail(request.viewer, slug)));
    });

    app.put('/api/v1/networks/:slug', { preValidation: apiWrite, schema: { tags: ['networks'], params: NetworkSlugParams, body: NetworkBody, response: { 200: NetworkOut } } }, async (request) => {
      const { slug } = await updateNetwork(app.db, request.requireViewer(), request.params.slug, request.body);
      return detailToApi(await loadDetail(request.viewer, slug));
    });

    const membershipOut = async (id: string) => {
      const m = await app.db
        .selectFrom('network_memberships')
        .innerJoin('networks', 'networks.id', 'network_memberships.network_id')
        .innerJoin('organizations', 'organizations.id', 'network_memberships.organization_id')
        .select(['network_memberships.id', 'networks.slug as network', 'organizations.slug as organization', 'network_memberships.role', 'network_memberships.since', 'network_memberships.until'])
        .where('network_memberships.id', '=', id)
        .executeTakeFirstOrThrow();
      return { ...m };
    };

    app.post(
      '/api/v1/networks/:slug/members',
      { preValidation: apiWrite, schema: { tags: ['networks'], params: NetworkSlugParams, body: NetworkMembershipBody, response: { 201: NetworkMembershipOut } } },
      async (request, reply) => {
        const { id } = await addNetworkMembership(app.db, request.requireViewer(), request.params.slug, request.body);
        return reply.status(201).send(await membershipOut(id));
      },
    );

    app.post(
      '/api/v1/networks/:slug/members/:id/end',
      { preValidation: apiWrite, schema: { tags: ['networks'], params: NetworkMembershipParams, body: NetworkMembershipEndBody, response: { 200: NetworkMembershipOut } } },
      async (request) => {
        const viewer = request.requireViewer();
        const n = await loadDetail(viewer, request.params.slug);
        assertMembershipOf(n, request.params.id);
        const { id } = await endNetworkMembership(app.db, viewer, request.params.id, request.body.until);
        return membershipOut(id);
      },
    );
  },
  { name: 'networks-routes', dependencies: ['request-context'] },
);
