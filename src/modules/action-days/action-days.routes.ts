import { isCountryCode } from '../../lib/countries.ts';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound, ValidationFailed, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { apiWrite, requireSignIn } from '../../http/api.ts';
import { isDateOnly, todayIn } from '../../lib/time.ts';
import { canPublishFor } from '../struggles/struggles.service.ts';
import {
  addLocalAction,
  canChangeLocalAction,
  canEditActionDay,
  canRegisterLocalAction,
  createActionDay,
  removeLocalAction,
  updateActionDay,
  updateLocalAction,
  type ActionDayInput,
} from './action-days.service.ts';
import { countActionDays, findLocalAction, getActionDayDetail, type LocalActionPage, listActionDays, type ActionDayCursor, type ActionDayDetail, type ActionDaySummary, type LocalActionView } from './action-days.repo.ts';
import { actionDayDetailView, actionDayFormView, actionDayListView, type FormValues } from './action-days.views.ts';
import { localActionEditView, localActionFormValues, localActionRemoveView } from './local-actions.views.ts';
import {
  ActionDayBody,
  ActionDayListOut,
  ActionDayListQuery,
  ActionDayOut,
  ActionDaySlugParams,
  LocalActionBody,
  LocalActionOut,
  LocalActionParams,
  LocalActionUpdateBody,
} from './action-days.schemas.ts';
import { Type } from 'typebox';

const PAGE_SIZE = 25;

function summaryToApi(d: ActionDaySummary) {
  return { slug: d.slug, title: d.title, lang: d.lang, startDate: d.start_date, endDate: d.end_date, visibility: d.visibility, localActionCount: d.local_actions };
}

function localActionToApi(a: LocalActionView) {
  return {
    id: a.id,
    organization: a.organization?.slug ?? null,
    title: a.title,
    kind: a.kind,
    city: a.city,
    country: a.country,
    venue: a.venue,
    allDay: !!a.all_day,
    startDate: a.start_date,
    endDate: a.end_date,
    startLocal: a.start_local,
    endLocal: a.end_local,
    timeZone: a.time_zone,
    startsAt: a.starts_at,
    endsAt: a.ends_at,
    expectedParticipants: a.expected_participants,
    contact: a.contact,
    visibility: a.visibility,
  };
}

function detailToApi(d: ActionDayDetail) {
  return {
    id: d.id,
    slug: d.slug,
    title: d.title,
    lang: d.lang,
    startDate: d.start_date,
    endDate: d.end_date,
    visibility: d.visibility,
    localActionCount: d.localActions.length,
    callText: d.call_text,
    organization: d.organization?.slug ?? null,
    network: d.network?.slug ?? null,
    struggle: d.struggle?.slug ?? null,
    localActions: d.localActions.map(localActionToApi),
    participation: d.byCountry.map((r) => ({ country: r.country, localActions: r.count, expectedParticipants: r.participants })),
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  };
}

function formValues(d: ActionDayDetail): FormValues {
  return {
    title: d.title,
    slug: d.slug,
    callText: d.call_text,
    lang: d.lang,
    startDate: d.start_date,
    endDate: d.end_date,
    organization: d.organization?.slug ?? '',
    network: d.network?.slug ?? '',
    struggle: d.struggle?.slug ?? '',
    visibility: d.visibility,
  };
}

/** Organizations the viewer may publish for (admin, coordinator, member), by name. */
async function publishingOrganizations(db: Db, viewer: Viewer | null): Promise<{ slug: string; name: string }[]> {
  if (!viewer) return [];
  const ids = [...viewer.roles.keys()].filter((id) => canPublishFor(viewer, id));
  if (!ids.length) return [];
  return db.selectFrom('organizations').select(['slug', 'name']).where('id', 'in', ids).orderBy('search_text').execute();
}

/** "Today" for the upcoming/past split: the reader's account zone, UTC for anonymous readers (date-only). */
function readerToday(viewer: Viewer | null): string {
  return todayIn(viewer?.timeZone ?? 'UTC');
}

