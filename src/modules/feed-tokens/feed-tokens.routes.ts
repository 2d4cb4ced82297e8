import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formFieldErrors, NotFound } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { isLocale, isolate, negotiateLocale, translator, type Translator } from '../../i18n/i18n.ts';
import { errorMap } from '../../web/forms.ts';
import { redirectAfterPost, sendPage } from '../../web/reply.ts';
import { listNotifications } from '../follows/notifications.repo.ts';
import { calendarActionDays, calendarLocalActions, type CalendarScope } from '../feeds/feeds.repo.ts';
import { sortEvents, writeCalendar, type FeedSite } from '../feeds/feeds.ical.ts';
import { ATOM_LIMIT, writeAtom } from '../feeds/feeds.atom.ts';
import { createFeedToken, exampleOrganizationSlug, listFeedTokens, revokeFeedToken, viewerForFeedToken } from './feed-tokens.service.ts';
import { notificationEntries } from './feed-tokens.atom.ts';
import { feedTokensView, type NewFeedLinks } from './feed-tokens.views.ts';

type Form = Record<string, string | undefined>;

/** `updated` of a notifications feed without entries. */
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * Headers of every answer read with a personal token: it is one account's, so no cache may keep
 * it (RFC 9111 §5.2.2.3 no-store, §5.2.2.7 private), and a link followed from it must not carry
 * the token's URL along in `Referer` (W3C Referrer Policy, `no-referrer`).
 */
function privateFeed(reply: FastifyReply, contentType: string): FastifyReply {
  return reply.header('content-type', contentType).header('cache-control', 'private, no-store').header('referrer-policy', 'no-referrer').header('vary', 'Accept-Language');
}

/**
 * The language of a token feed: `?lang=` when it names a UI locale, else the account's language,
 * else `Accept-Language` (calendar clients rarely send one).
 */
function tokenFeedTranslator(request: FastifyRequest, viewer: Viewer): Translator {
  const lang = (request.query as Record<string, unknown> | undefined)?.lang;
  return translator(negotiateLocale(isLocale(lang) ? lang : viewer.locale, request.headers['accept-language']));
}

/** `decodeURIComponent`, or the input unchanged when it is not valid percent-encoding. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** First path segments followed by a secret token: feed links, invitation links, password reset links. */
const TOKEN_PATHS = new Set(['feeds', 'invitations', 'password-reset']);

/**
 * A request URL (path and query) as it may be written to the log: the token segment of
 * `/feeds/<token>/…`, `/invitations/<token>` and `/password-reset/<token>`, and the value of
 * every `token` query parameter replaced by `[redacted]`, so a log reader cannot take a feed
 * token, an invitation or a password reset from it. Names are compared after percent-decoding
 * (the router and the query parser decode them too).
 */
