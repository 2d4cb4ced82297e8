import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ENGINES } from '../../../test/helpers/db.ts';
import { cookiesFrom, loginAs, postForm, useTestApp, type TestApp } from '../../../test/helpers/app.ts';
import type { Db } from '../../db/client.ts';
import type { FollowTarget } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import { viewerForAccount } from '../accounts/accounts.service.ts';
import { eraseAccount } from '../accounts/account-data.service.ts';
import { createPasswordResetLink, resetPassword } from '../accounts/password-reset.service.ts';
import { listNotifications } from '../follows/notifications.repo.ts';
import {
  insertActionDay,
  insertCall,
  insertLocalAction,
  insertNetwork,
  insertOrganization,
  insertResponse,
  insertStruggle,
  insertUpdate,
} from '../feeds/feeds.fixtures.ts';
import { createFeedToken, listFeedTokens, MAX_ACTIVE_FEED_TOKENS, revokeFeedToken, viewerForFeedToken } from './feed-tokens.service.ts';
import { redactFeedTokens } from './feed-tokens.routes.ts';

// Personal feed tokens: the /account/feeds page, the token feeds (following.ics,
// notifications.atom), `?token=` on the public feeds, and what ends a token.

const BASE = 'https://solidaris.example';
const PASSWORD = 'correct horse battery';
/** Before every event of the fixtures (`STAMP` of feeds.fixtures.ts): notifications count what happened after the follow. */
const FOLLOWED_AT = '2026-01-01T00:00:00.000Z';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function follow(db: Db, organizationId: string, kind: FollowTarget, targetId: string) {
  await db.insertInto('follows').values({ id: newId(), organization_id: organizationId, target_kind: kind, target_id: targetId, created_by: null, created_at: FOLLOWED_AT }).execute();
}

async function tokenFor(t: TestApp, userId: string, label = 'Test link'): Promise<string> {
  const viewer = await viewerForAccount(t.db.db, userId);
  return (await createFeedToken(t.db.db, viewer, { label })).token;
}

async function get(t: TestApp, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers });
}

/** The VEVENTs of a calendar, parsed by ical.js. */
function parseEvents(text: string): InstanceType<typeof ICAL.Event>[] {
  const cal = new ICAL.Component(ICAL.parse(text));
  assert.equal(cal.name, 'vcalendar');
  return cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
}

/** The (unfolded) content lines of the VEVENT whose UID is `uid`. */
function eventLines(text: string, uid: string): string[] {
  const blocks = text.replace(/\r\n[ \t]/g, '').split('BEGIN:VEVENT\r\n').slice(1);
  const block = blocks.find((b) => b.includes(`UID:${uid}\r\n`));
  assert.ok(block, `no VEVENT ${uid}`);
  return block.split('END:VEVENT')[0]!.split('\r\n');
}

/** An Atom document parsed by fast-xml-parser. */
function parseAtom(xml: string) {
  assert.equal(XMLValidator.validate(xml), true);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' || name === 'link', htmlEntities: false, parseTagValue: false, trimValues: true });
  type Link = { '@_href': string; '@_rel'?: string };
  const doc = parser.parse(xml) as { feed: { id: string; title: unknown; link: Link[]; entry?: { id: string; title: unknown; updated: string; link: Link[]; author: { name: string; uri?: string } }[] } };
  const text = (v: unknown) => (typeof v === 'object' && v !== null && '#text' in v ? String((v as { '#text': unknown })['#text']) : String(v));
  return {
    id: text(doc.feed.id),
    title: text(doc.feed.title),
    links: doc.feed.link,
    entries: (doc.feed.entry ?? []).map((e) => ({ id: text(e.id), title: text(e.title), updated: text(e.updated), href: e.link[0]!['@_href'], author: e.author })),
  };
}

/**
 * The followed-set world: organization A (public) and M (members-only) with the member `member`;
 * P calls action day DAY for network N (which A follows) and DSTR for struggle S (which A
 * follows); A registers a members-only timed local action on DAY, P a public all-day one; Q
 * registers a public local action in France (which M follows) on day OTHER, which nobody follows,
 * and one in Italy; UNFOLLOWED is called by P for nothing A follows.
 */
