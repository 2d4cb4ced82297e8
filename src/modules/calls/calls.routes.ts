import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, ValidationFailed, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { apiWrite } from '../../http/api.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { CALL_ASKS } from '../../db/schema.ts';
import { SlugParams } from '../organizations/organizations.schemas.ts';
import { findStruggleRow } from '../struggles/struggles.repo.ts';
import { addResponse, canEditCall, canPublishAnywhere, createCall, updateCall, type CallInput } from './calls.service.ts';
import {
  countCalls,
  getCallDetail,
  listCalls,
  networksOfOrganizations,
  publishingOrganizations,
  readerToday,
  type CallDetail,
  type CallFilters,
  type CallSummary,
} from './calls.repo.ts';
import { callDetailView, callFormView, callListView, type CallFormValues, type CallQuery } from './calls.views.ts';
import { CallBody, CallListOut, CallListQuery, CallOut, ResponseBody } from './calls.schemas.ts';
import { followOptions } from '../follows/follows.service.ts';

const PAGE_SIZE = 25;
type Form = Record<string, string | undefined>;

function summaryToApi(c: CallSummary) {
  return {
    slug: c.slug,
    title: c.title,
    lang: c.lang,
    struggle: { slug: c.struggle.slug, title: c.struggle.title, country: c.struggle.country },
    asks: c.asks,
    actionDate: c.action_date,
    deadline: c.deadline,
    open: c.open,
    answeredBy: c.answeredBy,
    createdAt: c.created_at,
  };
}

