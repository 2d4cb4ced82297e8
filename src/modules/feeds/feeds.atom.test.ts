import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, type TestApp } from '../../../test/helpers/app.ts';
import {
  insertActionDay,
  insertCall,
  insertLocalAction,
  insertMembership,
  insertNetwork,
  insertOrganization,
  insertResponse,
  insertStruggle,
  insertUpdate,
} from './feeds.fixtures.ts';
import { htmlText } from './feeds.atom.ts';

// Atom feeds (RFC 4287) of organizations, networks and countries, and B28 for every feed.

const BASE = 'https://solidaris.example';

interface ParsedEntry {
  id: string;
  title: string;
  updated: string;
  link: { '@_href': string } | { '@_href': string }[];
  summary: string;
  author: { name: string; uri?: string } | { name: string; uri?: string }[];
}

/** An Atom document parsed by fast-xml-parser (entities decoded, CDATA as text). */
function parseAtom(xml: string): { id: string; title: string; updated: string; entries: ParsedEntry[] } {
  assert.equal(XMLValidator.validate(xml), true);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry', htmlEntities: false, parseTagValue: false, trimValues: true });
  const doc = parser.parse(xml) as { feed: { '@_xmlns': string; id: string; title: string; updated: string; entry?: ParsedEntry[] } };
  assert.equal(doc.feed['@_xmlns'], 'http://www.w3.org/2005/Atom');
  const text = (v: unknown) => (typeof v === 'object' && v !== null && '#text' in v ? String((v as { '#text': unknown })['#text']) : String(v));
  const entries = (doc.feed.entry ?? []).map((e) => ({ ...e, title: decodeHtml(text(e.title)), summary: decodeHtml(text(e.summary)), id: text(e.id), updated: text(e.updated) }));
  return { id: text(doc.feed.id), title: text(doc.feed.title), updated: text(doc.feed.updated), entries };
}

/** `type="html"` text back to plain text (the entities `htmlText` writes). */
function decodeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function get(t: TestApp, url: string) {
  return t.app.inject({ method: 'GET', url });
}

