import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, ValidationFailed, formFieldErrors } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { apiWrite } from '../../http/api.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { SlugParams } from '../organizations/organizations.schemas.ts';
import { organizationsOfViewer } from '../organizations/organizations.repo.ts';
import { addStruggleUpdate, canEditStruggle, createStruggle, updateStruggle, type StruggleInput } from './struggles.service.ts';
import { countStruggles, getStruggleDetail, listStruggles, type StruggleDetail, type StruggleFilters, type StruggleSummary } from './struggles.repo.ts';
import { struggleDetailView, struggleFormView, struggleListView, type StruggleFormValues, type StruggleQuery } from './struggles.views.ts';
import { listCallsForStruggle, readerToday } from '../calls/calls.repo.ts';
import { canPublishAnywhere } from '../calls/calls.service.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Db } from '../../db/client.ts';
import { followOptions } from '../follows/follows.service.ts';
import type { FollowControl } from '../follows/follows.views.ts';
import { StruggleBody, StruggleListOut, StruggleListQuery, StruggleOut, StruggleUpdateBody } from './struggles.schemas.ts';

const PAGE_SIZE = 25;
type Form = Record<string, string | undefined>;

function summaryToApi(s: StruggleSummary) {
  return {
    slug: s.slug,
    title: s.title,
    kind: s.kind,
    sector: s.sector,
    country: s.country,
    locality: s.locality,
    employer: s.employer,
    participants: s.participants,
    startDate: s.start_date,
    endDate: s.end_date,
    status: s.status,
    lang: s.lang,
  };
}