function detailToApi(c: CallDetail) {
  return {
    id: c.id,
    slug: c.slug,
    title: c.title,
    body: c.body,
    lang: c.lang,
    struggle: { slug: c.struggle.slug, title: c.struggle.title, country: c.struggle.country },
    organization: c.organization?.slug ?? null,
    issuers: c.issuers.map((i) => i.slug),
    asks: c.asks,
    actionDate: c.action_date,
    deadline: c.deadline,
    open: c.open,
    languages: c.languages,
    visibility: c.visibility,
    answeredBy: c.answeredBy,
    responses: c.responses.map((r) => ({
      id: r.id,
      organization: r.organization?.slug ?? null,
      network: r.network?.slug ?? null,
      kind: r.kind,
      date: r.date,
      place: r.place,
      country: r.country,
      report: r.report,
      lang: r.lang,
      link: r.link,
      visibility: r.visibility,
      createdAt: r.created_at,
    })),
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

/** The form's fields as service input: one `ask_<value>` checkbox per ask becomes the `asks` list. */
function formInput(body: Form): CallInput {
  const { _csrf, ...rest } = body;
  const asks = CALL_ASKS.filter((a) => rest[`ask_${a}`]);
  // An ask that is not offered (tampered form) reaches the service, which refuses it.
  const unknown = Object.keys(rest).filter((k) => k.startsWith('ask_') && !(CALL_ASKS as readonly string[]).includes(k.slice(4))).map((k) => k.slice(4));
  return { ...rest, asks: [...asks, ...unknown] };
}

function formValues(c: CallDetail): CallFormValues {
  return {
    struggle: c.struggle.slug,
    organization: c.organization?.slug ?? '',
    issuers: c.issuers.filter((i) => i.slug !== c.organization?.slug).map((i) => i.slug).join(', '),
    title: c.title,
    slug: c.slug,
    body: c.body,
    lang: c.lang,
    actionDate: c.action_date ?? '',
    deadline: c.deadline ?? '',
    languages: c.languages.join(', '),
    visibility: c.visibility,
    ...Object.fromEntries(c.asks.map((a) => [`ask_${a}`, '1'])),
  };
}

/** Solidarity call pages (`/calls…`) and API (`/api/v1/calls…`). */
export const callsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const list = async (request: FastifyRequest, query: { q?: string; country?: string; struggle?: string; after?: string; limit?: number }) => {
      const limit = query.limit ?? PAGE_SIZE;
      const cursor = decodeCursor(query.after, 3);
      const checks = new FieldChecker();
      if (query.after && (!cursor || !/^[01]$/.test(cursor[0]!))) checks.fail('after', 'validation.cursor');
      const country = checks.country('country', query.country, { required: false });
      if (checks.errors.length) throw new ValidationFailed(checks.errors);
      const filters: CallFilters = { q: query.q?.trim() || undefined, country: country ?? undefined };
      if (query.struggle) {
        const s = await findStruggleRow(app.db, request.viewer, query.struggle);
        // An unknown or invisible struggle has no calls the reader may see.
        filters.struggleId = s?.id ?? '';
      }
      const today = readerToday(request.viewer);
      const after = cursor ? { open: Number(cursor[0]), createdAt: cursor[1]!, id: cursor[2]! } : undefined;
      const [items, total] = await Promise.all([
        listCalls(app.db, request.viewer, filters, { limit: limit + 1, today, after }),
        countCalls(app.db, request.viewer, filters),
      ]);
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return { items: page, total, next: items.length > limit && last ? encodeCursor([String(last.cursor.open), last.cursor.createdAt, last.cursor.id]) : null };
    };

    const loadDetail = async (request: FastifyRequest, slug: string) => {
      const c = await getCallDetail(app.db, request.viewer, slug, readerToday(request.viewer));
      if (!c) throw new NotFound();
      return c;
    };

    /** The call's page; `respond` carries a failed response form (HTTP 422). */
    const renderDetail = async (request: FastifyRequest, reply: FastifyReply, c: CallDetail, respond?: { values: Form; errors: FieldError[] }, status = 200) => {
      const viewer = request.viewer;
      const orgs = canPublishAnywhere(viewer) ? await publishingOrganizations(app.db, viewer) : [];
      const networks = orgs.length ? await networksOfOrganizations(app.db, orgs.map((o) => o.id), readerToday(null)) : [];
      const follow = viewer ? { kind: 'call' as const, target: c.slug, next: `/calls/${c.slug}`, options: await followOptions(app.db, viewer, 'call', c.id) } : null;
      return sendPage(request, reply, c.title, (ctx) =>
        callDetailView(ctx, c, {
          canEdit: canEditCall(viewer, c),
          follow,
          respond: orgs.length ? { organizations: orgs, networks, values: respond?.values ?? {}, errors: errorMap(respond?.errors) } : undefined,
        }), status);
    };

    const renderForm = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { action: string; values: Form; errors?: FieldError[]; editing: boolean },
      status = 200,
    ) => {
      const viewer = request.requireViewer();
      const organizations = await publishingOrganizations(app.db, viewer);
      const values = { ...o.values };
      if (!o.editing && status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      const s = values.struggle ? await findStruggleRow(app.db, viewer, values.struggle) : undefined;
      return sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'calls.form.edit_title' : 'calls.form.new_title'), (ctx) =>
        callFormView(ctx, { action: o.action, values, errors: errorMap(o.errors), editing: o.editing, organizations, struggle: s ? { slug: s.slug, title: s.title, lang: s.lang } : undefined }), status);
    };

    const submit = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, action: string, editing: boolean, write: (input: CallInput) => Promise<{ slug: string }>) => {
      try {
        const { slug } = await write(formInput(request.body ?? {}));
        return redirectAfterPost(reply, `/calls/${slug}`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action, values: request.body ?? {}, errors, editing }, 422);
      }
    };

    /** Issuing needs a publishing role somewhere; without one the form would lead nowhere. */
    const requirePublisher = (request: FastifyRequest) => {
      const viewer = request.requireViewer();
      if (!canPublishAnywhere(viewer)) throw new Forbidden();
      return viewer;
    };

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/calls', { schema: { hide: true } }, async (request, reply) => {
      const q = request.query;
      const query: CallQuery = { q: q.q, country: q.country };
      let r;
      try {
        r = await list(request, { ...query, after: q.after });
      } catch (err) {
        // A stale page link or a bad filter shows the first page of everything rather than an error.
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, { q: query.q });
      }
      return sendPage(request, reply, request.tr.t('calls.list.title'), (ctx) => callListView(ctx, { query, items: r.items, total: r.total, nextCursor: r.next }));
    });

    app.get<{ Querystring: Record<string, string> }>('/calls/new', { schema: { hide: true } }, async (request, reply) => {
      const viewer = requirePublisher(request);
      const struggle = typeof request.query.struggle === 'string' ? request.query.struggle : undefined;
      if (struggle && !(await findStruggleRow(app.db, viewer, struggle))) throw new NotFound();
      return renderForm(request, reply, { action: '/calls/new', values: { struggle, visibility: 'public', lang: request.tr.locale }, editing: false });
    });

    app.post<{ Body: Form }>('/calls/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = requirePublisher(request);
      return submit(request, reply, '/calls/new', false, (input) => createCall(app.db, viewer, input));
    });

    app.get<{ Params: { slug: string } }>('/calls/:slug', { schema: { hide: true } }, async (request, reply) =>
      renderDetail(request, reply, await loadDetail(request, request.params.slug)),
    );

    app.get<{ Params: { slug: string } }>('/calls/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const c = await loadDetail(request, request.params.slug);
      if (!canEditCall(viewer, c)) throw new Forbidden();
      return renderForm(request, reply, { action: `/calls/${c.slug}/edit`, values: formValues(c), editing: true });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/calls/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      // Who may not see or edit the call learns nothing from a form: 404 / 403 before any validation.
      const c = await loadDetail(request, request.params.slug);
      if (!canEditCall(viewer, c)) throw new Forbidden();
      return submit(request, reply, `/calls/${c.slug}/edit`, true, (input) => updateCall(app.db, viewer, c.slug, input));
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/calls/:slug/responses', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const c = await loadDetail(request, request.params.slug);
      try {
        const { _csrf, ...input } = request.body ?? {};
        await addResponse(app.db, viewer, c.slug, input);
        return redirectAfterPost(reply, `/calls/${c.slug}#responses`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderDetail(request, reply, c, { values: request.body ?? {}, errors }, 422);
      }
    });

    // ---- API
    app.get('/api/v1/calls', { schema: { tags: ['calls'], querystring: CallListQuery, response: { 200: CallListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map(summaryToApi), total: r.total, next: r.next };
    });

    app.get('/api/v1/calls/:slug', { schema: { tags: ['calls'], params: SlugParams, response: { 200: CallOut } } }, async (request) =>
      detailToApi(await loadDetail(request, request.params.slug)),
    );

    app.post('/api/v1/calls', { preValidation: apiWrite, schema: { tags: ['calls'], body: CallBody, response: { 201: CallOut } } }, async (request, reply) => {
      const { slug } = await createCall(app.db, request.requireViewer(), request.body);
      const c = await loadDetail(request, slug);
      return reply.status(201).header('location', `/api/v1/calls/${slug}`).send(detailToApi(c));
    });

    app.put('/api/v1/calls/:slug', { preValidation: apiWrite, schema: { tags: ['calls'], params: SlugParams, body: CallBody, response: { 200: CallOut } } }, async (request) => {
      const { slug } = await updateCall(app.db, request.requireViewer(), request.params.slug, request.body);
      return detailToApi(await loadDetail(request, slug));
    });

    app.post(
      '/api/v1/calls/:slug/responses',
      { preValidation: apiWrite, schema: { tags: ['calls'], params: SlugParams, body: ResponseBody, response: { 201: CallOut } } },
      async (request, reply) => {
        await addResponse(app.db, request.requireViewer(), request.params.slug, request.body);
        return reply.status(201).send(detailToApi(await loadDetail(request, request.params.slug)));
      },
    );
  },
  { name: 'calls-routes', dependencies: ['request-context'] },
);