/**
 * Action day pages (`/action-days…`) and API (`/api/v1/action-days…`).
 * Pages: list (anyone; visibility-filtered), new/edit forms (signed in; edit needs
 * `canEditActionDay`), detail (anyone who may see it), local action registration (signed in with
 * a publishing role in the participating organization), and changing or withdrawing a local
 * action (`…/local-actions/:id/edit`, `…/local-actions/:id/remove`: `canChangeLocalAction`).
 * API: list, detail, create, replace, register a local action, and
 * `PUT`/`DELETE /api/v1/action-days/:slug/local-actions/:id` to change or withdraw one.
 */
/** Local actions shown per page of an action day (the country table and the map count all). */
export const LOCAL_ACTIONS_PER_PAGE = 100;

/**
 * The page of local actions a query asks for: `country` (ISO 3166-1 alpha-2) and `from` (a
 * 0-based position, a multiple of the page size). Values that are not such are ignored (first
 * page, all countries) rather than refused: they come from links, not forms.
 */
function localActionPage(query: Record<string, string | undefined>): LocalActionPage {
  const country = typeof query.country === 'string' && isCountryCode(query.country.toUpperCase()) ? query.country.toUpperCase() : undefined;
  const from = Number(query.from);
  const offset = Number.isInteger(from) && from > 0 && from <= 1_000_000 ? from - (from % LOCAL_ACTIONS_PER_PAGE) : 0;
  return { ...(country ? { country } : {}), offset, limit: LOCAL_ACTIONS_PER_PAGE };
}