export function redactFeedTokens(url: string): string {
  const q = url.indexOf('?');
  const segments = (q < 0 ? url : url.slice(0, q)).split('/');
  if (segments.length > 2 && segments[2] !== '' && TOKEN_PATHS.has(decoded(segments[1]!).toLowerCase())) segments[2] = '[redacted]';
  const path = segments.join('/');
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return decoded(name).trim().toLowerCase() === 'token' ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/**
 * Personal, revocable feed links (`feed_tokens`) and the feeds read only through them:
 * - `GET /account/feeds` (signed in): what a link is, the account's links, the create form;
 * - `POST /account/feeds`: makes a link and shows its addresses once (the page itself, 200,
 *   `no-store`: the token is not stored, so it cannot survive a redirect);
 * - `POST /account/feeds/:id/revoke`: revokes one of the account's links (others: 404);
 * - `GET /feeds/:token/following.ics`: the calendar of what the account's organizations follow;
 * - `GET /feeds/:token/notifications.atom`: the account's notifications, newest 50.
 * A malformed, unknown or revoked token, or one of an erased account, is a 404. The public feeds
 * (`feeds.routes.ts`) take the same token as `?token=`.
 */
export const feedTokensRoutes = fp(
  async (app) => {
    const site: FeedSite = { baseUrl: app.baseUrl.replace(/\/+$/, ''), host: new URL(app.baseUrl).hostname };

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { created?: NewFeedLinks; label?: string; errors?: ReturnType<typeof errorMap>; notice?: 'revoked' } = {},
      status = 200,
    ) => {
      const viewer = request.requireViewer();
      const tokens = await listFeedTokens(app.db, viewer);
      reply.header('cache-control', 'no-store');
      return sendPage(request, reply, request.tr.t('feed_tokens.page.title'), (ctx) => feedTokensView(ctx, { tokens, ...o }), status);
    };

    app.get<{ Querystring: { done?: string } }>('/account/feeds', { schema: { hide: true } }, async (request, reply) => {
      request.requireViewer();
      return page(request, reply, { notice: request.query.done === 'revoked' ? 'revoked' : undefined });
    });

    app.post<{ Body: Form }>('/account/feeds', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const viewer = request.requireViewer();
      const label = request.body?.label;
      try {
        const { token } = await createFeedToken(app.db, viewer, { label });
        const slug = await exampleOrganizationSlug(app.db, viewer);
        const created: NewFeedLinks = {
          label: String(label ?? '').trim(),
          following: `${site.baseUrl}/feeds/${token}/following.ics`,
          notifications: `${site.baseUrl}/feeds/${token}/notifications.atom`,
          query: `?token=${token}`,
          example: slug ? `${site.baseUrl}/organizations/${encodeURIComponent(slug)}/calendar.ics?token=${token}` : null,
        };
        return page(request, reply, { created });
      } catch (err) {
        const errors = formFieldErrors(err);
        if (!errors) throw err;
        return page(request, reply, { label: typeof label === 'string' ? label : '', errors: errorMap(errors) }, 422);
      }
    });

    app.post<{ Params: { id: string } }>('/account/feeds/:id/revoke', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      await revokeFeedToken(app.db, request.requireViewer(), request.params.id);
      return redirectAfterPost(reply, '/account/feeds?done=revoked');
    });

    /** The token's viewer, or a 404 (the same for malformed, unknown, revoked and erased). */
    const tokenViewer = async (request: FastifyRequest): Promise<{ viewer: Viewer; token: string }> => {
      const token = (request.params as Record<string, unknown>).token;
      const viewer = await viewerForFeedToken(app.db, token);
      if (!viewer) throw new NotFound();
      return { viewer, token: token as string };
    };

    // iCalendar (RFC 5545): for every organization the account belongs to, the action days called
    // for networks it follows or linked to struggles it follows (all-day events), with their local
    // actions, and the local actions registered in countries it follows — what the account may see.
    app.get('/feeds/:token/following.ics', { schema: { hide: true } }, async (request, reply) => {
      const { viewer } = await tokenViewer(request);
      const tr = tokenFeedTranslator(request, viewer);
      const organizationIds = [...viewer.roles.keys()];
      const scope: CalendarScope = { kind: 'following', organizationIds };
      const [days, actions] = organizationIds.length
        ? await Promise.all([calendarActionDays(app.db, scope, viewer), calendarLocalActions(app.db, scope, viewer)])
        : [[], []];
      const body = writeCalendar(tr.t('feed_tokens.ical.following_calendar'), sortEvents(days, actions, site, tr));
      return privateFeed(reply, 'text/calendar; charset=utf-8').send(body);
    });

    // Atom (RFC 4287): the account's notifications (see follows/notifications.repo.ts), newest 50.
    app.get('/feeds/:token/notifications.atom', { schema: { hide: true } }, async (request, reply) => {
      const { viewer, token } = await tokenViewer(request);
      const tr = tokenFeedTranslator(request, viewer);
      const notifications = await listNotifications(app.db, viewer, { limit: ATOM_LIMIT });
      const body = writeAtom({
        title: tr.t('feed_tokens.atom.notifications_title', { name: isolate(viewer.displayName) }),
        selfUrl: `${site.baseUrl}/feeds/${token}/notifications.atom`,
        pageUrl: `${site.baseUrl}/notifications`,
        language: tr.locale,
        fallbackUpdated: EPOCH,
        entries: notificationEntries(site, tr, notifications),
      });
      return privateFeed(reply, 'application/atom+xml; charset=utf-8').send(body);
    });
  },
  { name: 'feed-tokens-routes', dependencies: ['request-context'] },
);