for (const engine of ENGINES) {
  describe(`Atom feeds (${engine})`, () => {
    const t = useTestApp(engine, { baseUrl: BASE });

    it('an organization feed: its struggles, their updates, calls and responses, newest first', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
      const other = await insertOrganization(t.db.db, { slug: 'other', name: 'Port Workers & Friends' });
      const own = await insertStruggle(t.db.db, { title: 'Hafenstreik <Tor 3> & mehr', organizationId: org.id, demands: 'Wages\nand safety', updatedAt: '2026-04-01T10:00:00.000Z' });
      const linked = await insertStruggle(t.db.db, { title: 'Linked struggle', organizationId: other.id, linked: [org.id], updatedAt: '2026-04-02T10:00:00.000Z' });
      const unrelated = await insertStruggle(t.db.db, { title: 'Unrelated struggle', organizationId: other.id, updatedAt: '2026-04-03T10:00:00.000Z' });
      const update = await insertUpdate(t.db.db, own.id, { body: 'Day 3 of the strike', createdAt: '2026-04-04T10:00:00.000Z' });
      const call = await insertCall(t.db.db, own.id, org.id, { title: 'Send messages to the port', updatedAt: '2026-04-05T10:00:00.000Z' });
      const issuedElsewhere = await insertCall(t.db.db, unrelated.id, other.id, { title: 'Co-issued call', issuers: [org.id], updatedAt: '2026-04-06T10:00:00.000Z' });
      const response = await insertResponse(t.db.db, call.id, other.id, { report: 'We held a rally', updatedAt: '2026-04-07T10:00:00.000Z' });
      const given = await insertResponse(t.db.db, (await insertCall(t.db.db, unrelated.id, other.id, { title: 'Somebody else’s call' })).id, org.id, {
        report: null,
        kind: 'statement_sent',
        updatedAt: '2026-04-08T10:00:00.000Z',
      });

      const res = await get(t, '/organizations/kollektiv-nord/feed.atom');
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8');
      assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/);
      const feed = parseAtom(res.body);
      assert.equal(feed.id, `${BASE}/organizations/kollektiv-nord/feed.atom`);
      assert.equal(feed.title, 'Struggles and solidarity of \u2068Kollektiv Nord\u2069');
      assert.equal(feed.updated, '2026-04-08T10:00:00.000Z');
      assert.deepEqual(
        feed.entries.map((e) => e.id),
        [given.id, response.id, issuedElsewhere.id, call.id, update.id, linked.id, own.id].map((id) => `urn:uuid:${id}`),
      );
      assert.deepEqual(
        feed.entries.map((e) => e.updated),
        ['2026-04-08', '2026-04-07', '2026-04-06', '2026-04-05', '2026-04-04', '2026-04-02', '2026-04-01'].map((d) => `${d}T10:00:00.000Z`),
      );
      for (const e of feed.entries) {
        assert.match(e.updated, RFC3339_UTC);
        assert.ok(e.title.length > 0 && e.summary.length > 0);
        const author = [e.author].flat()[0]!;
        assert.ok(author.name.length > 0);
        assert.ok([e.link].flat()[0]!['@_href'].startsWith(`${BASE}/`));
      }
      const byId = new Map(feed.entries.map((e) => [e.id, e]));
      const ownEntry = byId.get(`urn:uuid:${own.id}`)!;
      assert.equal(ownEntry.title, 'Hafenstreik <Tor 3> & mehr');
      assert.equal(ownEntry.summary, 'Wages\nand safety');
      assert.equal([ownEntry.link].flat()[0]!['@_href'], `${BASE}/struggles/${own.slug}`);
      assert.deepEqual([ownEntry.author].flat()[0], { name: 'Kollektiv Nord', uri: `${BASE}/organizations/kollektiv-nord` });
      assert.equal(byId.get(`urn:uuid:${update.id}`)!.title, `Update on \u2068${own.title}\u2069 (1 Apr 2026)`);
      assert.equal(byId.get(`urn:uuid:${update.id}`)!.summary, 'Day 3 of the strike');
      assert.equal(byId.get(`urn:uuid:${call.id}`)!.title, 'Call for solidarity: \u2068Send messages to the port\u2069');
      assert.equal([byId.get(`urn:uuid:${call.id}`)!.link].flat()[0]!['@_href'], `${BASE}/calls/${call.slug}`);
      assert.equal(byId.get(`urn:uuid:${response.id}`)!.title, '\u2068Port Workers & Friends\u2069: Rally held in answer to “\u2068Send messages to the port\u2069”');
      assert.equal(byId.get(`urn:uuid:${response.id}`)!.summary, 'We held a rally');
      assert.equal(byId.get(`urn:uuid:${given.id}`)!.summary, '\u2068Hamburg\u2069, Germany, 2 Apr 2026');
      assert.ok(!res.body.includes('Unrelated struggle'));
    });

    it('German titles with ?lang=de', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
      await insertStruggle(t.db.db, { title: 'Streik', organizationId: org.id, country: 'BR' });
      const feed = parseAtom((await get(t, '/organizations/kollektiv-nord/feed.atom?lang=de')).body);
      assert.equal(feed.title, 'Kämpfe und Solidarität von \u2068Kollektiv Nord\u2069');
      assert.equal(feed.entries[0]!.summary, 'In Brasilien seit 01.03.2026');
    });

    it('at most 50 entries, the newest', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord' });
      const s = await insertStruggle(t.db.db, { organizationId: org.id, updatedAt: '2026-01-01T00:00:00.000Z' });
      for (let i = 0; i < 60; i++) await insertUpdate(t.db.db, s.id, { createdAt: `2026-02-01T00:${String(i).padStart(2, '0')}:00.000Z` });
      const feed = parseAtom((await get(t, '/organizations/kollektiv-nord/feed.atom')).body);
      assert.equal(feed.entries.length, 50);
      assert.equal(feed.entries[0]!.updated, '2026-02-01T00:59:00.000Z');
      assert.equal(feed.entries[49]!.updated, '2026-02-01T00:10:00.000Z');
    });

    it('a network feed follows its current public members; a country feed its country', async () => {
      const member = await insertOrganization(t.db.db, { slug: 'member', name: 'Member union' });
      const former = await insertOrganization(t.db.db, { slug: 'former' });
      const net = await insertNetwork(t.db.db, { slug: 'auto', name: 'Auto workers' });
      await insertMembership(t.db.db, net.id, member.id);
      await insertMembership(t.db.db, net.id, former.id, { since: '2020-01-01', until: '2021-01-01' });
      const ms = await insertStruggle(t.db.db, { title: 'Member struggle', organizationId: member.id, country: 'BR' });
      await insertStruggle(t.db.db, { title: 'Former member struggle', organizationId: former.id, country: 'DE' });
      const imported = await insertStruggle(t.db.db, { title: 'Imported strike', organizationId: null, country: 'BR' });
      const responseInBrazil = await insertResponse(t.db.db, (await insertCall(t.db.db, (await insertStruggle(t.db.db, { organizationId: former.id, country: 'DE' })).id, former.id)).id, former.id, { country: 'BR' });

      const netFeed = parseAtom((await get(t, '/networks/auto/feed.atom')).body);
      assert.equal(netFeed.title, 'Struggles and solidarity in the network \u2068Auto workers\u2069');
      assert.deepEqual(netFeed.entries.map((e) => e.title), ['Member struggle']);

      const br = await get(t, '/countries/br/feed.atom');
      assert.equal(br.statusCode, 200);
      const brFeed = parseAtom(br.body);
      assert.equal(brFeed.id, `${BASE}/countries/BR/feed.atom`);
      assert.equal(brFeed.title, 'Struggles and solidarity in Brazil');
      assert.deepEqual(new Set(brFeed.entries.map((e) => e.id)), new Set([ms.id, imported.id, responseInBrazil.id].map((id) => `urn:uuid:${id}`)));
      const importedEntry = brFeed.entries.find((e) => e.id === `urn:uuid:${imported.id}`)!;
      assert.deepEqual([importedEntry.author].flat()[0], { name: 'Public record' });

      // An empty feed is still a valid feed with a reproducible `updated`.
      const empty = parseAtom((await get(t, '/countries/JP/feed.atom')).body);
      assert.equal(empty.entries.length, 0);
      assert.equal(empty.updated, '1970-01-01T00:00:00.000Z');
      for (const url of ['/countries/XX/feed.atom', '/countries/DEU/feed.atom', '/countries/1a/feed.atom', '/networks/none/feed.atom', '/organizations/none/feed.atom']) {
        assert.equal((await get(t, url)).statusCode, 404, url);
      }
    });

    it('B28: no private, members-only or network record of any kind in any feed', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
      const hiddenOrg = await insertOrganization(t.db.db, { slug: 'rechtshilfe-kreis', name: 'Rechtshilfe-Kreis', visibility: 'private' });
      const net = await insertNetwork(t.db.db, { slug: 'net' });
      await insertMembership(t.db.db, net.id, org.id);
      await insertMembership(t.db.db, net.id, hiddenOrg.id);
      const shown: string[] = [];
      const secrets: string[] = [hiddenOrg.name];
      const pubStruggle = await insertStruggle(t.db.db, { title: 'Infoabend Asylrecht 2026-06-01', organizationId: org.id });
      const pubCall = await insertCall(t.db.db, pubStruggle.id, org.id, { title: 'Public call' });
      const pubResponse = await insertResponse(t.db.db, pubCall.id, org.id, { report: 'Public response' });
      const pubUpdate = await insertUpdate(t.db.db, pubStruggle.id, { body: 'Public update' });
      shown.push(pubStruggle.id, pubCall.id, pubResponse.id, pubUpdate.id);
      const day = await insertActionDay(t.db.db, org.id, { slug: 'public-day', networkId: net.id });
      for (const visibility of ['network', 'members', 'private'] as const) {
        const s = await insertStruggle(t.db.db, { title: `Anhörung ${visibility} VG Berlin`, organizationId: org.id, visibility });
        const u = await insertUpdate(t.db.db, s.id, { body: `Neue Notiz in Fall ${visibility}` });
        const c = await insertCall(t.db.db, pubStruggle.id, org.id, { title: `Hidden call ${visibility}`, visibility });
        const cOnHidden = await insertCall(t.db.db, s.id, org.id, { title: `Public call on ${visibility} struggle` });
        const r = await insertResponse(t.db.db, pubCall.id, org.id, { report: `Hidden response ${visibility}`, visibility });
        const rOnHidden = await insertResponse(t.db.db, c.id, org.id, { report: `Public response to ${visibility} call` });
        const d = await insertActionDay(t.db.db, org.id, { title: `Hidden day ${visibility}`, visibility, networkId: net.id });
        const a = await insertLocalAction(t.db.db, day.id, org.id, { title: `Hidden action ${visibility}`, visibility, start: '2026-05-01' });
        secrets.push(s.id, s.title, s.slug, u.id, u.body, c.id, c.title, cOnHidden.id, cOnHidden.title, r.id, `Hidden response ${visibility}`, rOnHidden.id, `Public response to ${visibility} call`, d.id, d.title, a.id, a.title);
      }
      // Public records of a private organization, and ones that name it.
      const hs = await insertStruggle(t.db.db, { title: 'Public struggle of a private org', organizationId: hiddenOrg.id });
      const hc = await insertCall(t.db.db, pubStruggle.id, hiddenOrg.id, { title: 'Public call of a private org' });
      const hr = await insertResponse(t.db.db, pubCall.id, hiddenOrg.id, { report: 'Public response of a private org' });
      const linkedToHidden = await insertStruggle(t.db.db, { title: 'Linked to the private org only', organizationId: null, linked: [hiddenOrg.id], country: 'FR' });
      const hd = await insertActionDay(t.db.db, hiddenOrg.id, { title: 'Public day of a private org', networkId: net.id });
      const ha = await insertLocalAction(t.db.db, day.id, hiddenOrg.id, { title: 'Public action of a private org', start: '2026-05-01' });
      secrets.push(hs.id, hs.title, hc.id, hc.title, hr.id, 'Public response of a private org', hd.id, hd.title, ha.id, ha.title);

      const feeds = [
        '/organizations/kollektiv-nord/feed.atom',
        '/networks/net/feed.atom',
        '/countries/DE/feed.atom',
        '/countries/FR/feed.atom',
        '/organizations/kollektiv-nord/calendar.ics',
        '/networks/net/calendar.ics',
        '/action-days/public-day/calendar.ics',
      ];
      for (const url of feeds) {
        const res = await get(t, url);
        assert.equal(res.statusCode, 200, url);
        const body = res.body.replace(/\r\n /g, '');
        for (const s of secrets) assert.ok(!body.includes(s), `${url} shows ${s}`);
      }
      // An ownerless public struggle linked only to the private organization is public data in its
      // country, but the network feed does not pick it up through the hidden member.
      assert.ok(!(await get(t, '/networks/net/feed.atom')).body.includes(linkedToHidden.id));
      assert.ok((await get(t, '/countries/FR/feed.atom')).body.includes(linkedToHidden.id));
      for (const url of feeds.slice(0, 3)) {
        const ids = parseAtom((await get(t, url)).body).entries.map((e) => e.id);
        assert.deepEqual(new Set(ids), new Set(shown.map((id) => `urn:uuid:${id}`)), url);
      }
      // A members-only or private organization's feeds are 404, like a missing one.
      await insertOrganization(t.db.db, { slug: 'members-only', visibility: 'members' });
      for (const url of ['/organizations/members-only/feed.atom', '/organizations/rechtshilfe-kreis/feed.atom', '/organizations/members-only/calendar.ics']) {
        const res = await get(t, url);
        const missing = await get(t, url.replace(/organizations\/[^/]+/, 'organizations/no-such-org'));
        assert.equal(res.statusCode, 404, url);
        assert.equal(missing.statusCode, 404);
        assert.equal(res.headers['content-type'], missing.headers['content-type']);
      }
    });

    it('htmlText drops what XML 1.0 forbids and escapes markup', () => {
      assert.equal(htmlText('a\u0000b\uD800c\uDC00d\uFFFEe 😀 <b>&</b>'), 'abcde 😀 &lt;b&gt;&amp;&lt;/b&gt;');
    });

    it('text that is not XML-safe stays well-formed', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'A &amp; B <x>' });
      await insertStruggle(t.db.db, { title: 'Bell\u0007 ]]> <script>alert(1)</script> \u000B done', organizationId: org.id, demands: 'x ]]> y' });
      const res = await get(t, '/organizations/kollektiv-nord/feed.atom');
      assert.equal(res.statusCode, 200);
      const feed = parseAtom(res.body);
      assert.equal(feed.entries[0]!.title, 'Bell ]]> <script>alert(1)</script>  done');
      assert.equal(feed.entries[0]!.summary, 'x ]]> y');
      assert.ok(!res.body.includes('<script>'));
    });
  });
}
