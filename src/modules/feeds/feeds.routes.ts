import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Db } from '../../db/client.ts';
import { viewerForFeedToken } from '../feed-tokens/feed-tokens.service.ts';
import { isolate, negotiateLocale, translator, type Translator } from '../../i18n/i18n.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { todayIn } from '../../lib/time.ts';
import { calendarActionDays, calendarLocalActions, atomItems, findNetwork, findPublicActionDay, findPublicOrganization, type AtomScope } from './feeds.repo.ts';
import { sortEvents, writeCalendar, type FeedSite } from './feeds.ical.ts';
import { ATOM_LIMIT, atomEntries, writeAtom } from './feeds.atom.ts';

/** Feeds change rarely and are the same for every reader: clients and caches may keep them briefly. */
const CACHE_CONTROL = 'public, max-age=300';
/** A feed read with a personal token is that account's: no shared cache may keep it (RFC 9111 §5.2.2.3, §5.2.2.7). */
const PRIVATE_CACHE_CONTROL = 'private, no-store';
/** `updated` of an Atom feed without entries and without a record of its own (a country). */
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * The language of a feed: `?lang=` when it names a UI locale (calendar clients often send no
 * `Accept-Language`, so a subscription URL can carry it), else `Accept-Language`, else English.
 * The session's locale cookie is not used: feeds are the same for everyone who asks alike.
 */
function feedTranslator(request: FastifyRequest): Translator {
  const lang = (request.query as Record<string, unknown> | undefined)?.lang;
  return translator(negotiateLocale(typeof lang === 'string' ? lang : undefined, request.headers['accept-language']));
}

/**
 * A path parameter as a look-up key. A value no record can have (control characters such as
 * NUL, which PostgreSQL refuses in text, lone surrogates, or an absurd length) is simply not
 * found: the same 404 as any other missing record, never a database error.
 */
function param(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, unknown>)[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || !value.isWellFormed() || /[\u0000-\u001F\u007F]/.test(value)) {
    throw new NotFound();
  }
  return value;
}

/**
 * The account a feed URL reads as: nobody without `?token=` (public records only), the token's
 * account with a valid personal feed token (modules/feed-tokens). A session cookie is never used:
 * a feed is the same for everyone who holds the same URL.
 * @throws {NotFound} when the URL carries a `token` that is malformed, unknown or revoked, or
 *   whose account is erased — never the public version in its place, which a reader would take
 *   for the complete feed.
 */
async function feedViewer(db: Db, request: FastifyRequest): Promise<Viewer | null> {
  const query = request.query as Record<string, unknown> | undefined;
  if (!query || !Object.hasOwn(query, 'token')) return null;
  const viewer = await viewerForFeedToken(db, query.token);
  if (!viewer) throw new NotFound();
  return viewer;
}

/**
 * Calendar (RFC 5545) and Atom (RFC 4287) feeds. Without a token they are anonymous,
 * public-read: only public records appear (see `feeds.repo.ts`), whoever asks, and an unknown or
 * non-public parent (action day, organization, network, country) is the same 404 as a missing
 * one. With `?token=` (a personal feed token) they read as its account: what it may see appears,
 * the answer is `Cache-Control: private, no-store` and `Referrer-Policy: no-referrer`, and a bad
 * token is a 404.
 */