async function followedWorld(t: TestApp) {
  const db = t.db.db;
  const a = await insertOrganization(db, { slug: 'union-a', name: 'Union A' });
  const m = await insertOrganization(db, { slug: 'circle-m', name: 'Circle M', visibility: 'members' });
  const p = await insertOrganization(db, { slug: 'org-p', name: 'Org P' });
  const q = await insertOrganization(db, { slug: 'org-q', name: 'Org Q' });
  const n = await insertNetwork(db, { slug: 'miners', name: 'Miners' });
  const s = await insertStruggle(db, { title: 'Port strike', organizationId: p.id });
  const day = await insertActionDay(db, p.id, { slug: 'day-net', title: 'Network day', start: '2026-05-01', networkId: n.id });
  const dstr = await insertActionDay(db, p.id, { slug: 'day-strike', title: 'Strike day', start: '2026-12-29', end: '2026-12-31' });
  await db.updateTable('action_days').set({ struggle_id: s.id }).where('id', '=', dstr.id).execute();
  const other = await insertActionDay(db, q.id, { slug: 'day-other', title: 'Other day', start: '2026-06-01' });
  await insertActionDay(db, p.id, { slug: 'day-unfollowed', title: 'Unfollowed day', start: '2026-07-01' });
  const secret = await insertLocalAction(db, day.id, a.id, {
    title: 'Members assembly',
    startLocal: '2026-05-01T10:00',
    endLocal: '2026-05-01T12:00',
    timeZone: 'America/Sao_Paulo',
    visibility: 'members',
  });
  await insertLocalAction(db, day.id, p.id, { title: 'Public rally', start: '2026-05-01' });
  await insertLocalAction(db, other.id, q.id, { title: 'Paris vigil', country: 'FR', city: 'Paris', startLocal: '2026-06-01T18:00', endLocal: '2026-06-01T19:00', timeZone: 'Europe/Paris' });
  await insertLocalAction(db, other.id, q.id, { title: 'Rome vigil', country: 'IT', city: 'Roma', start: '2026-06-01' });
  await follow(db, a.id, 'network', n.id);
  await follow(db, a.id, 'struggle', s.id);
  await follow(db, m.id, 'country', 'FR');
  const member = await loginAs(t, { roles: [[a.id, 'member'], [m.id, 'viewer']], name: 'Ana Member' });
  const outsider = await loginAs(t, { name: 'Otto Outsider' });
  return { a, m, p, q, n, s, day, dstr, other, secret, member, outsider };
}

describe('redactFeedTokens: what the request log may show', () => {
  it('replaces the token path segment and every token query value', () => {
    const token = 'A'.repeat(43);
    assert.equal(redactFeedTokens(`/feeds/${token}/following.ics`), '/feeds/[redacted]/following.ics');
    assert.equal(redactFeedTokens(`/feeds/${token}/notifications.atom?lang=de`), '/feeds/[redacted]/notifications.atom?lang=de');
    assert.equal(redactFeedTokens(`/organizations/x/calendar.ics?lang=de&token=${token}`), '/organizations/x/calendar.ics?lang=de&token=[redacted]');
    assert.equal(redactFeedTokens(`/countries/DE/feed.atom?token=${token}&token=${token}`), '/countries/DE/feed.atom?token=[redacted]&token=[redacted]');
    assert.equal(redactFeedTokens(`/f%65eds/${token}/following.ics`), '/f%65eds/[redacted]/following.ics');
    assert.equal(redactFeedTokens(`/x?t%6Fken=${token}`), '/x?t%6Fken=[redacted]');
    assert.equal(redactFeedTokens('/organizations/feeds/calendar.ics?q=1'), '/organizations/feeds/calendar.ics?q=1');
    assert.equal(redactFeedTokens('/x?%E0%A4%A=1'), '/x?%E0%A4%A=1');
    // Invitation and password reset links carry their secret in the path too.
    assert.equal(redactFeedTokens(`/invitations/${token}`), '/invitations/[redacted]');
    assert.equal(redactFeedTokens(`/password-reset/${token}?next=/`), '/password-reset/[redacted]?next=/');
    assert.equal(redactFeedTokens('/password-reset'), '/password-reset');
  });
});