function detailToApi(s: StruggleDetail) {
  return {
    id: s.id,
    ...summaryToApi(s),
    demands: s.demands,
    visibility: s.visibility,
    organization: s.organization?.slug ?? null,
    organizations: s.organizations.map((o) => ({ slug: o.slug, role: o.role })),
    sources: s.sources,
    updates: s.updates.map((u) => ({ date: u.date, body: u.body, lang: u.lang })),
    externalRef: s.external_ref,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

function formValues(s: StruggleDetail): StruggleFormValues {
  return {
    title: s.title,
    slug: s.slug,
    kind: s.kind,
    sector: s.sector,
    country: s.country,
    locality: s.locality ?? '',
    employer: s.employer ?? '',
    participants: s.participants === null ? '' : String(s.participants),
    demands: s.demands ?? '',
    startDate: s.start_date,
    endDate: s.end_date ?? '',
    status: s.status,
    visibility: s.visibility,
    lang: s.lang,
    organization: s.organization?.slug ?? '',
    initiators: s.organizations.filter((o) => o.role === 'initiator').map((o) => o.slug).join(', '),
    supporters: s.organizations.filter((o) => o.role === 'supporter').map((o) => o.slug).join(', '),
    sources: s.sources.join('\n'),
  };
}

/** The struggle's solidarity calls the viewer may see (open first), for its page. */
async function struggleCalls(db: Db, viewer: Viewer | null, s: StruggleDetail) {
  return { items: await listCallsForStruggle(db, viewer, s.id, readerToday(viewer)), canIssue: canPublishAnywhere(viewer) };
}

/** The struggle's follow control for a signed-in reader (no query for anonymous ones). */
async function struggleFollow(db: Db, viewer: Viewer | null, s: StruggleDetail): Promise<FollowControl | null> {
  return viewer ? { kind: 'struggle', target: s.slug, next: `/struggles/${s.slug}`, options: await followOptions(db, viewer, 'struggle', s.id) } : null;
}

/** Struggle pages (`/struggles…`) and API (`/api/v1/struggles…`). */
export const strugglesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const list = async (request: FastifyRequest, query: Partial<Record<keyof StruggleQuery | 'after', string>> & { limit?: number }) => {
      const limit = query.limit ?? PAGE_SIZE;
      const cursor = decodeCursor(query.after, 2);
      if (query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
      const checks = new FieldChecker();
      const from = checks.date('from', query.from);
      const to = checks.date('to', query.to);
      const country = checks.country('country', query.country, { required: false });
      if (checks.errors.length) throw new ValidationFailed(checks.errors);
      const filters: StruggleFilters = {
        q: query.q?.trim() || undefined,
        country: country ?? undefined,
        sector: query.sector || undefined,
        kind: query.kind || undefined,
        status: query.status || undefined,
        from: from ?? undefined,
        to: to ?? undefined,
      };
      const [items, total] = await Promise.all([
        listStruggles(app.db, request.viewer, filters, { limit: limit + 1, after: cursor ? { startDate: cursor[0]!, id: cursor[1]! } : undefined }),
        countStruggles(app.db, request.viewer, filters),
      ]);
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return { filters, items: page, total, next: items.length > limit && last ? encodeCursor([last.start_date, last.id]) : null };
    };

    const renderForm = async (request: FastifyRequest, reply: FastifyReply, o: { action: string; values: Form; errors?: ValidationFailed['errors']; editing: boolean }, status = 200) => {
      const own = request.viewer ? await organizationsOfViewer(app.db, request.viewer) : [];
      const values = { ...o.values };
      // Someone in exactly one organization publishes for it unless they choose otherwise.
      if (!o.editing && status === 200 && own.length === 1 && values.organization === undefined) values.organization = own[0]!.slug;
      return sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'struggles.form.edit_title' : 'struggles.form.new_title'), (ctx) =>
        struggleFormView(ctx, { action: o.action, values, errors: errorMap(o.errors), editing: o.editing, ownOrganizations: own }), status);
    };

    const submit = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, action: string, editing: boolean, write: (input: StruggleInput) => Promise<{ slug: string }>) => {
      try {
        const { slug } = await write(request.body ?? {});
        return redirectAfterPost(reply, `/struggles/${slug}`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action, values: request.body ?? {}, errors, editing }, 422);
      }
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/struggles', { schema: { hide: true } }, async (request, reply) => {
      const q = request.query;
      const query: StruggleQuery = { q: q.q, country: q.country, sector: q.sector, kind: q.kind, status: q.status, from: q.from, to: q.to };
      let r;
      try {
        r = await list(request, { ...query, after: q.after });
      } catch (err) {
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, query);
      }
      // Filtered by one country, a signed-in reader may follow that country.
      const country = r.filters.country;
      const follow: FollowControl | null =
        request.viewer && country ? { kind: 'country', target: country, next: request.url, options: await followOptions(app.db, request.viewer, 'country', country) } : null;
      return sendPage(request, reply, request.tr.t('struggles.list.title'), (ctx) =>
        struggleListView(ctx, { query, items: r.items, total: r.total, nextCursor: r.next, canCreate: !!request.viewer, follow }),
      );
    });

    app.get('/struggles/new', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return renderForm(request, reply, { action: '/struggles/new', values: { visibility: 'public', status: '', lang: request.tr.locale }, editing: false });
    });

    app.post<{ Body: Form }>('/struggles/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, '/struggles/new', false, (input) => createStruggle(app.db, request.requireViewer(), input)),
    );

    app.get<{ Params: { slug: string } }>('/struggles/:slug', { schema: { hide: true } }, async (request, reply) => {
      const s = await getStruggleDetail(app.db, request.viewer, request.params.slug);
      if (!s) throw new NotFound();
      const [calls, follow] = await Promise.all([struggleCalls(app.db, request.viewer, s), struggleFollow(app.db, request.viewer, s)]);
      return sendPage(request, reply, s.title, (ctx) => struggleDetailView(ctx, s, canEditStruggle(request.viewer, s), undefined, calls, follow));
    });

    app.get<{ Params: { slug: string } }>('/struggles/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const s = await getStruggleDetail(app.db, viewer, request.params.slug);
      if (!s) throw new NotFound();
      if (!canEditStruggle(viewer, s)) throw new Forbidden();
      return renderForm(request, reply, { action: `/struggles/${s.slug}/edit`, values: formValues(s), editing: true });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/struggles/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, `/struggles/${request.params.slug}/edit`, true, (input) => updateStruggle(app.db, request.requireViewer(), request.params.slug, input)),
    );

    app.post<{ Params: { slug: string }; Body: Form }>('/struggles/:slug/updates', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      try {
        await addStruggleUpdate(app.db, viewer, request.params.slug, request.body ?? {});
        return redirectAfterPost(reply, `/struggles/${request.params.slug}`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        const s = await getStruggleDetail(app.db, viewer, request.params.slug);
        if (!s) throw new NotFound();
        const update = { values: request.body ?? {}, errors: errorMap(errors) };
        const [calls, follow] = await Promise.all([struggleCalls(app.db, viewer, s), struggleFollow(app.db, viewer, s)]);
        return sendPage(request, reply, s.title, (ctx) => struggleDetailView(ctx, s, canEditStruggle(viewer, s), update, calls, follow), 422);
      }
    });

    // ---- API
    app.get('/api/v1/struggles', { schema: { tags: ['struggles'], querystring: StruggleListQuery, response: { 200: StruggleListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map(summaryToApi), total: r.total, next: r.next };
    });

    app.get('/api/v1/struggles/:slug', { schema: { tags: ['struggles'], params: SlugParams, response: { 200: StruggleOut } } }, async (request) => {
      const s = await getStruggleDetail(app.db, request.viewer, request.params.slug);
      if (!s) throw new NotFound();
      return detailToApi(s);
    });

    app.post('/api/v1/struggles', { preValidation: apiWrite, schema: { tags: ['struggles'], body: StruggleBody, response: { 201: StruggleOut } } }, async (request, reply) => {
      const { slug } = await createStruggle(app.db, request.requireViewer(), request.body);
      const s = await getStruggleDetail(app.db, request.viewer, slug);
      return reply.status(201).header('location', `/api/v1/struggles/${slug}`).send(detailToApi(s!));
    });

    app.put('/api/v1/struggles/:slug', { preValidation: apiWrite, schema: { tags: ['struggles'], params: SlugParams, body: StruggleBody, response: { 200: StruggleOut } } }, async (request) => {
      const { slug } = await updateStruggle(app.db, request.requireViewer(), request.params.slug, request.body);
      return detailToApi((await getStruggleDetail(app.db, request.viewer, slug))!);
    });

    app.post('/api/v1/struggles/:slug/updates', { preValidation: apiWrite, schema: { tags: ['struggles'], params: SlugParams, body: StruggleUpdateBody, response: { 201: StruggleOut } } }, async (request, reply) => {
      await addStruggleUpdate(app.db, request.requireViewer(), request.params.slug, request.body);
      return reply.status(201).send(detailToApi((await getStruggleDetail(app.db, request.viewer, request.params.slug))!));
    });
  },
  { name: 'struggles-routes', dependencies: ['request-context'] },
);