export const feedsRoutes = fp(
  async (app) => {
    const host = new URL(app.baseUrl).hostname;
    const site: FeedSite = { baseUrl: app.baseUrl.replace(/\/+$/, ''), host };

    const caching = (reply: FastifyReply, viewer: Viewer | null) =>
      viewer
        ? reply.header('cache-control', PRIVATE_CACHE_CONTROL).header('referrer-policy', 'no-referrer')
        : reply.header('cache-control', CACHE_CONTROL);
    const sendCalendar = (reply: FastifyReply, body: string, viewer: Viewer | null = null) =>
      caching(reply.header('content-type', 'text/calendar; charset=utf-8'), viewer)
        .header('vary', 'Accept-Language')
        .send(body);
    const sendAtom = (reply: FastifyReply, body: string, viewer: Viewer | null = null) =>
      caching(reply.header('content-type', 'application/atom+xml; charset=utf-8'), viewer)
        .header('vary', 'Accept-Language')
        .send(body);

    // iCalendar: the action day as an all-day event plus each of its public local actions.
    app.get('/action-days/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const slug = param(request, 'slug');
      const viewer = await feedViewer(app.db, request);
      const day = await findPublicActionDay(app.db, slug, viewer);
      if (!day) throw new NotFound();
      const tr = feedTranslator(request);
      const actions = await calendarLocalActions(app.db, { kind: 'action_day', actionDayId: day.id }, viewer);
      const name = tr.t('feeds.ical.action_day_calendar', { title: isolate(day.title) });
      return sendCalendar(reply, writeCalendar(name, sortEvents([day], actions, site, tr)), viewer);
    });

    // iCalendar: the action days an organization calls and the local actions it registers.
    app.get('/organizations/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const slug = param(request, 'slug');
      const viewer = await feedViewer(app.db, request);
      const org = await findPublicOrganization(app.db, slug, viewer);
      if (!org) throw new NotFound();
      const tr = feedTranslator(request);
      const scope = { kind: 'organization', organizationId: org.id } as const;
      const [days, actions] = await Promise.all([calendarActionDays(app.db, scope, viewer), calendarLocalActions(app.db, scope, viewer)]);
      const name = tr.t('feeds.ical.organization_calendar', { organization: isolate(org.name) });
      return sendCalendar(reply, writeCalendar(name, sortEvents(days, actions, site, tr)), viewer);
    });

    // iCalendar: action days called on behalf of a network, with the local actions of its
    // current (public) member organizations on them.
    app.get('/networks/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const slug = param(request, 'slug');
      const viewer = await feedViewer(app.db, request);
      const network = await findNetwork(app.db, slug);
      if (!network) throw new NotFound();
      const tr = feedTranslator(request);
      const scope = { kind: 'network', networkId: network.id, today: todayIn('UTC') } as const;
      const [days, actions] = await Promise.all([calendarActionDays(app.db, scope, viewer), calendarLocalActions(app.db, scope, viewer)]);
      const name = tr.t('feeds.ical.network_calendar', { network: isolate(network.name) });
      return sendCalendar(reply, writeCalendar(name, sortEvents(days, actions, site, tr)), viewer);
    });

    const atom = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: { scope: AtomScope; title: string; path: string; pagePath: string; fallbackUpdated: string; tr: Translator; viewer: Viewer | null },
    ) => {
      const entries = atomEntries(site, o.tr, await atomItems(app.db, o.scope, ATOM_LIMIT, o.viewer));
      // A token feed's self link keeps the token: a reader that re-subscribes through it must
      // not fall back to the public feed.
      const token = o.viewer ? `?token=${encodeURIComponent(String((request.query as Record<string, unknown>).token))}` : '';
      const body = writeAtom({
        title: o.title,
        selfUrl: `${site.baseUrl}${o.path}${token}`,
        pageUrl: `${site.baseUrl}${o.pagePath}`,
        language: o.tr.locale,
        fallbackUpdated: o.fallbackUpdated,
        entries,
      });
      return sendAtom(reply, body, o.viewer);
    };

    // Atom: public struggles owned by or linked to the organization, their updates, calls and responses.
    app.get('/organizations/:slug/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const slug = param(request, 'slug');
      const viewer = await feedViewer(app.db, request);
      const org = await findPublicOrganization(app.db, slug, viewer);
      if (!org) throw new NotFound();
      const tr = feedTranslator(request);
      const path = `/organizations/${encodeURIComponent(org.slug)}`;
      return atom(request, reply, {
        scope: { kind: 'organization', organizationId: org.id },
        title: tr.t('feeds.atom.organization_title', { organization: isolate(org.name) }),
        path: `${path}/feed.atom`,
        pagePath: path,
        fallbackUpdated: org.updated_at,
        tr,
        viewer,
      });
    });

    // Atom: the same for the network's current public member organizations.
    app.get('/networks/:slug/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const slug = param(request, 'slug');
      const viewer = await feedViewer(app.db, request);
      const network = await findNetwork(app.db, slug);
      if (!network) throw new NotFound();
      const tr = feedTranslator(request);
      const path = `/networks/${encodeURIComponent(network.slug)}`;
      return atom(request, reply, {
        scope: { kind: 'network', networkId: network.id, today: todayIn('UTC') },
        title: tr.t('feeds.atom.network_title', { network: isolate(network.name) }),
        path: `${path}/feed.atom`,
        pagePath: path,
        fallbackUpdated: network.updated_at,
        tr,
        viewer,
      });
    });

    // Atom: public struggles in a country (ISO 3166-1 alpha-2, either case), their updates,
    // calls and responses, and responses given in the country.
    app.get('/countries/:code/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const code = param(request, 'code').toUpperCase();
      if (!/^[A-Z]{2}$/.test(code) || !isCountryCode(code)) throw new NotFound();
      const viewer = await feedViewer(app.db, request);
      const tr = feedTranslator(request);
      return atom(request, reply, {
        scope: { kind: 'country', country: code },
        title: tr.t('feeds.atom.country_title', { country: tr.country(code) }),
        path: `/countries/${code}/feed.atom`,
        pagePath: `/struggles?country=${code}`,
        fallbackUpdated: EPOCH,
        tr,
        viewer,
      });
    });
  },
  { name: 'feeds-routes', dependencies: ['request-context'] },
);