export const actionDaysRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const list = async (request: FastifyRequest, query: { after?: string; limit?: number }) => {
      const limit = query.limit ?? PAGE_SIZE;
      const raw = decodeCursor(query.after, 3);
      const cursor: ActionDayCursor | null =
        raw && (raw[0] === 'upcoming' || raw[0] === 'past') && isDateOnly(raw[1]!) ? { part: raw[0], startDate: raw[1]!, id: raw[2]! } : null;
      if (query.after && !cursor) throw new ValidationFailed([{ field: 'after', messageId: 'validation.cursor' }]);
      const [items, total] = await Promise.all([
        listActionDays(app.db, request.viewer, { today: readerToday(request.viewer), limit: limit + 1, after: cursor ?? undefined }),
        countActionDays(app.db, request.viewer),
      ]);
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return { items: page, total, next: items.length > limit && last ? encodeCursor([last.part, last.start_date, last.id]) : null };
    };

    const renderForm = async (request: FastifyRequest, reply: FastifyReply, o: { action: string; values: FormValues; errors?: FieldError[]; editing: boolean }, status = 200) => {
      const organizations = await publishingOrganizations(app.db, request.viewer);
      const values = { ...o.values };
      if (!o.editing && status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      return sendPage(request, reply, (ctx) => ctx.tr.t(o.editing ? 'action_days.form.edit_title' : 'action_days.form.new_title'), (ctx) =>
        actionDayFormView(ctx, { action: o.action, values, errors: errorMap(o.errors), editing: o.editing, organizations }), status);
    };

    const submit = async (request: FastifyRequest<{ Body: FormValues }>, reply: FastifyReply, action: string, editing: boolean, write: (input: ActionDayInput) => Promise<{ slug: string }>) => {
      try {
        const { slug } = await write(request.body ?? {});
        return redirectAfterPost(reply, `/action-days/${slug}`);
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderForm(request, reply, { action, values: request.body ?? {}, errors, editing }, 422);
      }
    };

    const renderDetail = async (
      request: FastifyRequest,
      reply: FastifyReply,
      d: ActionDayDetail,
      register: { values: FormValues; errors?: FieldError[] } = { values: {} },
      status = 200,
      page: LocalActionPage = { limit: LOCAL_ACTIONS_PER_PAGE },
    ) => {
      const viewer = request.viewer;
      const organizations = canRegisterLocalAction(viewer) ? await publishingOrganizations(app.db, viewer) : [];
      const values = { ...register.values };
      if (status === 200 && organizations.length === 1 && values.organization === undefined) values.organization = organizations[0]!.slug;
      const form = viewer && organizations.length ? { values, errors: errorMap(register.errors), organizations } : null;
      return sendPage(
        request,
        reply,
        d.title,
        (ctx) => actionDayDetailView(ctx, d, { canEdit: canEditActionDay(viewer, d), register: form, page, canChange: (a) => canChangeLocalAction(viewer, d, a) }),
        status,
      );
    };

    /** The local action a page asks to change or withdraw: visible (else 404) and the viewer's to change (else 403). */
    const changeableLocalAction = async (request: FastifyRequest<{ Params: { slug: string; id: string } }>) => {
      const viewer = request.requireViewer();
      const found = await findLocalAction(app.db, viewer, request.params.slug, request.params.id);
      if (!found) throw new NotFound();
      if (!canChangeLocalAction(viewer, found.day, found.action)) throw new Forbidden();
      return found;
    };

    const renderLocalActionEdit = (
      request: FastifyRequest,
      reply: FastifyReply,
      found: NonNullable<Awaited<ReturnType<typeof findLocalAction>>>,
      values: FormValues,
      errors?: FieldError[],
      status = 200,
    ) =>
      sendPage(request, reply, (ctx) => ctx.tr.t('action_days.local.edit_title'), (ctx) => localActionEditView(ctx, { ...found, values, errors: errorMap(errors) }), status);

    // ---- pages
    app.get<{ Querystring: Record<string, string> }>('/action-days', { schema: { hide: true } }, async (request, reply) => {
      let r;
      try {
        r = await list(request, { after: request.query.after });
      } catch (err) {
        if (!(err instanceof ValidationFailed)) throw err;
        r = await list(request, {});
      }
      return sendPage(request, reply, request.tr.t('action_days.list.title'), (ctx) =>
        actionDayListView(ctx, { items: r.items, total: r.total, nextCursor: r.next, canCreate: canRegisterLocalAction(request.viewer) }),
      );
    });

    app.get('/action-days/new', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return renderForm(request, reply, { action: '/action-days/new', values: { visibility: 'public', lang: request.tr.locale }, editing: false });
    });

    app.post<{ Body: FormValues }>('/action-days/new', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, '/action-days/new', false, (input) => createActionDay(app.db, request.requireViewer(), input)),
    );

    app.get<{ Params: { slug: string }; Querystring: Record<string, string | undefined> }>('/action-days/:slug', { schema: { hide: true } }, async (request, reply) => {
      const page = localActionPage(request.query);
      const d = await getActionDayDetail(app.db, request.viewer, request.params.slug, page);
      if (!d) throw new NotFound();
      return renderDetail(request, reply, d, { values: {} }, 200, page);
    });

    app.get<{ Params: { slug: string } }>('/action-days/:slug/edit', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const d = await getActionDayDetail(app.db, viewer, request.params.slug);
      if (!d) throw new NotFound();
      if (!canEditActionDay(viewer, d)) throw new Forbidden();
      return renderForm(request, reply, { action: `/action-days/${d.slug}/edit`, values: formValues(d), editing: true });
    });

    app.post<{ Params: { slug: string }; Body: FormValues }>('/action-days/:slug/edit', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) =>
      submit(request, reply, `/action-days/${encodeURIComponent(request.params.slug)}/edit`, true, (input) => updateActionDay(app.db, request.requireViewer(), request.params.slug, input)),
    );

    app.post<{ Params: { slug: string }; Body: FormValues }>('/action-days/:slug/local-actions', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      try {
        const { id } = await addLocalAction(app.db, viewer, request.params.slug, request.body ?? {});
        return redirectAfterPost(reply, withNotice(`/action-days/${encodeURIComponent(request.params.slug)}`, 'registered', `local-action-${id}`));
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        const d = await getActionDayDetail(app.db, viewer, request.params.slug, { limit: LOCAL_ACTIONS_PER_PAGE });
        if (!d) throw new NotFound();
        return renderDetail(request, reply, d, { values: request.body ?? {}, errors }, 422);
      }
    });

    // Change a local action: the form prefilled with the wall-clock times and zone as entered.
    app.get<{ Params: { slug: string; id: string } }>('/action-days/:slug/local-actions/:id/edit', { schema: { hide: true } }, async (request, reply) => {
      const found = await changeableLocalAction(request);
      return renderLocalActionEdit(request, reply, found, localActionFormValues(found.action));
    });

    app.post<{ Params: { slug: string; id: string }; Body: FormValues }>(
      '/action-days/:slug/local-actions/:id/edit',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          const { id } = await updateLocalAction(app.db, viewer, request.params.slug, request.params.id, request.body ?? {});
          return redirectAfterPost(reply, withNotice(`/action-days/${encodeURIComponent(request.params.slug)}`, 'changed', `local-action-${id}`));
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          const found = await changeableLocalAction(request);
          return renderLocalActionEdit(request, reply, found, request.body ?? {}, errors, 422);
        }
      },
    );

    // Withdraw a local action: a confirmation page, then the POST that deletes it.
    app.get<{ Params: { slug: string; id: string } }>('/action-days/:slug/local-actions/:id/remove', { schema: { hide: true } }, async (request, reply) => {
      const found = await changeableLocalAction(request);
      return sendPage(request, reply, (ctx) => ctx.tr.t('action_days.local.remove_title'), (ctx) => localActionRemoveView(ctx, found));
    });

    app.post<{ Params: { slug: string; id: string } }>('/action-days/:slug/local-actions/:id/remove', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      await removeLocalAction(app.db, request.requireViewer(), request.params.slug, request.params.id);
      return redirectAfterPost(reply, withNotice(`/action-days/${encodeURIComponent(request.params.slug)}`, 'withdrawn', 'local-actions'));
    });

    // ---- API
    app.get('/api/v1/action-days', { schema: { tags: ['action-days'], querystring: ActionDayListQuery, response: { 200: ActionDayListOut } } }, async (request) => {
      const r = await list(request, request.query);
      return { items: r.items.map(summaryToApi), total: r.total, next: r.next };
    });

    app.get('/api/v1/action-days/:slug', { schema: { tags: ['action-days'], params: ActionDaySlugParams, response: { 200: ActionDayOut } } }, async (request) => {
      const d = await getActionDayDetail(app.db, request.viewer, request.params.slug);
      if (!d) throw new NotFound();
      return detailToApi(d);
    });

    app.post('/api/v1/action-days', { preValidation: apiWrite, schema: { tags: ['action-days'], body: ActionDayBody, response: { 201: ActionDayOut } } }, async (request, reply) => {
      const { slug } = await createActionDay(app.db, request.requireViewer(), request.body);
      const d = await getActionDayDetail(app.db, request.viewer, slug);
      return reply.status(201).header('location', `/api/v1/action-days/${slug}`).send(detailToApi(d!));
    });

    app.put('/api/v1/action-days/:slug', { preValidation: apiWrite, schema: { tags: ['action-days'], params: ActionDaySlugParams, body: ActionDayBody, response: { 200: ActionDayOut } } }, async (request) => {
      const { slug } = await updateActionDay(app.db, request.requireViewer(), request.params.slug, request.body);
      return detailToApi((await getActionDayDetail(app.db, request.viewer, slug))!);
    });

    app.post(
      '/api/v1/action-days/:slug/local-actions',
      { preValidation: apiWrite, schema: { tags: ['action-days'], params: ActionDaySlugParams, body: LocalActionBody, response: { 201: ActionDayOut } } },
      async (request, reply) => {
        const { id } = await addLocalAction(app.db, request.requireViewer(), request.params.slug, request.body);
        const d = (await getActionDayDetail(app.db, request.viewer, request.params.slug))!;
        return reply.status(201).header('location', `/api/v1/action-days/${d.slug}#${id}`).send(detailToApi(d));
      },
    );

    app.put(
      '/api/v1/action-days/:slug/local-actions/:id',
      {
        preValidation: apiWrite,
        schema: {
          tags: ['action-days'],
          summary: 'Change a local action',
          description:
            'Same body as registering; revalidated the same way. The organization cannot be changed (leave it out or name the current one); without timeZone the action keeps its zone.',
          params: LocalActionParams,
          body: LocalActionUpdateBody,
          response: { 200: LocalActionOut },
        },
      },
      async (request) => {
        const { action } = await updateLocalAction(app.db, request.requireViewer(), request.params.slug, request.params.id, request.body);
        return localActionToApi(action);
      },
    );

    // No body, so no JSON check: a cross-site DELETE needs a CORS preflight this server never grants.
    app.delete(
      '/api/v1/action-days/:slug/local-actions/:id',
      {
        preValidation: requireSignIn,
        schema: { tags: ['action-days'], summary: 'Withdraw a local action', params: LocalActionParams, response: { 204: Type.Null({ description: 'withdrawn' }) } },
      },
      async (request, reply) => {
        await removeLocalAction(app.db, request.requireViewer(), request.params.slug, request.params.id);
        return reply.status(204).send(null);
      },
    );
  },
  { name: 'action-days-routes', dependencies: ['request-context'] },
);
