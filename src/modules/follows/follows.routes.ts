import fp from 'fastify-plugin';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, ValidationFailed, formFieldErrors, type FieldError } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Db } from '../../db/client.ts';
import { apiWrite, requireSignIn } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { encodeCursor, decodeCursor } from '../../lib/cursor.ts';
import { nowInstant } from '../../lib/time.ts';
import { organizationsOfViewer } from '../organizations/organizations.repo.ts';
import { findMembersOrganization, isOrganizationMember, type MembersOrganization } from '../organizations/members.service.ts';
import { canFollowFor, follow, listFollows, unfollow, type FollowListing } from './follows.service.ts';
import { countUnread, listNotifications, markNotificationsRead, notificationsReadAt, type Notification } from './notifications.repo.ts';
import { FOLLOW_NOTICES, followingView, notificationsView, type NotificationItem } from './follows.views.ts';
import { FollowBody, FollowListOut, FollowOut, FollowParams, FollowsParams, MarkReadBody, MarkReadOut, NotificationListOut, NotificationListQuery } from './follows.schemas.ts';

/** Notifications per page (HTML and the API's default). */
const PAGE_SIZE = 50;
type Form = Record<string, string | undefined>;


/** An ISO 8601 UTC instant as stored (`2026-05-01T10:00:00.000Z`; seconds and fraction optional on input). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

/** `value` as a normalized ISO 8601 UTC instant, or null when it is not one. */
function parseInstant(value: unknown): string | null {
  if (typeof value !== 'string' || !INSTANT.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** A notifications cursor (`[at, eventId]`) back into a keyset position; null when malformed. */
function decodeBefore(raw: unknown): { at: string; eventId: string } | null {
  if (typeof raw !== 'string') return null;
  const c = decodeCursor(raw, 2);
  const at = parseInstant(c?.[0]);
  return at && c && /^[0-9A-Za-z-]{1,64}$/.test(c[1]!) ? { at, eventId: c[1]! } : null;
}

function followToApi(f: FollowListing) {
  return { id: f.id, kind: f.kind, target: f.slug, label: f.label, createdAt: f.createdAt };
}

/**
 * What brought each notification, as the reader sees it: the following organization (one of the
 * reader's own) and the slug and label of what it follows. One query for the organizations and
 * one `listFollows` per following organization on the page (a reader belongs to a few).
 */
async function reasonsOf(db: Db, viewer: Viewer, items: Notification[]): Promise<Map<string, NotificationItem['because']>> {
  const orgIds = [...new Set(items.map((i) => i.reason.organizationId))];
  const out = new Map<string, NotificationItem['because']>();
  if (!orgIds.length) return out;
  const orgs = await db.selectFrom('organizations').select(['id', 'slug', 'name']).where('id', 'in', orgIds).execute();
  const follows = new Map<string, FollowListing>();
  for (const id of orgIds) for (const f of await listFollows(db, viewer, id)) follows.set(`${id}|${f.kind}|${f.targetId}`, f);
  for (const i of items) {
    const key = `${i.reason.organizationId}|${i.reason.kind}|${i.reason.targetId}`;
    const org = orgs.find((o) => o.id === i.reason.organizationId);
    const f = follows.get(key);
    out.set(key, { organization: org ? { slug: org.slug, name: org.name } : null, slug: f?.slug ?? null, label: f?.label ?? null });
  }
  return out;
}

const reasonKey = (n: Notification) => `${n.reason.organizationId}|${n.reason.kind}|${n.reason.targetId}`;

/**
 * Follow buttons' targets, an organization's follows (`/organizations/:slug/following`), the
 * reader's notifications (`/notifications`), and their API (`/api/v1/organizations/:slug/follows`,
 * `/api/v1/notifications`). Follows are the business of the following organization: its members
 * read them, its members and up (not `viewer`) make and end them; everyone else gets 404.
 */
export const followsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    /**
     * The organization `slug` and the signed-in viewer, who must be one of its members (or an
     * instance admin). @throws {SignInRequired} anonymous; {NotFound} no such organization or not a member.
     */
    const loadMember = async (request: FastifyRequest, slug: string): Promise<{ viewer: Viewer; org: MembersOrganization }> => {
      const viewer = request.requireViewer();
      const org = await findMembersOrganization(app.db, slug);
      if (!org || !isOrganizationMember(viewer, org.id)) throw new NotFound();
      return { viewer, org };
    };

    /** As `loadMember`, for making or ending follows. @throws {Forbidden} for the read-only `viewer` role. */
    const loadFollower = async (request: FastifyRequest, slug: string) => {
      const m = await loadMember(request, slug);
      if (!canFollowFor(m.viewer, m.org.id)) throw new Forbidden();
      return m;
    };

    const renderFollowing = async (
      request: FastifyRequest,
      reply: FastifyReply,
      m: { viewer: Viewer; org: MembersOrganization },
      o: { values?: Form; errors?: FieldError[]; notice?: string } = {},
      status = 200,
    ) => {
      const follows = await listFollows(app.db, m.viewer, m.org.id);
      return sendPage(request, reply, (ctx) => ctx.tr.t('follows.following.title', { organization: m.org.name }), (ctx) =>
        followingView(ctx, {
          org: m.org,
          follows,
          canFollow: canFollowFor(m.viewer, m.org.id),
          values: o.values ?? {},
          errors: errorMap(o.errors),
          notice: o.notice,
        }), status);
    };

    /** One page of the viewer's notifications, with what brought each and whether it is new. */
    const notificationsPage = async (viewer: Viewer, before: { at: string; eventId: string } | null, limit: number) => {
      const [rows, readAt] = await Promise.all([listNotifications(app.db, viewer, { before, limit: limit + 1 }), notificationsReadAt(app.db, viewer.userId)]);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const reasons = await reasonsOf(app.db, viewer, page);
      const items: NotificationItem[] = page.map((n) => ({
        n,
        unread: !readAt || n.at > readAt,
        because: reasons.get(reasonKey(n)) ?? { organization: null, slug: null, label: null },
      }));
      return { items, readAt, next: rows.length > limit && last ? encodeCursor([last.at, last.eventId]) : null };
    };

    /**
     * Marks the viewer's notifications read up to the newest one recorded at or before `until`
     * (a valid instant not in the future, else now); with none, up to `until` itself.
     * @returns the read mark afterwards.
     */
    const markRead = async (viewer: Viewer, until: string | null): Promise<string | null> => {
      const now = nowInstant();
      const upTo = until && until < now ? until : now;
      const [newest] = await listNotifications(app.db, viewer, { until: upTo, limit: 1 });
      await markNotificationsRead(app.db, viewer.userId, newest?.at ?? upTo);
      return notificationsReadAt(app.db, viewer.userId);
    };

    // ---- pages
    app.get<{ Params: { slug: string }; Querystring: Record<string, unknown> }>('/organizations/:slug/following', { schema: { hide: true } }, async (request, reply) => {
      const m = await loadMember(request, request.params.slug);
      const done = request.query.done;
      // Confirmations a redirect may ask the page to show (`?done=…`); own keys only.
      return renderFollowing(request, reply, m, { notice: typeof done === 'string' && Object.hasOwn(FOLLOW_NOTICES, done) ? FOLLOW_NOTICES[done] : undefined });
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/organizations/:slug/following', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const m = await loadFollower(request, request.params.slug);
      const body = request.body ?? {};
      try {
        await follow(app.db, m.viewer, { organization: m.org.slug, kind: body.kind, target: body.target });
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return renderFollowing(request, reply, m, { values: body, errors }, 422);
      }
      // Back to the page of the follow control (its `#follow`), or to the top of the following
      // page (the form's `#follow-country` would otherwise carry over and hide the notice).
      return redirectAfterPost(reply, body.next ? withNotice(body.next, 'followed', 'follow') : `/organizations/${m.org.slug}/following?done=followed#main`);
    });

    app.post<{ Params: { slug: string; id: string }; Body: Form }>(
      '/organizations/:slug/following/:id/unfollow',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const m = await loadFollower(request, request.params.slug);
        await unfollow(app.db, m.viewer, m.org.slug, request.params.id);
        const next = request.body?.next;
        return redirectAfterPost(reply, next ? withNotice(next, 'unfollowed', 'follow') : `/organizations/${m.org.slug}/following?done=unfollowed`);
      },
    );

    app.get<{ Querystring: Record<string, unknown> }>('/notifications', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.viewer;
      if (!viewer) return reply.redirect(`/sign-in?next=${encodeURIComponent(request.url)}`, 303);
      // A stale or mangled "older" link shows the newest page rather than an error.
      const r = await notificationsPage(viewer, decodeBefore(request.query.before), PAGE_SIZE);
      const organizations = await organizationsOfViewer(app.db, viewer);
      const until = nowInstant();
      return sendPage(request, reply, request.tr.t('follows.notifications.title'), (ctx) =>
        notificationsView(ctx, { items: r.items, readAt: r.readAt, nextCursor: r.next, organizations, until }),
      );
    });

    app.post<{ Body: Form }>('/notifications/read', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      await markRead(viewer, parseInstant(request.body?.until));
      return redirectAfterPost(reply, '/notifications');
    });

    // ---- API
    app.get('/api/v1/organizations/:slug/follows', { schema: { tags: ['follows'], summary: 'List what an organization follows', params: FollowsParams, response: { 200: FollowListOut } } }, async (request) => {
      const m = await loadMember(request, request.params.slug);
      return { items: (await listFollows(app.db, m.viewer, m.org.id)).map(followToApi) };
    });

    app.post(
      '/api/v1/organizations/:slug/follows',
      {
        preValidation: apiWrite,
        schema: {
          tags: ['follows'],
          summary: 'Follow a struggle, call, network or country for an organization',
          description: '201 with the new follow; 200 with the existing one when the organization already follows the target.',
          params: FollowsParams,
          body: FollowBody,
          response: { 200: FollowOut, 201: FollowOut },
        },
      },
      async (request, reply) => {
        const m = await loadFollower(request, request.params.slug);
        const f = await follow(app.db, m.viewer, { organization: m.org.slug, kind: request.body.kind, target: request.body.target });
        const listed = (await listFollows(app.db, m.viewer, m.org.id)).find((x) => x.id === f.id);
        const out = listed ? followToApi(listed) : { id: f.id, kind: f.kind, target: request.body.target, label: null, createdAt: nowInstant() };
        return reply.status(f.created ? 201 : 200).send(out);
      },
    );

    // No body, so no JSON requirement: a cross-site DELETE needs a CORS preflight this server never grants.
    app.delete('/api/v1/organizations/:slug/follows/:id', { preValidation: requireSignIn, schema: { tags: ['follows'], summary: 'Stop following', params: FollowParams, response: { 204: Type.Null({ description: 'no longer followed' }) } } }, async (request, reply) => {
      const m = await loadFollower(request, request.params.slug);
      await unfollow(app.db, m.viewer, m.org.slug, request.params.id);
      return reply.status(204).send(null);
    });

    app.get('/api/v1/notifications', { schema: { tags: ['follows'], summary: "List the notifications of the signed-in account's follows, newest first", querystring: NotificationListQuery, response: { 200: NotificationListOut } } }, async (request) => {
      const viewer = request.requireViewer();
      const before = decodeBefore(request.query.before);
      if (request.query.before && !before) throw new ValidationFailed([{ field: 'before', messageId: 'validation.cursor' }]);
      const r = await notificationsPage(viewer, before, request.query.limit ?? PAGE_SIZE);
      return {
        items: r.items.map((i) => ({
          id: i.n.eventId,
          kind: i.n.kind,
          at: i.n.at,
          unread: i.unread,
          subject: i.n.subject,
          detail: i.n.detail,
          country: i.n.country,
          actor: i.n.actor,
          reason: { organization: i.because.organization?.slug ?? '', kind: i.n.reason.kind, target: i.n.reason.kind === 'country' ? i.n.reason.targetId : i.because.slug },
        })),
        next: r.next,
        readAt: r.readAt,
      };
    });

    app.post('/api/v1/notifications/read', { preValidation: apiWrite, schema: { tags: ['follows'], summary: 'Mark notifications as read, up to an instant or all', body: MarkReadBody, response: { 200: MarkReadOut } } }, async (request) => {
      const viewer = request.requireViewer();
      const raw = request.body.until;
      const until = raw === undefined ? null : parseInstant(raw);
      if (raw !== undefined && !until) throw new ValidationFailed([{ field: 'until', messageId: 'follows.errors.instant' }]);
      const readAt = await markRead(viewer, until);
      return { readAt, unread: await countUnread(app.db, viewer, 100) };
    });
  },
  { name: 'follows-routes', dependencies: ['request-context'] },
);