for (const engine of ENGINES) {
  describe(`personal feed tokens (${engine})`, () => {
    const t = useTestApp(engine, { baseUrl: BASE });

    it('the request logger redacts feed tokens from logged URLs', () => {
      const serializers = (t.app.log as unknown as Record<symbol, { req: (r: unknown) => { url: string } }>)[Symbol.for('pino.serializers')];
      const token = 'b'.repeat(43);
      const out = serializers.req({ method: 'GET', url: `/feeds/${token}/following.ics?token=${token}`, headers: {}, ip: '127.0.0.1' });
      assert.equal(out.url, '/feeds/[redacted]/following.ics?token=[redacted]');
    });

    it('creates a link on the page, shows its addresses once, lists it, and revokes it', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv', name: 'Kollektiv' });
      const { userId, cookie } = await loginAs(t, { roles: [[org.id, 'member']] });
      const account = await get(t, '/account', { cookie });
      assert.match(account.body, /href="\/account\/feeds"/);
      const empty = await get(t, '/account/feeds', { cookie });
      assert.equal(empty.statusCode, 200);
      assert.equal(empty.headers['cache-control'], 'no-store');
      assert.match(empty.body, /You have no feed links yet/);
      assert.match(empty.body, /Anyone who has one of these links reads what your account can read/);

      const res = await postForm(t, '/account/feeds', '/account/feeds', { label: '  Phone calendar ' }, cookie);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const m = new RegExp(`${BASE}/feeds/([A-Za-z0-9_-]{43})/following\\.ics`).exec(res.body);
      assert.ok(m, 'the calendar address is shown');
      const token = m[1]!;
      assert.ok(res.body.includes(`${BASE}/feeds/${token}/notifications.atom`));
      assert.ok(res.body.includes(`?token=${token}`));
      assert.ok(res.body.includes(`${BASE}/organizations/kollektiv/calendar.ics?token=${token}`));

      const rows = await t.db.db.selectFrom('feed_tokens').selectAll().where('user_id', '=', userId).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, sha256(token));
      assert.equal(rows[0]!.label, 'Phone calendar');
      assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is not stored');

      const listed = await get(t, '/account/feeds', { cookie });
      assert.match(listed.body, /<bdi>Phone calendar<\/bdi>/);
      assert.match(listed.body, /<ul class="cards feed-links">\s*<li>\s*<h3><bdi>Phone calendar<\/bdi><\/h3>/, 'one list item per link, headed by its label');
      assert.match(listed.body, /<dt>Last used<\/dt><dd>Never<\/dd>/);
      assert.match(listed.body, /Revoke<span class="visually-hidden"> <bdi>Phone calendar<\/bdi><\/span><\/button>/, 'the button names its link');
      assert.ok(!listed.body.includes(token), 'the list never shows the token again');

      assert.equal((await get(t, `/feeds/${token}/following.ics`)).statusCode, 200);
      const used = await listFeedTokens(t.db.db, await viewerForAccount(t.db.db, userId));
      assert.ok(used[0]!.lastUsedAt, 'reading marks the link used');

      // Another account cannot revoke it: 404, and the link keeps working.
      const other = await loginAs(t);
      const action = `/account/feeds/${rows[0]!.id}/revoke`;
      assert.equal((await postForm(t, '/account/feeds', action, {}, other.cookie)).statusCode, 404);
      assert.equal((await get(t, `/feeds/${token}/following.ics`)).statusCode, 200);

      assert.match(listed.body, new RegExp(`action="${action}"`));
      const revoked = await postForm(t, '/account/feeds', action, {}, cookie);
      assert.equal(revoked.statusCode, 303);
      assert.equal(revoked.headers.location, '/account/feeds?done=revoked');
      const after = await get(t, revoked.headers.location, { cookie });
      assert.match(after.body, /The link was revoked/);
      assert.match(after.body, /Revoked <time/);
      assert.ok(!after.body.includes(`action="${action}"`), 'no revoke button on a revoked link');
      for (const url of [`/feeds/${token}/following.ics`, `/feeds/${token}/notifications.atom`, `/organizations/kollektiv/calendar.ics?token=${token}`]) {
        assert.equal((await get(t, url)).statusCode, 404, url);
      }
      // Revoking again changes nothing and is no error.
      assert.equal((await postForm(t, '/account/feeds', action, {}, cookie)).statusCode, 303);

      const events = await t.db.db.selectFrom('audit_events').select(['action', 'actor_user_id', 'subject_id']).where('subject_type', '=', 'feed_token').orderBy('id').execute();
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_user_id, e.subject_id]),
        [
          ['feed_token.created', userId, rows[0]!.id],
          ['feed_token.revoked', userId, rows[0]!.id],
        ],
      );
    });

    it('the page needs a session; anonymous requests are refused', async () => {
      const res = await get(t, '/account/feeds');
      assert.ok([401, 303].includes(res.statusCode), String(res.statusCode));
      await assert.rejects(createFeedToken(t.db.db, null, { label: 'x' }), { code: 'sign_in_required' });
    });

    it('label errors re-render the form with 422 and the value kept; at most 20 active links', async () => {
      const { userId, cookie } = await loginAs(t);
      const missing = await postForm(t, '/account/feeds', '/account/feeds', { label: '   ' }, cookie);
      assert.equal(missing.statusCode, 422);
      assert.match(missing.body, /This field is required/);
      const lines = await postForm(t, '/account/feeds', '/account/feeds', { label: 'two\nlines' }, cookie);
      assert.equal(lines.statusCode, 422);
      assert.match(lines.body, /Use a single line without control characters/);
      const long = 'x'.repeat(81);
      const tooLong = await postForm(t, '/account/feeds', '/account/feeds', { label: long }, cookie);
      assert.equal(tooLong.statusCode, 422);
      assert.match(tooLong.body, /Use at most 80 characters/);
      assert.ok(tooLong.body.includes(`value="${long}"`), 'the value is kept');
      assert.equal((await t.db.db.selectFrom('feed_tokens').select('id').execute()).length, 0);

      const viewer = await viewerForAccount(t.db.db, userId);
      const ids: string[] = [];
      for (let i = 0; i < MAX_ACTIVE_FEED_TOKENS; i++) ids.push((await createFeedToken(t.db.db, viewer, { label: `Link ${i}` })).id);
      const over = await postForm(t, '/account/feeds', '/account/feeds', { label: 'One too many' }, cookie);
      assert.equal(over.statusCode, 422);
      assert.match(over.body, /You can have at most 20 active links; revoke one first/);
      assert.ok(over.body.includes('value="One too many"'));
      await revokeFeedToken(t.db.db, viewer, ids[0]);
      assert.equal((await postForm(t, '/account/feeds', '/account/feeds', { label: 'Now it fits' }, cookie)).statusCode, 200);
      await assert.rejects(revokeFeedToken(t.db.db, viewer, 'not-an-id\u0000'), { code: 'not_found' });
    });

    it('following.ics: the followed set, as the account may see it, with the same instants as stored', async () => {
      const w = await followedWorld(t);
      const token = await tokenFor(t, w.member.userId);
      const res = await get(t, `/feeds/${token}/following.ics`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/calendar; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'private, no-store');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      const events = parseEvents(res.body);
      assert.deepEqual(events.map((e) => e.summary).sort(), ['Members assembly', 'Network day', 'Paris vigil', 'Public rally', 'Strike day']);
      assert.match(res.body, /X-WR-CALNAME:Action days your organizations follow\r\n/);

      const secret = events.find((e) => e.summary === 'Members assembly')!;
      assert.equal(secret.uid, `${w.secret.id}@solidaris.example`);
      assert.equal(secret.startDate.toJSDate().toISOString(), w.secret.starts_at);
      assert.equal(secret.endDate.toJSDate().toISOString(), w.secret.ends_at);
      assert.equal(secret.startDate.toString(), '2026-05-01T13:00:00Z');
      const strike = events.find((e) => e.summary === 'Strike day')!;
      assert.equal(strike.startDate.isDate, true);
      assert.equal(strike.startDate.toString(), '2026-12-29');
      assert.equal(strike.endDate.toString(), '2027-01-01', 'exclusive end after the inclusive 2026-12-31');
      assert.match(res.body, /DTSTART;VALUE=DATE:20261229\r\n/);

      // The same local action through `?token=` on a public feed, and never without it.
      const pub = await get(t, '/action-days/day-net/calendar.ics');
      assert.equal(pub.headers['cache-control'], 'public, max-age=300');
      assert.deepEqual(parseEvents(pub.body).map((e) => e.summary).sort(), ['Network day', 'Public rally']);
      const mine = await get(t, `/action-days/day-net/calendar.ics?token=${token}`);
      assert.equal(mine.statusCode, 200);
      assert.equal(mine.headers['cache-control'], 'private, no-store');
      assert.equal(mine.headers['referrer-policy'], 'no-referrer');
      const mineEvents = parseEvents(mine.body);
      assert.deepEqual(mineEvents.map((e) => e.summary).sort(), ['Members assembly', 'Network day', 'Public rally']);
      assert.equal(mineEvents.find((e) => e.summary === 'Members assembly')!.startDate.toJSDate().toISOString(), w.secret.starts_at);
      // Every public event is written line for line as in the public calendar (UID, DTSTAMP, DTSTART, DTEND…).
      for (const e of parseEvents(pub.body)) assert.deepEqual(eventLines(res.body, e.uid), eventLines(pub.body, e.uid), e.summary);

      // An account without a membership follows nothing and sees no members-only record.
      const outsiderToken = await tokenFor(t, w.outsider.userId);
      const none = await get(t, `/feeds/${outsiderToken}/following.ics`);
      assert.equal(none.statusCode, 200);
      assert.deepEqual(parseEvents(none.body), []);
      const theirs = await get(t, `/action-days/day-net/calendar.ics?token=${outsiderToken}`);
      assert.deepEqual(parseEvents(theirs.body).map((e) => e.summary).sort(), ['Network day', 'Public rally']);
      assert.ok(!theirs.body.includes('Members assembly'));
    });

    it('?token= on the public feeds: members-only records and organizations for members, 404 for a bad token', async () => {
      const w = await followedWorld(t);
      const token = await tokenFor(t, w.member.userId);
      const outsiderToken = await tokenFor(t, w.outsider.userId);
      await insertLocalAction(t.db.db, w.day.id, w.m.id, { title: 'Circle stand', start: '2026-05-01' });
      const hidden = await insertStruggle(t.db.db, { title: 'Hidden struggle', organizationId: w.m.id, visibility: 'members', country: 'CD' });

      // A members-only organization's own feeds: 404 publicly and for outsiders, readable for its members.
      for (const path of ['/organizations/circle-m/calendar.ics', '/organizations/circle-m/feed.atom']) {
        assert.equal((await get(t, path)).statusCode, 404, path);
        assert.equal((await get(t, `${path}?token=${outsiderToken}`)).statusCode, 404, path);
        const res = await get(t, `${path}?token=${token}`);
        assert.equal(res.statusCode, 200, path);
        assert.equal(res.headers['cache-control'], 'private, no-store');
      }
      assert.match((await get(t, `/organizations/circle-m/calendar.ics?token=${token}`)).body, /Circle stand/);
      const atom = parseAtom((await get(t, `/organizations/circle-m/feed.atom?token=${token}`)).body);
      assert.deepEqual(atom.entries.map((e) => e.id), [`urn:uuid:${hidden.id}`]);
      assert.equal(atom.id, `${BASE}/organizations/circle-m/feed.atom?token=${token}`, 'the self link keeps the token');

      // Country and network feeds show what the account may see.
      assert.ok(!(await get(t, '/countries/CD/feed.atom')).body.includes('Hidden struggle'));
      assert.ok((await get(t, `/countries/cd/feed.atom?token=${token}`)).body.includes('Hidden struggle'));
      assert.ok(!(await get(t, `/countries/CD/feed.atom?token=${outsiderToken}`)).body.includes('Hidden struggle'));
      assert.equal((await get(t, '/networks/miners/calendar.ics')).headers['cache-control'], 'public, max-age=300');
      assert.equal((await get(t, `/networks/miners/feed.atom?token=${token}`)).headers['cache-control'], 'private, no-store');

      // A malformed, unknown, empty or repeated token is a 404, never the public version.
      const bad = ['', 'nope', 'x'.repeat(43), `${token}x`, `${token}&token=${token}`, '%00', 'é'.repeat(43), 'a'.repeat(5000)];
      for (const value of bad) {
        const q = value.startsWith(token) || value === '%00' ? value : encodeURIComponent(value);
        for (const path of ['/action-days/day-net/calendar.ics', '/organizations/union-a/calendar.ics', '/networks/miners/calendar.ics', '/organizations/union-a/feed.atom', '/networks/miners/feed.atom', '/countries/DE/feed.atom']) {
          const res = await get(t, `${path}?token=${q}`);
          assert.equal(res.statusCode, 404, `${path}?token=${q.slice(0, 60)}`);
          assert.ok(!/BEGIN:VCALENDAR|<feed/.test(res.body));
        }
      }
      // Without a token nothing changed.
      assert.equal((await get(t, '/organizations/union-a/calendar.ics')).statusCode, 200);
    });

    it('notifications.atom: the account’s notifications as Atom entries with stable ids and absolute links', async () => {
      const db = t.db.db;
      const w = await followedWorld(t);
      const update = await insertUpdate(db, w.s.id, { body: 'Day 12 of the strike', createdAt: '2026-11-29T20:00:00.000Z' });
      const call = await insertCall(db, w.s.id, w.p.id, { title: 'Send messages' });
      const response = await insertResponse(db, call.id, w.q.id, { kind: 'message' });
      const hiddenCall = await insertCall(db, w.s.id, w.p.id, { title: 'Members only call', visibility: 'members' });
      const token = await tokenFor(t, w.member.userId);
      const res = await get(t, `/feeds/${token}/notifications.atom`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'private, no-store');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      const feed = parseAtom(res.body);
      assert.equal(feed.id, `${BASE}/feeds/${token}/notifications.atom`);
      assert.match(feed.title, /Notifications for/);
      assert.match(feed.title, /Ana Member/);

      const viewer = await viewerForAccount(db, w.member.userId);
      const expected = await listNotifications(db, viewer, { limit: 50 });
      assert.deepEqual(
        feed.entries.map((e) => e.id),
        expected.map((n) => `urn:uuid:${n.eventId}`),
      );
      const ids = feed.entries.map((e) => e.id);
      for (const id of [update.id, call.id, response.id, w.day.id, w.dstr.id]) assert.ok(ids.includes(`urn:uuid:${id}`), id);
      assert.ok(!ids.includes(`urn:uuid:${hiddenCall.id}`), 'a members-only call of another organization is not shown');
      for (const e of feed.entries) assert.ok(e.href.startsWith(`${BASE}/`), e.href);
      const u = feed.entries.find((e) => e.id === `urn:uuid:${update.id}`)!;
      assert.equal(u.href, `${BASE}/struggles/${w.s.slug}#update-${update.id}`);
      assert.equal(u.updated, '2026-11-29T20:00:00.000Z');
      assert.equal(feed.entries[0]!.id, `urn:uuid:${update.id}`, 'newest first');
      const c = feed.entries.find((e) => e.id === `urn:uuid:${call.id}`)!;
      assert.equal(c.author.name, 'Org P');
      assert.equal(c.author.uri, `${BASE}/organizations/org-p`);
      // Stable: the same ids on the next read, in German too.
      const again = parseAtom((await get(t, `/feeds/${token}/notifications.atom?lang=de`)).body);
      assert.deepEqual(again.entries.map((e) => e.id), feed.entries.map((e) => e.id));
      assert.match(again.title, /Benachrichtigungen für/);

      // An account without a membership has none.
      const empty = parseAtom((await get(t, `/feeds/${await tokenFor(t, w.outsider.userId)}/notifications.atom`)).body);
      assert.deepEqual(empty.entries, []);
    });

    it('every kind of notification reads the same in the Atom feed (entry title) as on the notifications page, in English and German', async () => {
      const db = t.db.db;
      const w = await followedWorld(t);
      // Besides the world's action days (one of one day, one of three) and local actions: new
      // struggles in a followed country (with and without an organization), an update, a call
      // and a response of every kind on the followed struggle.
      await follow(db, w.a.id, 'country', 'PE');
      await insertStruggle(db, { title: 'Mine & <port> strike', organizationId: w.q.id, country: 'PE' });
      await insertStruggle(db, { title: 'Cusco march', organizationId: null, country: 'PE' });
      await insertUpdate(db, w.s.id, { body: 'Day 12 of the strike' });
      const call = await insertCall(db, w.s.id, w.p.id, { title: 'Send “messages”' });
      for (const kind of ['statement_sent', 'rally_held', 'donation_made', 'delegation', 'boycott_joined', 'message'] as const) await insertResponse(db, call.id, w.q.id, { kind });
      const token = await tokenFor(t, w.member.userId);
      const kinds = new Set((await listNotifications(db, await viewerForAccount(db, w.member.userId), { limit: 50 })).map((n) => n.kind));
      assert.deepEqual([...kinds].sort(), ['action_day_called', 'call_issued', 'local_action_registered', 'response_recorded', 'struggle_created', 'struggle_update']);

      const decode = (text: string) => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      /** The sentences of the notifications page, as text, newest first. */
      const pageSentences = async (cookie: string) => {
        const body = (await get(t, '/notifications', { cookie })).body;
        return [...body.matchAll(/<li class="unread"><p>(?:<strong class="new">[^<]*<\/strong>: )?([\s\S]*?)<\/p>/g)].map((m) => decode(m[1]!.replace(/<[^>]+>/g, '')));
      };
      const feedTitles = async (lang: string) =>
        parseAtom((await get(t, `/feeds/${token}/notifications.atom?lang=${lang}`)).body).entries.map((e) => decode(e.title).replace(/[\u2068\u2069]/g, ''));

      const en = await pageSentences(w.member.cookie);
      assert.ok(en.length >= 14, `every notification on the page; got ${en.length}`);
      assert.deepEqual(await feedTitles('en'), en);
      for (const sentence of [
        'Org Q answered the call “Send “messages””: Delegation sent',
        'Org P called the action day “Network day” on 1 May 2026',
        'Org P called the action day “Strike day” from 29 Dec 2026 to 31 Dec 2026',
        'Org Q reported a new struggle in Peru: Mine & <port> strike',
        'New struggle in Peru: Cusco march',
      ]) assert.ok(en.includes(sentence), `${sentence}\n in ${en.join('\n ')}`);

      const de = await pageSentences(`${w.member.cookie}; locale=de`);
      assert.deepEqual(await feedTitles('de'), de);
      assert.ok(de.includes('Org P hat den Aktionstag „Strike day“ vom 29.12.2026 bis zum 31.12.2026 ausgerufen'), de.join('\n '));
    });

    it('a revoked token, an erased account’s token and a token after a password reset answer 404', async () => {
      const w = await followedWorld(t);
      const db = t.db.db;
      const viewer = await viewerForAccount(db, w.member.userId);
      const revoked = await createFeedToken(db, viewer, { label: 'Old phone' });
      await revokeFeedToken(db, viewer, revoked.id);
      assert.equal(await viewerForFeedToken(db, revoked.token), null);
      assert.equal((await get(t, `/feeds/${revoked.token}/following.ics`)).statusCode, 404);
      assert.equal((await get(t, `/action-days/day-net/calendar.ics?token=${revoked.token}`)).statusCode, 404);

      // Password reset: every active token of the account is revoked in the same transaction.
      const kept = await createFeedToken(db, viewer, { label: 'Tablet' });
      const other = await tokenFor(t, w.outsider.userId);
      const link = await createPasswordResetLink(db, BASE, w.member.userId);
      await resetPassword(db, link.url.split('/').pop()!, 'a brand new passphrase');
      const rows = await db.selectFrom('feed_tokens').select(['id', 'revoked_at']).where('user_id', '=', w.member.userId).execute();
      assert.ok(rows.every((r) => r.revoked_at !== null), 'all revoked');
      assert.equal((await get(t, `/feeds/${kept.token}/notifications.atom`)).statusCode, 404);
      assert.equal((await get(t, `/feeds/${other}/following.ics`)).statusCode, 200, "another account's token is untouched");
      const audit = await db.selectFrom('audit_events').select('details').where('action', '=', 'account.password_reset').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(String(audit.details)), { feedTokensRevoked: 1 });

      // An erased account: its tokens are deleted; a token row left behind still reads nothing.
      const outsider = await viewerForAccount(db, w.outsider.userId);
      const stale = await createFeedToken(db, outsider, { label: 'Stale' });
      await db.updateTable('users').set({ erased_at: new Date().toISOString() }).where('id', '=', w.outsider.userId).execute();
      assert.equal((await get(t, `/feeds/${stale.token}/following.ics`)).statusCode, 404);
      await db.updateTable('users').set({ erased_at: null }).where('id', '=', w.outsider.userId).execute();
      await eraseAccount(db, outsider!, { password: PASSWORD }, t.db.engine);
      assert.equal((await db.selectFrom('feed_tokens').select('id').where('user_id', '=', w.outsider.userId).execute()).length, 0);
      assert.equal((await get(t, `/feeds/${other}/following.ics`)).statusCode, 404);
      assert.equal((await get(t, `/countries/DE/feed.atom?token=${other}`)).statusCode, 404);
    });

    it('last_used_at is written at most once an hour', async () => {
      const { userId } = await loginAs(t);
      const token = await tokenFor(t, userId);
      const lastUsed = async () => (await t.db.db.selectFrom('feed_tokens').select('last_used_at').where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow()).last_used_at;
      assert.equal(await lastUsed(), null);
      assert.ok(await viewerForFeedToken(t.db.db, token));
      const first = await lastUsed();
      assert.ok(first);
      const earlier = '2026-01-01T10:00:00.000Z';
      await t.db.db.updateTable('feed_tokens').set({ last_used_at: new Date(Date.now() - 30 * 60_000).toISOString() }).execute();
      const halfHour = await lastUsed();
      await viewerForFeedToken(t.db.db, token);
      assert.equal(await lastUsed(), halfHour, 'not rewritten within the hour');
      await t.db.db.updateTable('feed_tokens').set({ last_used_at: earlier }).execute();
      await viewerForFeedToken(t.db.db, token);
      assert.ok(Date.parse(String(await lastUsed())) > Date.parse(earlier));
    });

    it('hostile tokens in the path (long, NUL, unicode, dots) are a 404, malformed percent-encoding the site-wide 400, never a 500', async () => {
      const { userId } = await loginAs(t);
      await tokenFor(t, userId);
      // Malformed percent-encoding (a lone surrogate, a cut sequence) is refused by the framework
      // before any route, with the site's 400 page, as on every other path.
      const values: [string, number][] = [
        ['a'.repeat(43), 404],
        ['a'.repeat(5000), 404],
        ['%00'.repeat(43), 404],
        [`${'a'.repeat(42)}%00`, 404],
        [encodeURIComponent('é'.repeat(43)), 404],
        ['%F0%9F%98%80'.repeat(20), 404],
        ['..', 404],
        ['%2e%2e%2f%2e%2e', 404],
        [encodeURIComponent("' OR 1=1 --"), 404],
        ['%ED%A0%80', 400],
        ['%E0%A4%A', 400],
      ];
      for (const [v, status] of values) {
        for (const feed of ['following.ics', 'notifications.atom']) {
          const res = await get(t, `/feeds/${v}/${feed}`);
          assert.equal(res.statusCode, status, `${v.slice(0, 40)} ${feed}`);
          assert.match(String(res.headers['content-type']), /^text\/html/);
        }
      }
      // A well-formed token with the same shape but unknown is the same 404 as garbage.
      assert.equal((await get(t, `/feeds/${'Z'.repeat(43)}/following.ics`)).statusCode, 404);
    });

    it('a session cookie does not change what a token feed shows, and a public feed ignores the session', async () => {
      const w = await followedWorld(t);
      const res = await get(t, '/action-days/day-net/calendar.ics', { cookie: w.member.cookie });
      assert.ok(!res.body.includes('Members assembly'));
      const outsiderToken = await tokenFor(t, w.outsider.userId);
      const mixed = await get(t, `/action-days/day-net/calendar.ics?token=${outsiderToken}`, { cookie: w.member.cookie });
      assert.ok(!mixed.body.includes('Members assembly'));
      assert.ok(cookiesFrom(mixed) === '' || !cookiesFrom(mixed).includes('sid='), 'no session is set by a feed');
    });
  });
}
