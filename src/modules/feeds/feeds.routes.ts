import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '../../http/errors.ts';
import { isolate, negotiateLocale, translator, type Translator } from '../../i18n/i18n.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { todayIn } from '../../lib/time.ts';
import { calendarActionDays, calendarLocalActions, atomItems, findNetwork, findPublicActionDay, findPublicOrganization, type AtomScope } from './feeds.repo.ts';
import { sortEvents, writeCalendar, type FeedSite } from './feeds.ical.ts';
import { ATOM_LIMIT, atomEntries, writeAtom } from './feeds.atom.ts';

/** Feeds change rarely and are the same for every reader: clients and caches may keep them briefly. */
const CACHE_CONTROL = 'public, max-age=300';
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
 * Calendar (RFC 5545) and Atom (RFC 4287) feeds. All are anonymous, public-read: only public
 * records appear (see `feeds.repo.ts`), whoever asks, and an unknown or non-public parent
 * (action day, organization, network, country) is the same 404 as a missing one.
 */
export const feedsRoutes = fp(
  async (app) => {
    const host = new URL(app.baseUrl).hostname;
    const site: FeedSite = { baseUrl: app.baseUrl.replace(/\/+$/, ''), host };

    const sendCalendar = (reply: FastifyReply, body: string) =>
      reply
        .header('content-type', 'text/calendar; charset=utf-8')
        .header('cache-control', CACHE_CONTROL)
        .header('vary', 'Accept-Language')
        .send(body);
    const sendAtom = (reply: FastifyReply, body: string) =>
      reply
        .header('content-type', 'application/atom+xml; charset=utf-8')
        .header('cache-control', CACHE_CONTROL)
        .header('vary', 'Accept-Language')
        .send(body);

    // iCalendar: the action day as an all-day event plus each of its public local actions.
    app.get('/action-days/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const day = await findPublicActionDay(app.db, param(request, 'slug'));
      if (!day) throw new NotFound();
      const tr = feedTranslator(request);
      const actions = await calendarLocalActions(app.db, { kind: 'action_day', actionDayId: day.id });
      const name = tr.t('feeds.ical.action_day_calendar', { title: isolate(day.title) });
      return sendCalendar(reply, writeCalendar(name, sortEvents([day], actions, site, tr)));
    });

    // iCalendar: the action days an organization calls and the local actions it registers.
    app.get('/organizations/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const org = await findPublicOrganization(app.db, param(request, 'slug'));
      if (!org) throw new NotFound();
      const tr = feedTranslator(request);
      const scope = { kind: 'organization', organizationId: org.id } as const;
      const [days, actions] = await Promise.all([calendarActionDays(app.db, scope), calendarLocalActions(app.db, scope)]);
      const name = tr.t('feeds.ical.organization_calendar', { organization: isolate(org.name) });
      return sendCalendar(reply, writeCalendar(name, sortEvents(days, actions, site, tr)));
    });

    // iCalendar: action days called on behalf of a network, with the local actions of its
    // current (public) member organizations on them.
    app.get('/networks/:slug/calendar.ics', { schema: { hide: true } }, async (request, reply) => {
      const network = await findNetwork(app.db, param(request, 'slug'));
      if (!network) throw new NotFound();
      const tr = feedTranslator(request);
      const scope = { kind: 'network', networkId: network.id, today: todayIn('UTC') } as const;
      const [days, actions] = await Promise.all([calendarActionDays(app.db, scope), calendarLocalActions(app.db, scope)]);
      const name = tr.t('feeds.ical.network_calendar', { network: isolate(network.name) });
      return sendCalendar(reply, writeCalendar(name, sortEvents(days, actions, site, tr)));
    });

    const atom = async (request: FastifyRequest, reply: FastifyReply, o: { scope: AtomScope; title: string; path: string; pagePath: string; fallbackUpdated: string; tr: Translator }) => {
      const entries = atomEntries(site, o.tr, await atomItems(app.db, o.scope, ATOM_LIMIT));
      const body = writeAtom({
        title: o.title,
        selfUrl: `${site.baseUrl}${o.path}`,
        pageUrl: `${site.baseUrl}${o.pagePath}`,
        language: o.tr.locale,
        fallbackUpdated: o.fallbackUpdated,
        entries,
      });
      return sendAtom(reply, body);
    };

    // Atom: public struggles owned by or linked to the organization, their updates, calls and responses.
    app.get('/organizations/:slug/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const org = await findPublicOrganization(app.db, param(request, 'slug'));
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
      });
    });

    // Atom: the same for the network's current public member organizations.
    app.get('/networks/:slug/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const network = await findNetwork(app.db, param(request, 'slug'));
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
      });
    });

    // Atom: public struggles in a country (ISO 3166-1 alpha-2, either case), their updates,
    // calls and responses, and responses given in the country.
    app.get('/countries/:code/feed.atom', { schema: { hide: true } }, async (request, reply) => {
      const code = param(request, 'code').toUpperCase();
      if (!/^[A-Z]{2}$/.test(code) || !isCountryCode(code)) throw new NotFound();
      const tr = feedTranslator(request);
      return atom(request, reply, {
        scope: { kind: 'country', country: code },
        title: tr.t('feeds.atom.country_title', { country: tr.country(code) }),
        path: `/countries/${code}/feed.atom`,
        pagePath: `/struggles?country=${code}`,
        fallbackUpdated: EPOCH,
        tr,
      });
    });
  },
  { name: 'feeds-routes', dependencies: ['request-context'] },
);
